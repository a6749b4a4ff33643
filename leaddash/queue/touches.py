"""What a logged touch says: the outcomes each channel can come to, and the checks of a
touch's outcome and callback time (refused with the field named)."""

from __future__ import annotations

from datetime import datetime

from leaddash.core.times import as_utc
from leaddash.errors import InvalidInput
from leaddash.models import TouchOutcome

CHANNELS = ("call", "email")
# What each channel's touch can come to, in the order the form offers them.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "call": (TouchOutcome.CONNECTED, TouchOutcome.NO_ANSWER, TouchOutcome.VOICEMAIL),
    "email": (TouchOutcome.EMAIL_SENT, TouchOutcome.BOUNCED),
}
OUTCOME_WORDS: dict[str, str] = {
    TouchOutcome.CONNECTED: "connected",
    TouchOutcome.NO_ANSWER: "no answer",
    TouchOutcome.VOICEMAIL: "voicemail",
    TouchOutcome.EMAIL_SENT: "email sent",
    TouchOutcome.BOUNCED: "bounced",
}


def checked_outcome(channel: str, outcome: str | None) -> str:
    """Return `outcome` when it is one a touch on `channel` can come to."""
    if channel not in CHANNELS:
        raise InvalidInput(f"Log a call or an email, not {channel!r}.", field="channel")
    allowed = OUTCOMES[channel]
    words = ", ".join(OUTCOME_WORDS[o] for o in allowed)
    if outcome is None:
        raise InvalidInput(f"Say how the {channel} went: {words}.", field="outcome")
    if outcome not in allowed:
        shown = OUTCOME_WORDS.get(outcome, repr(outcome))
        raise InvalidInput(
            f"{'An' if channel == 'email' else 'A'} {channel} cannot come to {shown}: "
            f"pick one of {words}.",
            field="outcome",
        )
    return outcome


def checked_callback(callback_at: datetime | None, at: datetime) -> datetime | None:
    """Return the callback time in UTC when it comes after the attempt."""
    if callback_at is None:
        return None
    callback_at = as_utc(callback_at)
    if callback_at <= at:
        raise InvalidInput(
            f"The callback time {callback_at:%Y-%m-%d %H:%M} UTC is not after this attempt "
            f"({at:%Y-%m-%d %H:%M} UTC): pick a later time, or leave it empty.",
            field="callback_at",
        )
    return callback_at
