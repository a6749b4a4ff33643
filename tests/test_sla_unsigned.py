"""Before any SLA is signed nobody agreed to a target: the figures are shown, none judged."""

from __future__ import annotations

from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import scorecard, volume_vs_target
from leaddash.db import read_session
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import SLA, activate, add_pass, at, small_sla

NOW = at("2026-03-20 15:00")


def _history(engine) -> None:
    add_pass(
        engine,
        "Ann",
        mql_at="2026-02-02 15:00",
        validated_at="2026-02-03 15:00",
        decided_at="2026-02-03 15:00",
        segment="SMB",
    )
    add_pass(engine, "Bob", mql_at="2026-02-04 15:00", segment="SMB")


def test_without_a_signed_sla_no_figure_is_judged_against_a_target(engine):
    boss = make_user(engine, "boss", Role.ADMIN)
    _history(engine)

    with read_session(engine) as session:
        card = scorecard(session, actor=boss, filters=Filters(), now=NOW)
        volume = volume_vs_target(session, actor=boss, filters=Filters(), now=NOW)

    february = card[card["key"] == 202602]
    assert february.set_index("metric").loc["mql_volume", "value"] == 2
    assert february.set_index("metric").loc["validation_rate", "value"] == 1.0
    assert february["target"].isna().all() and february["met"].isna().all()
    assert volume[["month", "mqls"]].values.tolist() == [[202602, 2]]
    assert volume["target"].isna().all() and volume["met"].isna().all()


def test_once_an_sla_is_signed_its_targets_judge_the_same_figures(engine):
    boss = make_user(engine, "boss", Role.ADMIN)
    _history(engine)
    activate(engine, SLA, small_sla())

    with read_session(engine) as session:
        volume = volume_vs_target(session, actor=boss, filters=Filters(), now=NOW)

    total = volume[volume["segment"] == "All segments"]
    assert (total["target"].tolist(), total["met"].tolist()) == ([3.0], [False])
