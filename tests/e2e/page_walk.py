"""The page walk: every page of every demo role, looked at in Chromium at 1280×800 and
1440×900 (issue 15, item 9): a full-page screenshot of each under
test-artifacts/screenshots/pages/<width>/, and a failure naming what is wrong when a page
shows an exception, when anything on it reaches past the window's right edge, or when a
chart is drawn under 120 px tall (or its plot, the data's rectangle, under 80 px: squashed
by its legend).

One server per test file and one tab per role, logged in once; the role's pages are opened
one after another in it as a user goes through the menu (by its entry, or by its address
for a page the menu does not list): the app's scripts load once per role and only each
page's run is new. A page is judged at 1280×800 once its run has settled and every chart
on it has drawn, then the window is made 1440×900 and the page judged again (the app does
not run again for a new window size: the browser lays the same page out anew). Only what a
page shows when opened is judged: tabs other than the first, and expanders, stay as they
open. The roles are split over two test files (test_page_walk_*.py), which the two test
processes walk side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from leaddash.ui.nav import PageSpec, pages_for
from tests.e2e.conftest import SHOTS, WAIT, go_to, log_in, settled

VIEWPORTS = {1280: 800, 1440: 900}
FIRST_WIDTH = 1280
MIN_CHART_HEIGHT = 120
# A chart can be tall enough while its legend or labels leave the data a sliver (issue 15:
# "SLA rates by month is squashed to about 20 px"): its plot must keep this much.
MIN_PLOT_HEIGHT = 80
TALLEST_SHOT = 8000
# Cases that fail on main today, each fixed by another part of issue 15; remove an entry
# once its fix is merged (xfail is not strict: a fixed case passes and says XPASS).
KNOWN: dict[tuple[str, str], str] = {}

# Every element of the main area whose right edge is past the window's, unless a box that
# scrolls or clips sideways holds it inside the window (a wide table scrolls in its grid).
# Only the outermost such element is named: its children overflow because it does.
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const past = (el) => el.getBoundingClientRect().right > width + 1;
  const held = (el) => {
    for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible' && !past(p)) return true;
    }
    return false;
  };
  const name = (el) => {
    const id = el.closest('[data-testid]');
    const text = (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60);
    return `${el.tagName.toLowerCase()}${id ? ' in ' + id.dataset.testid : ''}` +
      ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)` +
      (text ? ` "${text.replace(/\\s+/g, ' ')}"` : '');
  };
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || !past(el) || held(el)) continue;
    if (found.some((f) => f.contains(el))) continue;
    found.push(el);
  }
  const doc = document.documentElement;
  const named = found.slice(0, 5).map(name);
  if (doc.scrollWidth > window.innerWidth && !named.length) {
    named.push(`the page is ${doc.scrollWidth} px wide`);
  }
  return named;
}
"""

# Each shown chart (vega-embed's svg or canvas): its height, the height of its plot (the
# root group's background, the data's rectangle without axes and legends; svg only), and
# the heading above it, to name it.
CHARTS_JS = """
() => {
  const headings = [...document.querySelectorAll('h1, h2, h3, h4')];
  return [...document.querySelectorAll('.vega-embed')].filter((c) => c.offsetParent)
    .map((chart, i) => {
      const drawn = chart.querySelector('canvas, svg');
      const plot = chart.querySelector('g.role-frame.root > g > path.background');
      const before = headings.filter(
        (h) => h.compareDocumentPosition(chart) & Node.DOCUMENT_POSITION_FOLLOWING);
      const title = before.length ? before[before.length - 1].innerText.trim() : '';
      return {
        name: `chart ${i + 1}${title ? ' under "' + title + '"' : ''}`,
        height: drawn ? Math.round(drawn.getBoundingClientRect().height) : 0,
        plot: plot ? Math.round(plot.getBoundingClientRect().height) : null,
      };
    });
}
"""
# Vega draws after the run has settled: wait until every shown chart has its canvas or svg.
CHARTS_DRAWN_JS = """
() => [...document.querySelectorAll('.vega-embed')].filter((c) => c.offsetParent)
  .every((c) => c.querySelector('canvas, svg'))
"""


def cases(roles: tuple[str, ...]) -> list:
    """Return a case per page of each of `roles`, in the order of their menus."""
    cases = []
    for role in roles:
        for spec in pages_for(role):
            reason = KNOWN.get((role, spec.url_path)) or KNOWN.get(("*", spec.url_path))
            marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
            cases.append(pytest.param(role, spec, marks=marks, id=f"{role}-{spec.url_path}"))
    return cases


def walk_of(roles: tuple[str, ...]) -> tuple[Callable, Callable]:
    """Return a test file's fixture and test walking the pages of `roles` (the file binds
    them to module names: `tabs, test_each_page_reads_whole_at_both_sizes = ...`)."""

    @pytest.fixture(scope="module", name="tabs")
    def role_tabs(browser) -> Iterator[dict[str, Page]]:
        """Yield the tab of each role logged in so far: its pages open one after another in
        it, as a user goes through the menu."""
        tabs: dict[str, Page] = {}
        yield tabs
        for tab in tabs.values():
            tab.context.close()

    @pytest.mark.browser
    @pytest.mark.timeout(180)
    @pytest.mark.parametrize(("role", "spec"), cases(roles))
    def test_each_page_reads_whole_at_both_sizes(app_url, browser, tabs, role, spec):
        walk_page(app_url, browser, tabs, role, spec)

    return role_tabs, test_each_page_reads_whole_at_both_sizes


def _open(browser, app_url: str, tabs: dict, role: str, spec: PageSpec):
    """Return the role's tab (logged in the first time) showing `spec` with every chart
    drawn."""
    if role not in tabs:
        viewport = {"width": FIRST_WIDTH, "height": VIEWPORTS[FIRST_WIDTH]}
        tab = browser.new_context(viewport=viewport).new_page()
        log_in(tab, app_url, role)
        tab.get_by_role("button", name="Log out").wait_for(timeout=WAIT)
        tabs[role] = tab
    page = tabs[role]
    page.set_viewport_size({"width": FIRST_WIDTH, "height": VIEWPORTS[FIRST_WIDTH]})
    go_to(page, app_url, role, spec)
    _drawn(page)
    return page


def _drawn(page) -> None:
    """Wait until the run is over and nothing on the page is a placeholder still: a check
    right after a run starts can land before the status widget shows."""
    settled(page)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT)
    settled(page)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=WAIT)


def _problems(page) -> list[str]:
    problems = [
        f"an exception is shown: {text.strip()[:200]!r}"
        for text in page.get_by_test_id("stException").all_inner_texts()
    ]
    problems += [f"wider than the window: {what}" for what in page.evaluate(OVERFLOW_JS)]
    problems += [
        f"{chart['name']} is {chart['height']} px tall (under {MIN_CHART_HEIGHT})"
        for chart in page.evaluate(CHARTS_JS)
        if chart["height"] < MIN_CHART_HEIGHT
    ]
    problems += [
        f"{chart['name']} is squashed: its plot is {chart['plot']} px tall "
        f"(under {MIN_PLOT_HEIGHT}) in a chart of {chart['height']} px"
        for chart in page.evaluate(CHARTS_JS)
        if chart["plot"] is not None and chart["plot"] < MIN_PLOT_HEIGHT
    ]
    return problems


def _full_shot(page, width: int, role: str, spec: PageSpec) -> None:
    """Save the whole page: the main area scrolls inside the window, so the window is made
    as tall as what it holds first."""
    tall = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.documentElement.scrollHeight; }"
    )
    page.set_viewport_size(
        {"width": width, "height": min(max(tall, VIEWPORTS[width]), TALLEST_SHOT)}
    )
    _drawn(page)
    folder = SHOTS / "pages" / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{role}-{spec.url_path}.png"), full_page=True)


def walk_page(app_url: str, browser, tabs: dict, role: str, spec: PageSpec) -> None:
    """Open `spec` as `role`, judge it and save its screenshot at each width in turn; fail
    naming every problem found at either width."""
    page = _open(browser, app_url, tabs, role, spec)
    problems = []
    expect(page.get_by_role("dialog", name="Page not found")).to_have_count(0)
    if spec != pages_for(role)[0]:  # the first page, Home, greets by name
        # The menu's entry opened the page at its own address (go_to checked it), and this
        # is that page: its heading starts as its name does (the review's says "lead review").
        heading = page.get_by_role("heading", level=1).first
        expect(heading).to_contain_text(spec.title.split()[0])
    for width, height in VIEWPORTS.items():
        if width != FIRST_WIDTH:
            page.set_viewport_size({"width": width, "height": height})
            _drawn(page)
        problems += [f"at {width} px: {problem}" for problem in _problems(page)]
        _full_shot(page, width, role, spec)

    assert problems == [], f"{spec.title} as {role}: " + "; ".join(problems)
