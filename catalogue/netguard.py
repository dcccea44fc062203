"""Keeping the validation service out of the server's own network (SSRF).

A URL the service is asked to fetch is resolved first; if any address it
resolves to is loopback, private, link-local, multicast or otherwise not a
public unicast address, the fetch is refused. The check runs again on every
redirect (catalogue.fetch calls the guard before each hop). Tests allow
127.0.0.1 explicitly through the server setting ``validate_allowed_hosts``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import FetchError
from .fetch import AddressGuard


def public_only(allowed: tuple[str, ...] = ()) -> AddressGuard:
    allowed_addresses = {ipaddress.ip_address(a) for a in allowed if _is_ip(a)}
    allowed_names = {a.lower() for a in allowed if not _is_ip(a)}

    def guard(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError("only http and https addresses can be checked.", url)
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchError("the address has no host.", url)
        if host in allowed_names:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80), proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            raise FetchError(f"the host name {host} cannot be resolved.", url) from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if address in allowed_addresses:
                continue
            if not address.is_global or address.is_multicast:
                raise FetchError(
                    f"the host {host} resolves to {address}, an address inside a private or local network, "
                    "which this service does not fetch from. Give a public address.",
                    url,
                )

    return guard


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False
