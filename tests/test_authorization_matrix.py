"""Every service action as every role, allowed or refused exactly as DESIGN.md says.

The table below is written from DESIGN.md ("Users and roles", "Lead lifecycle", disputes)
and the README's documented decisions, never from leaddash.auth.PERMISSIONS: a cell that
disagrees with the code fails, naming the action and the role. A = allowed (the write
happened; a read shows everything), S = scoped (a sales manager sees their own team only;
a rep their own leads), R = refused with Forbidden, a message for a person, and the
database unchanged. Each cell runs on a fresh copy of the small office in authz_world.

The completeness guard below fails when a public leaddash function taking an `actor` is
neither in the table nor in the commented allow-list, so no new service skips the matrix.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tests.authz_audit  # registers the audit trail's reads
import tests.authz_inbox  # registers the inbox's reads
import tests.authz_lead_page  # registers the lead page and the search
import tests.authz_reads  # noqa: F401  (registers the dashboard, report and planner actions)
from leaddash.db import write_session
from leaddash.errors import Forbidden
from tests.authz_actions import ACTIONS, ALLOWED, SCOPED, Cell, covered
from tests.authz_world import build_world, snapshot

A, S, R = ALLOWED, SCOPED, "refused"
ROLES = ("admin", "marketing_leader", "sales_leader", "sales_manager", "rep", "marketing")
AGREEMENT_ROWS = {
    # DESIGN: leaders edit drafts, marketing ops proposes them (the code lets ops draft the
    # SLA too; DESIGN names only the definition), admins may do everything below.
    "draft the {}": (A, A, A, R, R, A),
    "edit a draft of the {}": (A, A, A, R, R, A),
    "propose a draft of the {}": (A, A, A, R, R, A),
    # A signature is one side's commitment: only the two leaders sign, admins do not.
    "sign a proposed {}": (R, A, A, R, R, R),
    "activate the {} with the second signature": (R, A, A, R, R, R),
    "withdraw a signature on the {}": (R, A, A, R, R, R),
    # DESIGN names no commenters: the thread belongs to the alignment, which reps are not in.
    "comment on the {}": (A, A, A, A, R, A),
    # Reps read the terms they judge leads by and are held to (the SLA page itself is not
    # in a rep's menu; the read service does not refuse them).
    "list the {} versions": (A, A, A, A, A, A),
    "open a version of the {}": (A, A, A, A, A, A),
    "diff two versions of the {}": (A, A, A, A, A, A),
    "read the {} discussion": (A, A, A, A, A, A),
}
MATRIX: dict[str, tuple[str, ...]] = {
    row.format(kind): cells
    for kind in ("definition", "SLA")
    for row, cells in AGREEMENT_ROWS.items()
} | {
    #                                                 adm mkl sll mgr rep mkt
    "import leads": (A, A, R, R, R, A),
    "import activities": (A, A, R, R, R, A),
    "import outcomes": (A, A, R, R, R, A),
    # README: admins edit the rules; leaders and managers set availability (a manager for
    # their own team's reps) and hand out waiting leads.
    "add a routing rule": (A, R, R, R, R, R),
    "edit a routing rule": (A, R, R, R, R, R),
    "delete a routing rule": (A, R, R, R, R, R),
    "list the routing rules": (A, R, R, R, R, R),
    "preview where a lead would go": (A, R, R, R, R, R),
    "set the availability of a rep of the own team": (A, R, A, A, R, R),
    "set the availability of a rep of another team": (A, R, A, R, R, R),
    "list the reps' availability": (A, R, A, S, R, R),
    "assign the own team's waiting leads": (A, R, A, A, R, R),
    "assign another team's waiting leads": (A, R, A, R, R, R),
    "count the leads waiting in team queues": (A, R, A, S, R, R),
    "create a user": (A, R, R, R, R, R),
    "change a user": (A, R, R, R, R, R),
    "deactivate a user": (A, R, R, R, R, R),
    "deactivate a user, their open leads to the team queue": (A, R, R, R, R, R),
    "count a user's open leads and where they may go": (A, R, R, R, R, R),
    "hand a user's open leads to a rep": (A, R, R, R, R, R),
    "change a user's role": (A, R, R, R, R, R),
    "list the users": (A, R, R, R, R, R),
    "create a team": (A, R, R, R, R, R),
    "make a rep a team's manager": (A, R, R, R, R, R),
    "reset another user's password": (A, R, R, R, R, R),
    "end another user's logins": (A, R, R, R, R, R),
    "set the own password": (A, A, A, A, A, A),
    # Notifications: the SMTP server, the webhooks (their URLs are secrets) and everyone's
    # messages are the admin's; each person chooses their own events and channels.
    "set up the SMTP server for notifications": (A, R, R, R, R, R),
    "read the notification settings": (A, R, R, R, R, R),
    "add a notification webhook": (A, R, R, R, R, R),
    "remove a notification webhook": (A, R, R, R, R, R),
    "list the notification outbox": (A, R, R, R, R, R),
    "resend a failed notification": (A, R, R, R, R, R),
    "read the own notification choices": (A, A, A, A, A, A),
    "save the own notification choices": (A, A, A, A, A, A),
    # A rep works their own leads only; a manager their team's; a sales leader (reassigns
    # any lead) and an admin any lead; marketing works none.
    "accept the own lead": (A, R, A, A, A, R),
    "log an attempt on the own lead": (A, R, A, A, A, R),
    "validate the own lead": (A, R, A, A, A, R),
    "disqualify the own lead": (A, R, A, A, A, R),
    "reject the own lead": (A, R, A, A, A, R),
    "recycle the own lead": (A, R, A, A, A, R),
    "open the own lead": (A, R, A, A, A, R),
    # Misrouted goes back to routing: who may reject the lead may name its team.
    "list the teams to send the own lead to": (A, R, A, A, A, R),
    "send the own lead back to routing": (A, R, A, A, A, R),
    "undo the own decision within 30 seconds": (A, R, A, A, A, R),
    "set the CRM link template": (A, R, R, R, R, R),
    "read the review's judging time and SLA terms": (A, A, A, A, A, A),
    "accept a teammate's lead": (A, R, A, A, R, R),
    "log an attempt on a teammate's lead": (A, R, A, A, R, R),
    "validate a teammate's lead": (A, R, A, A, R, R),
    "disqualify a teammate's lead": (A, R, A, A, R, R),
    "reject a teammate's lead": (A, R, A, A, R, R),
    "recycle a teammate's lead": (A, R, A, A, R, R),
    "open a teammate's lead": (A, R, A, A, R, R),
    "accept another team's lead": (A, R, A, R, R, R),
    "log an attempt on another team's lead": (A, R, A, R, R, R),
    "validate another team's lead": (A, R, A, R, R, R),
    "disqualify another team's lead": (A, R, A, R, R, R),
    "reject another team's lead": (A, R, A, R, R, R),
    "recycle another team's lead": (A, R, A, R, R, R),
    "open another team's lead": (A, R, A, R, R, R),
    # My queue lists the actor's own leads, whatever the role (the check compares with them).
    "list the own queue": (A, R, A, A, A, R),
    # Taking the next waiting lead is a rep's self-service; others assign waiting leads.
    "take the next waiting lead": (R, R, R, R, A, R),
    "count the own team's waiting leads": (R, R, R, R, S, R),
    "reassign a lead within the team": (A, R, A, A, R, R),
    "reassign a lead to another team": (A, R, A, R, R, R),
    "reassign another team's lead": (A, R, A, R, R, R),
    "list the team queue": (A, R, A, S, R, R),
    "list another team's queue": (A, R, A, R, R, R),
    "list SLA breaches": (A, R, A, S, R, R),
    "count the leads of inactive owners": (A, R, A, S, R, R),
    "count SLA breaches": (A, R, A, S, R, R),
    "read the team queue's filter choices": (A, R, A, S, R, R),
    "list the visible teams": (A, R, A, S, R, R),
    "list the reps leads can go to": (A, R, A, S, R, R),
    "export the queue CSV": (A, R, A, S, R, R),
    "list the decisions taken": (A, R, A, S, R, R),
    "export the decisions CSV": (A, R, A, S, R, R),
    # Marketing disputes; a sales leader rules (the ruling is sales' word: admins do not).
    "dispute a disqualification": (A, A, R, R, R, A),
    "rule on a dispute": (R, R, A, R, R, R),
    "list the disputes": (A, A, A, S, R, A),
    "list the decisions marketing may dispute": (A, A, R, R, R, A),
    # Dashboards: all for leaders, marketing and admins; a manager's team; never a rep.
    "read the funnel waterfall": (A, A, A, S, R, A),
    "read conversion by cohort": (A, A, A, S, R, A),
    "read funnel leakage": (A, A, A, S, R, A),
    "read funnel velocity": (A, A, A, S, R, A),
    "read a funnel breakdown": (A, A, A, S, R, A),
    "read the monthly trend": (A, A, A, S, R, A),
    "read the SLA scorecard": (A, A, A, S, R, A),
    "read MQL volume against target": (A, A, A, S, R, A),
    "read median response times": (A, A, A, S, R, A),
    "read speed-to-lead": (A, A, A, S, R, A),
    "read the rates by response band": (A, A, A, S, R, A),
    "read speed-to-lead's counts and durations": (A, A, A, S, R, A),
    "read the SLA page's speed-to-lead section": (A, A, A, S, R, A),
    "list breaches on the SLA dashboard": (A, A, A, S, R, A),
    "read rep calibration": (A, A, A, S, R, A),
    "read the reason mix": (A, A, A, S, R, A),
    "list high-score disqualified leads": (A, A, A, S, R, A),
    "read feedback reasons by source": (A, A, A, S, R, A),
    "read the dashboard filter choices": (A, A, A, S, R, A),
    "count leads by stage this month": (A, A, A, S, R, A),
    "count overdue open leads": (A, A, A, S, R, A),
    "build the funnel report": (A, A, A, S, R, A),
    "build the sla report": (A, A, A, S, R, A),
    "build the calibration report": (A, A, A, S, R, A),
    "build the review report": (A, A, A, S, R, A),
    "download the monthly review": (A, A, A, S, R, A),
    # What-if replays every past lead: a rep's scope is their own queue (the page is not in
    # a rep's menu either). A sales manager may replay (their menu has the page), over every
    # team's leads. Reading a definition by number is reading the agreements.
    "replay a definition over past leads": (A, A, A, A, R, A),
    "find a definition by its number": (A, A, A, A, A, A),
    # The revenue planner: leaders, marketing ops and admins (its page's roles).
    "read the measured stage conversions": (A, A, A, R, R, A),
    "read the measured conversion rates": (A, A, A, R, R, A),
    "read the measured deal size": (A, A, A, R, R, A),
    "carry a planned MQL target into an SLA draft": (A, A, A, R, R, A),
    # Home's inbox: everyone has one; each kind of row refuses or narrows as the page or
    # read it stands for does (proposals and reviews are the agreements everyone reads).
    "read the own inbox": (A, A, A, A, A, A),
    "see the proposals waiting for a signature": (A, A, A, A, A, A),
    "see the agreement reviews due": (A, A, A, A, A, A),
    "see the versions signed to start later": (A, A, A, A, A, A),
    "read the what-if headline of a proposed definition": (A, A, A, A, R, A),
    "see the disputes to rule": (A, A, A, S, R, A),
    "see marketing's disputes waiting for a ruling": (A, A, A, S, R, A),
    "see the leads sent back this week": (A, A, R, R, R, A),
    "count the decisions marketing may dispute": (A, A, R, R, R, A),
    "see the own leads overdue or past their warning point": (A, R, A, A, A, R),
    "see the own callbacks due": (A, R, A, A, A, R),
    "see the team's SLA breaches in the inbox": (A, R, A, S, R, R),
    "see the team's leads about to breach": (A, R, A, S, R, R),
    "see the waiting leads no rep can take": (A, R, A, S, R, R),
    "see the open leads of away or deactivated reps": (A, R, A, S, R, R),
    "see last month's missed SLA targets": (A, A, A, S, R, A),
    # Issue 15: the audit trail is for admins and both leaders (it holds every team's and
    # every user's changes).
    "read the audit trail": (A, A, A, R, R, R),
    "download the audit trail": (A, A, A, R, R, R),
    "list the people of the audit trail": (A, A, A, R, R, R),
    # One lead's page and the search: every role sees leads; a rep their own, a sales
    # manager their team's, leaders, marketing and admins every lead (issue 15, item 2).
    "open the page of the own lead": (A, A, A, A, A, A),
    "open the page of a teammate's lead": (A, A, A, A, R, A),
    "open the page of another team's lead": (A, A, A, R, R, A),
    "search leads by name, company, email or external id": (A, A, A, S, S, A),
}
CELLS = [(action, role) for action in MATRIX for role in ROLES]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("leaddash.auth.BCRYPT_ROUNDS", 4)
        return build_world(tmp_path_factory.mktemp("authz"))


@pytest.fixture(scope="module")
def untouched(world, tmp_path_factory):
    """Return the snapshot of the world as built (every cell starts from it)."""
    engine = world.copy_to(tmp_path_factory.mktemp("authz_snapshot"))
    yield snapshot(engine)
    engine.dispose()


def _for_a_person(message: str) -> bool:
    return message[:1].isupper() and message.rstrip().endswith(".") and "_" not in message


@pytest.mark.parametrize(("name", "role"), CELLS, ids=[f"{a} | {r}" for a, r in CELLS])
def test_each_role_may_do_exactly_what_the_design_says(world, untouched, tmp_path, name, role):
    expected = MATRIX[name][ROLES.index(role)]
    cell = Cell(world.copy_to(tmp_path), world, world.people[role])
    try:
        with write_session(cell.engine) as session:
            result = ACTIONS[name].act(session, cell)
    except Forbidden as refusal:
        assert expected == R, f"refused, but DESIGN.md allows it: {refusal.message}"
        assert _for_a_person(refusal.message), refusal.message
        assert snapshot(cell.engine) == untouched
        return
    finally:
        cell.engine.dispose()
    assert expected != R, f"a {role} may not {name}, but the service let them"
    assert ACTIONS[name].done(cell, result, expected), f"{name} as {role} is not {expected}"


def test_every_row_of_the_table_has_an_action_and_six_cells():
    assert set(MATRIX) == set(ACTIONS)
    assert all(len(cells) == len(ROLES) for cells in MATRIX.values())


# --- completeness guard ---------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "leaddash"
NOT_WALKED = {"ui", "bench", "demo"}  # the Streamlit layer, the benchmark and the demo data
NOT_SERVICES = {
    # The permission checks themselves: every service in the table goes through them.
    "leaddash.auth.can",
    "leaddash.auth.require",
    "leaddash.agreements.signing.side_for",
    "leaddash.access.verify_actor",
    "leaddash.access.authorize",
    "leaddash.queue.core.check_can_act",
    "leaddash.auth.team_scope",
    # Query builders applying the actor's scope, read through every dashboard row.
    "leaddash.analytics.filters.dimension_clauses",
    "leaddash.analytics.filters.pass_clauses",
    "leaddash.analytics.rollups.needed",
    "leaddash.analytics.rollups.plan",
    "leaddash.analytics.rollups.source",
    "leaddash.queue.lead_page.visible_clauses",
    # Audit plumbing: the actor is who gets recorded, not who gets checked.
    "leaddash.audit.act_as",
    "leaddash.audit.record",
    "leaddash.agreements.store.touch",
    # Makes a locked version active for `sign` (after its checks) or the worker (no actor).
    "leaddash.agreements.schedule.activate",
    "leaddash.queue.core.move_stage",
}


def _functions_taking_an_actor() -> set[str]:
    """Return the dotted names of the public functions (and methods) with an `actor`
    parameter, in every leaddash module outside NOT_WALKED."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[1] in NOT_WALKED:
            continue
        module = ".".join(p for p in parts if p != "__init__")
        for node, owner in _defined(ast.parse(path.read_text())):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            if not node.name.startswith("_") and "actor" in {a.arg for a in arguments}:
                found.add(f"{module}.{owner}{node.name}")
    return found


def _defined(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node, ""
        elif isinstance(node, ast.ClassDef):
            yield from ((f, f"{node.name}.") for f in node.body if isinstance(f, ast.FunctionDef))


def test_every_service_taking_an_actor_is_in_the_matrix():
    missing = _functions_taking_an_actor() - covered() - NOT_SERVICES
    assert not missing, f"add these to the authorization matrix: {sorted(missing)}"


def test_the_allow_list_names_only_functions_that_exist():
    assert _functions_taking_an_actor() >= NOT_SERVICES
