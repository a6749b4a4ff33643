"""The worker's pass, end to end: a lead past its warning point is mailed to its owner once,
a breach to the owner and the team's manager, through a real SMTP server; the alert step
and its notification are written together. Times are hand-computed in the SLA's New York
business hours (Mon–Fri 09:00–17:00) and handed to each pass: nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.models import AgreementKind, Lead, Role
from leaddash.notify.admin import save_smtp_settings
from leaddash.notify_tables import TlsMode
from leaddash.worker import run_pass
from tests.notify_factory import person
from tests.notify_servers import smtp_server
from tests.pass_factory import activate
from tests.test_sla_sweep import add_lead, local, sla

pytestmark = pytest.mark.postgresql  # the sweep's conditional UPDATE differs by backend

MINUTE = timedelta(minutes=1)
# MQL Friday 16:00: one business hour that day, so the 4-hour first touch is due Monday
# 12:00, and 75% of it (3 hours) has gone Monday 11:00.
WARNING = local("2026-03-09 11:00")
DUE = local("2026-03-09 12:00")


def _sla_mail(inbox) -> list[tuple[str, str]]:
    """Return (recipient, subject) of each SLA email received, in order."""
    return [
        (to[0], message["Subject"])
        for to, message in inbox.received
        if message["Subject"].startswith("SLA ")
    ]


def test_a_warning_goes_to_the_owner_once_and_a_breach_to_owner_and_manager(engine):
    admin = person(engine, "ada", Role.ADMIN)
    rep = person(engine, "ana", Role.REP, team="East")
    person(engine, "max", Role.SALES_MANAGER, team="East")
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rep)

    with smtp_server() as inbox:
        with write_session(engine) as session:
            save_smtp_settings(
                session,
                actor=admin,
                host="127.0.0.1",
                port=inbox.port,
                tls=TlsMode.NONE,
                sender="leaddash@example.com",
                app_url="https://leaddash.example.com",
            )
        seen = {}
        for moment, now in [
            ("before warning", WARNING - MINUTE),
            ("warning", WARNING + MINUTE),
            ("again", WARNING + 2 * MINUTE),
            ("breach", DUE + MINUTE),
        ]:
            run_pass(engine, holder="worker", now=now, password=None)
            seen[moment] = _sla_mail(inbox)
            inbox.received.clear()

    assert seen["before warning"] == []
    assert [to for to, _ in seen["warning"]] == ["ana@example.com"]
    assert "warning" in seen["warning"][0][1] and "Ann Lee" in seen["warning"][0][1]
    assert seen["again"] == []
    assert sorted(to for to, _ in seen["breach"]) == ["ana@example.com", "max@example.com"]
    with read_session(engine) as session:
        assert session.exec(select(Lead.touch_alert_step).where(Lead.id == lead_id)).one() == 2
