"""The page registry: which role sees which page. A page not listed cannot be opened."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from leaddash.config import PROJECT_ROOT
from leaddash.models import Role

ALL = frozenset(Role)


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    section: str
    roles: frozenset[str]
    url_path: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", ":material/home:", "LeadDash", ALL, "home"),
    PageSpec("my_queue.py", "My queue", ":material/call:", "Sales",
             frozenset({Role.REP, Role.SALES_MANAGER, Role.SALES_LEADER, Role.ADMIN}),
             "my-queue"),
    PageSpec("team_queue.py", "Team queue", ":material/groups:", "Sales",
             frozenset({Role.SALES_MANAGER, Role.SALES_LEADER, Role.ADMIN}), "team-queue"),
    PageSpec("disputes.py", "Disputes", ":material/gavel:", "Sales",
             frozenset({Role.MARKETING, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.ADMIN,
                        Role.SALES_MANAGER}), "disputes"),
    PageSpec("definition.py", "Lead definition", ":material/rule:", "Agreement", ALL,
             "definition"),
    PageSpec("sla.py", "SLA", ":material/handshake:", "Agreement", ALL - {Role.REP}, "sla"),
    PageSpec("revenue_planner.py", "Revenue planner", ":material/calculate:", "Agreement",
             frozenset({Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.MARKETING}),
             "revenue-planner"),
    PageSpec("whatif.py", "What-if replay", ":material/science:", "Agreement", ALL - {Role.REP},
             "what-if"),
    PageSpec("import_data.py", "Import", ":material/upload_file:", "Leads",
             frozenset({Role.ADMIN, Role.MARKETING_LEADER, Role.MARKETING}), "import"),
    PageSpec("admin_users.py", "Users and teams", ":material/group:", "Admin",
             frozenset({Role.ADMIN}), "users"),
    PageSpec("routing.py", "Routing", ":material/alt_route:", "Admin",
             frozenset({Role.ADMIN, Role.SALES_LEADER, Role.SALES_MANAGER}), "routing"),
    PageSpec("funnel.py", "Funnel", ":material/filter_alt:", "Dashboards", ALL - {Role.REP},
             "funnel"),
    PageSpec("feedback.py", "Feedback to marketing", ":material/feedback:", "Dashboards",
             ALL - {Role.REP}, "feedback"),
    PageSpec("sla_compliance.py", "SLA compliance", ":material/timer:", "Dashboards",
             ALL - {Role.REP}, "sla-compliance"),
    PageSpec("calibration.py", "Rep calibration", ":material/balance:", "Dashboards",
             ALL - {Role.REP}, "calibration"),
    PageSpec("review.py", "Monthly review", ":material/summarize:", "Dashboards",
             ALL - {Role.REP}, "review"),
)


def pages_for(role: str) -> list[PageSpec]:
    """Return the pages a role may open, in menu order."""
    return [p for p in PAGES if role in p.roles]


def navigation_for(role: str) -> StreamlitPage:
    """Return the st.navigation page for `role`, built only from the pages it may open."""
    sections: dict[str, list[st.Page]] = {}
    for i, spec in enumerate(pages_for(role)):
        page = st.Page(PROJECT_ROOT / "pages" / spec.script, title=spec.title, icon=spec.icon,
                       url_path=spec.url_path, default=i == 0)
        sections.setdefault(spec.section, []).append(page)
    return st.navigation(sections)
