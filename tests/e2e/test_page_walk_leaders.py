"""The page walk (tests/e2e/page_walk.py) for the two leaders and marketing ops: each page of their
menus judged and saved at 1280×800 and 1440×900."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext

from tests.e2e.page_walk import cases, role_contexts, walk_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ROLES = ("marketing_leader", "sales_leader", "marketing")


@pytest.fixture(scope="module")
def contexts(browser) -> Iterator[dict[str, BrowserContext]]:
    yield from role_contexts(browser)


@pytest.mark.parametrize(("role", "spec"), cases(ROLES))
def test_each_page_reads_whole_at_both_sizes(app_url, browser, contexts, role, spec):
    walk_page(app_url, browser, contexts, role, spec)
