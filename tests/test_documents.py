"""The typed documents: the definition's and the SLA's terms and the mapping file as
pydantic models, the one translator from their errors to InvalidInput, and the stored
versions of the demo read by the models exactly as they are stored."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel, field_validator
from sqlmodel import select

from leaddash.db import read_session
from leaddash.definitions import default_definition_content, read_definition
from leaddash.documents.base import read_document, refuse
from leaddash.documents.definition import Rule
from leaddash.documents.mapping import MappingFile
from leaddash.errors import InvalidInput
from leaddash.imports import load_mapping
from leaddash.models import AgreementKind, AgreementVersion
from leaddash.sla import default_sla_content, read_sla

# The translator -------------------------------------------------------------------------


class Budget(BaseModel):
    """A tiny document: an amount our check words, a share only pydantic checks."""

    amount: int
    share: float = 0

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, amount: int) -> int:
        if amount < 0:
            raise refuse("The amount must be at least 0: write 0 or more.", "budget")
        return amount


def test_a_model_check_becomes_invalid_input_with_its_message_and_field():
    with pytest.raises(InvalidInput) as refused:
        read_document(Budget, {"amount": -1})
    assert (refused.value.message, refused.value.field) == (
        "The amount must be at least 0: write 0 or more.",
        "budget",
    )


def test_a_refusal_without_a_field_names_the_section_it_sits_in():
    content = default_definition_content()
    content["disqualifiers"][1]["op"] = "gt"

    with pytest.raises(InvalidInput) as refused:
        read_definition(content)

    assert (refused.value.message, refused.value.field) == (
        "Rule D2: unknown operator 'gt'.",
        "disqualifiers",
    )


def test_a_shape_no_check_words_is_refused_naming_where():
    with pytest.raises(InvalidInput) as refused:
        read_document(Budget, {"amount": 5, "share": "most"})
    assert refused.value.field == "share"
    assert refused.value.message.startswith("share: Input should be a valid number")
    assert refused.value.message.endswith("Correct it, and retry.")


def test_only_the_first_problem_is_reported():
    content = default_sla_content()
    content["sales"]["min_attempts"] = 0
    content["calendar"]["timezone"] = "Mars/Olympus"

    with pytest.raises(InvalidInput) as refused:
        read_sla(content)

    assert (refused.value.message, refused.value.field) == (
        "The minimum number of attempts must be a number of at least 1.",
        "min_attempts",
    )


# The definition and the SLA as typed terms ------------------------------------------------


def test_the_definition_reads_as_typed_rules_keeping_every_stored_key():
    content = default_definition_content()

    terms = read_definition(content)

    assert isinstance(terms.fit_rules[0], Rule)
    assert [(r.id, r.field, r.op) for r in terms.disqualifiers][:2] == [
        ("D1", "email", "contains"),
        ("D2", "title", "contains"),
    ]
    assert terms.scoring.activities["form_fill"].points == 25
    assert terms.model_dump(exclude_unset=True) == content


def test_the_sla_reads_as_typed_terms_keeping_every_stored_key():
    content = default_sla_content()

    terms = read_sla(content)

    assert terms.sales.first_touch_hours == 4
    assert terms.calendar.workdays == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert terms.model_dump(exclude_unset=True) == content


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        (
            "marketing",
            "mql_target_per_month",
            None,
            "The monthly MQL target must be a number of at least 0.",
        ),
        (
            "marketing",
            "mql_target_by_segment",
            {" ": 10},
            "Every segment target needs the segment's name.",
        ),
        ("sales", "decision_days", True, "The decision time must be a number of at least 0."),
        ("calendar", "day_start", "9 o'clock", 'day_start must look like 09:00, not "9 o\'clock".'),
        (
            "calendar",
            "holidays",
            ["2026-13-01"],
            "Holiday '2026-13-01' is not a date like 2026-12-24.",
        ),
        (
            "calendar",
            "years",
            [2027, 2026],
            "The calendar's first year (2027) comes after its last (2026).",
        ),
    ],
)
def test_an_sla_term_is_refused_naming_it(section, key, value, message):
    content = default_sla_content()
    content[section][key] = value

    with pytest.raises(InvalidInput) as refused:
        read_sla(content)

    assert (refused.value.message, refused.value.field) == (message, key)


def test_empty_sla_sections_and_definition_lists_mean_none_as_before():
    definition = {
        **default_definition_content(),
        "disqualifiers": None,
        "scoring": None,
        "reasons": [{"code": "no_fit", "clause": "F1"}],
    }
    sla = default_sla_content()
    sla["marketing"]["mql_target_by_segment"] = ""
    sla["calendar"] = {}

    assert read_definition(definition).disqualifiers == []
    assert read_sla(sla).calendar.timezone is None


# Mapping files: text stays text -----------------------------------------------------------

# Scalars YAML 1.1 reads as something else: booleans, octal and sexagesimal numbers, a
# date, a float, a null.
YAML_1_1 = [
    "no",
    "yes",
    "on",
    "off",
    "y",
    "n",
    "01",
    "010",
    "0o17",
    "1:30",
    "1:30:00",
    "2024-01-31",
    ".inf",
    "1_000",
    "NULL",
]


@pytest.mark.parametrize("text", YAML_1_1)
def test_a_column_or_fixed_value_yaml_1_1_would_convert_stays_the_text_written(text):
    mapping = load_mapping(
        f"fields:\n  email: Email\n  company: {text}\n"
        f"  segment: {{value: {text}}}\n"
        f"  stage: Status\nstage_values:\n  {text}: disqualified\n"
    )

    assert mapping.fields["company"] == text
    assert mapping.values == {"segment": text}
    assert mapping.stage_values == {text: "disqualified"}


@pytest.mark.parametrize("text", ["no", "01", "1:30", "2024-01-31"])
def test_the_model_refuses_values_yaml_1_1_already_converted(text):
    guessed = yaml.safe_load(f"fields:\n  company: {text}\n")
    assert not isinstance(guessed["fields"]["company"], str)

    with pytest.raises(InvalidInput) as refused:
        read_document(MappingFile, guessed)

    assert refused.value.field == "fields"
    assert refused.value.message.startswith("fields → company")


def test_a_mapping_file_reads_as_a_typed_document():
    document = MappingFile.model_validate(
        {"fields": {"email": "Email", "stage": {"value": "won"}}, "date_format": "%d/%m/%Y"}
    )

    assert document.fields["stage"].value == "won"
    assert document.stage_values == {}


# Stored versions -------------------------------------------------------------------------


def test_every_stored_version_of_the_demo_reads_as_its_model_unchanged(demo):
    with read_session(demo) as session:
        versions = session.exec(select(AgreementVersion)).all()

    readers = {AgreementKind.DEFINITION: read_definition, AgreementKind.SLA: read_sla}
    assert {v.kind for v in versions} == set(readers)
    for version in versions:
        terms = readers[version.kind](version.content)
        assert terms.model_dump(exclude_unset=True) == version.content, version.number
