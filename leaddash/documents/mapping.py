"""An import's mapping file: our field → the file's column, or a value every row gets;
optionally the file's date format and its stage values mapped to ours.

Strict: every value must already be text. mapping_yaml reads the YAML without YAML 1.1's
type guessing, so `no`, `On`, `01`, `1:30` or `2024-01-31` stay the text written; a
document whose values were guessed into booleans, numbers or dates is refused, never
turned back into text that may differ from what the file says (`010` read as 8).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FixedValue(BaseModel):
    """A value every row of the file gets for one field."""

    model_config = ConfigDict(extra="forbid", strict=True)
    value: str


class MappingFile(BaseModel):
    """A mapping file as written: our field → the file's column or a fixed value."""

    model_config = ConfigDict(extra="forbid", strict=True)
    fields: dict[str, str | FixedValue]
    date_format: str | None = None
    stage_values: dict[str, str] = Field(default_factory=dict)
