"""Webhook target checks (pure): only public unicast addresses unless an admin allows a network."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from kefu.channels.targets import TargetRefused, check_address, parse_allowed, split_target


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    with pytest.raises(TargetRefused) as caught:
        check_address(ip_address(address), ())
    assert caught.value.field == "url"


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    check_address(ip_address(address), ())


def test_admin_allow_list_opens_exactly_its_networks() -> None:
    allowed = parse_allowed(["10.1.2.0/24", "::1"])
    check_address(ip_address("10.1.2.9"), allowed)
    check_address(ip_address("::1"), allowed)
    with pytest.raises(TargetRefused):
        check_address(ip_address("10.1.3.9"), allowed)
    with pytest.raises(ValueError, match="webhook_allow_networks"):
        parse_allowed(["not-a-network"])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "http:///nohost", "https://user:pw@example.com/", "http://example.com:99999/"],
)
def test_malformed_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        split_target(url)
