"""Getting bytes from a provider: local files and HTTP(S), with every limit explicit.

A fetch either returns the whole body or raises ``FetchError`` with a sentence
that names the URL and what went wrong (status, timeout, size, redirects).
Time limits are total, not per read, so a server that drips bytes cannot hold
a harvest forever.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable
from urllib.parse import urljoin, urlsplit

import requests

from catalogue import __version__
from catalogue.errors import FetchError, InputError

from .netguard import AddressRefused, PinnedAdapter, parse_target

USER_AGENT = f"mc-catalogue/{__version__} (+https://w3id.org/mc-catalogue; harvester of learning-opportunity catalogues)"
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    total_timeout: float = 60.0
    max_bytes: int = 50 * MEGABYTE
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5


@dataclass
class Fetched:
    url: str
    content: bytes
    status: int = 200
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    redirects: list[str] = field(default_factory=list)
    path: Path | None = None  # a download written to a file (HttpClient.download) rather than held in memory


# Checks an address before every request (first and each redirect); raises FetchError to refuse.
AddressGuard = Callable[[str], None]


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def read_local(path: str | Path, limits: FetchLimits = FetchLimits()) -> Fetched:
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("the file does not exist.", str(path)) from None
    except OSError as error:
        raise InputError(f"the file cannot be read ({error.strerror}).", str(path)) from None
    if path.is_dir():
        raise InputError("this is a folder, not a file.", str(path))
    if size > limits.max_bytes:
        raise InputError(
            f"the file is {size / MEGABYTE:.1f} MB, over the {limits.max_bytes / MEGABYTE:.0f} MB limit; "
            "split it or raise the limit.",
            str(path),
        )
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InputError(f"the file cannot be read ({error.strerror}).", str(path)) from None
    return Fetched(url=str(path), content=content)


def fetch(
    url: str,
    *,
    accept: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: FetchLimits = FetchLimits(),
    session: requests.Session | None = None,
    guard: AddressGuard | None = None,
    sink: BinaryIO | None = None,
) -> Fetched:
    """GET ``url``, following redirects by hand (so each hop is checked), retrying transient failures.

    With ``sink`` the body is written there as it arrives (a file of any size within the limit) and
    ``content`` stays empty."""
    attempt = 0
    while True:
        try:
            if sink is not None:
                sink.seek(0)
                sink.truncate()
            return _fetch_once(url, accept, etag, last_modified, limits, session or requests.Session(), guard, sink)
        except _Transient as error:
            attempt += 1
            if attempt > limits.retries:
                raise FetchError(f"{error.message} (tried {attempt} times).", url, error.status) from None
            time.sleep(error.retry_after if error.retry_after is not None else limits.backoff * 2 ** (attempt - 1))


class _Transient(Exception):
    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _fetch_once(
    url: str,
    accept: str | None,
    etag: str | None,
    last_modified: str | None,
    limits: FetchLimits,
    session: requests.Session,
    guard: AddressGuard | None,
    sink: BinaryIO | None = None,
) -> Fetched:
    deadline = time.monotonic() + limits.total_timeout
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if accept:
        headers["Accept"] = accept
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    hops: list[str] = []
    current = url
    while True:
        if urlsplit(current).scheme not in ("http", "https"):
            if not hops:
                raise FetchError("only http and https addresses can be fetched.", url)
            raise FetchError(f"refusing to follow a redirect to a non-HTTP address {current}.", url)
        if guard is not None:
            guard(current)
        response = _guarded_request(session, url, current, hops, headers, limits, deadline)
        if response.is_redirect:
            location = response.headers.get("Location", "")
            response.close()
            hops.append(current)
            if len(hops) > limits.max_redirects:
                raise FetchError(
                    f"too many redirects (more than {limits.max_redirects}); the server may be in a redirect loop: "
                    + " -> ".join(hops[:6]),
                    url,
                    response.status_code,
                )
            current = urljoin(current, location)
            continue
        return _read_response(url, current, response, hops, limits, deadline, sink)


def _guarded_request(
    session: requests.Session,
    original: str,
    current: str,
    hops: list[str],
    headers: dict[str, str],
    limits: FetchLimits,
    deadline: float,
) -> requests.Response:
    """One hop; a guarded session (catalogue.harvest.netguard) refuses it before connecting, and the refusal names the hop."""
    try:
        if isinstance(session.get_adapter(current), PinnedAdapter):
            # Read the address as typed, before requests normalises it (a backslash
            # becomes %5C in the path): refuse what two URL parsers would read differently.
            parse_target(current)
        return _request(session, current, headers, limits, deadline)
    except AddressRefused as refused:
        if not hops:
            raise AddressRefused(refused.reason, original) from None
        raise AddressRefused(f"it redirected to {current}: {refused.reason}", original) from None


def _request(
    session: requests.Session, url: str, headers: dict[str, str], limits: FetchLimits, deadline: float
) -> requests.Response:
    remaining = max(0.1, deadline - time.monotonic())
    try:
        return session.get(
            url,
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=(min(limits.connect_timeout, remaining), remaining),
        )
    except requests.exceptions.ConnectTimeout:
        raise _Transient(f"no connection within {limits.connect_timeout:.0f} s") from None
    except requests.exceptions.ReadTimeout:
        raise _Transient(f"the server did not answer within {limits.total_timeout:.0f} s") from None
    except requests.exceptions.SSLError as error:
        # Not transient: the same certificate comes back on every try.
        raise FetchError(f"the secure connection failed: {_tls_reason(error)}.", url) from None
    except requests.exceptions.ConnectionError as error:
        raise _Transient(f"cannot connect ({_reason(error)})") from None
    except requests.exceptions.RequestException as error:
        raise FetchError(f"the request failed ({_reason(error)}).", url) from None


def _read_response(
    original: str, url: str, response: requests.Response, hops: list[str], limits: FetchLimits, deadline: float,
    sink: BinaryIO | None = None,
) -> Fetched:
    status = response.status_code
    content_type, charset = _media_type(response.headers.get("Content-Type"))
    common = dict(
        url=url,
        status=status,
        content_type=content_type,
        charset=charset,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        redirects=hops,
    )
    if status == 304:
        response.close()
        return Fetched(content=b"", not_modified=True, **common)  # type: ignore[arg-type]
    if status == 429 or status >= 500:
        response.close()
        raise _Transient(
            f"the server answered {status} {_phrase(response.reason)}", status, _retry_after(response.headers.get("Retry-After"))
        )
    if status >= 400:
        response.close()
        raise FetchError(f"the server answered {status} {_phrase(response.reason)}.", original, status)
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        response.close()
        raise FetchError(
            f"the response is {int(declared) / MEGABYTE:.1f} MB, over the {limits.max_bytes / MEGABYTE:.0f} MB limit.",
            original,
            status,
        )
    chunks: list[bytes] = []
    size = 0
    # Socket timeouts only bound each read; a server that drips a few bytes at a
    # time is stopped by closing the connection when the total time is up.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    try:
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(
                    f"the response is larger than the {limits.max_bytes / MEGABYTE:.0f} MB limit; reading stopped.",
                    original,
                    status,
                )
            if sink is not None:
                sink.write(chunk)
            else:
                chunks.append(chunk)
    except (requests.exceptions.RequestException, AttributeError, ValueError, OSError) as error:
        if time.monotonic() >= deadline - 0.05:
            raise _Transient(f"the response took longer than {limits.total_timeout:.0f} s to arrive") from None
        if isinstance(error, requests.exceptions.ContentDecodingError):
            raise FetchError("the compressed response cannot be decompressed.", original, status) from None
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            raise _Transient("the connection broke off before the whole response arrived (truncated body)") from None
        raise _Transient(f"the connection broke off ({_reason(error)})") from None
    finally:
        watchdog.cancel()
        response.close()
    if time.monotonic() > deadline:
        raise _Transient(f"the response took longer than {limits.total_timeout:.0f} s to arrive")
    content = b"".join(chunks)
    if declared and declared.isdigit() and "Content-Encoding" not in response.headers and size < int(declared):
        raise _Transient(f"the response ended after {size} of {declared} bytes (truncated body)")
    return Fetched(content=content, **common)  # type: ignore[arg-type]


def _phrase(reason: str | None) -> str:
    """The server's reason phrase, at most 40 characters, printable only: it is text from the fetched server."""
    text = "".join(ch if ch.isprintable() else "?" for ch in (reason or ""))
    return text[:40] + ("…" if len(text) > 40 else "")


def _cut(response: requests.Response) -> None:
    """Shut the connection's socket: the only way to wake a read that is blocked mid-body."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    response.close()


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for part in parts[1:]:
        if part.lower().startswith("charset="):
            charset = part.split("=", 1)[1].strip("\"' ").lower() or None
    return parts[0].lower() or None, charset


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.isdigit():
        return min(float(value), 30.0)
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(0.0, min(parsed.timestamp() - time.time(), 30.0))


def _tls_reason(error: Exception) -> str:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        detail = "the server's certificate is not valid for this host name or not signed by a known authority"
        return detail + (" (it has expired)" if "expired" in text else "")
    return "the TLS handshake did not succeed"


def _reason(error: Exception) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker.lower()
    return text.split("(Caused by")[0].strip()[:200] or error.__class__.__name__
