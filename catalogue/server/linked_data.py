"""Dereferencing every IRI the catalogue mints: offers and what they link to, sources, runs, records, versions, graphs.

``GET BASE/offer/SOURCE/KEY`` (and any other minted resource: ``/org/…``,
``/spec/…``, ``/place/…``, ``/outcome/…``, ``/source/…``, ``/run/…``, skolem IRIs
under ``/.well-known/genid/``) answers by content negotiation with 303 See
Other: browsers go to the offer's page on the guidance site (or a plain page),
RDF clients to a document of the same path with a format extension (``.ttl``,
``.jsonld``, ``.rdf``, ``.nt``), which answers 200 with ``Link`` headers to its
other formats. A resource is looked up in the public graphs, then the provenance
graph, then quarantine; an offer that was published and then withdrawn answers
410 Gone. Version IRIs of the change feed (``/version/N``) and graph names
(``/graph/…``) answer with their own descriptions; ``/dataset``, ``/publisher``
and ``/catalogue/record`` see other to the VoID and DCAT descriptions.

Any path that matches no route and no file of the site is tried as a minted IRI,
so a new kind of resource needs no new route. The IRI comes from the raw
(still percent-encoded) request path; it is checked as an IRI and read by terms
in a query worker (``resource_reads``), never written into SPARQL text.

``GET /data/offer.ttl?iri=IRI`` (or ``.jsonld``, ``.rdf``, ``.nt``) gives the
document of any published offer, also one that keeps its provider's own IRI.
"""

from __future__ import annotations

import asyncio
import re

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from catalogue.iris import graph_iri, graph_prefix
from catalogue.namespaces import DCTERMS, PREFIXES, RDF_TYPE, SD, VOID
from catalogue.publish.describe import Triples, dataset_iri, graph_sizes
from catalogue.urls import offer_page, offer_slug

from .api_docs import answers
from .feed import member_triples
from .negotiation import negotiate, prefers_html
from .query_pool import QueryAnswer, ResourceJob
from .resource_page import resource_page
from .resource_reads import BadIri, checked_iri

EXTENSIONS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
}
MEDIA_TO_EXTENSION = {f.media_type: ext for ext, f in EXTENSIONS.items()}
_OFFER_PAGE = re.compile(r"(?:sv|en)/offer/([^/]+)/([^/]+)\.html")
SEE_OTHER = {"dataset": "/.well-known/void", "publisher": "/catalogue", "catalogue/record": "/catalogue"}
DOCUMENT_TYPES = tuple(f.media_type for f in EXTENSIONS.values())
RDF_RESPONSES = answers("The offer as RDF", DOCUMENT_TYPES, {
    400: "The iri parameter is not an IRI", 404: "No published offer has this IRI (or no such format)",
    503: "Nothing published yet, or every query worker busy (see Retry-After)"})
DEREFERENCE_RESPONSES = answers("The resource's document (paths ending in .ttl, .jsonld, .rdf, .nt, .html)", (*DOCUMENT_TYPES, "text/html"), {
    404: "Not a resource of the catalogue", 406: "None of the accepted types is available", 410: "The offer was withdrawn",
    503: "Nothing published yet, or every query worker busy (see Retry-After)"},
    {303: {"description": "See the resource's page (browsers) or document (RDF clients)"}})


def router(server) -> APIRouter:
    api = APIRouter(tags=["Linked data"])

    @api.get("/data/offer.{extension}", summary="One published offer with everything it reaches, by its IRI",
             response_class=Response, responses=RDF_RESPONSES)
    async def offer_document(request: Request, extension: str, iri: str = Query(..., description="The offer's IRI")) -> Response:
        if extension not in EXTENSIONS:
            return PlainTextResponse("Available as: " + ", ".join(f"offer.{e}" for e in EXTENSIONS), status_code=404)
        try:
            checked_iri(iri)
        except BadIri as error:
            return PlainTextResponse(f"The iri parameter must be an absolute IRI: {error}", status_code=400)
        answer = await server.read(ResourceJob(iri, kind="offer", max_triples=server.settings.max_rows), request)
        if answer.status == "missing":
            return PlainTextResponse(f"<{iri}> is not a published offer.", status_code=404)
        if answer.status != "ok":
            return _failed(answer)
        body = await asyncio.get_running_loop().run_in_executor(None, _serialise, answer.body, extension)
        return Response(body, media_type=EXTENSIONS[extension].media_type, headers={"Cache-Control": "public, max-age=60"})

    @api.get("/offer/{source}/{key}", summary="An offer the catalogue minted an IRI for",
                   description="303 to its page or document by content negotiation; every other IRI the catalogue mints "
                   "(organisations, specifications, places, sources, runs, records, versions, graphs) answers the same way.",
                   response_class=Response, responses=DEREFERENCE_RESPONSES)
    async def offer(request: Request, source: str, key: str) -> Response:
        return await dereference(server, request)

    api.add_api_route("/offer/{source}/{key}", offer, methods=["HEAD"], include_in_schema=False)
    return api


async def dereference(server, request: Request) -> Response:
    """The answer for a minted IRI (the request's path under the catalogue's base), or 404."""
    base = server.config.base
    path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0].lstrip("/")
    if path in SEE_OTHER:
        return RedirectResponse(SEE_OTHER[path], status_code=303, headers={"Vary": "Accept"})
    page = _withdrawn_page(server, path)
    if page is not None:
        return Gone(base, *page)
    last = path.rsplit("/", 1)[-1]
    extension = last.rsplit(".", 1)[-1] if "." in last else None
    if extension not in EXTENSIONS and extension != "html":
        extension = None
    resource = f"{base}{path[: -(len(extension) + 1)] if extension else path}"
    try:
        checked_iri(resource)
    except BadIri:
        return _not_found(resource)
    if path.startswith("version/"):
        return _version(server, request, resource, extension)
    if path.startswith("graph/"):
        return _graph(server, request, resource, extension)
    answer = await server.read(ResourceJob(resource, max_triples=server.settings.max_rows), request)
    if extension is not None and answer.status == "missing":
        # The extension may be part of the IRI itself (a provider's key such as "intro.html").
        resource, extension = f"{base}{path}", None
        answer = await server.read(ResourceJob(resource, max_triples=server.settings.max_rows), request)
    if answer.status == "missing":
        change = server.state.last_change(resource) if server.state else None
        if change and change["kind"] == "delete":
            return Gone(base, resource, change)
        return _not_found(resource)
    if answer.status != "ok":
        return _failed(answer)
    if extension is not None:
        return await _document(server, resource, answer, extension)
    accept = request.headers.get("accept")
    if prefers_html(accept):
        return RedirectResponse(_html_location(server, resource, path.split("/", 1)[0]), status_code=303, headers={"Vary": "Accept"})
    media = negotiate(accept, list(MEDIA_TO_EXTENSION))
    if media is None:
        return PlainTextResponse("Available as: " + ", ".join(MEDIA_TO_EXTENSION), status_code=406, headers={"Vary": "Accept"})
    return RedirectResponse(f"/{path}.{MEDIA_TO_EXTENSION[media]}", status_code=303, headers={"Vary": "Accept"})


def _withdrawn_page(server, path: str) -> tuple[str, dict] | None:
    """(offer, its last change) when ``path`` is the old site page of an offer its source withdrew."""
    match = _OFFER_PAGE.fullmatch(path)
    if match is None or server.state is None:
        return None
    source, slug = match.group(1), match.group(2)
    base = server.config.base
    minted = f"{base}offer/{source}/{slug}"
    # A minted IRI gives its slug back; any other IRI's slug is a hash, found among the source's withdrawals.
    def candidates():
        yield minted
        yield from (o for o in server.state.withdrawn_offers(source) if o != minted)

    for offer in candidates():
        if offer_slug(offer, source, base) != slug:
            continue
        change = server.state.last_change(offer)
        if change and change["kind"] == "delete":
            return offer, change
    return None


class Gone(PlainTextResponse):
    """410 for an offer its source withdrew; keeps when, for the HTML page a browser gets instead."""

    def __init__(self, base: str, resource: str, change: dict):
        super().__init__(
            f"<{resource}> was withdrawn by its source on {change['time'][:10]}; it is no longer in the catalogue. "
            f"Search for similar offers at {base}.",
            status_code=410, headers={"Vary": "Accept"},
        )
        self.withdrawn_on: str = change["time"]


def _not_found(iri: str) -> Response:
    return PlainTextResponse(f"Not found: <{iri}> is not in the published catalogue.", status_code=404, headers={"Vary": "Accept"})


def _failed(answer: QueryAnswer) -> Response:
    status = {"busy": 503, "timeout": 503, "too-large": 413, "gone": 499}.get(answer.status, 500)
    headers = {"Retry-After": str(answer.retry_after or 5)} if status == 503 else {}
    return PlainTextResponse(answer.message, status_code=status, headers=headers)


def _serialise(ntriples: bytes, extension: str) -> bytes:
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    rdf_format = EXTENSIONS[extension]
    return ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None)


def _links(server, iri: str, extension: str) -> dict[str, str]:
    path = _path(server.config.base, iri)
    links = ", ".join(
        [f'<{path}.{ext}>; rel="alternate"; type="{fmt.media_type}"' for ext, fmt in EXTENSIONS.items()] + [f'<{path}>; rel="canonical"']
    )
    return {"Link": links, "Vary": "Accept", "Content-Location": f"{path}.{extension}", "Cache-Control": "public, max-age=60"}


async def _document(server, iri: str, answer: QueryAnswer, extension: str) -> Response:
    headers = _links(server, iri, extension)
    if extension == "html":
        triples = [q.triple for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]
        return HTMLResponse(_plain_page(server, iri, triples, answer.kind), headers=headers)
    body = await asyncio.get_running_loop().run_in_executor(None, _serialise, answer.body, extension)
    return Response(body, media_type=EXTENSIONS[extension].media_type, headers=headers)


def _triples_response(server, request: Request, iri: str, triples: list[ox.Triple], extension: str | None) -> Response:
    """A document the server writes itself (versions, graphs): same negotiation as stored resources."""
    if extension is None:
        accept = request.headers.get("accept")
        if prefers_html(accept):
            return RedirectResponse(f"{_path(server.config.base, iri)}.html", status_code=303, headers={"Vary": "Accept"})
        media = negotiate(accept, list(MEDIA_TO_EXTENSION))
        if media is None:
            return PlainTextResponse("Available as: " + ", ".join(MEDIA_TO_EXTENSION), status_code=406, headers={"Vary": "Accept"})
        return RedirectResponse(f"{_path(server.config.base, iri)}.{MEDIA_TO_EXTENSION[media]}", status_code=303, headers={"Vary": "Accept"})
    headers = _links(server, iri, extension)
    if extension == "html":
        return HTMLResponse(_plain_page(server, iri, triples, "public"), headers=headers)
    body = _serialise(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), extension)
    return Response(body, media_type=EXTENSIONS[extension].media_type, headers=headers)


def _version(server, request: Request, iri: str, extension: str | None) -> Response:
    number = iri.rsplit("/", 1)[-1]
    change = server.state.change(int(number)) if number.isdigit() and len(number) < 19 else None
    if change is None:
        return _not_found(iri)
    return _triples_response(server, request, iri, member_triples(server.config.base, change), extension)


def _graph(server, request: Request, iri: str, extension: str | None) -> Response:
    published = server.refresh()
    sizes = graph_sizes(published.meta)
    known = set(sizes) | {graph_iri(server.config.base, k) for k in ("vocabulary", "provenance")}
    prefix = graph_prefix(server.config.base)
    if iri not in known and not any(iri.startswith(f"{prefix}{k}/") for k in ("source", "records", "quarantine")):
        return _not_found(iri)
    g = Triples()
    g.add(iri, RDF_TYPE, SD + "NamedGraph")
    g.add(iri, SD + "name", iri)
    g.add(iri, DCTERMS + "isPartOf", dataset_iri(server.config))
    g.add(iri, VOID + "sparqlEndpoint", f"{server.config.base}sparql")
    if sizes.get(iri) is not None:
        g.add(iri, VOID + "triples", ox.Literal(str(sizes[iri]), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    return _triples_response(server, request, iri, g.triples, extension)


def _path(base: str, iri: str) -> str:
    return "/" + iri[len(base):]


def _html_location(server, iri: str, kind: str) -> str:
    site = server.settings.site_dir
    lang = server.config.languages[0] if server.config.languages else "en"
    if kind == "offer" and site is not None and (site / "index.html").exists():
        source = iri[len(server.config.base) + len("offer/"):].split("/", 1)[0]
        page = offer_page(iri, source, server.config.base, lang)
        if (site / page.lstrip("/")).exists():
            return page
    return f"{_path(server.config.base, iri)}.html"


def _plain_page(server, iri: str, triples: list[ox.Triple], scope: str) -> str:
    return resource_page(server.config.title, iri, _path(server.config.base, iri), triples, scope)
