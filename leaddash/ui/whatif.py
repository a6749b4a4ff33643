"""Drawing helpers for the what-if replay page; the replay itself is leaddash.whatif.replay.

The replay rescores every lead of the window and takes seconds at scale, so it runs only
when the button is pressed. The last run is kept in st.session_state under the choices
that produced it (user, both versions with their edit counters, the window): reruns of
the page redraw it, and any changed choice, or an edit to either version, asks for a new
run instead of showing a stale answer. Nothing is shared between users or written back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import streamlit as st

from leaddash.agreements import VersionRow, list_versions
from leaddash.charts import score_band_chart, whatif_mqls_chart
from leaddash.core.actor import Actor
from leaddash.models import AgreementKind, AgreementStatus, utcnow
from leaddash.ui.agreements.workflow import label
from leaddash.ui.resources import reading
from leaddash.ui.seam import read_now, shown_errors
from leaddash.whatif import WhatIfResult, replay

LAST_RUN_KEY = "whatif_last_run"
WINDOW_MONTHS = 6
NO_VERSIONS = (
    "There is no lead definition yet. Draft one on the Lead definition page, then "
    "come back to try it on past leads."
)
EMPTY_WINDOW = "No leads were created in this window — widen the dates."


@dataclass(frozen=True)
class Choice:
    """What to replay: the version tried, the version it is compared against, the window."""

    version: VersionRow
    against: VersionRow
    since: date
    until: date

    def key(self, actor: Actor) -> tuple[Any, ...]:
        """Return what the answer depends on, edits to either version included."""
        return (
            actor.username,
            self.version.id,
            self.version.version,
            self.against.id,
            self.against.version,
            self.since,
            self.until,
        )


@dataclass(frozen=True)
class Run:
    """One replay as the page keeps it: what was asked, the answer, how long it took."""

    key: tuple[Any, ...]
    result: WhatIfResult
    seconds: float
    at: datetime


def default_window(today: date, months: int = WINDOW_MONTHS) -> tuple[date, date]:
    """Return the last `months` full calendar months before `today`'s, first and last day."""
    until = today.replace(day=1) - timedelta(days=1)
    first = until.year * 12 + until.month - months
    return date(first // 12, first % 12 + 1, 1), until


def read_versions(actor: Actor) -> list[VersionRow]:
    """Return every lead definition version, newest first; stop the page when there is none."""
    rows = read_now(lambda s: list_versions(s, actor=actor, kind=AgreementKind.DEFINITION))
    if not rows:
        st.info(NO_VERSIONS, icon=":material/rule:")
        st.stop()
    return rows


def _default_ids(rows: list[VersionRow]) -> tuple[int, int]:
    active = next((r for r in rows if r.status == AgreementStatus.ACTIVE), None)
    tried = next((r for r in rows if r is not active), rows[0])
    return tried.id, (active or rows[-1]).id


def show_choice(rows: list[VersionRow]) -> Choice:
    """Draw the version pickers and the window; return the choice (stop when incomplete)."""
    by_id = {r.id: r for r in rows}
    tried, against = _default_ids(rows)
    ids = list(by_id)
    a, b = st.columns(2)
    version = a.selectbox(
        "Definition version to try",
        ids,
        index=ids.index(tried),
        format_func=lambda i: label(by_id[i]),
        key="whatif_version",
        help="Any version: a draft, a proposal, the active one or a retired one.",
    )
    base = b.selectbox(
        "Compare against",
        ids,
        index=ids.index(against),
        format_func=lambda i: label(by_id[i]),
        key="whatif_against",
        help="Defaults to the version in force now.",
    )
    start, end = default_window(utcnow().date())
    c, d = st.columns(2)
    since = c.date_input(
        "Leads created from",
        start,
        key="whatif_since",
        help="Defaults to the last six full months.",
    )
    until = d.date_input("Leads created until (included)", end, key="whatif_until")
    if not isinstance(since, date) or not isinstance(until, date):
        st.info("Pick the first and the last day of the window.", icon=":material/date_range:")
        st.stop()
    if version == base:
        number = by_id[version].number
        st.info(
            f"Both pickers name v{number}: pick another version to compare it with."
            if len(rows) > 1
            else f"v{number} is the only lead definition so far: draft a "
            "change on the Lead definition page to compare it with.",
            icon=":material/compare_arrows:",
        )
        st.stop()
    return Choice(by_id[version], by_id[base], since, until)


def _replayed(actor: Actor, choice: Choice) -> Run:
    tried, against = choice.version.number, choice.against.number
    with st.spinner(
        f"Scoring the leads created from {choice.since:%-d %b %Y} to "
        f"{choice.until:%-d %b %Y} with v{tried} and v{against}…"
    ):
        began = time.perf_counter()
        with reading() as session:
            result = replay(
                session,
                actor=actor,
                version_id=choice.version.id,
                against_id=choice.against.id,
                since=choice.since,
                until=choice.until,
            )
    return Run(choice.key(actor), result, time.perf_counter() - began, utcnow())


def run_replay(actor: Actor, choice: Choice) -> Run | None:
    """Draw the run button; return the run for this choice (new or kept), or None."""
    clicked = st.button("Run the replay", type="primary", icon=":material/play_arrow:")
    if clicked:
        with shown_errors():
            st.session_state[LAST_RUN_KEY] = _replayed(actor, choice)
    last = st.session_state.get(LAST_RUN_KEY)
    if last is not None and last.key == choice.key(actor):
        return last
    if not clicked:  # when clicked and still no answer, the error is already shown
        st.info(
            "Press **Run the replay** to score the window's leads with both versions"
            + (" (the choices changed since the last run)." if last else "."),
            icon=":material/play_circle:",
        )
    return None


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _names(result: WhatIfResult) -> dict[str, str]:
    return {"candidate": f"v{result.candidate.number}", "baseline": f"v{result.baseline.number}"}


def conclusion(result: WhatIfResult) -> str:
    """Return the comparison in one plain sentence (MQLs a month, precision, won deals)."""
    tried, base = _names(result).values()
    mqls = result.outcomes["candidate"].mqls - result.outcomes["baseline"].mqls
    per_month = round(mqls / max(len(result.mqls), 1))
    volume = (
        f"{tried} would have passed about as many MQLs a month as {base}"
        if per_month == 0
        else f"{tried} would have passed {abs(per_month):,} "
        f"{'more' if per_month > 0 else 'fewer'} MQLs a month"
    )
    precision = result.precision
    quality = (
        f"sales validated {_pct(precision['candidate'])} of its MQLs against "
        f"{_pct(precision['baseline'])} for {base}"
    )
    if precision["candidate"] is None:
        quality = "sales decided none of its MQLs"
    caught, won = result.won_caught, result.won_caught["candidate"] + result.won_missed["candidate"]
    deals = (
        f"it would have caught {caught['candidate']:,} of the {won:,} won deals "
        f"({base}: {caught['baseline']:,})"
    )
    return f"{volume}; {quality}; {deals}." if won else f"{volume}; {quality}."


def _gap(tried: float | None, base: float | None, scale: float = 1.0) -> float | None:
    return None if tried is None or base is None else (tried - base) * scale


@dataclass(frozen=True)
class Measure:
    """One metric tile: the tried version's value, its gap to the other version, and why."""

    name: str
    value: str
    gap: float | None
    unit: str
    against: str
    note: str
    judged: bool = True  # False: more is neither better nor worse (MQL volume)


def _measures(result: WhatIfResult) -> list[Measure]:
    base = _names(result)["baseline"]
    tried_o, base_o = result.outcomes["candidate"], result.outcomes["baseline"]
    won = tried_o.won_caught + tried_o.won_missed
    return [
        Measure(
            "Precision",
            _pct(tried_o.precision),
            _gap(tried_o.precision, base_o.precision, 100),
            " pts",
            f"vs {_pct(base_o.precision)} for {base}",
            "Of its MQLs that sales decided, the share they validated.",
        ),
        Measure(
            "Recall",
            _pct(tried_o.recall),
            _gap(tried_o.recall, base_o.recall, 100),
            " pts",
            f"vs {_pct(base_o.recall)} for {base}",
            "Of the leads sales validated, the share it would have passed.",
        ),
        Measure(
            "Won deals caught",
            f"{tried_o.won_caught:,} of {won:,}",
            _gap(tried_o.won_caught, base_o.won_caught),
            "",
            f"vs {base_o.won_caught:,} for {base}",
            f"Won deals it would have passed as MQLs; it misses {tried_o.won_missed:,}.",
        ),
        Measure(
            "MQLs",
            f"{tried_o.mqls:,}",
            _gap(tried_o.mqls, base_o.mqls),
            "",
            f"vs {base_o.mqls:,} for {base}",
            f"Of {result.leads:,} leads created in the window.",
            judged=False,
        ),
    ]


def _show_metrics(result: WhatIfResult) -> None:
    for column, m in zip(st.columns(4), _measures(result), strict=True):
        level = m.gap is None or round(m.gap) == 0
        column.metric(
            m.name,
            m.value,
            None if m.gap is None else f"{m.gap:+,.0f}{m.unit}",
            help=m.note,
            border=True,
            delta_description=m.against,
            delta_color="off" if level or not m.judged else "normal",
        )


def show_result(run: Run) -> None:
    """Draw one replay: conclusion, metrics, MQLs per month, overlap and score bands."""
    result, names = run.result, _names(run.result)
    if result.leads == 0:
        st.info(EMPTY_WINDOW, icon=":material/date_range:")
        return
    st.caption(f"Replayed {result.leads:,} leads in {run.seconds:.1f} s (at {run.at:%H:%M} UTC).")
    st.markdown(f"**{conclusion(result)}**")
    _show_metrics(result)
    st.altair_chart(
        whatif_mqls_chart(
            result.mqls, names, f"MQLs per month: {names['candidate']} and {names['baseline']}"
        )
    )
    overlap = result.overlap
    st.markdown(
        f"**Overlap** — both: {overlap.both:,} · only {names['candidate']}: "
        f"{overlap.only_candidate:,} · only {names['baseline']}: "
        f"{overlap.only_baseline:,} · neither: {overlap.neither:,}"
    )
    st.altair_chart(
        score_band_chart(
            result.by_score_band, f"Validation rate by {names['candidate']} score band"
        )
    )
    st.caption(
        "Each bar: of the band's leads that sales decided (n), the share they "
        "validated; a band without a bar had no decisions. A trustworthy score "
        "validates more as it rises."
    )
