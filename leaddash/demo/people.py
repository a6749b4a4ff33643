"""The demo's people: one login per role, three sales teams, their reps and routing."""

from __future__ import annotations

from dataclasses import dataclass

from leaddash.models import Role

DEMO_PASSWORD = "leaddash-demo"
EAST, WEST, ENTERPRISE = "East", "West", "Enterprise"
TEAMS = (EAST, WEST, ENTERPRISE)
EAST_COUNTRIES = ("GB", "DE", "FR", "NL", "IN")
STRICT_REP = "olivia.nguyen"
SLOW_REPS = ("ethan.brooks", "marcus.reed")


@dataclass(frozen=True)
class DemoUser:
    """A demo login; `team` names the team a manager leads or a rep works in."""

    username: str
    name: str
    role: str
    team: str | None = None

    @property
    def email(self) -> str:
        """Return the user's (fictional) e-mail address."""
        return f"{self.username}@example.com"


@dataclass(frozen=True)
class RepTrait:
    """How a rep works: median business hours to first touch, and how readily they
    validate compared with the team norm (1.0), and their share of the team's leads."""

    response_hours: float = 1.2
    leniency: float = 1.0
    share: float = 1.0


DEMO_ACCOUNTS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Alex Morgan", Role.ADMIN),
    DemoUser("marketing_leader", "Maya Patel", Role.MARKETING_LEADER),
    DemoUser("sales_leader", "Tom Becker", Role.SALES_LEADER),
    DemoUser("sales_manager", "Grace Liu", Role.SALES_MANAGER, EAST),
    DemoUser("rep", "Sam Rivera", Role.REP, EAST),
    DemoUser("marketing", "Jordan Ellis", Role.MARKETING),
)
# The demo logins, one per role and named after it (the login page lists these).
DEMO_USERS: tuple[str, ...] = tuple(u.username for u in DEMO_ACCOUNTS)

STAFF: tuple[DemoUser, ...] = (
    DemoUser("james.carter", "James Carter", Role.SALES_MANAGER, WEST),
    DemoUser("priya.shah", "Priya Shah", Role.SALES_MANAGER, ENTERPRISE),
    DemoUser("maria.lopez", "Maria Lopez", Role.REP, EAST),
    DemoUser("daniel.kim", "Daniel Kim", Role.REP, EAST),
    DemoUser("aisha.bello", "Aisha Bello", Role.REP, EAST),
    DemoUser("olivia.nguyen", "Olivia Nguyen", Role.REP, WEST),
    DemoUser("ethan.brooks", "Ethan Brooks", Role.REP, WEST),
    DemoUser("sofia.rossi", "Sofia Rossi", Role.REP, WEST),
    DemoUser("liam.oconnor", "Liam O'Connor", Role.REP, WEST),
    DemoUser("noah.fischer", "Noah Fischer", Role.REP, WEST),
    DemoUser("hannah.schmidt", "Hannah Schmidt", Role.REP, ENTERPRISE),
    DemoUser("marcus.reed", "Marcus Reed", Role.REP, ENTERPRISE),
    DemoUser("chloe.martin", "Chloe Martin", Role.REP, ENTERPRISE),
)

TRAITS: dict[str, RepTrait] = {
    "rep": RepTrait(response_hours=1.5, share=1.6),
    "maria.lopez": RepTrait(response_hours=0.8, leniency=1.04),
    "daniel.kim": RepTrait(response_hours=1.1, leniency=0.98),
    "aisha.bello": RepTrait(response_hours=1.0, leniency=1.02),
    STRICT_REP: RepTrait(response_hours=1.0, leniency=0.5),
    "ethan.brooks": RepTrait(response_hours=6.5, leniency=1.0),
    "sofia.rossi": RepTrait(response_hours=0.9, leniency=1.03),
    "liam.oconnor": RepTrait(response_hours=1.3, leniency=0.97),
    "noah.fischer": RepTrait(response_hours=1.1, leniency=1.0),
    "hannah.schmidt": RepTrait(response_hours=1.2, leniency=1.02),
    "marcus.reed": RepTrait(response_hours=7.0, leniency=0.99),
    "chloe.martin": RepTrait(response_hours=0.9, leniency=1.0),
}


def all_users() -> tuple[DemoUser, ...]:
    """Return every demo user: the role logins first, then the extra sales staff."""
    return DEMO_ACCOUNTS + STAFF


def reps_by_team() -> dict[str, list[str]]:
    """Return the usernames of the reps in each team, in a fixed order."""
    return {
        team: [u.username for u in all_users() if u.role == Role.REP and u.team == team]
        for team in TEAMS
    }


def routing_rules() -> list[dict[str, object]]:
    """Return the routing rules as (priority, segment, country, team) dicts: enterprise
    accounts to Enterprise, Europe and India to East, everything else to West."""
    rules: list[dict[str, object]] = [
        {"priority": 10, "segment": "Enterprise", "country": None, "team": ENTERPRISE},
    ]
    rules += [{"priority": 20, "segment": None, "country": c, "team": EAST} for c in EAST_COUNTRIES]
    rules.append({"priority": 100, "segment": None, "country": None, "team": WEST})
    return rules
