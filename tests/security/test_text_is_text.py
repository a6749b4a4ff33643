"""Text is text: what people type or import shows exactly as typed, never as a link, bold,
an icon or markup, on every page.

`plain` is checked against GitHub-flavoured Markdown's own rules (the autolink patterns the
browser's renderer applies after escapes are read); the guard checks that every Streamlit
call drawing Markdown gets a safe value; AppTest runs check the pages named in issue 12.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from html.parser import HTMLParser

import pandas as pd
import pytest

from leaddash.agreements import add_comment, create_draft
from leaddash.auth import CLI_ACTOR, find_active_actor
from leaddash.cli import main
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content, summarize
from leaddash.models import AgreementKind, Role
from leaddash.ui.lead_links import lead_links
from leaddash.ui.team_queue import TABLE_KEY
from leaddash.ui.text import WORD_JOINER, plain, plain_table
from leaddash.users import create_user
from tests.apptest import app_as, link_names, seen
from tests.conftest import TEST_PASSWORD
from tests.queue_factory import make_lead
from tests.security.conftest import PAYLOADS
from tests.security.markdown_guard import APP_OWNED, ROOT, Guard, Module, sources

LEAD_LINKS = "leaddash/ui/lead_links.py"

HOSTILE = "[click](http://evil.example) www.evil.example **bold**"
TYPED = [
    HOSTILE,
    "bob@evil.example",
    "WWW.EVIL.EXAMPLE/path",
    "https://x.evil.example/a?b=c&d=e",
    "mailto:bob@evil.example",
    ":material/home: :red[red] :smile: :+1:",
    "$x^2$ and $$y$$",
    "<b>bold</b> <img src=x onerror=alert(1)> &amp;",
    "# Heading",
    "1. one",
    "- item",
    "> quote",
    "| a | b |",
    "~~strike~~ ==mark==",
    "back\\slash \\*",
    "snake_case_name __init__",
    "`code` ```fence```",
    "![img](x.png)",
    "[ref]: http://evil.example",
    "<http://evil.example>",
    "10:30 a:b",
    "awww.x.y",
]
# GitHub-flavoured Markdown's autolink literals, as the renderer Streamlit bundles
# (mdast-util-gfm-autolink-literal) finds them in the text after escapes are read.
GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE)
GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
# Emoji shortcodes (remark-emoji) and Streamlit's icons, also read after the escapes.
SHORTCODE = re.compile(r":[\w+-]+:|:material/")
# A Markdown mark with no backslash before it (an escaped backslash counts as escaped).
UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*[\[\]()*_<>`#|~!$=+:-]")


def read_as_markdown(markdown: str) -> str:
    """Return the text a Markdown renderer holds after reading the backslash escapes (the
    word joiners stay: they are characters of the text)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def markup_in(markdown: str) -> list[str]:
    """Return what in `markdown` a renderer would turn into something other than text."""
    text = read_as_markdown(markdown)
    found = [m.group() for m in UNESCAPED.finditer(markdown)]
    for pattern in (GFM_URL, GFM_EMAIL, SHORTCODE):
        found += [m.group() for m in pattern.finditer(text)]
    return found


# --- plain ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_plain_shows_exactly_the_characters_typed(typed):
    assert seen(plain(typed)) == typed


@pytest.mark.parametrize("typed", TYPED)
def test_plain_leaves_no_link_markup_or_icon(typed):
    assert markup_in(plain(typed)) == []


@pytest.mark.parametrize("typed", [HOSTILE, "**bold**", "<b>x</b>", ":material/home:"])
def test_the_check_sees_markup_in_raw_text(typed):
    assert markup_in(typed)


@pytest.mark.parametrize(
    "typed", ["http://evil.example", "www.evil.example", "bob@evil.example", ":smile:"]
)
def test_escaping_marks_alone_would_leave_live_links_and_shortcodes(typed):
    escaped_only = re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=^\"'])", r"\\\1", typed)
    assert UNESCAPED.search(escaped_only) is None
    assert markup_in(escaped_only)


def test_plain_keeps_lines_apart():
    assert plain("first\nsecond") == "first  \nsecond"


def test_the_joiner_goes_only_where_a_link_or_shortcode_would_start():
    assert plain("Note: call back at 10:30") == "Note\\: call back at 10\\:" + WORD_JOINER + "30"
    assert plain("www.x.io") == "www" + WORD_JOINER + "\\.x\\.io"
    assert plain("a@b.io") == "a@" + WORD_JOINER + "b\\.io"


def test_plain_table_escapes_cells_headers_and_index_but_not_numbers():
    frame = pd.DataFrame({"File column": [HOSTILE, "ok"], "n": [-5, 3]}).set_index("File column")
    shown = plain_table(frame)

    assert list(shown.index) == [plain(HOSTILE), "ok"]
    assert list(shown["n"]) == [-5, 3]
    assert shown.index.name == "File column"
    assert all(markup_in(str(v)) == [] for v in shown.index)


# --- the guard: no Streamlit call draws an unescaped value ----------------------------


def test_no_page_draws_user_text_as_markdown():
    findings = Guard.of(sources()).findings()
    assert findings == [], "\n".join(map(str, findings))


def test_every_allow_listed_expression_is_still_in_its_file():
    for path, entries in APP_OWNED.items():
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        written = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.expr)}
        assert set(entries) <= written, f"{path}: {set(entries) - written} no longer used"


def test_no_grid_turns_a_cell_into_a_link_or_an_image():
    # st.dataframe draws cells as text unless a column is configured to link or show images.
    # The one link column is the lead page's, whose addresses the app writes (next test).
    for path in sources():
        source = path.read_text(encoding="utf-8")
        assert "ImageColumn" not in source, path
        assert "LinkColumn" not in source or path == ROOT / LEAD_LINKS, path


@pytest.mark.parametrize("name", [*TYPED, "javascript:alert(1)", "x#y", "", None])
def test_a_lead_link_goes_to_the_lead_page_whatever_the_lead_is_called(name):
    [link] = lead_links([7], [name])
    shown = re.search(r"#(.+)$", link)

    assert link.startswith("lead?id=7#")
    assert shown is not None and shown.group(1) == (name or "Lead 7")


def _found(source: str) -> list[str]:
    module = Module("page.py", ast.parse(source))
    return [f.source for f in Guard([module], {}).findings()]


UNSAFE = {
    "an f-string": 'st.caption(f"Hi {lead.name}")',
    "a variable": 'msg = f"Hi {lead.name}"\nst.info(msg)',
    "a helper's parameter": "def _box(text):\n    st.warning(text)\n_box(lead.name)",
    "a label": 'st.button(f"Call {lead.name}")',
    "help": 'st.button("Call", help=lead.note)',
    "a chosen alert": "show = st.info if ok else st.warning\nshow(note)",
    "pill labels": 'st.pills("Why", codes, format_func=labels.__getitem__)',
    "radio options": 'st.radio("Team", team_names)',
    "a table": "st.table(frame)",
    "a tab name": "st.tabs([t.name for t in teams])",
    "a repr": 'st.caption(f"{plain(x)} {name!r}")',
    "a function's return": "def _line(lead):\n    return lead.name\nst.caption(_line(x))",
    "a metric": "col.metric(rep.name, 3)",
}
SAFE = {
    "a constant": 'st.caption("Hello")',
    "plain": 'st.caption(f"Hi {plain(lead.name)}")',
    "a number": 'st.caption(f"{n:,} leads, {rate:.0%}, since {day:%d %B}")',
    "a helper given constants": 'def _box(text):\n    st.warning(text)\n_box("Careful")',
    "a module constant": "st.info(EMPTY)\nst.caption(LABELS[kind])",
    "joined plain lines": 'st.markdown("\\n".join(f"- {plain(x)}" for x in rows))',
    "pill labels escaped": 'st.pills("Why", codes, format_func=lambda c: plain(labels[c]))',
    "a table escaped": "st.table(plain_table(frame))",
    "a function returning plain": "def _line(lead):\n    return plain(lead.name)\n"
    "st.caption(_line(x))",
    "a count": 'st.metric("Leads", len(leads))',
}


@pytest.mark.parametrize("source", UNSAFE.values(), ids=UNSAFE.keys())
def test_the_guard_finds_user_text_drawn_as_markdown(source):
    assert _found(source)


@pytest.mark.parametrize("source", SAFE.values(), ids=SAFE.keys())
def test_the_guard_accepts_escaped_or_app_owned_text(source):
    assert _found(source) == []


# --- pages (AppTest) ------------------------------------------------------------------


def drawn_as_markdown(at) -> list[str]:
    """Return every string the run drew as Markdown: text elements, labels, options."""
    found = [
        str(e.value)
        for kind in (
            "title",
            "header",
            "subheader",
            "markdown",
            "caption",
            "info",
            "success",
            "warning",
            "error",
            "toast",
        )
        for e in getattr(at, kind)
    ]
    for kind in (
        "button",
        "checkbox",
        "toggle",
        "selectbox",
        "multiselect",
        "radio",
        "text_input",
        "text_area",
        "number_input",
        "date_input",
        "expander",
        "tabs",
        "metric",
        "button_group",
        "download_button",
    ):
        found += [str(e.label) for e in getattr(at, kind)]
    found += [str(m.value) for m in at.metric]
    found += [
        str(o) for kind in ("radio", "button_group") for e in getattr(at, kind) for o in e.options
    ]
    return found


def assert_shown_as_text(at, *typed: str) -> None:
    """Assert the page draws what was typed (each value holds "evil") at least once, and
    each time through plain(), never raw."""
    drawn = [s for s in drawn_as_markdown(at) if "evil" in seen(s)]
    assert drawn, f"nothing on the page shows {typed}"
    for markdown in drawn:
        for value in typed:
            markdown = markdown.replace(plain(value), "")
        assert "evil" not in markdown, markdown


def _user(
    engine, username: str, role: str, name: str, team: str | None = None, email: str | None = None
):
    with write_session(engine) as session:
        create_user(
            session,
            actor=CLI_ACTOR,
            username=username,
            role=role,
            password=TEST_PASSWORD,
            name=name,
            email=email,
            team=team,
        )
    with read_session(engine) as session:
        return find_active_actor(session, username)


def test_a_lead_name_in_the_reps_queue_is_text(app_db):
    with read_session(app_db) as session:
        rep = find_active_actor(session, "rep")
    lead = make_lead(app_db, rep, first="Ann", last=HOSTILE, due_in=-timedelta(hours=1))
    at = app_as("rep", "pages/my_queue.py")
    assert not at.exception
    assert f"Ann {plain(HOSTILE)}" in [h.value for h in at.subheader]
    assert_shown_as_text(at, HOSTILE)

    at.button_group(key=f"outcome_call_{lead.id}").set_value("no_answer").run()
    at = at.button(key=f"attempt_{lead.id}").click().run()
    assert not at.exception
    assert seen(at.success[0].value).startswith(
        f"Attempt 1 (call, no answer) logged for Ann {HOSTILE}."
    )
    assert_shown_as_text(at, HOSTILE)


def test_a_lead_and_a_rep_in_the_team_queue_are_text(app_db):
    manager = _user(app_db, "hostile.manager", Role.SALES_MANAGER, "Mia Manager", team="East")
    _user(app_db, "hostile.rep", Role.REP, HOSTILE, team="East")
    make_lead(app_db, None, team_id=manager.team_id, first="Ann", last=HOSTILE)
    at = app_as("hostile.manager", "pages/team_queue.py")
    assert not at.exception
    # A grid cell: the name as is, after the lead page's own address.
    assert f"Ann {HOSTILE}" in link_names(at.dataframe[0].value["Lead"])

    at.session_state[TABLE_KEY] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at = at.run()
    picker = next(s for s in at.selectbox if s.label.startswith("Give the"))
    at = picker.select_index(picker.options.index(f"{HOSTILE} (East)")).run()
    at = next(b for b in at.button if b.label.startswith("Reassign")).click().run()
    assert not at.exception
    assert seen(at.success[0].value) == f"Reassigned 1 lead to {HOSTILE} (East)."
    assert_shown_as_text(at, HOSTILE)


def test_a_draft_title_and_a_comment_and_its_author_are_text(app_db):
    leader = _user(app_db, "hostile.leader", Role.MARKETING_LEADER, HOSTILE)
    with write_session(app_db) as session:
        draft = create_draft(
            session,
            actor=leader,
            kind=AgreementKind.DEFINITION,
            title=HOSTILE,
            content=default_definition_content(),
            summarize=summarize,
        )
        add_comment(session, actor=leader, version_id=draft.id, body=f"See {HOSTILE}")
    at = app_as("hostile.leader", "pages/definition.py")
    assert not at.exception
    assert f"v{draft.number} — {plain(HOSTILE)}" in [h.value for h in at.subheader]
    assert f"See {HOSTILE}" in [t.value for t in at.text]  # st.text: text as is
    assert any(c.value.startswith(f"{plain(HOSTILE)} · ") for c in at.caption)
    assert_shown_as_text(at, HOSTILE)


def test_the_admin_user_list_and_the_user_controls_are_text(app_db):
    _user(app_db, "www.evil.example", Role.REP, HOSTILE, team="East", email="bob@evil.example")
    at = app_as("admin", "pages/admin_users.py")
    users = at.dataframe[0].value.set_index("username")
    assert users.loc["www.evil.example", "name"] == HOSTILE
    assert users.loc["www.evil.example", "email"] == "bob@evil.example"

    at.selectbox(key="edit_user_pick").select("www.evil.example").run()
    assert not at.exception
    assert f"Deactivate {plain('www.evil.example')}" in [b.label for b in at.button]
    assert_shown_as_text(at, "www.evil.example", HOSTILE)


def test_signed_in_as_and_the_greeting_show_the_users_name_as_text(app_db):
    _user(app_db, "hostile.rep", Role.REP, HOSTILE, team="East")
    at = app_as("hostile.rep")
    assert not at.exception
    assert f"Signed in as **{plain(HOSTILE)}** · rep" in [c.value for c in at.sidebar.caption]
    first_word = HOSTILE.split()[0]
    assert at.title[0].value == f"Hello, {plain(first_word)}"
    assert_shown_as_text(at, HOSTILE, first_word)


# --- HTML exports ---------------------------------------------------------------------


class _Page(HTMLParser):
    """The elements and the text of an HTML page, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data) -> None:
        self.text.append(data)


HTML_REPORTS = {
    "review": [],
    "funnel": ["--from", "2000-01-01", "--by", "source"],
    "calibration": ["--from", "2000-01-01"],
}


@pytest.mark.parametrize("name", HTML_REPORTS)
def test_html_reports_show_names_and_sources_as_text(hostile, tmp_path, name):
    path = tmp_path / f"{name}.html"
    assert (
        main(["report", name, *HTML_REPORTS[name], "--format", "html", "--output", str(path)]) == 0
    )
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))

    made = [
        (tag, attrs)
        for tag, attrs in page.tags
        if tag in ("script", "img", "iframe", "object", "a")
        or any(key.startswith("on") for key, _ in attrs)
    ]
    assert made == []
    shown = "".join(page.text)
    assert any(p in shown for p in PAYLOADS if p.startswith("<")), "no payload reached it"
