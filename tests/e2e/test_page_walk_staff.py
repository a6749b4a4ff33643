"""The page walk (tests/e2e/page_walk.py) for the admin, a sales manager and a rep: each page of their
menus judged and saved at 1280×800 and 1440×900."""

from tests.e2e.page_walk import walk_of

tabs, test_each_page_reads_whole_at_both_sizes = walk_of(("admin", "sales_manager", "rep"))
