"""The harvesters' HTTP client: conditional requests, a body cache, politeness, robots.txt.

* Conditional requests: the ETag and Last-Modified of every response are kept
  with its body (``data/http-cache``); the next request sends If-None-Match /
  If-Modified-Since, and a 304 answer is served from the cache and marked
  ``not_modified``, so an unchanged source costs one request per document.
  Local files are treated the same way, by content hash.
* Politeness: one request at a time per host, with an optional delay between
  requests to the same host; a User-Agent that names the catalogue.
* robots.txt is honoured where a harvester asks for it (course pages).
* Links found inside documents (``get(link, found_in=document)``) are
  followed over HTTP(S) only, never read from the local disk (unless the
  document itself is a local file the operator configured), and with a
  ``NetworkPolicy`` (see ``harvest_policy``) every request, redirect and
  robots.txt included, goes only to public addresses, the origins of the
  source's configured addresses, or its ``trusted_hosts``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests

from catalogue.errors import FetchError, InputError

from .fetch import (
    USER_AGENT,
    AddressGuard,
    Fetched,
    FetchLimits,
    fetch,
    is_url,
    read_local,
)
from .netguard import DEFAULT_PORTS, AddressRefused, NetworkPolicy, guarded_session

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class LinkRefused(FetchError):
    """A link found inside a document that the harvester does not follow (not http(s), or to a private address)."""


def harvest_policy(urls: Iterable[str], trusted_hosts: Iterable[str] = ()) -> NetworkPolicy:
    """What a source's harvest may connect to: public addresses, the origins (scheme, host, port) of its
    configured ``urls`` wherever they are (an intranet feed stays readable), and its ``trusted_hosts``."""
    origins = set()
    for url in urls:
        if is_url(url):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            origins.add((scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS[scheme]))
    return NetworkPolicy(
        trusted_hosts,
        origins,
        who="the harvester",
        hint="Only the source's own addresses (url, urls) and its trusted_hosts are read on private networks; "
        "add the host to the source's trusted_hosts if the catalogue should read it.",
    )

_HOST_LOCKS: dict[str, threading.Lock] = {}
_HOST_LOCKS_GUARD = threading.Lock()
_LAST_REQUEST: dict[str, float] = {}


def _host_lock(host: str) -> threading.Lock:
    with _HOST_LOCKS_GUARD:
        return _HOST_LOCKS.setdefault(host, threading.Lock())


class HttpClient:
    def __init__(
        self,
        cache_dir: Path | None = None,
        limits: FetchLimits = FetchLimits(),
        delay: float = 0.0,
        guard: AddressGuard | None = None,
        network: NetworkPolicy | None = None,
    ):
        self.cache_dir = cache_dir
        self.limits = limits
        self.delay = delay
        self.guard = guard
        self.network = network
        self.session = guarded_session(network) if network is not None else requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self._robots: dict[str, RobotFileParser | None] = {}
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)

    def get(self, location: str, accept: str | None = None, found_in: str | None = None) -> Fetched:
        """Fetch ``location`` (a URL, or a local file the operator configured); ``found_in`` names the document
        a link was found in, which makes it a link: LinkRefused when it must not be followed."""
        if found_in is not None:
            check_link(location, found_in)
        if not is_url(location):
            return self._local(location)
        try:
            return self._get(location, accept)
        except AddressRefused as refused:
            if found_in is None:
                raise
            raise _link_refused(location, found_in, refused) from None

    def _get(self, location: str, accept: str | None) -> Fetched:
        cached = self._cached(location)
        host = urlsplit(location).netloc
        with _host_lock(host):
            wait = self.delay - (time.monotonic() - _LAST_REQUEST.get(host, 0.0))
            if wait > 0:
                time.sleep(wait)
            try:
                fetched = fetch(
                    location,
                    accept=accept,
                    etag=cached[0].get("etag") if cached else None,
                    last_modified=cached[0].get("last_modified") if cached else None,
                    limits=self.limits,
                    session=self.session,
                    guard=self.guard,
                )
            finally:
                _LAST_REQUEST[host] = time.monotonic()
        if fetched.not_modified and cached:
            meta, body = cached
            return Fetched(
                url=meta.get("url", location),
                content=body,
                status=304,
                content_type=meta.get("content_type"),
                charset=meta.get("charset"),
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                not_modified=True,
            )
        if fetched.not_modified:
            raise FetchError("the server answered 304 Not Modified to a request the catalogue had no copy for.", location, 304)
        self._store(location, fetched)
        return fetched

    def allowed_by_robots(self, url: str, found_in: str | None = None) -> bool:
        """Whether robots.txt lets the catalogue's user agent fetch ``url`` (no robots.txt: yes).

        A host the network policy refuses is not asked at all: AddressRefused (LinkRefused for a link)."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            parser: RobotFileParser | None = RobotFileParser()
            try:
                answer = fetch(root + "/robots.txt", limits=FetchLimits(total_timeout=15, max_bytes=512 * 1024, retries=0), session=self.session, guard=self.guard)
                parser.parse(answer.content.decode("utf-8", "replace").splitlines())
            except AddressRefused as refused:
                if found_in is None:
                    raise AddressRefused(refused.reason, url) from None
                raise _link_refused(url, found_in, refused) from None
            except FetchError as error:
                # 4xx: no rules; 5xx or no answer: robots.txt says "assume disallowed" (RFC 9309).
                parser = None if error.status is not None and 400 <= error.status < 500 else _deny_all()
            self._robots[root] = parser
        parser = self._robots[root]
        return parser is None or parser.can_fetch(USER_AGENT, url)

    # -- cache -------------------------------------------------------------------

    def download(self, location: str, accept: str | None = None) -> Fetched:
        """Fetch a large file (an archive) to disk: ``path`` names it and ``content`` stays empty. Over HTTP the
        request is conditional on the copy kept from the last time (``not_modified`` when it is still current);
        a local file is used where it is, ``not_modified`` when its size and time are those seen last time."""
        if not is_url(location):
            path = Path(location)
            try:
                stat = path.stat()
            except OSError as error:
                raise FetchError(f"the file cannot be read ({error.strerror or error}).", location) from None
            seen = f"{stat.st_size} {stat.st_mtime_ns}"
            paths = self._paths(location)
            previous = paths[0].read_text(encoding="utf-8") if paths and paths[0].exists() else None
            if paths is not None:
                paths[0].parent.mkdir(parents=True, exist_ok=True)
                paths[0].write_text(seen, encoding="utf-8")
            return Fetched(url=location, content=b"", path=path, not_modified=previous == seen)
        paths = self._paths(location)
        if paths is None:
            raise FetchError("downloads need the catalogue's HTTP cache folder.", location)
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        meta = json.loads(paths[0].read_text(encoding="utf-8")) if paths[0].exists() and paths[1].exists() else {}
        partial = paths[1].with_suffix(".part")
        with partial.open("wb") as sink:
            fetched = fetch(location, accept=accept, etag=meta.get("etag"), last_modified=meta.get("last_modified"),
                            limits=self.limits, session=self.session, guard=self.guard, sink=sink)
        if fetched.not_modified and meta:
            partial.unlink(missing_ok=True)
            return Fetched(url=meta.get("url", location), content=b"", status=304, content_type=meta.get("content_type"),
                           etag=meta.get("etag"), last_modified=meta.get("last_modified"), not_modified=True, path=paths[1])
        partial.replace(paths[1])
        paths[0].write_text(json.dumps({"url": fetched.url, "content_type": fetched.content_type, "etag": fetched.etag,
                                        "last_modified": fetched.last_modified}), encoding="utf-8")
        fetched.path = paths[1]
        return fetched

    def remember(self, location: str, content: bytes, name: str, value: Any) -> None:
        """Keep ``value`` (JSON) about ``location`` as it is now (``content``), e.g. what a document links to, so an
        unchanged document need not be read again to know it."""
        paths = self._paths(location)
        if paths is None:
            return
        notes = paths[0].with_suffix(".notes.json")
        kept = self._notes(notes, content)
        kept[name] = value
        notes.write_text(json.dumps({"sha256": hashlib.sha256(content).hexdigest(), "notes": kept}), encoding="utf-8")

    def recall(self, location: str, content: bytes, name: str) -> Any:
        """What ``remember`` kept under ``name`` for exactly this ``content`` of ``location``; None otherwise."""
        paths = self._paths(location)
        return None if paths is None else self._notes(paths[0].with_suffix(".notes.json"), content).get(name)

    @staticmethod
    def _notes(path: Path, content: bytes) -> dict:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(kept, dict) or kept.get("sha256") != hashlib.sha256(content).hexdigest():
            return {}  # kept about other content of the same address
        return dict(kept.get("notes") or {})

    def _paths(self, location: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        name = hashlib.sha256(location.encode()).hexdigest()
        return self.cache_dir / f"{name}.json", self.cache_dir / f"{name}.body"

    def _cached(self, location: str) -> tuple[dict, bytes] | None:
        paths = self._paths(location)
        if paths is None or not paths[0].exists() or not paths[1].exists():
            return None
        try:
            return json.loads(paths[0].read_text(encoding="utf-8")), paths[1].read_bytes()
        except (OSError, ValueError):
            return None

    def _store(self, location: str, fetched: Fetched) -> None:
        paths = self._paths(location)
        if paths is None:
            return
        meta = {k: v for k, v in asdict(fetched).items() if k in ("url", "content_type", "charset", "etag", "last_modified")}
        meta["sha256"] = hashlib.sha256(fetched.content).hexdigest()
        tmp_body = paths[1].with_suffix(".tmp")
        tmp_body.write_bytes(fetched.content)
        tmp_body.replace(paths[1])
        paths[0].write_text(json.dumps(meta), encoding="utf-8")

    def _local(self, location: str) -> Fetched:
        fetched = read_local(location, self.limits)
        cached = self._cached(location)
        digest = hashlib.sha256(fetched.content).hexdigest()
        if cached and cached[0].get("sha256") == digest:
            fetched.not_modified = True
        else:
            self._store(location, fetched)
        return fetched


def check_link(link: str, found_in: str) -> None:
    """Refuse a link that is not http(s), unless the document it was found in is itself a local file."""
    if is_url(link):
        return
    if is_url(found_in) or _SCHEME.match(link):
        raise LinkRefused(
            f"the document links to {link}, which was not followed: links inside documents are only followed over "
            "http(s), never read as local files.",
            found_in,
        )


def _link_refused(link: str, found_in: str, refused: AddressRefused) -> LinkRefused:
    return LinkRefused(f"the document links to {link}, which was not followed: {refused.reason}", found_in)


def _deny_all() -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(["User-agent: *", "Disallow: /"])
    return parser


__all__ = ["HttpClient", "FetchLimits", "InputError", "LinkRefused", "check_link", "harvest_policy"]
