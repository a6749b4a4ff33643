"""The worker: each pass runs the periodic jobs (signed versions whose start has come take
effect, the SLA sweep and its alerts, the daily digest, the periodic review), then sends
the due outbox rows. It sits above the services it runs (agreements, rescoring, queue,
notify), so it is a module of its own rather than part of notify.

Several app instances may run a worker over one database; a lease row lets exactly one of
them work at a time. A worker takes the lease when it is free or expired, renews it each
pass, and a worker that does not hold it does nothing. The lease is taken by one atomic
UPDATE (or INSERT … ON CONFLICT DO NOTHING the first time), so two workers racing cannot
both win. Network I/O happens outside any write transaction: sending holds no lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from leaddash.agreements import start_due_versions
from leaddash.config import smtp_password
from leaddash.db import read_session, write_session
from leaddash.models import AgreementKind, AgreementVersion, table_of, utcnow
from leaddash.notify.delivery import DeliveryError
from leaddash.notify.jobs import daily_digest, periodic_review
from leaddash.notify.outbox import deliver, due_rows, read_channels, record_failure, record_sent
from leaddash.notify_tables import OutboxStatus, WorkerLease
from leaddash.queue.sla_sweep import alert_job
from leaddash.rescoring import rescore

LEASE_NAME = "notify"
LEASE_TTL = timedelta(seconds=90)
PASS_INTERVAL_SECONDS = 30.0
Job = Callable[[Session, datetime], object]
log = logging.getLogger(__name__)


def start_scheduled_versions(session: Session, now: datetime) -> int:
    """Return how many signed versions whose start has come were made active now (a
    definition's open leads rescored under it, as signing it at once would have)."""

    def rescore_now(session: Session, version: AgreementVersion) -> object:
        return rescore(session, version, as_of=now)

    hooks = {AgreementKind.DEFINITION.value: rescore_now}
    return len(start_due_versions(session, now=now, on_activate=hooks))


# Scheduled versions start first, so the sweep judges by the terms in force; the SLA sweep
# before the digest, so the digest written in the same pass counts its fresh breaches.
PERIODIC_JOBS: list[Job] = [start_scheduled_versions, alert_job, daily_digest, periodic_review]


def new_holder() -> str:
    """Return a name for this worker unique among instances: host, process, random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(
    engine: Engine,
    *,
    holder: str,
    now: datetime,
    ttl: timedelta = LEASE_TTL,
    name: str = LEASE_NAME,
) -> bool:
    """Return True when `holder` holds the lease until now + ttl (taken or renewed)."""
    table = table_of(WorkerLease)
    until = now + ttl
    with write_session(engine) as session:
        conn = session.connection()
        renewed = conn.execute(
            update(table)
            .where(table.c.name == name)
            .where((table.c.holder == holder) | (table.c.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
        if renewed.rowcount:
            return True
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        created = conn.execute(
            insert(table)
            .values(name=name, holder=holder, expires_at=until)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(table.c.name)
        )
        return created.first() is not None


def release_lease(engine: Engine, *, holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up now (a worker stopping), so another takes it at its next pass."""
    table = table_of(WorkerLease)
    with write_session(engine) as session:
        session.connection().execute(
            update(table)
            .where(table.c.name == name, table.c.holder == holder)
            .values(expires_at=utcnow() - LEASE_TTL)
        )


@dataclass
class PassReport:
    """What one pass did: whether it held the lease, jobs that failed, rows sent and failed."""

    leader: bool
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    job_errors: list[str] = field(default_factory=list)


def run_jobs(engine: Engine, jobs: Sequence[Job], now: datetime, report: PassReport) -> None:
    """Run each job in its own write transaction; one that fails is logged and the rest run."""
    for job in jobs:
        try:
            with write_session(engine) as session:
                job(session, now)
        except Exception as exc:
            log.exception("Notification job %s failed", getattr(job, "__name__", job))
            report.job_errors.append(f"{getattr(job, '__name__', job)}: {exc}")


def send_due(engine: Engine, now: datetime, report: PassReport, password: str | None) -> None:
    """Send every due row and record each outcome in its own short transaction."""
    with read_session(engine) as session:
        rows = due_rows(session, now)
        channels = read_channels(session, password)
    for row in rows:
        try:
            deliver(row, channels)
        except DeliveryError as exc:
            with write_session(engine) as session:
                status = record_failure(session, row, exc.reason, now)
            if status == OutboxStatus.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
            continue
        with write_session(engine) as session:
            record_sent(session, row.id or 0, now)
        report.sent += 1


def run_pass(
    engine: Engine,
    *,
    holder: str,
    now: datetime | None = None,
    jobs: Sequence[Job] | None = None,
    password: str | None = None,
) -> PassReport:
    """Return what one pass did: nothing unless `holder` holds the lease; else the periodic
    jobs (PERIODIC_JOBS by default), then the due rows sent."""
    now = now or utcnow()
    if not take_lease(engine, holder=holder, now=now):
        return PassReport(leader=False)
    report = PassReport(leader=True)
    run_jobs(engine, PERIODIC_JOBS if jobs is None else jobs, now, report)
    send_due(engine, now, report, smtp_password() if password is None else password)
    return report


def run_forever(
    engine: Engine,
    stop: threading.Event,
    *,
    holder: str | None = None,
    interval: float = PASS_INTERVAL_SECONDS,
) -> None:
    """Run a pass every `interval` seconds until `stop` is set, then release the lease."""
    me = holder or new_holder()
    while not stop.is_set():
        try:
            run_pass(engine, holder=me)
        except Exception:
            log.exception("Notification worker pass failed")
        stop.wait(interval)
    release_lease(engine, holder=me)


def start_background_worker(engine: Engine) -> threading.Thread:
    """Start the worker in a daemon thread of this process (it ends with the process)."""
    thread = threading.Thread(
        target=run_forever,
        args=(engine, threading.Event()),
        name="leaddash-notify-worker",
        daemon=True,
    )
    thread.start()
    return thread
