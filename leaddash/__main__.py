import sys

from leaddash.cli import main

sys.exit(main())
