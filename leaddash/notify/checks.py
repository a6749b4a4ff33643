"""Checks of what people type into the notification settings: refused at entry, with the
field named, so a mistyped address never waits in the outbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from leaddash.errors import InvalidInput

# One @, something before it, a dotted domain after it, no spaces: what a mail server needs.
EMAIL_PATTERN = re.compile(
    r"^[^@\s<>,;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
HOST_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
MAX_URL = 500


def check_email(value: str | None, *, field: str, what: str = "The email address") -> str:
    """Return the address stripped, or raise InvalidInput naming `field`."""
    address = (value or "").strip()
    if not EMAIL_PATTERN.match(address) or len(address) > 254:
        raise InvalidInput(
            f"{what} {address!r} is not an email address: write it as name@example.com.",
            field=field,
        )
    return address


def check_url(value: str | None, *, field: str, what: str = "The webhook URL") -> str:
    """Return the http(s) URL stripped, or raise InvalidInput naming `field`."""
    url = (value or "").strip()
    parts = urlsplit(url)
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise InvalidInput(
            f"{what} must start with https:// (or http://) and name a host, like "
            "https://hooks.slack.com/services/…; copy it whole from the chat tool.",
            field=field,
        )
    if len(url) > MAX_URL:
        raise InvalidInput(f"{what} is longer than {MAX_URL} characters.", field=field)
    return url


def check_host(value: str | None, *, field: str) -> str:
    """Return the SMTP host name stripped, or raise InvalidInput naming `field`."""
    host = (value or "").strip()
    if not HOST_PATTERN.match(host) or len(host) > 253:
        raise InvalidInput(
            f"The SMTP host {host!r} is not a host name: write it like smtp.example.com "
            "(no https://, no port).",
            field=field,
        )
    return host
