"""Keeping fetches out of networks they must not reach (SSRF).

Two kinds of fetches are made for people the catalogue does not trust: the
validation service fetches any address a visitor types, and the harvester
follows links it finds inside providers' documents. Both go through a
``requests`` session from ``guarded_session``, whose adapter, for every
request it sends (the first one and each redirect hop alike):

1. parses the address once, with the parser the HTTP client itself uses
   (``urllib3.util.parse_url``), and refuses addresses that another parser
   would read differently (a backslash, control characters, host or port
   that ``urllib.parse`` sees otherwise: ``http://127.0.0.1:1\\@8.8.8.8/``);
2. resolves the host once, and refuses it when any address it resolves to is
   not allowed by the ``NetworkPolicy`` (loopback, private, link-local,
   multicast, reserved, unspecified: everything that is not a public unicast
   address, unless the policy allows it);
3. connects to exactly the addresses it checked: the socket is opened to the
   checked IP, never through a second name lookup (so a name that resolves
   to a public address for the check and to an internal one a moment later,
   "DNS rebinding", cannot slip through), while the Host header, TLS SNI and
   the certificate check keep the host name.

Decimal, octal and hex IPv4 forms (``2130706433``, ``0x7f.1``), IPv4-mapped
IPv6 (``[::ffff:127.0.0.1]``), ``0.0.0.0`` and ``localhost`` need no special
case: they are judged by the address they resolve to, which is the address
the socket connects to. Proxies from the environment are not used by a
guarded session (the guard must see the real destination).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NewConnectionError,
)
from urllib3.poolmanager import SSL_KEYWORDS
from urllib3.util import parse_url
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from catalogue.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(FetchError):
    """A fetch the guard refused before any connection was made; ``reason`` is the sentence without the address."""

    def __init__(self, reason: str, source: str = ""):
        self.reason = reason
        super().__init__(reason, source)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@dataclass(frozen=True)
class Resolved:
    """One address a host resolved to: what the guard judged, and what the socket connects to."""

    address: Address
    family: int
    sockaddr: tuple


def parse_target(url: str) -> Target:
    """The scheme, host and port a request to ``url`` goes to; FetchError if the address is unusable or ambiguous."""
    if "\\" in url:
        raise AddressRefused(
            "the address contains a backslash, which web clients read in different ways "
            "(part of the host for some, of the path for others); write it with '/' only.",
            url,
        )
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise AddressRefused("the address contains spaces or control characters; write it without them.", url)
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise FetchError("this is not a valid web address.", url) from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchError("only http and https addresses can be fetched.", url)
    host = (parsed.host or "").strip("[]").lower()
    if not host:
        raise FetchError("the address has no host.", url)
    port = parsed.port or DEFAULT_PORTS[scheme]
    if _other_reading(url, scheme) != (host, port):
        raise AddressRefused(
            "the address is ambiguous: web clients disagree on which host it names. Write it plainly (scheme://host:port/path).",
            url,
        )
    return Target(scheme, host, port)


def _other_reading(url: str, scheme: str) -> tuple[str, int] | None:
    """Host and port as ``urllib.parse`` reads them, normalised the way urllib3 normalises hosts."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[scheme]
        bracketed = f"[{host}]" if ":" in host else host
        normalised = (parse_url(f"{scheme}://{bracketed}/").host or "").strip("[]").lower()
    except (ValueError, LocationParseError):
        return None
    return normalised, port


def resolve(target: Target) -> list[Resolved]:
    """Every address ``target.host`` resolves to, looked up once."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        # A connection error, not a refusal: name servers fail for a moment, and fetches retry those.
        raise requests.exceptions.ConnectionError(f"the host name {target.host} cannot be resolved") from None
    found: dict[tuple, Resolved] = {}
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        found.setdefault(sockaddr, Resolved(address, family, sockaddr))
    if not found:
        raise requests.exceptions.ConnectionError(f"the host name {target.host} has no internet address")
    return list(found.values())


def _plain(address: Address) -> Address:
    """IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: Address) -> bool:
    address = _plain(address)
    return address.is_global and not address.is_multicast


class NetworkPolicy:
    """Which destinations a guarded session may connect to.

    Public unicast addresses always; besides them, the hosts, addresses and
    networks in ``allowed`` (``"10.0.0.5"``, ``"10.1.0.0/16"``,
    ``"intranet.example"``) and any address of the ``origins`` (scheme, host,
    port) given, e.g. the addresses an operator configured.
    """

    def __init__(
        self,
        allowed: Iterable[str] = (),
        origins: Iterable[tuple[str, str, int]] = (),
        who: str = "this service",
        hint: str = "Give a public address.",
    ):
        self.names: set[str] = set()
        self.networks: list[Network] = []
        for entry in allowed:
            entry = str(entry).strip().lower().strip("[]")
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry.rstrip("."))
        self.origins = set(origins)
        self.who = who
        self.hint = hint

    def trusts(self, target: Target) -> bool:
        """Whether ``target`` is allowed whatever it resolves to (a configured origin or an allowed name)."""
        return target.origin in self.origins or target.host.rstrip(".") in self.names

    def refusal(self, target: Target, addresses: list[Resolved]) -> str | None:
        """Why a connection to ``target`` at ``addresses`` is refused, or None when it is allowed."""
        if self.trusts(target):
            return None
        for resolved in addresses:
            address = _plain(resolved.address)
            if is_public(address) or any(address in network for network in self.networks):
                continue
            subject = f"the address {target.host} is" if target.host == str(address) else f"the host {target.host} resolves to {address},"
            return f"{subject} an address inside a private or local network, which {self.who} does not fetch from. {self.hint}"
        return None

    def admit(self, url: str) -> tuple[Target, list[Resolved]]:
        """Parse and resolve ``url`` once and check it; AddressRefused when the policy does not allow it."""
        target = parse_target(url)
        addresses = resolve(target)
        reason = self.refusal(target, addresses)
        if reason is not None:
            raise AddressRefused(reason, url)
        return target, addresses


def public_only(allowed: Iterable[str] = ()) -> NetworkPolicy:
    """The validation service's policy: public addresses, and ``allowed`` (the server's ``validate_allowed_hosts``)."""
    return NetworkPolicy(allowed, who="this service", hint="Give a public address.")


# -- connecting to the checked address ----------------------------------------------------------------


def _connect(connection: HTTPConnection, pinned: tuple[Resolved, ...]) -> socket.socket:
    """Open the socket to the addresses the guard checked, in order, with no name lookup."""
    failure: OSError | None = None
    for resolved in pinned:
        sock = socket.socket(resolved.family, socket.SOCK_STREAM)
        try:
            for option in connection.socket_options or ():
                sock.setsockopt(*option)
            if connection.timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(connection.timeout)
            if connection.source_address:
                sock.bind(connection.source_address)
            sock.connect(resolved.sockaddr)
        except TimeoutError:
            sock.close()
            raise ConnectTimeoutError(
                connection, f"Connection to {connection.host} timed out. (connect timeout={connection.timeout})"
            ) from None
        except OSError as error:
            sock.close()
            failure = error
            continue
        sys.audit("http.client.connect", connection, connection.host, connection.port)
        return sock
    raise NewConnectionError(connection, f"Failed to establish a new connection: {failure}")


class _Pinned:
    """A urllib3 connection whose socket goes to the checked addresses; TLS (SNI, certificate) still uses self.host, the name."""

    def __init__(self, *args, pinned: tuple[Resolved, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._pinned = pinned

    def _new_conn(self) -> socket.socket:
        return _connect(self, self._pinned)


class _PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class _PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests adapter that checks every request against ``policy`` and connects to the addresses it checked."""

    def __init__(self, policy: NetworkPolicy, max_pools: int = 16, **kwargs):
        self.policy = policy
        self.max_pools = max_pools
        self._pools: OrderedDict[tuple, HTTPConnectionPool] = OrderedDict()
        self._pools_lock = threading.Lock()
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None) -> HTTPConnectionPool:
        if select_proxy(request.url, proxies):
            raise FetchError("a guarded fetch cannot go through a proxy, which would hide where it connects.", request.url)
        target, addresses = self.policy.admit(request.url)
        _, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        return self._pool(target, tuple(addresses), pool_kwargs)

    def get_connection(self, url, proxies=None):  # the deprecated entry point must not bypass the guard
        raise NotImplementedError("PinnedAdapter connects through get_connection_with_tls_context only.")

    def _pool(self, target: Target, addresses: tuple[Resolved, ...], pool_kwargs: dict) -> HTTPConnectionPool:
        # Pools are kept per checked address set, so a keep-alive connection is only
        # reused for a host that resolved to the very addresses it was opened to
        # (in any order: round-robin DNS must not cost a new pool per answer).
        key = (target.origin, frozenset(addresses), tuple(sorted(pool_kwargs.items())))
        with self._pools_lock:
            pool = self._pools.pop(key, None)
            if pool is None:
                context = {**self.poolmanager.connection_pool_kw, **pool_kwargs}
                if target.scheme == "http":
                    for keyword in SSL_KEYWORDS:
                        context.pop(keyword, None)
                    pool = _PinnedHTTPConnectionPool(target.host, target.port, pinned=addresses, **context)
                else:
                    pool = _PinnedHTTPSConnectionPool(target.host, target.port, pinned=addresses, **context)
            self._pools[key] = pool
            while len(self._pools) > self.max_pools:
                self._pools.popitem(last=False)[1].close()
        return pool

    def close(self) -> None:
        super().close()
        with self._pools_lock:
            while self._pools:
                self._pools.popitem()[1].close()


def guarded_session(policy: NetworkPolicy) -> requests.Session:
    """A requests session whose every request (and redirect hop) is checked by ``policy`` and pinned to the checked address."""
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment
    adapter = PinnedAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
