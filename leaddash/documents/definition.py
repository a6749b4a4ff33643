"""The terms of a lead definition version: fit rules, disqualifiers, the engagement
score, the MQL threshold and the reasons a lead is turned down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leaddash.documents.base import is_number, refuse

OPERATORS = ("eq", "in", "not_in", "contains", "gte", "lte", "between", "empty", "not_empty")
VALUE_FREE_OPERATORS = ("empty", "not_empty")
LEAD_FIELDS = (
    "country",
    "industry",
    "employees",
    "title",
    "email",
    "company",
    "source",
    "campaign",
    "segment",
)
CUSTOM_PREFIX = "custom."


class Rule(BaseModel):
    """A fit rule or a disqualifier: a lead's `field` compared by `op` with `value`."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(default="", validate_default=True)
    field: str = Field(default="", validate_default=True)
    op: str | None = Field(default=None, validate_default=True)
    value: Any = None
    label: Any = None

    @field_validator("id", mode="before")
    @classmethod
    def _named(cls, value: Any) -> str:
        rule_id = str(value or "").strip()
        if not rule_id:
            raise refuse("Every rule needs an id such as F1 or D1.")
        return rule_id

    @field_validator("field", mode="before")
    @classmethod
    def _known_field(cls, value: Any, info: ValidationInfo) -> str:
        field = str(value or "")
        if field == CUSTOM_PREFIX:
            raise _rule_refusal(info, "name the custom attribute it checks, e.g. custom.budget.")
        if field not in LEAD_FIELDS and not field.startswith(CUSTOM_PREFIX):
            raise _rule_refusal(info, f"unknown field {field!r}.")
        return field

    @field_validator("op", mode="before")
    @classmethod
    def _known_operator(cls, value: Any, info: ValidationInfo) -> str:
        if value not in OPERATORS:
            raise _rule_refusal(info, f"unknown operator {value!r}.")
        return str(value)

    @model_validator(mode="after")
    def _usable_value(self) -> Rule:
        problem = _value_problem(str(self.op), self.value)
        if problem:
            raise refuse(f"Rule {self.id}: {problem}")
        return self


def _rule_refusal(info: ValidationInfo, problem: str) -> PydanticCustomError:
    return refuse(f"Rule {info.data.get('id')}: {problem}")


def _value_problem(op: str, value: Any) -> str | None:
    """Return what is wrong with a rule's value for its operator, or None."""
    if op in ("gte", "lte") and not is_number(value):
        return f"{op} needs a number, not {value!r}."
    if op == "between" and not (
        isinstance(value, (list, tuple)) and len(value) == 2 and all(is_number(v) for v in value)
    ):
        return "between needs two numbers [low, high], e.g. 50, 200."
    if op in ("in", "not_in") and not (isinstance(value, (list, tuple)) and value):
        return f"{op} needs a non-empty list of values."
    if op not in VALUE_FREE_OPERATORS and value in (None, "", []):
        return "give the value to compare with."
    return None


def _number(value: Any) -> Any:
    if not is_number(value):
        raise ValueError("not a number")
    return value


Number = Annotated[float, PlainValidator(_number)]


class ActivityPoints(BaseModel):
    """The points one activity type earns, and the most it earns in all."""

    model_config = ConfigDict(extra="allow")
    points: Number
    cap: Number | None = None


class Scoring(BaseModel):
    """The engagement score: points per activity type, and an optional half-life."""

    model_config = ConfigDict(extra="allow")
    activities: dict[str, ActivityPoints] = Field(default_factory=dict)
    half_life_days: Any = None

    @field_validator("activities", mode="wrap")
    @classmethod
    def _numbers(cls, value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value or {})
        except ValidationError as exc:
            where = exc.errors()[0]["loc"]
            if not where:
                raise refuse(
                    "The scoring's activities must give each activity type its "
                    "points, like form_fill: 25."
                ) from None
            raise refuse(f"Scoring of {where[0]}: points and cap must be numbers.") from None

    @field_validator("half_life_days")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value is not None and (not is_number(value) or value <= 0):
            raise refuse("The half-life must be a positive number of days, or empty.")
        return value


class Reason(BaseModel):
    """A rejection or disqualification reason, and the rule (clause) it points at."""

    model_config = ConfigDict(extra="allow")
    code: Any = None
    clause: Any = None


def _threshold(value: Any) -> Any:
    if not is_number(value):
        raise refuse("The MQL threshold must be a number.")
    return value


class Definition(BaseModel):
    """The terms of a lead definition version (the `content` it stores)."""

    model_config = ConfigDict(extra="allow")
    threshold: Annotated[float, PlainValidator(_threshold)] = Field(
        default=None, validate_default=True
    )
    fit_rules: list[Rule] = Field(default_factory=list)
    disqualifiers: list[Rule] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)
    reasons: list[Reason] = Field(default_factory=list, validate_default=True)

    @field_validator("fit_rules", "disqualifiers", mode="before")
    @classmethod
    def _no_rules(cls, value: Any) -> Any:
        return value or []

    @field_validator("scoring", mode="before")
    @classmethod
    def _no_scoring(cls, value: Any) -> Any:
        return value or {}

    @field_validator("disqualifiers")
    @classmethod
    def _distinct_ids(cls, rules: list[Rule], info: ValidationInfo) -> list[Rule]:
        ids = [r.id for r in [*info.data.get("fit_rules", []), *rules]]
        if len(ids) != len(set(ids)):
            raise refuse("Two rules share an id; give each rule its own.")
        return rules

    @field_validator("reasons", mode="before")
    @classmethod
    def _some(cls, value: Any) -> Any:
        if not value:
            raise refuse(
                "Keep at least one rejection or disqualification reason: reps give "
                "one for every lead they turn down."
            )
        return value

    @field_validator("reasons")
    @classmethod
    def _known_clauses(cls, reasons: list[Reason], info: ValidationInfo) -> list[Reason]:
        rules = [*info.data.get("fit_rules", []), *info.data.get("disqualifiers", [])]
        ids = [rule.id for rule in rules]
        for reason in reasons:
            if reason.clause not in (None, *ids):
                raise refuse(f"Reason {reason.code} points at unknown rule {reason.clause}.")
        return reasons
