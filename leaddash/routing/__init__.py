"""Qualification and routing: imported leads scored against the active definition, new MQLs
(and a below-threshold sample) routed by the admin's rules, round-robin within the team
under each rep's daily cap and away flag; the rules and availability services."""

from leaddash.routing.assign import RouteSummary, route_leads
from leaddash.routing.availability import (
    RepAvailability,
    list_availability,
    set_availability,
)
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
from leaddash.routing.waiting import assign_waiting_leads, count_waiting_leads

__all__ = [
    "QualifySummary", "RepAvailability", "RouteSummary", "RuleInput", "RuleRow",
    "SampleSetting", "active_sample", "assign_waiting_leads", "count_waiting_leads",
    "create_rule", "delete_rule", "describe_rule",
    "list_availability", "list_rules", "preview_team", "qualify_and_route", "route_leads",
    "set_availability", "team_ids", "update_rule",
]
