"""Client addresses as the login throttle counts them: one per network a person controls."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

ADDRESS_KEY_LENGTH = 64
# An IPv6 subscriber gets a whole /64 (2^64 addresses): counting each alone would let one
# person change address at every guess.
IPV6_NETWORK_BITS = 64


def network_key(address: str | None) -> str | None:
    """Return the key the throttle counts `address` under: an IPv4 address as it is, an IPv6
    one as its /64 network, anything unreadable as its first 64 characters (None: unknown)."""
    if not address or not address.strip():
        return None
    text = address.strip()
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text[:ADDRESS_KEY_LENGTH]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_NETWORK_BITS}", strict=False))
    return str(parsed)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: int
) -> str | None:
    """Return the client's address: the connection's `peer`, or, behind `trusted_proxies`
    proxies, the address the outermost of them saw, read from X-Forwarded-For.

    Each proxy appends the address it was reached from, so the client's is the
    `trusted_proxies`-th entry from the right; entries left of it are whatever the client
    chose to send and are never trusted. A header shorter than that falls back to `peer`.
    """
    if trusted_proxies <= 0:
        return peer
    entries = [entry.strip() for value in forwarded_for for entry in value.split(",")]
    entries = [entry for entry in entries if entry]
    if len(entries) < trusted_proxies:
        return peer
    return entries[-trusted_proxies]
