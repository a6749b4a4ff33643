"""A readable field-by-field diff of agreement contents (nested dicts and lists).

Lists of dicts that all carry an "id" (or a "code") are matched by that key, so moving a
rule up the list is not reported as every rule changing. Other lists of dicts are matched
by position (paths say `[#1]`); lists of plain values are compared whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MATCH_KEYS = ("id", "code")
CHANGED, ADDED, REMOVED, REORDERED = "changed", "added", "removed", "reordered"
_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[]+)")


@dataclass(frozen=True)
class Change:
    """One difference: where (`fit_rules[F1].value`), the value before and after, and how."""

    path: str
    before: Any = None
    after: Any = None
    kind: str = CHANGED


def diff_contents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Return the changes that turn `old` into `new`, in document order."""
    return list(_diff(old, new, ""))


def _same(old: Any, new: Any) -> bool:
    return old == new and isinstance(old, bool) == isinstance(new, bool)


def _diff(old: Any, new: Any, path: str) -> Iterator[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _diff_dicts(old, new, path)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path)
    elif not _same(old, new):
        yield Change(path, old, new)


def _diff_lists(old: list[Any], new: list[Any], path: str) -> Iterator[Change]:
    key = _match_key(old, new)
    if key:
        yield from _diff_keyed(old, new, path, key)
    elif _all_dicts(old + new):
        yield from _diff_positional(old, new, path)
    elif not _same(old, new):
        yield Change(path, old, new)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _diff_dicts(old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[Change]:
    for key, value in old.items():
        if key in new:
            yield from _diff(value, new[key], _join(path, key))
        else:
            yield Change(_join(path, key), value, None, REMOVED)
    for key, value in new.items():
        if key not in old:
            yield Change(_join(path, key), None, value, ADDED)


def _all_dicts(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) for item in items)


def _unique_keys(items: list[dict[str, Any]], key: str) -> bool:
    values = [item.get(key) for item in items]
    return all(isinstance(v, (str, int)) for v in values) and len(set(values)) == len(values)


def _match_key(old: list[Any], new: list[Any]) -> str | None:
    if not _all_dicts(old + new):
        return None
    return next((k for k in MATCH_KEYS if _unique_keys(old, k) and _unique_keys(new, k)), None)


def _diff_keyed(old: list[dict], new: list[dict], path: str, key: str) -> Iterator[Change]:
    before = {item[key]: item for item in old}
    after = {item[key]: item for item in new}
    for ident, item in before.items():
        if ident in after:
            yield from _diff(item, after[ident], f"{path}[{ident}]")
        else:
            yield Change(f"{path}[{ident}]", item, None, REMOVED)
    for ident, item in after.items():
        if ident not in before:
            yield Change(f"{path}[{ident}]", None, item, ADDED)
    kept_before = [i for i in before if i in after]
    kept_after = [i for i in after if i in before]
    if kept_before != kept_after:
        yield Change(path, kept_before, kept_after, REORDERED)


def _diff_positional(old: list[Any], new: list[Any], path: str) -> Iterator[Change]:
    for index, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        yield from _diff(a, b, f"{path}[#{index}]")
    for index in range(len(new), len(old)):
        yield Change(f"{path}[#{index + 1}]", old[index], None, REMOVED)
    for index in range(len(old), len(new)):
        yield Change(f"{path}[#{index + 1}]", None, new[index], ADDED)


def _singular(words: str) -> str:
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words


def label_path(path: str) -> str:
    """Return a path as people read it: `fit_rules[F1].value` → "Fit rule F1 › value"."""
    parts: list[str] = []
    for ident, name in _TOKEN.findall(path):
        if name:
            parts.append(name.replace("_", " "))
        elif parts:
            parts[-1] = f"{_singular(parts[-1])} {ident}"
        else:
            parts.append(ident)
    text = " › ".join(parts)
    return text[:1].upper() + text[1:]


def format_value(value: Any) -> str:
    """Return a value as short text: lists joined, a dict by its label, booleans as yes/no."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value) or "(empty)"
    if isinstance(value, dict):
        return _format_dict(value)
    return str(value) or "(empty)"


def _format_dict(value: dict[str, Any]) -> str:
    if "label" in value:
        return format_value(value["label"])
    shown = [
        f"{str(k).replace('_', ' ')}: {format_value(v)}"
        for k, v in value.items()
        if k not in MATCH_KEYS
    ]
    return "; ".join(shown) or "(empty)"


def _list_delta(before: Any, after: Any) -> str:
    if not (isinstance(before, list) and isinstance(after, list)):
        return ""
    if _all_dicts(before + after):
        return ""
    added = [v for v in after if v not in before]
    removed = [v for v in before if v not in after]
    notes = [
        f"{word} {format_value(items)}"
        for word, items in (("added", added), ("removed", removed))
        if items
    ]
    return f" ({'; '.join(notes)})" if notes else ""


def describe_change(change: Change) -> str:
    """Return one line for a change, e.g. "Threshold: 60 → 70" or "Fit rule F3 added: …"."""
    label = label_path(change.path)
    if change.kind == ADDED:
        return f"{label} added: {format_value(change.after)}"
    if change.kind == REMOVED:
        return f"{label} removed: {format_value(change.before)}"
    if change.kind == REORDERED:
        return f"{label} reordered: {format_value(change.before)} → {format_value(change.after)}"
    delta = _list_delta(change.before, change.after)
    return f"{label}: {format_value(change.before)} → {format_value(change.after)}{delta}"
