"""Two writers refreshing facts at once: their rollup updates never deadlock.

A refresh takes the old passes' counts out of the rollups, then puts the new ones in. Two
managers swapping leads between two reps at the same moment cross over: one takes from
rep A's row and adds to rep B's, the other the reverse. Found while probing the load
run's reassignments (issue 6): on PostgreSQL each held the row the other wanted next, and
one move failed with "deadlock detected"."""

from __future__ import annotations

import contextlib
import threading

import pytest

from leaddash.db import write_session
from leaddash.facts import refresh as facts
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import Role
from leaddash.queue.team import reassign_leads
from tests.conftest import make_user
from tests.event_history import activate_sla, facts_table
from tests.queue_factory import lead_now, make_lead
from tests.test_rollups import rollup_rows

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

BOTH_IN_THE_MIDDLE = 3  # seconds the first refresh waits for the other to reach it


def test_two_refreshes_crossing_between_reps_both_commit(engine, monkeypatch):
    activate_sla(engine)
    ana, bo = (make_user(engine, name, Role.REP, team="East") for name in ("ana", "bo"))
    eve, max_ = (
        make_user(engine, name, Role.SALES_MANAGER, team="East") for name in ("eve", "max")
    )
    # Different segments, so nothing but the rep rows is shared between the two leads.
    to_bo = make_lead(engine, ana, first="Ida", segment="SMB")
    to_ana = make_lead(engine, bo, first="Joe", segment="Enterprise")
    with write_session(engine) as session:
        rebuild_all_facts(session)
    middle = threading.Barrier(2, timeout=BOTH_IN_THE_MIDDLE)
    write_passes = facts.write_passes

    def between_out_and_in(session, passes):
        with contextlib.suppress(threading.BrokenBarrierError):
            middle.wait()  # both have taken their old counts out, unless one had to wait
        return write_passes(session, passes)

    monkeypatch.setattr(facts, "write_passes", between_out_and_in)
    outcomes: dict[str, str] = {}

    def move(manager, lead, rep) -> None:
        try:
            with write_session(engine) as session:
                reassign_leads(
                    session, actor=manager, versions={lead.id: lead.version}, owner_id=rep.id
                )
            outcomes[lead.first_name] = "moved"
        except Exception as exc:
            outcomes[lead.first_name] = str(exc).splitlines()[0]

    threads = [
        threading.Thread(target=move, args=(eve, to_bo, bo)),
        threading.Thread(target=move, args=(max_, to_ana, ana)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == {"Ida": "moved", "Joe": "moved"}
    assert (lead_now(engine, to_bo.id).owner_id, lead_now(engine, to_ana.id).owner_id) == (
        bo.id,
        ana.id,
    )
    kept = facts_table(engine), rollup_rows(engine)
    with write_session(engine) as session:
        rebuild_all_facts(session)
    assert (facts_table(engine), rollup_rows(engine)) == kept
