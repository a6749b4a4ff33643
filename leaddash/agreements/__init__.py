"""Versioned, co-signed agreements: the lead definition and the SLA share this workflow.

draft → proposed → signed by a marketing leader and a sales leader → active (the previous
active version of the same kind is retired, with dates), or, when the signers chose a later
start, `scheduled` until then (`start_due_versions`, run by the worker, starts it). Every write is audited by the ORM
listener under an `agreement.*` action name. Callers pass their own `validate` and
`summarize` for the terms, and `on_activate` to react when a version takes effect.
"""

from leaddash.agreements.comments import CommentRow, add_comment, list_comments
from leaddash.agreements.conflicts import EditConflict
from leaddash.agreements.diff import Change, describe_change, diff_contents
from leaddash.agreements.drafts import (
    SaveResult,
    create_draft,
    pending_edits,
    propose,
    save_draft,
)
from leaddash.agreements.reads import (
    SignatureRow,
    VersionRow,
    active_version,
    calendar_zone,
    diff_versions,
    get_version,
    list_versions,
)
from leaddash.agreements.schedule import Started, start_due_versions
from leaddash.agreements.signing import SignResult, side_for, sign, withdraw_signature

__all__ = [
    "Change",
    "CommentRow",
    "EditConflict",
    "SaveResult",
    "SignResult",
    "SignatureRow",
    "Started",
    "VersionRow",
    "active_version",
    "add_comment",
    "calendar_zone",
    "create_draft",
    "describe_change",
    "diff_contents",
    "diff_versions",
    "get_version",
    "list_comments",
    "list_versions",
    "pending_edits",
    "propose",
    "save_draft",
    "side_for",
    "sign",
    "start_due_versions",
    "withdraw_signature",
]
