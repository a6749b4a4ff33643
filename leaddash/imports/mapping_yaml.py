"""A mapping file's YAML read safely: bounded in size, nesting and value length, with no
anchors or aliases, all checked on the parser's events before anything is built.

An alias repeats the node its anchor names, so nine levels of aliases in 348 bytes stand
for billions of values (a "billion laughs"): the events are read first, and the file is
refused at its first anchor or alias, before a single value is built. The parser keeps its
own stack, while building the document recurses once per level: the depth is checked on
the events too, so a file nested ten thousand levels deep gets a message, not a
RecursionError. Only BaseLoader builds the document: text, lists and mappings, no YAML 1.1
booleans, numbers, nulls or objects.
"""

from __future__ import annotations

from typing import Any

import yaml

from leaddash.errors import InvalidInput
from leaddash.imports.limits import NUL, excerpt

MAX_MAPPING_BYTES = 64 * 1024
MAX_DEPTH = 10
MAX_VALUE_CHARS = 200
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def mapping_file_text(data: bytes) -> str:
    """Return the text of a mapping file's bytes, or raise InvalidInput for a file too
    large or not UTF-8 text."""
    check_mapping_size(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refused(
            "The mapping file is not UTF-8 text: save it as UTF-8 (in a text "
            "editor, Save as… with the encoding UTF-8), and retry."
        ) from None


def load_yaml(text: str) -> Any:
    """Return the YAML document of `text` (text, lists and mappings), or raise
    InvalidInput saying what is wrong and where."""
    size = len(text)  # a text never has fewer bytes than characters: encode only a short one
    if size <= MAX_MAPPING_BYTES:
        size = len(text.encode(errors="surrogatepass"))
    check_mapping_size(size)
    try:
        _check_events(text)
        return yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.reader.ReaderError as exc:
        raise _refused(
            f"The mapping file holds a character YAML does not allow "
            f"({chr(exc.character)!r}, character {exc.position + 1:,} of the "
            "file): remove it, and retry."
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        raise _refused(
            f"The mapping file is not valid YAML{line}: check its indentation and colons."
        ) from None


def check_mapping_size(size: int) -> None:
    """Refuse a mapping file of `size` bytes over MAX_MAPPING_BYTES."""
    if size > MAX_MAPPING_BYTES:
        raise _refused(
            f"The mapping file is {size / 1024:,.0f} KB; at most "
            f"{MAX_MAPPING_BYTES // 1024} KB fit (a mapping file is a few dozen "
            "lines). Keep only the fields, stage values and date format this "
            "import needs, and retry."
        )


def _check_events(text: str) -> None:
    """Refuse an anchor or alias, nesting deeper than MAX_DEPTH, or a name or value too
    long or holding a NUL, at the first event that shows one."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.BaseLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _refused(
                f"The mapping file uses a YAML anchor or alias (& or *) on line "
                f"{_line_number(event)}: {excerpt(_line(text, event))!r}. Write each "
                "column name and value out in full instead, and retry."
            )
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refused(
                    f"The mapping file nests more than {MAX_DEPTH} levels deep "
                    f"(line {_line_number(event)}); a mapping file needs three "
                    "at most (fields, a field, its fixed value). Check its "
                    "indentation and brackets, and retry."
                )
        elif isinstance(event, _CLOSES):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent):
            _check_scalar(event)


def _check_scalar(event: yaml.ScalarEvent) -> None:
    value, line = event.value, _line_number(event)
    if len(value) > MAX_VALUE_CHARS:
        raise _refused(
            f"A name or value on line {line} of the mapping file has "
            f"{len(value):,} characters ({excerpt(value)!r}); at most "
            f"{MAX_VALUE_CHARS} fit. Column names, stage values and fixed values "
            "are short: shorten it, and retry."
        )
    if NUL in value:
        raise _refused(
            f"A name or value on line {line} of the mapping file holds a NUL "
            f"character (written \\0 or \\x00), which cannot be stored: "
            f"{excerpt(value)!r}. Remove it, and retry."
        )


def _start(event: yaml.Event) -> tuple[int, int]:
    """Return the line (from 0) and the index in the text where the event starts (the
    parser marks every event it emits)."""
    if event.start_mark is None:
        raise ValueError("A YAML event came without its position.")
    return event.start_mark.line, event.start_mark.index


def _line_number(event: yaml.Event) -> int:
    return _start(event)[0] + 1


def _line(text: str, event: yaml.Event) -> str:
    """Return the line of `text` the event starts on, trimmed."""
    at = _start(event)[1]
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else len(text)].strip()


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, field="mapping")
