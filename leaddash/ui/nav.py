"""The page registry: which permission opens which page (its roles are that permission's in
auth.PERMISSIONS, the one table of who may do what). A page not listed cannot be opened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from leaddash.auth import ALL_ROLES, PERMISSIONS
from leaddash.config import PROJECT_ROOT


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
    """Return the st.navigation page for `role`, built only from the pages it may open;
    `counts` (url_path → number) puts what waits on each page beside its name."""
    sections: dict[str, list[st.Page]] = {}
    for i, spec in enumerate(pages_for(role)):
        page = st.Page(
            PROJECT_ROOT / "pages" / spec.script,
            title=menu_title(spec, counts or {}),
            icon=spec.icon,
            url_path=spec.url_path,
            default=i == 0,
            visibility="hidden" if spec.hidden else "visible",
        )
        sections.setdefault(spec.section, []).append(page)
    return st.navigation(sections)
