"""The client address the login throttle counts: X-Forwarded-For only from trusted proxies,
and one key per network a person controls."""

from __future__ import annotations

import pytest

from leaddash.addresses import client_address, network_key
from leaddash.config import load_settings
from leaddash.errors import ConfigError

PEER = "192.0.2.1"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"),  # a subscriber's whole /64 is one
        ("2001:DB8:AA:BB::ffff", "2001:db8:aa:bb::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4 written as IPv6 is the IPv4 address
        ("not-an-address", "not-an-address"),
        ("x" * 80, "x" * 64),
        (None, None),
        ("", None),
    ],
)
def test_network_key(address, key):
    assert network_key(address) == key


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_address(PEER, ["198.51.100.7"], 0) == PEER


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_client_wrote():
    # The client sent "X-Forwarded-For: 10.0.0.1" itself; the proxy appended the real one.
    assert client_address(None, ["10.0.0.1, 198.51.100.7"], 1) == "198.51.100.7"


def test_behind_two_proxies_the_outer_ones_entry_counts_across_repeated_headers():
    assert client_address(None, ["10.0.0.1, 198.51.100.7", "192.0.2.50"], 2) == "198.51.100.7"


def test_a_header_shorter_than_the_trusted_chain_falls_back_to_the_peer():
    assert client_address(PEER, [], 1) == PEER
    assert client_address(PEER, ["198.51.100.7"], 2) == PEER


@pytest.mark.parametrize(("text", "proxies"), [(None, 0), ("", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxy_setting(text, proxies):
    env = {} if text is None else {"LEADDASH_TRUSTED_PROXY": text}
    assert load_settings(env).trusted_proxies == proxies


@pytest.mark.parametrize("text", ["yes", "-1", "1.5"])
def test_a_trusted_proxy_setting_that_is_not_a_count_is_refused_saying_what_to_write(text):
    with pytest.raises(ConfigError) as refused:
        load_settings({"LEADDASH_TRUSTED_PROXY": text})

    assert refused.value.message == (
        "LEADDASH_TRUSTED_PROXY must be how many reverse proxies stand in front of the app "
        f"(0, 1, 2 ...), not {text!r}. Leave it unset when browsers reach the app directly."
    )
