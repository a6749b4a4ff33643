"""Presets: the headers and stage values of lead exports from Salesforce, HubSpot and
Marketo — the export a person downloads from the CRM's screens and the columns its API
and warehouse connectors write — and telling from a file's headers which one it is.

CRM owner columns (Salesforce "Lead Owner" and OwnerId, HubSpot "Contact owner" and
hubspot_owner_id) are deliberately not mapped to `owner`: they hold the CRM's names or
ids, never LeadDash usernames, so every row would be refused; they stay custom attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from leaddash.errors import InvalidInput
from leaddash.imports.mapping import FIELDS, Mapping, auto_mapping, resolved

MIN_RECOGNISED = 3


@dataclass(frozen=True)
class Preset:
    """A CRM's lead export: our field → the header spellings it uses, and its stages."""

    label: str
    spellings: dict[str, tuple[str, ...]]
    stage_values: dict[str, str]

    def mapping(self) -> Mapping:
        """Return the preset as a mapping (each field on the first column that matches)."""
        return Mapping(
            {},
            stage_values=dict(self.stage_values),
            name=f"{self.label} preset",
            spellings=dict(self.spellings),
        )


@dataclass(frozen=True)
class PresetMatch:
    """The preset a file's headers look like, and how many of its columns it recognises."""

    name: str
    label: str
    recognised: int
    columns: int

    def message(self) -> str:
        """Return the sentence the Import page shows."""
        return (
            f"Looks like a {self.label} export: {self.recognised} of {self.columns} "
            "columns recognised."
        )


def _hubspot_property(label: str, internal: str) -> tuple[str, ...]:
    """Return a HubSpot property as its export label, its internal name, and the column
    names warehouse connectors give it (Fivetran's property_*, Airbyte's properties_*)."""
    return label, internal, f"property_{internal}", f"properties_{internal}"


SALESFORCE = Preset(
    "Salesforce",
    # API names (FirstName) and report labels (First Name) are one header once compared;
    # a second spelling is listed only where the report says it differently.
    {
        "external_id": ("Id", "Lead ID"),
        "first_name": ("FirstName",),
        "last_name": ("LastName",),
        "email": ("Email",),
        "phone": ("Phone", "MobilePhone"),
        "company": ("Company", "Company / Account"),
        "title": ("Title",),
        "source": ("LeadSource",),
        "stage": ("Status", "Lead Status"),
        "industry": ("Industry",),
        "employees": ("NumberOfEmployees", "No. of Employees"),
        "country": ("Country",),
        "created_at": ("CreatedDate", "Create Date"),
        "sql_at": ("ConvertedDate",),
    },
    # Both the classic default lead statuses and the newer ones (New … Unqualified); an
    # opportunity report adds Closed Won / Closed Lost.
    {
        "Open - Not Contacted": "inquiry",
        "Working - Contacted": "accepted",
        "Closed - Converted": "sql",
        "Closed - Not Converted": "disqualified",
        "New": "inquiry",
        "Working": "accepted",
        "Nurturing": "recycled",
        "Qualified": "sql",
        "Unqualified": "disqualified",
        "Closed Won": "won",
        "Closed Lost": "lost",
    },
)

# Stage comes from "Lifecycle Stage", HubSpot's position in the funnel (subscriber → lead →
# MQL → SQL → opportunity → customer), which is what our stage means. "Lead Status" (New,
# Attempted to contact, Connected, Bad timing …) tracks a rep's contact attempts inside one
# lifecycle stage, so it is kept as a custom attribute for the record.
HUBSPOT = Preset(
    "HubSpot",
    {
        "external_id": (*_hubspot_property("Record ID", "hs_object_id"), "Contact ID"),
        "first_name": _hubspot_property("First Name", "firstname"),
        "last_name": _hubspot_property("Last Name", "lastname"),
        "email": _hubspot_property("Email", "email"),
        "phone": _hubspot_property("Phone Number", "phone"),
        "company": _hubspot_property("Company Name", "company"),
        "title": _hubspot_property("Job Title", "jobtitle"),
        "source": _hubspot_property("Original Source", "hs_analytics_source"),
        "stage": _hubspot_property("Lifecycle Stage", "lifecyclestage"),
        "created_at": _hubspot_property("Create Date", "createdate"),
        "employees": _hubspot_property("Number of Employees", "numemployees"),
        "country": _hubspot_property("Country/Region", "country"),
        "industry": _hubspot_property("Industry", "industry"),
        "mql_at": _hubspot_property(
            "Became a Marketing Qualified Lead Date",
            "hs_lifecyclestage_marketingqualifiedlead_date",
        ),
        "sql_at": _hubspot_property(
            "Became a Sales Qualified Lead Date", "hs_lifecyclestage_salesqualifiedlead_date"
        ),
        "opportunity_at": _hubspot_property(
            "Became an Opportunity Date", "hs_lifecyclestage_opportunity_date"
        ),
        "won_at": _hubspot_property("Became a Customer Date", "hs_lifecyclestage_customer_date"),
    },
    # Labels as the export writes them, internal values as the API and connectors do
    # (subscriber, lead … match the labels ignoring case); deal stages for closed deals.
    {
        "Subscriber": "inquiry",
        "Lead": "inquiry",
        "Other": "inquiry",
        "Marketing Qualified Lead": "mql",
        "marketingqualifiedlead": "mql",
        "Sales Qualified Lead": "sql",
        "salesqualifiedlead": "sql",
        "Opportunity": "opportunity",
        "Customer": "won",
        "Evangelist": "won",
        "Closed Won": "won",
        "closedwon": "won",
        "Closed Lost": "lost",
        "closedlost": "lost",
    },
)

MARKETO = Preset(
    "Marketo",
    # REST names (firstName) equal the screen labels (First Name) once compared.
    {
        "external_id": ("id",),
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "email": ("email", "Email Address"),
        "phone": ("phone", "mobilePhone"),
        "company": ("company", "Company Name"),
        "title": ("title", "Job Title"),
        "source": ("leadSource",),
        "stage": ("leadStatus",),
        "created_at": ("createdAt",),
        "country": ("country",),
        "industry": ("industry",),
        "employees": ("numberOfEmployees",),
    },
    {
        "New": "inquiry",
        "Open": "inquiry",
        "Contacted": "accepted",
        "Qualified": "validated",
        "Disqualified": "disqualified",
        "Nurture": "recycled",
        "Converted": "sql",
    },
)

PRESETS = {"salesforce": SALESFORCE, "hubspot": HUBSPOT, "marketo": MARKETO}


def preset(name: str, kind: str = "leads") -> Mapping:
    """Return the mapping of a preset (salesforce, hubspot, marketo) for lead exports."""
    if name not in PRESETS:
        raise InvalidInput(
            f"There is no preset called {name!r}: use one of "
            f"{', '.join(PRESETS)}, or a mapping file.",
            field="preset",
        )
    if kind != "leads":
        raise InvalidInput(
            f"Presets describe lead exports. For {kind}, name the columns "
            f"{', '.join(FIELDS[kind])} or give a mapping file.",
            field="preset",
        )
    return PRESETS[name].mapping()


def recognised(name: str, columns: list[str]) -> int:
    """Return how many of `columns` the preset `name` maps to a field."""
    return len(set(resolved(PRESETS[name].mapping(), columns).fields.values()))


def detect_preset(columns: list[str]) -> PresetMatch | None:
    """Return the preset whose headers the file's columns match best, when it recognises
    at least MIN_RECOGNISED columns and more than matching by name does; else None (ties
    go to the first preset listed)."""
    scores = {name: recognised(name, columns) for name in PRESETS}
    best = max(scores, key=lambda n: scores[n])
    by_name = len(set(auto_mapping(columns).fields.values()))
    if scores[best] < MIN_RECOGNISED or scores[best] <= by_name:
        return None
    return PresetMatch(best, PRESETS[best].label, scores[best], len(columns))
