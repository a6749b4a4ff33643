"""The matrix's reads behind the lead page: one lead's page (the own lead, a teammate's,
another team's) and the search. A rep sees their own leads, a sales manager their team's,
everyone else every lead; the search finds exactly the visible leads that match."""

from __future__ import annotations

from leaddash.models import Lead, Role
from leaddash.queue.lead_page import lead_page
from leaddash.queue.lead_search import search_leads
from tests.authz_actions import SCOPED, Cell, action

PAGE_TARGETS = {
    "the own lead": "own",
    "a teammate's lead": "mate",
    "another team's lead": "west",
}
EVERY_LEAD = "lee"  # every lead of the world is a Lee (tests.queue_factory.make_lead)


def _visible_ids(cell: Cell, outcome: str) -> set[int]:
    """Return the ids of the leads the actor may see, read plainly from the rows."""
    if outcome != SCOPED:
        return {lead.id for lead in cell.rows(Lead)}
    if cell.actor.role == Role.REP:
        return {lead.id for lead in cell.rows(Lead, Lead.owner_id == cell.actor.id)}
    return {lead.id for lead in cell.rows(Lead, Lead.team_id == cell.actor.team_id)}


for _target, _lead in PAGE_TARGETS.items():
    action(
        f"open the page of {_target}",
        lambda s, c, n=_lead: lead_page(s, actor=c.actor, lead_id=c.world.leads[n]),
        lambda c, r, o, n=_lead: r.id == c.world.leads[n],
        lead_page,
    )
action(
    "search leads by name, company, email or external id",
    lambda s, c: search_leads(s, actor=c.actor, text=EVERY_LEAD),
    lambda c, r, o: (
        set(r["id"]) == _visible_ids(c, o) and len(r) < len(c.rows(Lead))
        if o == SCOPED
        else set(r["id"]) == _visible_ids(c, o)
    ),
    search_leads,
)
