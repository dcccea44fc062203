"""Dataset descriptions, dumps, health and metrics.

* ``/.well-known/void`` (and ``/void``): VoID; ``/catalogue``: DCAT-AP 3 — both by content negotiation.
  Their counts come from the generation's ``meta.json`` (``describe.dataset_counts``), never from a scan.
* ``/dumps/catalogue.nq.gz`` and ``/dumps/catalogue.ttl.gz``: the dump files, ``application/gzip``
  with their file name, ETag (the file's SHA-256), Last-Modified, conditional GET and byte ranges.
* ``/dumps/catalogue.nq`` and ``/dumps/catalogue.ttl``: the same content as ``application/n-quads`` and
  ``text/turtle``, sent with ``Content-Encoding: gzip`` (the file's bytes) to clients that accept gzip
  and decompressed as it is sent to those that do not (``rdflib.Graph().parse(url)``, curl without
  ``--compressed``), each
  representation with its own ETag; ``Vary: Accept-Encoding``; no byte ranges.
* Malformed conditions, ranges and encodings are answered with a 4xx and a message.
* ``/health``: whether the store is reachable and when each source was last harvested.
* ``/metrics``: request and query counters in the Prometheus text format.
"""

from __future__ import annotations

import email.utils
import html
import re
import secrets
import zlib
from collections.abc import Generator, Iterator
from datetime import datetime, timezone
from typing import BinaryIO

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)

from catalogue.errors import CatalogueError
from catalogue.namespaces import PREFIXES
from catalogue.publish.describe import (
    DUMP_CONTENT,
    FORMAT_NAMES,
    dcat_catalogue,
    dump_urls,
    void_description,
)

from .api_docs import NOT_ACCEPTABLE, NOT_MODIFIED, RDF_TYPES, answers, content
from .negotiation import negotiate, prefers_html
from .resource_page import resource_page
from .results import GRAPH_FORMATS

RDF_MEDIA = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads", "application/trig"]
DESCRIPTION_PREFIXES = {
    **PREFIXES,
    "spdx": "http://spdx.org/rdf/terms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def rdf_response(triples: list[ox.Triple], accept: str | None, headers: dict[str, str] | None = None,
                 page: tuple[str, str] | None = None) -> Response:
    """``triples`` in the RDF format the client accepts best; a browser gets a plain page (``page``: title, IRI)."""
    if page is not None and prefers_html(accept):
        title, iri = page
        return HTMLResponse(resource_page(title, iri, "", triples, formats=False), headers={"Vary": "Accept", **(headers or {})})
    media = negotiate(accept, RDF_MEDIA)
    if media is None:
        return PlainTextResponse("Available as: " + ", ".join(RDF_MEDIA), status_code=406)
    rdf_format = GRAPH_FORMATS[media]
    items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if rdf_format.supports_datasets else triples
    prefixes = DESCRIPTION_PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    body = ox.serialize(items, format=rdf_format, prefixes=prefixes)
    return Response(body, media_type=rdf_format.media_type, headers={"Vary": "Accept", **(headers or {})})


def router(server) -> APIRouter:
    api = APIRouter()

    @api.get("/.well-known/void", tags=["Dataset descriptions"], summary="VoID description of the catalogue",
             response_class=Response, responses=answers("VoID (a plain page for browsers)", (*RDF_TYPES, "text/html"), NOT_ACCEPTABLE))
    @api.get("/void", include_in_schema=False)
    def void(request: Request) -> Response:
        published = server.refresh()
        example = None
        if published.search is not None:
            row = published.search.db.execute("SELECT iri FROM offers ORDER BY iri LIMIT 1").fetchone()
            example = row[0] if row else None
        return rdf_response(void_description(server.config, published.meta, example), request.headers.get("accept"),
                            page=(server.config.title, f"{server.config.base}.well-known/void"))

    @api.get("/catalogue", tags=["Dataset descriptions"], summary="DCAT-AP 3 catalogue record with its distributions",
             response_class=Response, responses=answers("DCAT-AP 3 (a plain page for browsers)", (*RDF_TYPES, "text/html"), NOT_ACCEPTABLE))
    def catalogue(request: Request) -> Response:
        return rdf_response(dcat_catalogue(server.config, server.refresh().meta), request.headers.get("accept"),
                            page=(server.config.title, f"{server.config.base}catalogue"))

    # HEAD routes are registered apart and left out of the OpenAPI description, which gives one operation per route.
    @api.get("/dumps", tags=["Dumps"], summary="The dumps, listed", response_class=HTMLResponse,
             responses=answers("A page listing the dumps", ("text/html",)))
    @api.api_route("/dumps", methods=["HEAD"], include_in_schema=False)
    @api.api_route("/dumps/", methods=["GET", "HEAD"], include_in_schema=False)
    def dump_list(request: Request) -> Response:
        if request.url.path not in ("/dumps", "/dumps/"):  # the route's pattern also matches "/dumps/\n"
            return PlainTextResponse("No such dump; the list is at /dumps.", status_code=404)
        published = server.refresh()
        return HTMLResponse(_dump_list(server.config, published.meta), headers={"Link": '</catalogue>; rel="describedby"'})

    @api.get("/dumps/{name}", tags=["Dumps"], summary="Dumps of the published catalogue",
             description="catalogue.nq.gz and catalogue.ttl.gz (the whole catalogue) and europass-ready.nt.gz (only the "
                         "Europass-ready offers): the gzip files (application/gzip, byte ranges); catalogue.nq, catalogue.ttl "
                         "and europass-ready.nt: their content, gzip-encoded when the client accepts it, otherwise decompressed.",
             response_class=Response,
             responses=answers("The dump", ("application/gzip", "application/n-quads", "text/turtle", "application/n-triples"),
                               {400: "A malformed conditional or range header", 404: "No dump of that name", 406: "An Accept-Encoding "
                                "that refuses both gzip and identity", 416: "A range outside the file"},
                               {**NOT_MODIFIED, 206: {"description": "Part of the gzip file", "content": content("application/gzip")}}))
    @api.api_route("/dumps/{name}", methods=["HEAD"], include_in_schema=False)
    def dump(name: str, request: Request) -> Response:
        published = server.refresh()
        dumps = published.meta.get("dumps", {})
        if name in dumps:
            file_name, decoded = name, False  # the gzip file itself
        elif f"{name}.gz" in dumps:
            file_name, decoded = f"{name}.gz", True  # its content, gzip-encoded or decompressed as the client accepts
        else:
            names = [n for gz in sorted(dumps) for n in (gz, gz.removesuffix(".gz"))]
            return PlainTextResponse(f"There is no dump called {name[:100]!r}. "
                                     + ("Available: " + ", ".join(names) if names else "Nothing has been published yet."), status_code=404)
        if published.generation is None:
            return PlainTextResponse("Nothing has been published yet.", status_code=404)
        try:
            return _dump_response(request, published, file_name, dumps[file_name], decoded)
        except BadRequest as error:
            return PlainTextResponse(error.message, status_code=error.status, headers=error.headers)

    @api.get("/health", tags=["Status"], summary="Store reachable, generation served, last harvest per source",
             responses={503: {"description": "Nothing published yet, or the store unreachable"}})
    def health() -> JSONResponse:
        published = server.refresh()
        store = server.local_store()
        reachable = False
        if store is not None:
            try:
                reachable = bool(store.query("ASK { ?s ?p ?o }"))
            except (OSError, CatalogueError):
                reachable = False
        sources = {}
        for source in server.config.sources:
            run = server.state.last_run(source.id)
            success = server.state.last_run(source.id, successful=True)
            sources[source.id] = {
                "last_run": run.started if run else None,
                "outcome": run.outcome if run else None,
                "last_success": success.started if success else None,
            }
        ok = reachable or server.update_store is not None
        body = {
            "status": "ok" if ok else "no catalogue published yet",
            "store_reachable": reachable,
            "generation": published.generation.id if published.generation else None,
            "published": published.meta.get("created"),
            "offers": published.meta.get("offers", 0),
            "sources": sources,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @api.get("/metrics", tags=["Status"], summary="Counters in the Prometheus text format", response_class=PlainTextResponse,
             responses=answers("Prometheus text format 0.0.4", ("text/plain",)))
    def metrics() -> PlainTextResponse:
        published = server.refresh()
        pool = server.pool
        lines = [
            "# TYPE catalogue_http_requests_total counter",
            f"catalogue_http_requests_total {server.requests}",
            "# TYPE catalogue_http_errors_total counter",
            f"catalogue_http_errors_total {server.errors}",
            "# TYPE catalogue_queries_killed_total counter",
            f"catalogue_queries_killed_total {pool.killed if pool else 0}",
            "# TYPE catalogue_sparql_answers_reused_total counter",
            f"catalogue_sparql_answers_reused_total {server.answers.hits}",
            "# TYPE catalogue_query_workers_offline gauge",
            f"catalogue_query_workers_offline {int(bool(pool and pool.offline))}",
            "# TYPE catalogue_queries_refused_total counter",
            f"catalogue_queries_refused_total {pool.admission.refused if pool else 0}",
            "# TYPE catalogue_offers gauge",
            f"catalogue_offers {published.meta.get('offers', 0)}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return api


# -- dumps ---------------------------------------------------------------------------------------

CHUNK = 1 << 16
MAX_RANGES = 20
ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
BYTE_RANGE = re.compile(r"([0-9]*)-([0-9]*)")


class BadRequest(Exception):
    """A request the dump route answers with a 4xx and this message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status = status
        self.message = message
        self.headers = headers or {}


def _dump_response(request: Request, published, file_name: str, info: dict, decoded: bool) -> Response:
    fmt = info.get("format", "")
    media = info.get("media type") or {"nquads": "application/n-quads", "turtle": "text/turtle"}.get(fmt, "application/octet-stream")
    sha = info.get("sha256", "")
    modified = _modified(published.meta.get("created"))
    headers = {"Last-Modified": email.utils.format_datetime(modified, usegmt=True), "Cache-Control": "public, max-age=300"}
    if decoded:
        encoding = _content_coding(request.headers.get("accept-encoding"))
        etag = f'"{sha}-{encoding}"'
        headers.update({"ETag": etag, "Vary": "Accept-Encoding", "Accept-Ranges": "none",
                        "Content-Disposition": f'attachment; filename="{file_name.removesuffix(".gz")}"'})
    else:
        encoding = None
        etag = f'"{sha}"'
        headers.update({"ETag": etag, "Accept-Ranges": "bytes", "Content-Disposition": f'attachment; filename="{file_name}"'})
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    path = published.generation.dumps / file_name
    try:
        size = path.stat().st_size
    except OSError:
        return _replaced()
    head = request.method == "HEAD"
    if encoding == "gzip":
        headers["Content-Encoding"] = "gzip"
    content_type = "application/gzip" if encoding is None else media
    ranges = _requested_ranges(request, etag, headers["Last-Modified"], size) if encoding is None and not head else None
    if encoding == "identity":
        if "uncompressed bytes" in info:
            headers["Content-Length"] = str(info["uncompressed bytes"])
    else:
        headers["Content-Length"] = str(size)
    if head:
        response = Response(status_code=200, media_type=content_type, headers=headers)
        if "Content-Length" not in headers:
            del response.headers["content-length"]  # a generation published before sizes were kept: length unknown
        return response
    try:
        handle = path.open("rb")
    except OSError:
        return _replaced()
    if encoding == "identity":
        return StreamingResponse(_inflate(handle), media_type=content_type, headers=headers)
    if ranges is None:
        return StreamingResponse(_read(handle, 0, size), media_type=content_type, headers=headers)
    if len(ranges) == 1:
        start, end = ranges[0]
        headers.update({"Content-Range": f"bytes {start}-{end - 1}/{size}", "Content-Length": str(end - start)})
        return StreamingResponse(_read(handle, start, end), status_code=206, media_type=content_type, headers=headers)
    boundary = secrets.token_hex(12)
    heads = [f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {s}-{e - 1}/{size}\r\n\r\n".encode()
             for s, e in ranges]
    tail = f"--{boundary}--\r\n".encode()
    headers["Content-Length"] = str(sum(len(h) + e - s + 2 for h, (s, e) in zip(heads, ranges)) + len(tail))
    return StreamingResponse(_parts(handle, ranges, heads, tail), status_code=206,
                             media_type=f"multipart/byteranges; boundary={boundary}", headers=headers)


def _replaced() -> Response:
    return PlainTextResponse("This dump was replaced by a newer one while it was asked for; ask again.", status_code=503,
                             headers={"Retry-After": "1"})


def _content_coding(header: str | None) -> str:
    """"gzip" or "identity", as the client's Accept-Encoding allows (RFC 9110, section 12.5.3). Without the
    header any coding would do by the RFC, but clients that send none (curl without --compressed, wget) do not
    decode gzip, so they get identity; urllib, and so rdflib, sends "Accept-Encoding: identity"."""
    if header is None:
        return "identity"
    codings: dict[str, float] = {}
    for item in header.split(","):
        if not item.strip():
            continue
        coding, *parameters = (part.strip() for part in item.split(";"))
        if not TOKEN.fullmatch(coding):
            raise BadRequest(400, f"Accept-Encoding lists codings such as gzip or identity, each with an optional ;q=0-1; {item.strip()[:60]!r} is not one.")
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                if not QVALUE.fullmatch(value.strip()):
                    raise BadRequest(400, f"In Accept-Encoding, q is a number from 0 to 1 with at most three decimals; {value.strip()[:20]!r} is not.")
                quality = float(value)
        codings[coding.lower()] = quality
    star = codings.get("*")
    gzip_q = codings.get("gzip", codings.get("x-gzip", star if star is not None else 0.0))
    identity_q = codings.get("identity", star if star is not None else 1.0)
    if gzip_q > 0 and gzip_q >= identity_q:
        return "gzip"
    if identity_q > 0:
        return "identity"
    raise BadRequest(406, "This dump can be sent gzip-encoded or not encoded; Accept-Encoding refuses both.")


def _entity_tags(header: str) -> list[str] | None:
    """The opaque tags of an If-None-Match or If-Match field, or None for "*" (RFC 9110, section 8.8.3)."""
    if header.strip() == "*":
        return None
    tags, position, length = [], 0, len(header)
    while True:
        while position < length and header[position] in " \t,":
            position += 1
        if position >= length:
            break
        match = ENTITY_TAG.match(header, position)
        if not match:
            raise BadRequest(400, 'If-None-Match is "*" or a list of entity tags in quotes, such as "abc" or W/"abc"; '
                                  f"this one is not: {header[:80]!r}")
        tags.append(match.group(2))
        position = match.end()
        while position < length and header[position] in " \t":
            position += 1
        if position < length and header[position] != ",":
            raise BadRequest(400, f"If-None-Match entity tags are separated by commas: {header[:80]!r}")
    if not tags:
        raise BadRequest(400, "If-None-Match is empty; give \"*\" or entity tags in quotes.")
    return tags


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110, section 13.2.2: If-None-Match (weak comparison) first; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = _entity_tags(if_none_match)
        return tags is None or etag.strip('"') in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        moment = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # a recipient must ignore a date it cannot read (RFC 9110, section 13.1.3)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return modified <= moment


def _requested_ranges(request: Request, etag: str, last_modified: str, size: int) -> list[tuple[int, int]] | None:
    """The byte ranges to send, merged and in order, or None for the whole file (RFC 9110, section 14)."""
    header = request.headers.get("range")
    if header is None:
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() not in (etag, last_modified):
        return None  # the client's copy is not this one: send it whole
    unit, equals, specification = header.partition("=")
    if not equals:
        raise BadRequest(400, f"Range is bytes=FIRST-LAST (e.g. bytes=0-1023 or bytes=-500); {header[:60]!r} is not.")
    if unit.strip().lower() != "bytes":
        return None  # a range unit this server does not know is ignored (RFC 9110, section 14.2)
    wanted = []
    parts = [part.strip() for part in specification.split(",") if part.strip()]
    if not parts:
        raise BadRequest(400, "Range names no range; give bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX.")
    if len(parts) > MAX_RANGES:
        raise BadRequest(416, f"At most {MAX_RANGES} ranges can be asked for at once.", {"Content-Range": f"bytes */{size}"})
    for part in parts:
        match = BYTE_RANGE.fullmatch(part)
        if not match or not (match.group(1) or match.group(2)):
            raise BadRequest(400, f"{part[:40]!r} is not a byte range; give FIRST-LAST, FIRST- or -SUFFIX.")
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            if last and int(last) < start:
                raise BadRequest(400, f"In the byte range {part[:40]!r} the last byte comes before the first.")
            if start < size:
                wanted.append((start, min(int(last) + 1, size) if last else size))
        elif int(last) > 0:
            wanted.append((max(size - int(last), 0), size))
    if not wanted:
        raise BadRequest(416, f"None of the ranges asked for lies in the file, which has {size} bytes.", {"Content-Range": f"bytes */{size}"})
    wanted.sort()
    merged = [wanted[0]]
    for start, end in wanted[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _blocks(handle: BinaryIO, start: int, end: int) -> Generator[bytes, None, bool]:
    """Bytes ``start`` to ``end`` of ``handle`` in blocks; returns False when the file ended before ``end``."""
    handle.seek(start)
    remaining = end - start
    while remaining > 0:
        block = handle.read(min(CHUNK, remaining))
        if not block:
            return False
        remaining -= len(block)
        yield block
    return True


def _read(handle: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    try:
        yield from _blocks(handle, start, end)
    finally:
        handle.close()


def _parts(handle: BinaryIO, ranges: list[tuple[int, int]], heads: list[bytes], tail: bytes) -> Iterator[bytes]:
    try:
        for head, (start, end) in zip(heads, ranges):
            yield head
            if not (yield from _blocks(handle, start, end)):
                return  # the file is shorter than it was: stop rather than send parts out of place
            yield b"\r\n"
        yield tail
    finally:
        handle.close()


def _inflate(handle: BinaryIO) -> Iterator[bytes]:
    """The decompressed content of a gzip file, a block at a time; every member, should there be several."""
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while block := handle.read(CHUNK):
            while block:
                output = inflater.decompress(block, CHUNK * 16)
                if output:
                    yield output
                if inflater.eof:
                    block = inflater.unused_data
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                else:
                    block = inflater.unconsumed_tail
        while output := inflater.flush() if not inflater.eof else b"":
            yield output
    finally:
        handle.close()


def _modified(created: str | None) -> datetime:
    try:
        return datetime.fromisoformat(str(created).replace("Z", "+00:00")).replace(microsecond=0)
    except ValueError:
        return datetime.now(timezone.utc).replace(microsecond=0)


def _dump_list(config, meta: dict) -> str:
    dumps = meta.get("dumps", {})
    items = []
    for url, name, compressed in dump_urls(config, meta):
        info = dumps[name]
        label = FORMAT_NAMES.get(info.get("format", ""), info.get("format", ""))
        size = info.get("bytes") if compressed else info.get("uncompressed bytes")
        what = f"{label}, one gzip file (application/gzip)" if compressed else \
            f"{label} ({info.get('media type', '')}), gzip-encoded for clients that accept it"
        size_text = f", {size:,} bytes" if isinstance(size, int) else ""
        items.append(f'<li><a href="{html.escape(url)}">{html.escape(url.rsplit("/", 1)[-1])}</a>: {html.escape(what + size_text)}</li>')
    holds = "".join(f"<li>{html.escape(FORMAT_NAMES[f])}: {html.escape(text)}.</li>" for f, text in DUMP_CONTENT.items())
    body = f"<ul>{''.join(items)}</ul><p>What each holds:</p><ul>{holds}</ul>" if items else "<p>Nothing has been published yet.</p>"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dumps: {html.escape(config.title)}</title></head>'
            f"<body><main><h1>Dumps of {html.escape(config.title)}</h1>{body}"
            f'<p>Published {html.escape(str(meta.get("created", "")))}. Described in <a href="/catalogue">DCAT</a> and '
            f'<a href="/.well-known/void">VoID</a>.</p></main></body></html>')
