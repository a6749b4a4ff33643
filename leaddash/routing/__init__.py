"""Qualification and routing: imported leads scored against the active definition, new MQLs
(and a below-threshold sample) routed by the admin's rules, round-robin within the team
under each rep's daily cap and away flag; the rules service. Reps' availability and the
leads waiting in a team queue are queue services (leaddash.queue.availability, .waiting)."""

from leaddash.routing.assign import RouteSummary, route_leads
from leaddash.routing.qualify import (
    QualifySummary,
    SampleSetting,
    active_sample,
    qualify_and_route,
)
from leaddash.routing.rules import (
    RuleInput,
    RuleRow,
    create_rule,
    delete_rule,
    describe_rule,
    list_rules,
    preview_team,
    team_ids,
    update_rule,
)

__all__ = [
    "QualifySummary",
    "RouteSummary",
    "RuleInput",
    "RuleRow",
    "SampleSetting",
    "active_sample",
    "create_rule",
    "delete_rule",
    "describe_rule",
    "list_rules",
    "preview_team",
    "qualify_and_route",
    "route_leads",
    "team_ids",
    "update_rule",
]
