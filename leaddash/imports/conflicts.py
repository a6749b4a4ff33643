"""Rows of one lead file that collide: two rows meaning one lead, or one email for two leads.

The external id decides which lead a row is; the email matches a row to a stored lead only
when its id is empty or new (see lookup.matched_ids). An import never gives an email to a
lead while another lead has it, or another row gives it to a different lead: one person
is one lead, and activity and outcome files without ids find their lead by email.
Only the rows in conflict are visited one by one, to word their problem.
"""

from __future__ import annotations

import pandas as pd

from leaddash.imports.checks import Checker, Problem, lead_keys
from leaddash.imports.reading import FIRST_DATA_ROW

ONE_PERSON = "One person is one lead:"


def flag_conflicts(
    check: Checker, values: pd.DataFrame, ids: pd.Series, stored: pd.DataFrame
) -> None:
    """Note every row that would update the same lead as another row, and every row that
    would give a lead an email another lead has, or gets from another row of the file."""
    keys = lead_keys(values["external_id"], values["email"])
    targets = ("lead:" + ids.astype(str)).where(ids.notna(), keys)
    flag_same_lead(check, values, ids, stored, keys, targets)
    before = ids.map(stored["email_key"]).astype(object)
    giving = values["email_key"].notna() & (values["email_key"] != before)
    flag_taken_emails(check, values, ids, stored, giving)
    flag_shared_emails(check, values, targets, giving)


def _numbers(rows: pd.Index) -> str:
    return ", ".join(str(int(r) + FIRST_DATA_ROW) for r in rows)


def _lead(stored: pd.DataFrame, lead_id: int) -> str:
    """Return how a person recognizes the stored lead: its id, else its email."""
    external_id, email = stored.at[lead_id, "external_id"], stored.at[lead_id, "email_key"]
    return f"{external_id!r}" if pd.notna(external_id) else f"with email {email!r}"


def flag_same_lead(
    check: Checker,
    values: pd.DataFrame,
    ids: pd.Series,
    stored: pd.DataFrame,
    keys: pd.Series,
    targets: pd.Series,
) -> None:
    """Note rows that share a key, or match one stored lead by different keys."""
    repeated = targets[targets.notna() & targets.duplicated(keep=False)]
    for rows in repeated.groupby(repeated).groups.values():
        if keys[rows].nunique() == 1:
            field, value = str(keys[rows[0]]).split(":", 1)
            column = check.column("external_id" if field == "id" else "email")
            check.problems += [
                Problem(
                    int(r) + FIRST_DATA_ROW,
                    column,
                    f"Rows {_numbers(rows)} all have {value!r}, so they would update the same "
                    "lead.",
                    "Keep one of them (merge the values by hand) and remove the others.",
                )
                for r in rows
            ]
            continue
        lead_id = int(ids[rows[0]])
        lead, lead_external_id = _lead(stored, lead_id), stored.at[lead_id, "external_id"]
        check.problems += [
            Problem(
                int(r) + FIRST_DATA_ROW,
                check.column(
                    "external_id" if values.at[r, "external_id"] == lead_external_id else "email"
                ),
                f"Rows {_numbers(rows)} all match the stored lead {lead} (by id or by "
                "email), so they would update the same lead.",
                f"{ONE_PERSON} keep one of the rows (merge the values by hand) and remove the "
                "others, or correct the email of a row that is a different person.",
            )
            for r in rows
        ]


def flag_taken_emails(
    check: Checker, values: pd.DataFrame, ids: pd.Series, stored: pd.DataFrame, giving: pd.Series
) -> None:
    """Note rows that would give their lead an email a different stored lead has."""
    if not giving.any():
        return
    holders = stored[stored["email_key"].notna()].groupby("email_key")["id"].min()
    holder = values["email_key"][giving].map(holders)
    for row in holder.index[holder.notna()]:
        email, other = values.at[row, "email"], _lead(stored, int(holder[row]))
        if pd.isna(ids[row]):
            problem = (
                f"{email!r} is already the email of the stored lead {other}, and "
                f"this row's id {values.at[row, 'external_id']!r} is new."
            )
            fix = (
                f"{ONE_PERSON} if it is the same person, write {other} as this row's "
                "id; if not, correct the email."
            )
        else:
            problem = (
                f"{email!r} is already the email of the stored lead {other}; this row "
                f"would give it to lead {_lead(stored, int(ids[row]))} too."
            )
            fix = f"{ONE_PERSON} correct the email here, or change the other lead's email first."
        check.problems.append(
            Problem(int(row) + FIRST_DATA_ROW, check.column("email"), problem, fix)
        )


def flag_shared_emails(
    check: Checker, values: pd.DataFrame, targets: pd.Series, giving: pd.Series
) -> None:
    """Note rows of the file that would give one email to different leads."""
    rows = pd.DataFrame({"email": values["email_key"], "target": targets})[giving]
    spread = rows[rows.groupby("email")["target"].transform("nunique") > 1]
    for group in spread.groupby("email").groups.values():
        email = values.at[group[0], "email"]
        check.problems += [
            Problem(
                int(r) + FIRST_DATA_ROW,
                check.column("email"),
                f"Rows {_numbers(group)} all have {email!r} but are different leads (different "
                "ids), so one email would belong to several leads.",
                f"{ONE_PERSON} keep one of the rows and give it the right id, or correct the "
                "emails.",
            )
            for r in group
        ]
