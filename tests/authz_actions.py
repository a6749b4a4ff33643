"""How the authorization matrix performs each service action, and how it sees that it took.

Each Action calls one service (or a read and its twin) as the cell's actor in one write
transaction, and `done` answers whether the outcome is the one expected: "allowed" (the
write happened, or the read shows everything) or "scoped" (the read shows only what the
role's scope holds). `covers` names the services the action exercises, for the
completeness guard. The table of who may do what is in test_authorization_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from leaddash.agreements import (
    add_comment,
    create_draft,
    diff_versions,
    get_version,
    list_comments,
    list_versions,
    propose,
    save_draft,
    sign,
    withdraw_signature,
)
from leaddash.core.actor import Actor
from leaddash.db import read_session
from leaddash.imports import import_file, read_table
from leaddash.imports.activities import import_activities
from leaddash.imports.leads import import_leads, write_leads
from leaddash.imports.outcomes import import_outcomes, plan_outcomes
from leaddash.imports.qualifying import qualify
from leaddash.imports.result import write_batch
from leaddash.logins import end_logins, start_login
from leaddash.models import (
    AgreementVersion,
    Comment,
    Dispute,
    ImportBatch,
    Lead,
    LoginSession,
    Role,
    RoutingRule,
    Signature,
    Team,
    User,
    utcnow,
)
from leaddash.notify.admin import (
    add_webhook,
    delivery_settings,
    list_outbox,
    remove_webhook,
    resend,
    save_smtp_settings,
)
from leaddash.notify.preferences import my_notifications, save_my_notifications
from leaddash.notify_tables import Notification, NotifyPreference, NotifySettings, Webhook
from leaddash.queue.actions import (
    accept_lead,
    disqualify_lead,
    log_attempt,
    recycle_lead,
    reject_lead,
    undo_decision,
    validate_lead,
)
from leaddash.queue.availability import list_availability, set_availability
from leaddash.queue.contact import save_crm_template
from leaddash.queue.disputes import (
    disputable_decisions,
    list_disputes,
    raise_dispute,
    resolve_dispute,
)
from leaddash.queue.export import decisions, decisions_csv, queue_csv
from leaddash.queue.handover import hand_over_open_leads, handover_options
from leaddash.queue.reads import lead_detail, open_leads_for_rep, rep_queue
from leaddash.queue.reroute import misroute_teams, reroute_lead
from leaddash.queue.team import (
    QueueFilter,
    assignable_reps,
    count_breaches,
    count_inactive_owner_leads,
    filter_choices,
    reassign_leads,
    sla_breaches,
    team_queue,
    visible_teams,
)
from leaddash.queue.waiting import (
    assign_waiting_leads,
    count_team_waiting,
    count_waiting_leads,
    take_next_waiting_lead,
)
from leaddash.rescoring import rescore, rescore_open_leads
from leaddash.routing import (
    RuleInput,
    create_rule,
    delete_rule,
    list_rules,
    preview_team,
    qualify_and_route,
    route_leads,
    update_rule,
)
from leaddash.users import (
    create_team,
    create_user,
    deactivate_user,
    list_users,
    set_active,
    set_password,
    set_role,
    set_team_manager,
    update_user,
)
from tests.authz_world import KINDS, TERMS, WEST_SEGMENT, World

ALLOWED, SCOPED = "allowed", "scoped"
NEW_PASSWORD = "a-long-new-password"
LOGIN_KEY = "a-cookie-key-for-the-matrix-logins"


@dataclass(frozen=True)
class Cell:
    """One (action, role) cell: the fresh database, the world's ids and the acting user."""

    engine: Engine
    world: World
    actor: Actor

    def person(self, name: str) -> Actor:
        """Return one of the world's people ("rep", "mate", "west_rep", a role's name)."""
        return self.world.people[name]

    def lead(self, name: str) -> Lead:
        """Return the world's lead `name` as the database holds it now."""
        with read_session(self.engine) as session:
            return session.get(Lead, self.world.leads[name])

    def row(self, model: Any, row_id: int) -> Any:
        """Return the row of `model` with this id as the database holds it now."""
        with read_session(self.engine) as session:
            return session.get(model, row_id)

    def rows(self, model: Any, *where: Any) -> list[Any]:
        """Return the rows of `model` matching `where`."""
        with read_session(self.engine) as session:
            return list(session.exec(select(model).where(*where)).all())

    def version(self, state: str, kind: str = "definition") -> AgreementVersion:
        """Return the world's agreement version of `kind` in `state`, as stored now."""
        return self.row(AgreementVersion, self.world.versions[f"{kind}:{state}"])


Act = Callable[[Session, Cell], Any]
Done = Callable[[Cell, Any, str], bool]


@dataclass(frozen=True)
class Action:
    """A service action: call it, tell whether it took, and the services it exercises."""

    act: Act
    done: Done
    covers: tuple[Callable[..., Any], ...]


ACTIONS: dict[str, Action] = {}


def action(name: str, act: Act, done: Done, *covers: Callable[..., Any]) -> None:
    """Register the action `name` (the matrix's row) performed by `act`."""
    ACTIONS[name] = Action(act, done, covers)


def _current(session: Session, model: Any, row_id: int) -> int:
    return session.get(model, row_id).version


# --- agreements (the definition and the SLA share the workflow) ---------------------------


def _leader_side(cell: Cell, mine: str, theirs: str) -> str:
    """Return the state a leader acts on: `mine` for the marketing leader, else `theirs`."""
    return mine if cell.actor.role == Role.MARKETING_LEADER else theirs


def _agreement_actions(kind: str) -> None:
    default, validate, summarize = TERMS[kind]
    label = "definition" if kind == "definition" else "SLA"
    on_activate = rescore_open_leads if kind == "definition" else None

    def vid(cell: Cell, state: str) -> int:
        return cell.world.versions[f"{kind}:{state}"]

    def signed(cell: Cell, state: str) -> bool:
        return any(
            s.user_id == cell.actor.id
            for s in cell.rows(
                Signature,
                Signature.agreement_id == vid(cell, state),
                Signature.withdrawn_at.is_(None),
            )
        )

    def sign_as(s: Session, c: Cell, state: str) -> Any:
        return sign(
            s,
            actor=c.actor,
            version_id=vid(c, state),
            expected_version=_current(s, AgreementVersion, vid(c, state)),
            on_activate=on_activate,
        )

    action(
        f"draft the {label}",
        lambda s, c: create_draft(
            s,
            actor=c.actor,
            kind=kind,
            title="Next",
            content=default(),
            validate=validate,
            summarize=summarize,
        ),
        lambda c, r, o: c.row(AgreementVersion, r.id).author_id == c.actor.id,
        create_draft,
    )
    action(
        f"edit a draft of the {label}",
        lambda s, c: save_draft(
            s,
            actor=c.actor,
            version_id=vid(c, "draft"),
            title="Edited",
            expected_version=_current(s, AgreementVersion, vid(c, "draft")),
        ),
        lambda c, r, o: c.version("draft", kind).title == "Edited",
        save_draft,
    )
    action(
        f"propose a draft of the {label}",
        lambda s, c: propose(
            s,
            actor=c.actor,
            version_id=vid(c, "draft"),
            expected_version=_current(s, AgreementVersion, vid(c, "draft")),
        ),
        lambda c, r, o: c.version("draft", kind).status == "proposed",
        propose,
    )
    action(
        f"sign a proposed {label}",
        lambda s, c: sign_as(s, c, "proposed"),
        lambda c, r, o: signed(c, "proposed"),
        sign,
    )
    action(
        f"activate the {label} with the second signature",
        lambda s, c: sign_as(s, c, _leader_side(c, "by_sales", "by_marketing")),
        lambda c, r, o: (
            c.version(_leader_side(c, "by_sales", "by_marketing"), kind).status == "active"
        ),
        sign,
        rescore_open_leads,
        rescore,
        route_leads,
    )
    action(
        f"withdraw a signature on the {label}",
        lambda s, c: withdraw_signature(
            s, actor=c.actor, version_id=vid(c, _leader_side(c, "by_marketing", "by_sales"))
        ),
        lambda c, r, o: not signed(c, _leader_side(c, "by_marketing", "by_sales")),
        withdraw_signature,
    )
    action(
        f"comment on the {label}",
        lambda s, c: add_comment(s, actor=c.actor, version_id=vid(c, "draft"), body="Why 60?"),
        lambda c, r, o: bool(c.rows(Comment, Comment.author_id == c.actor.id)),
        add_comment,
    )
    action(
        f"list the {label} versions",
        lambda s, c: list_versions(s, actor=c.actor, kind=kind),
        lambda c, r, o: len(r) == 5,
        list_versions,
    )
    action(
        f"open a version of the {label}",
        lambda s, c: get_version(s, actor=c.actor, version_id=vid(c, "draft")),
        lambda c, r, o: r.id == vid(c, "draft"),
        get_version,
    )
    action(
        f"diff two versions of the {label}",
        lambda s, c: diff_versions(s, actor=c.actor, a_id=vid(c, "draft"), b_id=vid(c, "proposed")),
        lambda c, r, o: isinstance(r, list),
        diff_versions,
    )
    action(
        f"read the {label} discussion",
        lambda s, c: list_comments(s, actor=c.actor, version_id=vid(c, "draft")),
        lambda c, r, o: isinstance(r, list),
        list_comments,
    )


for _kind in KINDS:
    _agreement_actions(_kind)


# --- imports ------------------------------------------------------------------------------

IMPORTS = {
    "leads": "external_id,email,first_name,company,employees,created_at\n"
    "X1,xena@example.com,Xena,Xeno Ltd,120,2026-11-02T09:00:00\n",
    "activities": "external_id,type,occurred_at\ncrm-owen,web_visit,2026-11-02T10:00:00\n",
    # An outcome extends its lead's history: Owen's open MQL is lost after its events, which
    # the world wrote a moment ago ({now} is filled in when the cell imports).
    "outcomes": "external_id,stage,occurred_at\ncrm-owen,lost,{now}\n",
}

# Each import runs its own steps (write, qualify and route, the batch row) after the check.
IMPORT_STEPS: dict[str, tuple[Callable[..., Any], ...]] = {
    "leads": (import_leads, write_leads, qualify, qualify_and_route, write_batch),
    "activities": (import_activities, qualify, qualify_and_route, write_batch),
    "outcomes": (import_outcomes, plan_outcomes, write_batch),
}

for _what, _csv in IMPORTS.items():
    action(
        f"import {_what}",
        lambda s, c, w=_what, t=_csv: import_file(
            s,
            actor=c.actor,
            kind=w,
            table=read_table(t.replace("{now}", utcnow().isoformat()).encode(), f"{w}.csv"),
        ),
        lambda c, r, o, w=_what: bool(c.rows(ImportBatch, ImportBatch.kind == w)),
        import_file,
        *IMPORT_STEPS[_what],
    )


# --- routing ------------------------------------------------------------------------------


def _rule(cell: Cell, priority: int) -> RuleInput:
    return RuleInput(priority=priority, team_id=cell.world.teams["West"], segment=WEST_SEGMENT)


def _away(s: Session, c: Cell, who: str) -> User:
    rep = c.person(who)
    return set_availability(
        s,
        actor=c.actor,
        user_id=rep.id,
        is_away=True,
        daily_cap=5,
        expected_version=_current(s, User, rep.id),
    )


def _waiting_owner(cell: Cell, team: str) -> bool:
    return cell.lead(f"waiting_{team}").owner_id is not None


action(
    "add a routing rule",
    lambda s, c: create_rule(s, actor=c.actor, rule=_rule(c, 5)),
    lambda c, r, o: len(c.rows(RoutingRule)) == 2,
    create_rule,
)
action(
    "edit a routing rule",
    lambda s, c: update_rule(
        s,
        actor=c.actor,
        rule_id=c.world.rule_id,
        rule=_rule(c, 7),
        expected_version=_current(s, RoutingRule, c.world.rule_id),
    ),
    lambda c, r, o: c.row(RoutingRule, c.world.rule_id).priority == 7,
    update_rule,
)
action(
    "delete a routing rule",
    lambda s, c: delete_rule(
        s,
        actor=c.actor,
        rule_id=c.world.rule_id,
        expected_version=_current(s, RoutingRule, c.world.rule_id),
    ),
    lambda c, r, o: not c.rows(RoutingRule),
    delete_rule,
)
action(
    "list the routing rules",
    lambda s, c: list_rules(s, actor=c.actor),
    lambda c, r, o: [row.id for row in r] == [c.world.rule_id],
    list_rules,
)
action(
    "preview where a lead would go",
    lambda s, c: preview_team(s, actor=c.actor, segment=None, country="US", employees=10),
    lambda c, r, o: "East" in r,
    preview_team,
)
action(
    "set the availability of a rep of the own team",
    lambda s, c: _away(s, c, "rep"),
    lambda c, r, o: c.row(User, c.person("rep").id).is_away,
    set_availability,
)
action(
    "set the availability of a rep of another team",
    lambda s, c: _away(s, c, "west_rep"),
    lambda c, r, o: c.row(User, c.person("west_rep").id).is_away,
    set_availability,
)
action(
    "list the reps' availability",
    lambda s, c: list_availability(s, actor=c.actor),
    lambda c, r, o: {x.team for x in r} == ({"East"} if o == SCOPED else {"East", "West"}),
    list_availability,
)
action(
    "assign the own team's waiting leads",
    lambda s, c: assign_waiting_leads(s, actor=c.actor, team_id=c.world.teams["East"]),
    lambda c, r, o: _waiting_owner(c, "east"),
    assign_waiting_leads,
)
action(
    "assign another team's waiting leads",
    lambda s, c: assign_waiting_leads(s, actor=c.actor, team_id=c.world.teams["West"]),
    lambda c, r, o: _waiting_owner(c, "west"),
    assign_waiting_leads,
)
action(
    "count the leads waiting in team queues",
    lambda s, c: count_waiting_leads(s, actor=c.actor),
    lambda c, r, o: r == (1 if o == SCOPED else 2),
    count_waiting_leads,
)


# --- users and teams ----------------------------------------------------------------------

action(
    "create a user",
    lambda s, c: create_user(
        s, actor=c.actor, username="newbie", role=Role.REP, password=NEW_PASSWORD, team="East"
    ),
    lambda c, r, o: bool(c.rows(User, User.username == "newbie")),
    create_user,
)
action(
    "change a user",
    lambda s, c: update_user(
        s,
        actor=c.actor,
        username="maria",
        name="Maria Lopez",
        expected_version=_current(s, User, c.person("mate").id),
    ),
    lambda c, r, o: c.row(User, c.person("mate").id).name == "Maria Lopez",
    update_user,
)
action(
    "deactivate a user",
    lambda s, c: set_active(s, actor=c.actor, username="maria", active=False),
    lambda c, r, o: not c.row(User, c.person("mate").id).is_active,
    set_active,
)
action(
    "change a user's role",
    lambda s, c: set_role(s, actor=c.actor, username="maria", role=Role.MARKETING),
    lambda c, r, o: c.row(User, c.person("mate").id).role == Role.MARKETING,
    set_role,
)


def _mates_open_leads(cell: Cell) -> list[Lead]:
    return [cell.lead("mate"), cell.lead("late_east")]


def _maria(session: Session) -> User:
    return session.exec(select(User).where(User.username == "maria")).one()


action(
    "deactivate a user, their open leads to the team queue",
    lambda s, c: deactivate_user(s, actor=c.actor, username="maria"),
    lambda c, r, o: (
        r == 2
        and not c.row(User, c.person("mate").id).is_active
        and all(lead.owner_id is None for lead in _mates_open_leads(c))
    ),
    deactivate_user,
)
action(
    "count a user's open leads and where they may go",
    lambda s, c: handover_options(s, actor=c.actor, username="maria"),
    lambda c, r, o: r.open_leads == 2 and r.team == "East",
    handover_options,
)
action(
    "hand a user's open leads to a rep",
    lambda s, c: hand_over_open_leads(s, actor=c.actor, user=_maria(s), leads_to="rep"),
    lambda c, r, o: all(lead.owner_id == c.person("rep").id for lead in _mates_open_leads(c)),
    hand_over_open_leads,
)
action(
    "list the users",
    lambda s, c: list_users(s, actor=c.actor),
    lambda c, r, o: "olivia" in {u.username for u in r},
    list_users,
)
action(
    "create a team",
    lambda s, c: create_team(s, actor=c.actor, name="North"),
    lambda c, r, o: bool(c.rows(Team, Team.name == "North")),
    create_team,
)
action(
    "make a rep a team's manager",
    lambda s, c: set_team_manager(s, actor=c.actor, team="West", username="maria"),
    lambda c, r, o: c.row(User, c.person("mate").id).role == Role.SALES_MANAGER,
    set_team_manager,
)
action(
    "set the own password",
    lambda s, c: set_password(s, actor=c.actor, username=c.actor.username, password=NEW_PASSWORD),
    lambda c, r, o: c.row(User, c.actor.id).version > 1,
    set_password,
)


def _end_marias_logins(s: Session, c: Cell) -> int:
    start_login(s, user_id=c.person("mate").id, key=LOGIN_KEY, now=utcnow())
    return end_logins(s, actor=c.actor, username="maria")


def _marias_logins_ended(cell: Cell, count: int) -> bool:
    logins = cell.rows(LoginSession, LoginSession.user_id == cell.person("mate").id)
    return count == len(logins) > 0 and all(row.ended_at for row in logins)


action(
    "end another user's logins",
    _end_marias_logins,
    lambda c, r, o: _marias_logins_ended(c, r),
    end_logins,
)
action(
    "reset another user's password",
    lambda s, c: set_password(s, actor=c.actor, username="maria", password=NEW_PASSWORD),
    lambda c, r, o: c.row(User, c.person("mate").id).version > 1,
    set_password,
)


# --- working a lead: the rep's own, a teammate's, another team's ---------------------------

LEAD_TARGETS = {"the own lead": "own", "a teammate's lead": "mate", "another team's lead": "west"}
LEAD_ACTIONS: dict[str, tuple[Callable[..., Any], dict[str, Any], str]] = {
    "accept": (accept_lead, {}, "accepted"),
    "log an attempt on": (
        log_attempt,
        {"channel": "call", "outcome": "no_answer"},
        "accepted",
    ),
    "validate": (validate_lead, {}, "validated"),
    "disqualify": (disqualify_lead, {"reason_code": "no_fit"}, "disqualified"),
    "reject": (reject_lead, {"reason_code": "bad_data"}, "rejected"),
    "recycle": (recycle_lead, {"reason_code": "not_now"}, "recycled"),
}

for _target, _lead in LEAD_TARGETS.items():
    for _verb, (_service, _options, _stage) in LEAD_ACTIONS.items():
        action(
            f"{_verb} {_target}",
            lambda s, c, f=_service, k=_options, n=_lead: f(
                s, actor=c.actor, lead_id=c.world.leads[n], expected_version=None, **k
            ),
            lambda c, r, o, n=_lead, st=_stage: c.lead(n).stage == st,
            _service,
        )
    action(
        f"open {_target}",
        lambda s, c, n=_lead: lead_detail(s, actor=c.actor, lead_id=c.world.leads[n]),
        lambda c, r, o, n=_lead: r.id == c.world.leads[n],
        lead_detail,
    )


def _validate_then_undo(s: Session, c: Cell) -> Any:
    lead_id = c.world.leads["own"]
    validate_lead(s, actor=c.actor, lead_id=lead_id, expected_version=None)
    return undo_decision(s, actor=c.actor, lead_id=lead_id, expected_version=None, now=utcnow())


action(
    "undo the own decision within 30 seconds",
    _validate_then_undo,
    lambda c, r, o: c.lead("own").stage in ("mql", "accepted") and c.lead("own").decided_at is None,
    undo_decision,
)
action(
    "set the CRM link template",
    lambda s, c: save_crm_template(
        s, actor=c.actor, template="https://crm.example.com/leads/{external_id}"
    ),
    lambda c, r, o: r == "https://crm.example.com/leads/{external_id}",
    save_crm_template,
)


action(
    "list the teams to send the own lead to",
    lambda s, c: misroute_teams(s, actor=c.actor, lead_id=c.world.leads["own"]),
    lambda c, r, o: c.world.teams["West"] in r and c.world.teams["East"] not in r,
    misroute_teams,
)
action(
    "send the own lead back to routing",
    lambda s, c: reject_lead(
        s,
        actor=c.actor,
        lead_id=c.world.leads["own"],
        expected_version=None,
        reason_code="misrouted",
        team_id=c.world.teams["West"],
    ),
    lambda c, r, o: c.lead("own").team_id != c.world.teams["East"],
    reject_lead,
    reroute_lead,
)


def _reassign(s: Session, c: Cell, lead: str, to: str) -> int:
    return reassign_leads(
        s,
        actor=c.actor,
        versions={c.world.leads[lead]: c.lead(lead).version},
        owner_id=c.person(to).id,
    )


action(
    "reassign a lead within the team",
    lambda s, c: _reassign(s, c, "own", "mate"),
    lambda c, r, o: c.lead("own").owner_id == c.person("mate").id,
    reassign_leads,
)
action(
    "reassign a lead to another team",
    lambda s, c: _reassign(s, c, "own", "west_rep"),
    lambda c, r, o: c.lead("own").team_id == c.world.teams["West"],
    reassign_leads,
)
action(
    "reassign another team's lead",
    lambda s, c: _reassign(s, c, "west", "mate"),
    lambda c, r, o: c.lead("west").owner_id == c.person("mate").id,
    reassign_leads,
)
action(
    "take the next waiting lead",
    lambda s, c: take_next_waiting_lead(s, actor=c.actor),
    lambda c, r, o: c.lead("waiting_east").owner_id == c.actor.id,
    take_next_waiting_lead,
)
action(
    "count the own team's waiting leads",
    lambda s, c: count_team_waiting(s, actor=c.actor),
    lambda c, r, o: r == 1,
    count_team_waiting,
)


def _own_open(cell: Cell) -> set[int]:
    return {
        lead.id
        for lead in cell.rows(
            Lead, Lead.owner_id == cell.actor.id, Lead.stage.in_(["mql", "accepted"])
        )
    }


action(
    "list the own queue",
    lambda s, c: rep_queue(s, actor=c.actor),
    lambda c, r, o: set(r["id"]) == _own_open(c),
    rep_queue,
    open_leads_for_rep,
)


# --- a team's queue: everything for leaders, the own team for a manager --------------------


def _teams_seen(cell: Cell, lead_ids: Any) -> set[str]:
    """Return the teams ("East", "West") of the leads listed."""
    names = {v: k for k, v in cell.world.teams.items()}
    return {names[cell.row(Lead, int(i)).team_id] for i in lead_ids}


def _seen(cell: Cell, outcome: str, lead_ids: Any) -> bool:
    return _teams_seen(cell, lead_ids) == ({"East"} if outcome == SCOPED else {"East", "West"})


TODAY = utcnow().date()

action(
    "list the team queue",
    lambda s, c: team_queue(s, actor=c.actor),
    lambda c, r, o: _seen(c, o, r["id"]),
    team_queue,
)
action(
    "list another team's queue",
    lambda s, c: team_queue(s, actor=c.actor, where=QueueFilter(team_id=c.world.teams["West"])),
    lambda c, r, o: _teams_seen(c, r["id"]) == {"West"},
    team_queue,
)
action(
    "list SLA breaches",
    lambda s, c: sla_breaches(s, actor=c.actor),
    lambda c, r, o: _seen(c, o, r["id"]),
    sla_breaches,
)
action(
    "count SLA breaches",
    lambda s, c: count_breaches(s, actor=c.actor),
    lambda c, r, o: r["untouched"] == (1 if o == SCOPED else 2),
    count_breaches,
)
action(
    "read the team queue's filter choices",
    lambda s, c: filter_choices(s, actor=c.actor),
    lambda c, r, o: (WEST_SEGMENT in r["segment"]) == (o == ALLOWED),
    filter_choices,
)
action(
    "list the visible teams",
    lambda s, c: visible_teams(s, actor=c.actor),
    lambda c, r, o: len(r) == (1 if o == SCOPED else 2),
    visible_teams,
)


def _orphan_leads(session: Session, cell: Cell) -> int:
    """Deactivate Maria (East) and Olivia (West) behind the services' back, as a history
    import can leave owners, then count the open leads of inactive owners."""
    users = User.__table__
    session.connection().execute(
        users.update().values(is_active=False).where(users.c.username.in_(["maria", "olivia"]))
    )
    return count_inactive_owner_leads(session, actor=cell.actor)


action(
    "count the leads of inactive owners",
    _orphan_leads,
    lambda c, r, o: r == (2 if o == SCOPED else 4),
    count_inactive_owner_leads,
)
action(
    "list the reps leads can go to",
    lambda s, c: assignable_reps(s, actor=c.actor),
    lambda c, r, o: {x.team for x in r} == ({"East"} if o == SCOPED else {"East", "West"}),
    assignable_reps,
)
action(
    "export the queue CSV",
    lambda s, c: queue_csv(s, actor=c.actor),
    lambda c, r, o: (b"Wes Lee" in r) == (o == ALLOWED),
    queue_csv,
)
action(
    "list the decisions taken",
    lambda s, c: decisions(s, actor=c.actor, since=TODAY, until=TODAY),
    lambda c, r, o: _seen(c, o, r["lead_id"]),
    decisions,
)
action(
    "export the decisions CSV",
    lambda s, c: decisions_csv(s, actor=c.actor, since=TODAY, until=TODAY),
    lambda c, r, o: (b"Dirk Lee" in r) == (o == ALLOWED) and b"Dora Lee" in r,
    decisions_csv,
)


# --- disputes -----------------------------------------------------------------------------

action(
    "dispute a disqualification",
    lambda s, c: raise_dispute(
        s,
        actor=c.actor,
        lead_id=c.world.leads["decided_east"],
        expected_version=None,
        note="A VP at 500 staff fits.",
    ),
    lambda c, r, o: bool(c.rows(Dispute, Dispute.lead_id == c.world.leads["decided_east"])),
    raise_dispute,
)
action(
    "rule on a dispute",
    lambda s, c: resolve_dispute(
        s,
        actor=c.actor,
        dispute_id=c.world.disputes["east"],
        expected_version=1,
        overturn=False,
        note="No budget.",
    ),
    lambda c, r, o: c.row(Dispute, c.world.disputes["east"]).status == "upheld",
    resolve_dispute,
)
action(
    "list the disputes",
    lambda s, c: list_disputes(s, actor=c.actor),
    lambda c, r, o: _seen(c, o, r["lead_id"]),
    list_disputes,
)
action(
    "list the decisions marketing may dispute",
    lambda s, c: disputable_decisions(s, actor=c.actor),
    lambda c, r, o: _seen(c, o, r["lead_id"]),
    disputable_decisions,
)


# --- notifications: an admin's delivery settings and outbox; everyone's own choices -------

HOOK_URL = "https://hooks.example.com/services/T0/B0"
action(
    "set up the SMTP server for notifications",
    lambda s, c: save_smtp_settings(
        s, actor=c.actor, host="smtp.example.com", port=587, tls="starttls", sender="ld@example.com"
    ),
    lambda c, r, o: c.row(NotifySettings, 1).smtp_host == "smtp.example.com",
    save_smtp_settings,
)
action(
    "read the notification settings",
    lambda s, c: delivery_settings(s, actor=c.actor),
    lambda c, r, o: r.webhooks == (),
    delivery_settings,
)
action(
    "add a notification webhook",
    lambda s, c: add_webhook(s, actor=c.actor, name="sales", kind="slack", url=HOOK_URL),
    lambda c, r, o: len(c.rows(Webhook)) == 1,
    add_webhook,
)


def _remove_a_webhook(s: Session, c: Cell) -> None:
    s.add(Webhook(name="old", kind="teams", url=HOOK_URL))
    s.flush()
    remove_webhook(s, actor=c.actor, name="old")


action(
    "remove a notification webhook",
    _remove_a_webhook,
    lambda c, r, o: c.rows(Webhook) == [],
    remove_webhook,
)
action(
    "list the notification outbox",
    lambda s, c: list_outbox(s, actor=c.actor),
    lambda c, r, o: len(r) == len(c.rows(Notification)),
    list_outbox,
)


def _resend_a_failed_one(s: Session, c: Cell) -> Notification:
    row = Notification(
        event="dispute_ruled",
        user_id=c.person("marketing").id,
        channel="email",
        target="marketing@example.com",
        subject="Ruled",
        body="Upheld.",
        dedupe_key="authz",
        status="failed",
        attempts=5,
        last_error="Could not reach the SMTP server.",
    )
    s.add(row)
    s.flush()
    return resend(s, actor=c.actor, notification_id=row.id or 0)


action(
    "resend a failed notification",
    _resend_a_failed_one,
    lambda c, r, o: c.row(Notification, r.id).status == "pending",
    resend,
)
action(
    "read the own notification choices",
    lambda s, c: my_notifications(s, actor=c.actor),
    lambda c, r, o: r.by_email == set(r.events),
    my_notifications,
)
action(
    "save the own notification choices",
    lambda s, c: save_my_notifications(
        s, actor=c.actor, by_email=[], by_webhook={}, business_hours_only=True
    ),
    lambda c, r, o: c.row(NotifyPreference, c.actor.id).business_hours_only,
    save_my_notifications,
)


def covered() -> set[str]:
    """Return the dotted names of every service some action exercises."""
    return {f"{f.__module__}.{f.__qualname__}" for a in ACTIONS.values() for f in a.covers}
