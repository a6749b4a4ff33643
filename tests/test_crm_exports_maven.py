"""Maven Analytics' CRM opportunities loaded the way a new team does it: the teams and
users first, from sales_teams.csv (agents are known by their display names), then the
pipeline through the command line; every figure checked against a plain computation from
the two raw files. An opportunity export has won, lost and open deals but no MQL and no
rep decision: nothing is invented for the SLA or calibration."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from tests.test_crm_exports import (
    IMPORT_MONTH,
    Cli,
    breakdown,
    crm_database,
    events,
    funnel_tables,
    leakage,
    month_before,
    month_span,
    monthly_trend,
    passes,
    password,
    read_export,
    table,
    top_leakage,
    velocity,
    waterfall,
    win_rates,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]
PIPELINE, TEAMS = "sales_pipeline.csv", "sales_teams.csv"
SPANS = [("2016-10-01", "2017-12-31"), ("2017-01-01", "2017-06-30"), ("2017-11-01", "2017-11-30")]


def username(name: str) -> str:
    """Return the username a team gives a person: "Reed Clapper" → "reed.clapper"."""
    return name.lower().replace(" ", ".")


def set_up_teams(cli: Cli) -> None:
    """Create a team per regional office, its managers and its agents (reps named as the
    export names them), as a new team's admin does, keeping what each command said."""
    people = read_export(TEAMS)
    for office in sorted(set(people["regional_office"])):
        cli.outputs[f"team {office}"] = cli.run("create-team", office)
    managers = [
        (m, "sales_manager", office)
        for m, office in zip(people["manager"], people["regional_office"], strict=True)
    ]
    agents = [
        (a, "rep", office)
        for a, office in zip(people["sales_agent"], people["regional_office"], strict=True)
    ]
    for name, role, office in dict.fromkeys([*managers, *agents]):
        cli.outputs[f"user {username(name)}"] = cli.run(
            "create-user",
            username(name),
            "--role",
            role,
            "--team",
            office,
            "--name",
            name,
            stdin=password(),
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def maven(request, tmp_path_factory) -> Iterator[Cli]:
    """Yield the command line over a database holding the teams and the pipeline."""
    with crm_database(request.param, tmp_path_factory.mktemp("maven"), "maven") as cli:
        set_up_teams(cli)
        cli.load("pipeline", PIPELINE, "maven_sales_pipeline.yaml")
        yield cli


def dated(text: pd.Series) -> pd.Series:
    """Return the export's days as UTC times (NaT where empty)."""
    return pd.to_datetime(text.replace("", None), utc=True)


def maven_passes() -> pd.DataFrame:
    """Return each deal's pass: engaged deals created and opportunities on their engage
    date, won or lost on their close date; prospects created and at sql, undated, at the
    import."""
    deals = read_export(PIPELINE)
    engage, close, stage = (
        dated(deals["engage_date"]),
        dated(deals["close_date"]),
        deals["deal_stage"],
    )
    ids, engaged, prospect = deals["opportunity_id"], engage.notna(), stage == "Prospecting"
    at_import = pd.Series(IMPORT_MONTH, index=deals.index[prospect])
    history = pd.concat(
        [
            events(ids[engaged], "inquiry", engage[engaged]),
            events(ids[prospect], "inquiry", engage[prospect], at_import),
            events(ids[prospect], "sql", engage[prospect], at_import),
            events(ids[engaged], "opportunity", engage[engaged]),
            *(
                events(ids[stage == name], ours, close[stage == name])
                for name, ours in (("Won", "won"), ("Lost", "lost"))
            ),
        ]
    )
    office = read_export(TEAMS).set_index("sales_agent")["regional_office"]
    leads = pd.DataFrame(
        {
            "rep": deals["sales_agent"].to_numpy(),
            "team": deals["sales_agent"].map(office).to_numpy(),
            "amount": pd.to_numeric(deals["close_value"]).to_numpy(),
        },
        index=ids,
    )
    return passes(history, leads)


def options(days: tuple[str, str]) -> tuple[str, ...]:
    """Return the report options of a span of days."""
    return ("--from", days[0], "--to", days[1])


def test_every_deal_finds_its_agent_by_display_name(maven):
    deals = read_export(PIPELINE)
    changes = (
        (deals["engage_date"] != "").sum()
        + (deals["close_date"] != "").sum()
        + (deals["deal_stage"] == "Prospecting").sum()
    )

    people = read_export(TEAMS)
    said = {key: out for key, out in maven.outputs.items() if key != "pipeline"}
    assert said == {
        **{f"team {o}": (0, f"Created team {o!r}.\n", "") for o in people["regional_office"]},
        **{
            f"user {username(m)}": (0, f"Created sales_manager {username(m)!r}.\n", "")
            for m in people["manager"]
        },
        **{
            f"user {username(a)}": (0, f"Created rep {username(a)!r}.\n", "")
            for a in people["sales_agent"]
        },
    }
    assert maven.outputs["pipeline"] == (
        0,
        (
            f"Imported {PIPELINE}: {len(deals)} new leads, 0 updated, 0 unchanged. {changes} stage "
            "changes of their history recorded at their own dates.\n"
        ),
        "",
    )


@pytest.mark.parametrize("days", SPANS)
def test_the_funnel_matches_the_raw_files(maven, days):
    expected, span = maven_passes(), month_span(*days)

    shown = maven.report("funnel", *options(days))

    actual, figures = funnel_tables(shown, expected, span)
    assert actual == figures
    assert table(shown["monthly_trend"], ("month", "stage")) == table(
        monthly_trend(expected, span), ("month", "stage")
    )


def test_over_every_month_lost_deals_leak_after_opportunity_and_open_ones_are_in_progress(maven):
    expected = maven_passes()

    shown = maven.report("funnel")

    assert table(shown["leakage"], ("pair", "cause")) == table(leakage(expected), ("pair", "cause"))
    assert table(shown["velocity"], ("pair",)) == table(velocity(expected), ("pair",))


def test_prospects_without_dates_are_at_sql_and_did_not_go_past_it(maven):
    expected = maven_passes()

    shown = maven.report("funnel")

    assert table(shown["waterfall"], ("stage",)) == table(waterfall(expected), ("stage",))


@pytest.mark.parametrize(("by", "column"), [("rep", "rep"), ("team", "team")])
def test_each_agent_and_office_has_its_funnel(maven, by, column):
    days = SPANS[0]

    shown = maven.report("funnel", "--by", by, *options(days))[f"by_{by}"]

    assert table(shown, ("label", "stage"), drop=("value",)) == table(
        breakdown(maven_passes(), column, month_span(*days)), ("label", "stage")
    )


@pytest.mark.parametrize("days", [None, SPANS[1]])
def test_win_rate_by_agent_counts_closed_deals_and_shows_open_ones_apart(maven, days):
    span = None if days is None else month_span(*days)

    shown = maven.report("funnel", "--by", "rep", *(options(days) if days else ()))

    assert table(shown["win_rate"], ("label",), drop=("value",)) == table(
        win_rates(maven_passes(), "rep", span), ("label",)
    )


def test_no_mql_and_no_decision_is_invented_for_an_opportunity_export(maven):
    shown = {name: maven.report(name) for name in ("sla", "calibration")}

    assert shown["sla"] == {
        "scorecard_by_month": [],
        "mql_volume": [],
        "speed_to_lead": [],  # no MQL: nothing to time
        "speed_by_response_band": [],
    }
    assert shown["calibration"] == {
        "calibration": [],
        "reason_mix": [],
        "high_score_disqualified": [],
    }


@pytest.mark.parametrize("month", ["2017-03-01", "2017-08-01"])
def test_the_monthly_review_matches_the_raw_files(maven, month):
    expected, key = maven_passes(), int(month[:4] + month[5:7])

    shown = maven.report("review", "--from", month)

    numbers = {row["metric"]: row["this_month"] for row in shown["key_numbers"]}
    assert numbers == dict.fromkeys(numbers, None)
    assert table(shown["funnel"], ("stage",)) == table(waterfall(expected, (key, key)), ("stage",))
    assert shown["top_leakage"] == top_leakage(expected, key, month_before(key))
    assert shown["flagged_reps"] == []
