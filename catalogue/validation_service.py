"""``/api/validate``: providers check their offers before publishing, with the same report as the CLI.

POST RDF in any supported format (as the request body with an RDF content
type, or as a file upload), or a URL to fetch (``url`` in a form or JSON). The
answer is the per-offer report of ``catalogue validate``: JSON by default, an
HTML page a provider can read for browsers (``Accept: text/html`` or
``format=html``), in Swedish or English. Fetching refuses private and local
addresses (see catalogue.netguard).
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .errors import InputError
from .fetch import FetchLimits, fetch
from .negotiation import prefers_html
from .netguard import public_only
from .rdfio import RDF_ACCEPT
from .report import InputProblem, ValidationRun
from .templates import render
from .validate import Validator
from .vocab import load_vocabulary

RDF_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads", "application/trig", "application/json", "application/xml", "text/plain")


def router(server) -> APIRouter:
    api = APIRouter(tags=["Validation"])
    validator = Validator(
        server.config.base,
        server.config.validator_settings(server.config.cache_path if server.update_store is None else None, workers=1),
    )
    lock = asyncio.Lock()

    @api.get("/api/validate", summary="A form for providers to check a file or an address")
    def form(request: Request) -> HTMLResponse:
        lang = _lang(request)
        return HTMLResponse(render("api/validate.html", lang=lang, title=server.config.title, run=None, labels={}, source=None))

    @api.post(
        "/api/validate",
        summary="Check offers: RDF in the body, a file upload, or a URL to fetch",
        description="Returns, per offer: conforms, microcredential, missing (Annex I elements), violations and warnings "
        "(path, value, message). Status 200 when the input could be read, 400 when it could not.",
    )
    async def validate(request: Request) -> Response:
        lang = _lang(request)
        try:
            content, source, content_type = await _input(request, server)
        except InputError as error:
            run = ValidationRun(problems=[InputProblem(error.source or "request", str(error), error.line, error.column)])
            return _respond(request, run, lang, "request", status=400, title=server.config.title)
        async with lock:
            loop = asyncio.get_running_loop()
            run = await loop.run_in_executor(None, _check, validator, content, source, content_type)
        return _respond(request, run, lang, source, status=400 if run.problems else 200, title=server.config.title)

    return api


def _check(validator: Validator, content: bytes, source: str, content_type: str | None) -> ValidationRun:
    run = ValidationRun()
    try:
        result = validator.validate_content(content, source, content_type=content_type)
    except InputError as error:
        run.problems.append(InputProblem(error.source or source, str(error), error.line, error.column))
        return run
    run.reports = result.reports
    run.notes = result.notes
    if not result.reports:
        run.sources_without_offers.append(source)
    return run


async def _input(request: Request, server) -> tuple[bytes, str, str | None]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        async with request.form() as form:
            upload = form.get("file")
            if upload is not None and hasattr(upload, "read"):
                data = await upload.read()
                if data:
                    declared = upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
                    return data, upload.filename or "upload", declared
            url = str(form.get("url") or "").strip()
        if url:
            return _fetch(url, server)
        raise InputError("send a file (field 'file') or an address (field 'url').", "request")
    if media == "application/x-www-form-urlencoded":
        async with request.form() as form:
            url = str(form.get("url") or "").strip()
            data = str(form.get("data") or "")
            declared_type = str(form.get("content_type") or "") or None
        if url:
            return _fetch(url, server)
        if data:
            return data.encode("utf-8"), "pasted.ttl", declared_type
        raise InputError("send 'url' or 'data'.", "request")
    if media == "application/json" and request.headers.get("content-type", "").find("ld+json") < 0:
        body = await request.body()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "url" in payload and "@context" not in payload:
            return _fetch(str(payload["url"]), server)
        return body, "upload.jsonld", "application/ld+json"
    body = await request.body()
    if not body:
        raise InputError("the request has no body: send RDF, a file, or an address to fetch.", "request")
    return body, "upload", media if media in RDF_TYPES else None


def _fetch(url: str, server) -> tuple[bytes, str, str | None]:
    fetched = fetch(
        url,
        accept=RDF_ACCEPT,
        limits=FetchLimits(total_timeout=30, max_bytes=server.settings.max_upload_bytes, retries=0),
        guard=public_only(server.settings.validate_allowed_hosts),
    )
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
