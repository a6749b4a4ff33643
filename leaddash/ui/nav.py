"""The page registry: which permission opens which page (its roles are that permission's in
auth.PERMISSIONS, the one table of who may do what), and the menu built from it.

A page a role may not open never runs for that role: its address answers with a stand-in
that says so. An address no page has answers with a stand-in that says that. Without the
stand-ins st.navigation would run Home under a "Page not found" dialog that names neither
the page nor what to do."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from leaddash.auth import ALL_ROLES, PERMISSIONS
from leaddash.config import PROJECT_ROOT
from leaddash.models import Role
from leaddash.ui.text import person_role, plain


@dataclass(frozen=True)
class PageSpec:
    """One page of the menu; who may open it is the permission's roles in auth.PERMISSIONS
    (no permission: every signed-in role)."""

    script: str
    title: str
    icon: str
    section: str
    permission: str | None
    url_path: str
    hidden: bool = False  # opened by links only (the lead page), not listed in the menu

    @property
    def roles(self) -> frozenset[str]:
        """Return the roles that may open the page."""
        return ALL_ROLES if self.permission is None else PERMISSIONS[self.permission]


DASHBOARDS = "view_team_dashboards"
PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", ":material/home:", "LeadDash", None, "home"),
    PageSpec("my_queue.py", "My queue", ":material/call:", "Sales", "work_lead", "my-queue"),
    PageSpec(
        "team_queue.py",
        "Team queue",
        ":material/groups:",
        "Sales",
        "reassign_team_lead",
        "team-queue",
    ),
    # Every role sees leads (a rep their own): the page's service narrows to the actor's.
    PageSpec("lead.py", "Lead", ":material/person_search:", "Sales", None, "lead", hidden=True),
    PageSpec("disputes.py", "Disputes", ":material/gavel:", "Sales", DASHBOARDS, "disputes"),
    PageSpec(
        "definition.py",
        "Lead definition",
        ":material/rule:",
        "Agreement",
        "read_agreements",
        "definition",
    ),
    PageSpec("sla.py", "SLA", ":material/handshake:", "Agreement", "view_sla_page", "sla"),
    PageSpec(
        "revenue_planner.py",
        "Revenue planner",
        ":material/calculate:",
        "Agreement",
        "view_all_dashboards",
        "revenue-planner",
    ),
    PageSpec(
        "whatif.py",
        "What-if replay",
        ":material/science:",
        "Agreement",
        "replay_definition",
        "what-if",
    ),
    PageSpec(
        "import_data.py", "Import", ":material/upload_file:", "Leads", "import_leads", "import"
    ),
    PageSpec(
        "admin_users.py", "Users and teams", ":material/group:", "Admin", "manage_users", "users"
    ),
    PageSpec(
        "admin_notifications.py",
        "Notifications",
        ":material/notifications:",
        "Admin",
        "manage_notifications",
        "notifications",
    ),
    PageSpec("audit.py", "Audit trail", ":material/history:", "Admin", "view_audit_trail", "audit"),
    PageSpec(
        "routing.py", "Routing", ":material/alt_route:", "Admin", "set_rep_availability", "routing"
    ),
    PageSpec("funnel.py", "Funnel", ":material/filter_alt:", "Dashboards", DASHBOARDS, "funnel"),
    PageSpec(
        "feedback.py",
        "Feedback to marketing",
        ":material/feedback:",
        "Dashboards",
        DASHBOARDS,
        "feedback",
    ),
    PageSpec(
        "sla_compliance.py",
        "SLA compliance",
        ":material/timer:",
        "Dashboards",
        DASHBOARDS,
        "sla-compliance",
    ),
    PageSpec(
        "calibration.py",
        "Rep calibration",
        ":material/balance:",
        "Dashboards",
        DASHBOARDS,
        "calibration",
    ),
    PageSpec(
        "review.py", "Monthly review", ":material/summarize:", "Dashboards", DASHBOARDS, "review"
    ),
)


def pages_for(role: str) -> list[PageSpec]:
    """Return the pages a role may open, in menu order."""
    return [p for p in PAGES if role in p.roles]


def spec_at(url_path: str) -> PageSpec:
    """Return the page registered at `url_path` (KeyError: none is)."""
    return next(p for p in PAGES if p.url_path == url_path)


def menu_title(spec: PageSpec, counts: Mapping[str, int]) -> str:
    """Return the page's name in the menu: "Disputes · 3" when 3 things wait there."""
    waiting = counts.get(spec.url_path, 0)
    return f"{spec.title} · {waiting}" if waiting else spec.title


def navigation_for(role: str, counts: Mapping[str, int] | None = None) -> StreamlitPage:
    """Return the st.navigation page for `role`: the menu holds the pages it may open, all
    of them shown (no "View more"); `counts` (url_path → number) puts what waits on each
    page beside its name. Every other page's address, and an address no page has, opens a
    hidden stand-in that says why there is nothing to see."""
    allowed = pages_for(role)
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in allowed:
        sections.setdefault(spec.section, []).append(
            _script_page(
                spec,
                menu_title(spec, counts or {}),
                default=spec is allowed[0],
                hidden=spec.hidden,
            )
        )
    # Sections holding only hidden pages draw no heading.
    sections[""] = [_refused_page(spec, role) for spec in PAGES if spec not in allowed]
    # The first page lives at "/"; its own address opens it too (a bookmark, a link), as a
    # hidden twin, registered last so that links to its script find the menu's entry.
    sections[""].append(_script_page(allowed[0], allowed[0].title, hidden=True))
    asked = unknown_address()
    if asked is not None:
        sections[""].append(_missing_page(asked))
    return st.navigation(sections, expanded=True)


def _script_page(
    spec: PageSpec, title: str, *, default: bool = False, hidden: bool = False
) -> StreamlitPage:
    return st.Page(
        PROJECT_ROOT / "pages" / spec.script,
        title=title,
        icon=spec.icon,
        url_path="" if default else spec.url_path,
        default=default,
        visibility="hidden" if hidden else "visible",
    )


NO_ACCESS = "You don't have access to this page"
NOT_FOUND = "There is no page at"
# What a browser can ask for as a page: one segment of the address, as st.Page accepts it.
_ADDRESS = re.compile(r"[A-Za-z0-9._~-]{1,100}")


def unknown_address() -> str | None:
    """Return the page address this run asks for when no page has it ("reports" for
    /reports), else None. A browser names the page it opens by its address; a click in
    the menu names it by its hash, which is always known."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.pages_manager.intended_page_script_hash:
        return None
    asked = ctx.pages_manager.intended_page_name or ""
    known = {spec.url_path for spec in PAGES}
    # Anything else is left to Streamlit, which runs Home and says the page was not found.
    return asked if _ADDRESS.fullmatch(asked) and asked not in known else None


def _refused_page(spec: PageSpec, role: str) -> StreamlitPage:
    def refuse() -> None:
        st.title(NO_ACCESS)
        roles = ", ".join(person_role(r) for r in Role if r in spec.roles)
        st.markdown(
            f"**{plain(spec.title)}** is for these roles: {plain(roles)}. You are logged in as "
            f"{person_role(role)}. If your work needs this page, ask an admin to change "
            "your role; the pages you can open are in the menu on the left."
        )
        _home_link()

    return st.Page(
        refuse, title=spec.title, icon=spec.icon, url_path=spec.url_path, visibility="hidden"
    )


def _missing_page(address: str) -> StreamlitPage:
    def missing() -> None:
        st.title("Page not found")
        st.markdown(
            f"{NOT_FOUND} /{plain(address)}. Check the address for a typing mistake, "
            "or pick a page from the menu on the left."
        )
        _home_link()

    return st.Page(
        missing,
        title="Page not found",
        icon=":material/search_off:",
        url_path=address,
        visibility="hidden",
    )


def _home_link() -> None:
    home = PAGES[0]
    st.page_link(f"pages/{home.script}", label=f"Go to {home.title}", icon=home.icon)
