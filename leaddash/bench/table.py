"""The benchmark report as text: one row per measurement (cold and warm times, memory, each
against its limit), then the overall peak memory and which limits were met."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

OK = {True: "yes", False: "NO", None: ""}
HEADER = (
    f"{'measurement':<22} {'seconds':>8} {'limit':>5} {'ok':>3} {'warm':>6} {'limit':>5} "
    f"{'ok':>3} {'peak MiB':>8} {'ok':>3}  details"
)
# (what is judged, the row's value, its limit, its verdict, the unit it is printed in)
CHECKS = (
    ("cold", "seconds", "limit_seconds", "seconds_ok", "s"),
    ("warm", "warm_seconds", "warm_limit_seconds", "warm_ok", "s"),
    ("memory", "peak_rss_mb", "memory_limit_mb", "memory_ok", " MiB"),
)


def _number(value: float | None, width: int, digits: int = 2) -> str:
    return f"{'':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _limit(value: float | None) -> str:
    return f"{'':>5}" if value is None else f"{value:>5g}"


def _details(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"FAILED: {row['error'].splitlines()[0]}"  # the JSON keeps all of it
    return ", ".join(
        f"{k}={v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k}={v}"
        for k, v in row["details"].items()
    )


def format_row(row: dict[str, Any]) -> str:
    """Return one measurement as a line of the table."""
    return (
        f"{row['name']:<22} {_number(row['seconds'], 8)} {_limit(row['limit_seconds'])} "
        f"{OK[row.get('seconds_ok')]:>3} {_number(row.get('warm_seconds'), 6, 3)} "
        f"{_limit(row.get('warm_limit_seconds'))} {OK[row.get('warm_ok')]:>3} "
        f"{_number(row['peak_rss_mb'], 8, 0)} {OK[row.get('memory_ok')]:>3}  "
        f"{_details(row)}"
    )


def memory_line(rows: Sequence[dict[str, Any]]) -> str:
    """Return the highest peak memory of any measurement and the rows over their limit."""
    if not rows:
        return "Peak memory: nothing was measured."
    top = max(rows, key=lambda r: r["peak_rss_mb"])
    over = [
        f"{r['name']} ({r['peak_rss_mb']:.0f} MiB)" for r in rows if r.get("memory_ok") is False
    ]
    verdict = (
        f"over the limit: {', '.join(over)}"
        if over
        else "every measurement held to a memory limit stayed within it"
    )
    return f"Peak memory: {top['peak_rss_mb']:.0f} MiB at most ({top['name']}); {verdict}."


def limits_line(rows: Sequence[dict[str, Any]]) -> str:
    """Return how many limits were met, naming each one missed and each failed run."""
    met, missed = 0, []
    for row in rows:
        if row.get("error"):
            missed.append(f"{row['name']} failed")
            continue
        for label, value, limit, verdict, unit in CHECKS:
            if row.get(verdict) is True:
                met += 1
            elif row.get(verdict) is False:
                missed.append(f"{row['name']} {label} {row[value]:g}{unit} > {row[limit]:g}{unit}")
    total = met + len(missed)
    tail = f"; missed: {', '.join(missed)}" if missed else ""
    return f"Limits met: {met} of {total}{tail}."


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Return the measurements as a text table (seconds = the cold render for pages, warm =
    median of warm reruns), then the overall peak memory and the limits met."""
    lines = [HEADER, *(format_row(row) for row in rows), "", memory_line(rows), limits_line(rows)]
    return "\n".join(lines)
