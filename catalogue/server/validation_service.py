"""``/api/validate``: providers check their offers before publishing, with the same report as the CLI.

POST RDF in any supported format (as the request body with an RDF content
type, or as a file upload), or a URL to fetch (``url`` in a form or JSON). The
answer is the per-offer report of ``catalogue validate``: JSON by default, an
HTML page a provider can read for browsers (``Accept: text/html`` or
``format=html``), in Swedish or English.

Anyone can send anything here, so:

* an address is fetched in a thread (never on the event loop) through a
  guarded session that refuses private and local addresses at every hop and
  connects to the address it checked (see catalogue.harvest.netguard);
* the document is parsed and checked in a worker process with a memory limit
  (``[server] worker_memory_megabytes``) and a time limit
  (``[server] validate_timeout``, seconds), so a hostile document costs a
  worker, never the server; the worker exits when the server dies;
* results are cached in the service's own cache
  (``data/validation-service-cache.sqlite``, never the harvest's), bounded by
  ``[server] validate_cache_entries``, ``validate_cache_megabytes`` and
  ``validate_cache_hours``;
* whatever goes wrong with an input is answered with status 400 and a
  sentence, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import resource
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalogue.errors import InputError
from catalogue.harvest.fetch import FetchLimits, fetch
from catalogue.harvest.netguard import guarded_session, public_only
from catalogue.harvest.rdfio import RDF_ACCEPT
from catalogue.templates import render
from catalogue.validation.cache import CacheLimits, ValidationCache
from catalogue.validation.report import InputProblem, ValidationRun
from catalogue.vocab import load_vocabulary
from catalogue.worker_watchdog import watch_parent

from . import api_docs
from .negotiation import prefers_html

log = logging.getLogger("catalogue.server.validation_service")

RDF_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads", "application/trig", "application/json", "application/xml", "text/plain")
CACHE_NAME = "validation-service-cache.sqlite"
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class CheckSettings:
    """What the checking worker needs; picklable, since it crosses into the worker process."""

    base: str
    engine: str
    cache_path: Path | None  # None: in memory (conformance-test servers)
    cache_limits: CacheLimits
    memory_megabytes: int
    timeout: float


def check_settings(server) -> CheckSettings:
    section = server.config.server
    limits = CacheLimits(
        max_entries=int(section.get("validate_cache_entries", CacheLimits.max_entries)),
        max_bytes=int(float(section.get("validate_cache_megabytes", CacheLimits.max_bytes / 2**20)) * 2**20),
        max_age=float(section.get("validate_cache_hours", CacheLimits.max_age / 3600)) * 3600,
    )
    return CheckSettings(
        base=server.config.base,
        engine=server.config.validation_engine,
        cache_path=server.config.data_dir / CACHE_NAME if server.update_store is None else None,
        cache_limits=limits,
        memory_megabytes=server.settings.worker_memory_megabytes,
        timeout=float(section.get("validate_timeout", DEFAULT_TIMEOUT)),
    )


_REPORT = {"type": "object", "required": ["offers", "summary", "errors", "exit_status"]}
# What a provider may send: RDF itself, a file from a form, an address to fetch, or text pasted into a form.
VALIDATE_BODY = {
    "required": True,
    "content": {
        **{media: {"schema": {"type": "string"}} for media in api_docs.RDF_TYPES if media != "application/ld+json"},
        "application/ld+json": {"schema": {"type": ["object", "array"]}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary", "description": "RDF in any of the media types above"},
            "url": {"type": "string", "description": "the address of a document to fetch and check instead"}}}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            "url": {"type": "string", "description": "the address of a document to fetch and check"},
            "data": {"type": "string", "description": "RDF pasted as text (Turtle unless content_type says otherwise)"},
            "content_type": {"type": "string", "enum": list(api_docs.RDF_TYPES)}}}},
        # {"url": ...} names a document to fetch; any other JSON is read as JSON-LD.
        "application/json": {"schema": {"type": ["object", "array"], "properties": {"url": {"type": "string"}}}},
    },
}
VALIDATE_RESPONSES = {
    200: {"description": "The report: the input was read (offers may still violate the shapes)",
          "content": {"application/json": {"schema": _REPORT}, "text/html": {"schema": {"type": "string"}}}},
    400: {"description": "The input could not be read or fetched; the report's errors say where and why",
          "content": {"application/json": {"schema": _REPORT}, "text/html": {"schema": {"type": "string"}}}},
    413: {"description": "The body is larger than this service accepts", "content": {"text/plain": {"schema": {"type": "string"}}}},
}


def router(server) -> APIRouter:
    api = APIRouter(tags=["Validation"])
    checker = Checker(check_settings(server))
    lock = asyncio.Lock()

    @api.get("/api/validate", summary="A form for providers to check a file or an address", response_class=HTMLResponse)
    def form(request: Request) -> HTMLResponse:
        lang = _lang(request)
        return HTMLResponse(render("api/validate.html", lang=lang, title=server.config.title, run=None, labels={}, source=None))

    @api.post(
        "/api/validate",
        summary="Check offers: a document in the body, a file upload, or a URL to fetch",
        description="The document is RDF or any format a harvester reads (XCRI-CAP, Europass LOQ XML, a schema.org course "
        "page, CSV or XLSX), recognised from its content and mapped exactly as a harvest would map it. Returns, per offer: "
        "level, conforms, europass_ready, microcredential, missing (Annex I elements), next_level, violations and warnings "
        "(path, value, message). Status 200 when the input could be read, 400 when it could not.",
        openapi_extra={"requestBody": VALIDATE_BODY},
        responses=VALIDATE_RESPONSES,
    )
    async def validate(request: Request) -> Response:
        lang = _lang(request)
        loop = asyncio.get_running_loop()
        source = "request"
        try:
            given = await _input(request)
            if isinstance(given, _Address):
                source = given.url
                given = await loop.run_in_executor(None, _fetch, given.url, server)
            content, source, content_type = given
        except InputError as error:
            run = ValidationRun(problems=[InputProblem(error.source or source, str(error), error.line, error.column)])
            return _respond(request, run, lang, source, status=400, title=server.config.title)
        async with lock:
            run = await loop.run_in_executor(None, checker.check, content, source, content_type)
        return _respond(request, run, lang, source, status=400 if run.problems else 200, title=server.config.title)

    return api


# -- the checking worker ------------------------------------------------------------------------------


class Checker:
    """One worker process that parses and validates uploads; replaced when it dies or overruns its time.

    ``check`` blocks (call it from a thread) and is not re-entrant: the router holds a lock around it.
    """

    def __init__(self, settings: CheckSettings):
        self.settings = settings
        self.context = multiprocessing.get_context("spawn")  # the server has threads: never fork it
        self._process: Any = None
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def check(self, content: bytes, source: str, content_type: str | None) -> ValidationRun:
        with self._guard:
            try:
                connection = self._worker()
                connection.send((content, source, content_type))
                if not connection.poll(self.settings.timeout):
                    self._stop()
                    return _problem(source, f"the check took longer than {self.settings.timeout:g} s, this service's limit, "
                                            "so it was stopped. Split the file, or run catalogue validate on your own machine.")
                return connection.recv()
            except RuntimeError as error:  # the worker could not be started at all
                log.error("the validation worker cannot be started: %s", error)
                return _problem(source, "the check cannot run at the moment (the service could not start its checker); "
                                        "try again later, or run catalogue validate on your own machine.")
            except (EOFError, OSError):
                # The worker died: out of memory (a Rust allocation failure aborts the process), or killed.
                self._stop()
                return _problem(source, f"the document could not be checked within this service's memory limit "
                                        f"({self.settings.memory_megabytes} MB). Split it into smaller files, "
                                        "or run catalogue validate on your own machine.")

    def _worker(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._stop()
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(child, self.settings), daemon=True, name="validation-worker")
        try:
            process.start()
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self._process, self._connection = process, parent
        return parent

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=10)
        if self._connection is not None:
            self._connection.close()
        self._process, self._connection = None, None

    def close(self) -> None:
        with self._guard:
            self._stop()


def _worker_main(connection: Connection, settings: CheckSettings) -> None:
    watch_parent()
    _limit_memory(settings.memory_megabytes)
    # Imported here, in the worker: the SHACL engines weigh some 100 MB the server process never needs.
    from catalogue.validation.validator import Validator, ValidatorSettings

    cache = ValidationCache(settings.cache_path, settings.cache_limits)
    validator = Validator(settings.base, ValidatorSettings(workers=1, cache=cache, engine=settings.engine))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        content, source, content_type = job
        try:
            run = _check(validator, content, source, content_type)
        except MemoryError:
            run = _problem(source, f"the document needs more memory than this service allows ({settings.memory_megabytes} MB) "
                                   "to be checked. Split it into smaller files, or run catalogue validate on your own machine.")
        except Exception as error:  # noqa: BLE001 - a hostile input must give the provider an answer, not end the worker
            log.exception("validation of %s failed", source)
            run = _problem(source, f"the document could not be checked ({type(error).__name__}). "
                                   "Check that it is well-formed RDF, or run catalogue validate on your own machine.")
        connection.send(run)


def _limit_memory(megabytes: int) -> None:
    if not megabytes:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # a server started under a lower limit passes it on
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _check(validator, content: bytes, source: str, content_type: str | None) -> ValidationRun:
    from catalogue.harvest.self_check import (
        check_document,  # in the worker, as the validator is
    )

    run = ValidationRun()
    try:
        # RDF, or any document a harvester reads (XCRI-CAP, LOQ XML, a schema.org page, CSV/XLSX), mapped as a harvest would.
        result = check_document(validator, content, source, content_type=content_type)
    except InputError as error:
        run.problems.append(InputProblem(error.source or source, str(error), error.line, error.column))
        return run
    run.reports = result.reports
    run.notes = result.notes
    if not result.reports:
        run.sources_without_offers.append(source)
    return run


def _problem(source: str, message: str) -> ValidationRun:
    return ValidationRun(problems=[InputProblem(source, f"{source}: {message}")])


# -- reading the request -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Address:
    url: str


@asynccontextmanager
async def _form(request: Request) -> AsyncIterator[FormData]:
    """The form sent; a body that is not one is the provider's input error (a report), not Starlette's bare 400."""
    try:
        form = await request.form()
    except StarletteHTTPException as error:
        raise InputError(f"the form data cannot be read ({error.detail}); send it as multipart/form-data "
                         "with a 'file' or 'url' field, or as a URL-encoded form.", "request") from error
    try:
        yield form
    finally:
        await form.close()


async def _input(request: Request) -> tuple[bytes, str, str | None] | _Address:
    """The document sent, or the address to fetch it from."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        async with _form(request) as form:
            upload = form.get("file")
            if upload is not None and hasattr(upload, "read"):
                data = await upload.read()
                if data:
                    declared = upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
                    return data, upload.filename or "upload", declared
            url = str(form.get("url") or "").strip()
            pasted = str(form.get("data") or "")
        if url:
            return _Address(url)
        if pasted.strip():
            return pasted.encode("utf-8"), "pasted text", None
        raise InputError("send a file (field 'file'), pasted text (field 'data') or an address (field 'url').", "request")
    if media == "application/x-www-form-urlencoded":
        async with _form(request) as form:
            url = str(form.get("url") or "").strip()
            data = str(form.get("data") or "")
            declared_type = str(form.get("content_type") or "") or None
        if url:
            return _Address(url)
        if data:
            return data.encode("utf-8"), "pasted text", declared_type
        raise InputError("send 'url' or 'data'.", "request")
    if media in ("application/json", "application/ld+json"):
        body = await request.body()
        unreadable = object()  # the parser, reading it as JSON-LD, will say where the JSON breaks
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = unreadable
        if media == "application/json" and isinstance(payload, dict) and "url" in payload and "@context" not in payload:
            if not isinstance(payload["url"], str):
                raise InputError("'url' must be a text: the address of the document to check.", "request")
            return _Address(payload["url"].strip())
        if payload is not unreadable and not isinstance(payload, (dict, list)):
            raise InputError(f"a JSON-LD document is a JSON object or array; this body is a single {_JSON_KINDS[type(payload)]}.",
                             "request")
        return body, "upload.jsonld", "application/ld+json"
    body = await request.body()
    if not body:
        raise InputError("the request has no body: send RDF, a file, or an address to fetch.", "request")
    return body, "upload", media if media in RDF_TYPES else None


_JSON_KINDS = {str: "text", int: "number", float: "number", bool: "true or false", type(None): "null"}


def _fetch(url: str, server) -> tuple[bytes, str, str | None]:
    """Fetch ``url`` for checking (in a thread): private addresses are refused at every hop, the connection pinned."""
    session = guarded_session(public_only(server.settings.validate_allowed_hosts))
    try:
        fetched = fetch(
            url,
            accept=RDF_ACCEPT,
            limits=FetchLimits(total_timeout=30, max_bytes=server.settings.max_upload_bytes, retries=0),
            session=session,
        )
    finally:
        session.close()
    return fetched.content, url, fetched.content_type


def _respond(request: Request, run: ValidationRun, lang: str, source: str, status: int, title: str) -> Response:
    vocabulary = load_vocabulary()
    html = request.query_params.get("format") == "html" or (prefers_html(request.headers.get("accept")) and request.query_params.get("format") != "json")
    if html:
        labels = {e.key: e.label(lang) for e in vocabulary.annex_elements()}
        return HTMLResponse(render("api/validate.html", lang=lang, title=title, run=run, labels=labels, source=source), status_code=status)
    return JSONResponse({**run.as_json(lang, vocabulary), "exit_status": run.exit_status}, status_code=status)


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in ("sv", "en"):
        return asked
    return "sv" if request.headers.get("accept-language", "").lower().startswith("sv") else "en"
