"""Which addresses an outbound webhook may reach (pure): no loopback, link-local or private networks.

A webhook URL is typed by an administrator but fetched by the server, so without this check it could
reach the server's own admin ports, the cloud metadata service (169.254.169.254) or the internal network.
The check applies to the addresses the name resolves to (never the name alone, which DNS can point
anywhere) and again at every redirect. An administrator may allow specific networks explicitly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from kefu.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(InvalidInput, ValueError):
    code = "target_refused"


def parse_allowed(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The admin's allow-list, e.g. ["10.1.2.0/24", "127.0.0.1/32"]; a bad entry names itself."""
    parsed = []
    for entry in networks:
        try:
            parsed.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise TargetRefused(
                f"webhook_allow_networks: {entry!r} is not a network ({exc})", field="webhook_allow_networks"
            ) from exc
    return tuple(parsed)


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"url: {url!r} must be an http or https URL with a host", field="url")
    if parts.username or parts.password:
        raise TargetRefused("url: credentials in the URL are not allowed", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"url: bad port in {url!r}", field="url") from exc
    return parts.scheme, parts.hostname, port


def check_address(address: IPAddress, allowed: tuple[IPNetwork, ...]) -> None:
    """Refuse anything but a public unicast address, unless an admin allowed its network."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in allowed):
        return
    if not address.is_global or address.is_multicast:
        raise TargetRefused(
            f"url: resolves to {address}, a loopback, link-local, private or reserved address", field="url"
        )
