"""The worker's lease: with two workers over one database exactly one sends, the other
takes over when the lease runs out; and `python -m leaddash worker --once`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import SQLModel

from leaddash.cli import main
from leaddash.db import make_engine, write_session
from leaddash.models import Role
from leaddash.notify import Event, notify
from leaddash.notify.admin import add_webhook
from leaddash.notify.preferences import save_my_notifications
from leaddash.notify_tables import OutboxStatus
from leaddash.worker import LEASE_TTL, run_forever, run_pass, take_lease
from tests.notify_factory import outbox, person, utc
from tests.notify_servers import webhook_server

pytestmark = pytest.mark.postgresql  # the lease is a race between transactions

NOW = utc("2026-12-07 15:00")


@pytest.fixture
def second_engine(engine):
    """Another engine on the same database: a second app instance."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def test_of_two_workers_only_the_lease_holder_sends(engine, second_engine):
    admin = person(engine, "ada", Role.ADMIN)
    rep = person(engine, "ana", Role.REP, team="East")
    with webhook_server() as hook:
        with write_session(engine) as session:
            add_webhook(session, actor=admin, name="alerts", kind="slack", url=hook.url)
        with write_session(engine) as session:
            save_my_notifications(
                session,
                actor=rep,
                by_email=[],
                by_webhook={Event.SLA_WARNING: "alerts"},
                business_hours_only=False,
            )
            notify(
                session,
                event=Event.SLA_WARNING,
                user_ids=[rep.id],
                subject="Due soon",
                text="Dora Lee",
                dedupe_key="w1",
                now=NOW,
            )

        first = run_pass(engine, holder="a", now=NOW, jobs=[])
        second = run_pass(second_engine, holder="b", now=NOW, jobs=[])

    assert (first.leader, first.sent) == (True, 1)
    assert (second.leader, second.sent) == (False, 0)
    assert len(hook.posts) == 1
    assert outbox(engine)[0].status == OutboxStatus.SENT


def test_the_lease_is_renewed_by_its_holder_and_taken_over_once_it_runs_out(engine, second_engine):
    later = NOW + LEASE_TTL - timedelta(seconds=1)
    expired = later + LEASE_TTL + timedelta(seconds=1)

    taken = take_lease(engine, holder="a", now=NOW)
    refused = take_lease(second_engine, holder="b", now=NOW + timedelta(seconds=5))
    renewed = take_lease(engine, holder="a", now=later)
    still_refused = take_lease(second_engine, holder="b", now=later + timedelta(seconds=5))
    taken_over = take_lease(second_engine, holder="b", now=expired)
    lost = take_lease(engine, holder="a", now=expired)

    assert (taken, refused, renewed, still_refused) == (True, False, True, False)
    assert (taken_over, lost) == (True, False)


def test_two_workers_racing_for_a_free_lease_get_it_once(engine, second_engine):
    start = threading.Barrier(2)
    won: dict[str, bool] = {}

    def race(name, eng):
        start.wait()
        won[name] = take_lease(eng, holder=name, now=NOW)

    threads = [
        threading.Thread(target=race, args=("a", engine)),
        threading.Thread(target=race, args=("b", second_engine)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(won.values()) == [False, True]


def test_a_failing_job_is_reported_and_the_others_still_run(engine):
    ran = []

    def broken(session, now):
        raise RuntimeError("the sweep's query failed")

    report = run_pass(
        engine, holder="a", now=NOW, jobs=[broken, lambda s, now: ran.append(now)], password=None
    )

    assert report.job_errors == ["broken: the sweep's query failed"]
    assert ran == [NOW]


def test_worker_once_runs_one_pass_and_exits_0(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)

    code = main(["worker", "--once"])

    assert code == 0
    assert capsys.readouterr().out == "Sent 0, retrying 0, failed 0.\n"


def test_the_running_worker_passes_until_stopped_then_gives_the_lease_up(engine, monkeypatch):
    stop, seen = threading.Event(), []

    def last_job(session, now):
        seen.append(now)
        stop.set()

    monkeypatch.setattr("leaddash.worker.PERIODIC_JOBS", [last_job])

    run_forever(engine, stop, holder="a", interval=0)

    assert len(seen) == 1
    assert take_lease(engine, holder="b", now=seen[0])  # released: free at once


def test_the_server_starts_its_worker_unless_told_not_to(tmp_path, monkeypatch):
    from leaddash.ui import serve

    started = []
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setattr(serve, "start_background_worker", started.append)

    off = serve.start_worker({"LEADDASH_WORKER": "0"})
    on = serve.start_worker({})

    assert (off, on) == (False, True)
    assert [str(e.url) for e in started] == [f"sqlite:///{tmp_path / 'serve.db'}"]
