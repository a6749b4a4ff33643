"""Start the Streamlit server for app.py with pages/ never auto-discovered.

Streamlit treats a `pages/` folder beside the entry script as an old-style multipage app
until the first session calls st.navigation; that first session then runs inside an
auto-generated navigation and its buttons stop answering. LeadDash routes every page
through st.navigation, so the folder's auto-discovery is switched off before serving.
It serves the ASGI entry leaddash.ui.asgi (app.py plus the login cookie's routes), with
app.py still the main script (its folder's .streamlit/ settings and secrets apply).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli
from streamlit.web.server import app_discovery

from leaddash.config import PROJECT_ROOT

DEFAULT_OPTIONS = ("--server.headless", "true", "--browser.gatherUsageStats", "false")
ENTRY = app_discovery.AppDiscoveryResult(is_asgi_app=True, app_name="app",
                                         import_string="leaddash.ui.asgi:app")


def serve(options: Sequence[str] = ()) -> int:
    """Run `streamlit run app.py` with the given options; return its exit code."""
    PagesManager.uses_pages_directory = False
    # `streamlit run` looks for an st.App in the script it is given; app.py has none, so it
    # is told where the entry is (app.py stays the main script for settings and secrets).
    app_discovery.discover_asgi_app = lambda *_args, **_kwargs: ENTRY
    args = ["run", str(PROJECT_ROOT / "app.py"), *DEFAULT_OPTIONS, *options]
    try:
        cli.main(args=args, prog_name="streamlit", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
