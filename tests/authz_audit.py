"""The matrix's reads of the audit trail: a page of it, its CSV and its person filter. An
allowed read shows every row the world's building left in the trail, and every user."""

from __future__ import annotations

import csv
import io

from leaddash.audit_trail import audit_csv, audit_page, audit_people
from leaddash.models import AuditLog, User
from tests.authz_actions import Cell, action


def _every_entry(cell: Cell) -> set[int]:
    return {row.id for row in cell.rows(AuditLog)}


def _csv_ids(data: bytes) -> set[int]:
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


action(
    "read the audit trail",
    lambda s, c: audit_page(s, actor=c.actor, limit=100_000),
    lambda c, r, o: {int(i) for i in r.rows["id"]} == _every_entry(c),
    audit_page,
)
action(
    "download the audit trail",
    lambda s, c: audit_csv(s, actor=c.actor),
    lambda c, r, o: _csv_ids(r) == _every_entry(c),
    audit_csv,
)
action(
    "list the people of the audit trail",
    lambda s, c: audit_people(s, actor=c.actor),
    lambda c, r, o: {i for i, _ in r} == {u.id for u in c.rows(User)},
    audit_people,
)
