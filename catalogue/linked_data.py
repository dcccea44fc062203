"""Dereferencing the catalogue's own IRIs: offers, organisations, specifications, sources, records, runs.

``GET BASE/offer/SOURCE/KEY`` answers by content negotiation with 303 See Other:
browsers go to the offer's page on the guidance site (or a plain page when the
site has not been built), RDF clients to a document of the same path with a
format extension (``.ttl``, ``.jsonld``, ``.rdf``, ``.nt``), which answers 200
with ``Link`` headers to its other formats. Every answer carries ``Vary: Accept``.

Offers that keep their provider's own IRIs (harvested as RDF) cannot be
dereferenced here; ``GET /data/offer.ttl?iri=IRI`` (or ``.jsonld``, ``.rdf``,
``.nt``) gives the same document for any published offer: the offer, all it
reaches in its source's graph, and its catalogue record.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from .namespaces import PREFIXES, RDF_TYPE, curie
from .negotiation import negotiate, prefers_html
from .templates import render
from .urls import offer_page

EXTENSIONS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
}
MEDIA_TO_EXTENSION = {f.media_type: ext for ext, f in EXTENSIONS.items()}
KINDS = ("offer", "org", "spec", "source", "record", "run", "version")


def router(server) -> APIRouter:
    api = APIRouter(tags=["Linked data"])

    def dereference(request: Request, rest: str) -> Response:
        kind = request.url.path.split("/")[1]
        store = server.local_store()
        if store is None:
            return PlainTextResponse("Nothing has been published yet.", status_code=503)
        base = server.config.base
        iri = f"{base}{kind}/{rest}"
        extension = rest.rsplit(".", 1)[-1] if "." in rest.rsplit("/", 1)[-1] else None
        if extension in EXTENSIONS or extension == "html":
            resource = iri[: -(len(extension) + 1)]
            if not _exists(store, iri):
                return _document(server, store, resource, extension)
        if not _exists(store, iri):
            return PlainTextResponse(f"<{iri}> is not in the published catalogue.", status_code=404, headers={"Vary": "Accept"})
        accept = request.headers.get("accept")
        if prefers_html(accept):
            return RedirectResponse(_html_location(server, store, iri, kind), status_code=303, headers={"Vary": "Accept"})
        media = negotiate(accept, list(MEDIA_TO_EXTENSION))
        if media is None:
            return PlainTextResponse("Available as: " + ", ".join(MEDIA_TO_EXTENSION), status_code=406, headers={"Vary": "Accept"})
        return RedirectResponse(f"{_path(base, iri)}.{MEDIA_TO_EXTENSION[media]}", status_code=303, headers={"Vary": "Accept"})

    @api.get("/data/offer.{extension}", tags=["Linked data"], summary="One published offer with everything it reaches, by its IRI")
    def offer_document(extension: str, iri: str) -> Response:
        if extension not in EXTENSIONS:
            return PlainTextResponse("Available as: " + ", ".join(f"offer.{e}" for e in EXTENSIONS), status_code=404)
        store = server.local_store()
        if store is None:
            return PlainTextResponse("Nothing has been published yet.", status_code=503)
        triples = offer_triples(store, iri)
        if not triples:
            return PlainTextResponse(f"<{iri}> is not a published offer.", status_code=404)
        rdf_format = EXTENSIONS[extension]
        body = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None)
        return Response(body, media_type=rdf_format.media_type, headers={"Cache-Control": "public, max-age=60"})

    # One route per kind of resource, so that every other path reaches the static guidance site.
    for kind in KINDS:
        api.add_api_route(f"/{kind}/{{rest:path}}", dereference, methods=["GET", "HEAD"], include_in_schema=False)
    api.add_api_route("/.well-known/genid/{rest:path}", _genid(dereference), methods=["GET", "HEAD"], include_in_schema=False)
    return api


def _genid(dereference):
    def skolem(request: Request, rest: str) -> Response:
        return dereference(request, "genid/" + rest)

    return skolem


def _path(base: str, iri: str) -> str:
    return "/" + iri[len(base):]


def _exists(store, iri: str) -> bool:
    """Whether the public catalogue says anything about ``iri`` or has a record about it."""
    return bool(store.query(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?record foaf:primaryTopic <{iri}> }} }}"))


def description(store, iri: str) -> list[ox.Triple]:
    """The resource, its own sub-resources (IRIs below it, skolem IRIs) and any catalogue record about it."""
    seen = {iri}
    queue = [iri]
    found: list[ox.Triple] = []
    for row in store.query(f"SELECT ?record WHERE {{ ?record foaf:primaryTopic <{iri}> }}"):
        record = row["record"].value
        if record not in seen:
            seen.add(record)
            queue.append(record)
    while queue:
        node = queue.pop()
        for row in store.query(f"SELECT ?p ?o WHERE {{ <{node}> ?p ?o }}"):
            found.append(ox.Triple(ox.NamedNode(node), row["p"], row["o"]))
            obj = row["o"]
            if isinstance(obj, ox.NamedNode) and obj.value not in seen and (obj.value.startswith(iri + "/") or "/.well-known/genid/" in obj.value):
                seen.add(obj.value)
                queue.append(obj.value)
    return list(dict.fromkeys(found))


def offer_triples(store, iri: str) -> list[ox.Triple]:
    """A published offer as its source gave it (closure in the source graph), and its catalogue record."""
    rows = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> a elm:LearningOpportunity }} }}", default_graphs=[])
    graphs = [row["g"].value for row in rows if "/graph/source/" in row["g"].value]
    if not graphs:
        return []
    triples = store.closure(graphs, iri)
    for row in store.query(f"SELECT ?record ?p ?o WHERE {{ ?record foaf:primaryTopic <{iri}> ; ?p ?o }}"):
        triples.append(ox.Triple(row["record"], row["p"], row["o"]))
    return list(dict.fromkeys(triples))


def _document(server, store, iri: str, extension: str) -> Response:
    triples = description(store, iri)
    if not triples:
        return PlainTextResponse(f"<{iri}> is not in the published catalogue.", status_code=404)
    base = server.config.base
    path = _path(base, iri)
    links = ", ".join(
        [f'<{path}.{ext}>; rel="alternate"; type="{fmt.media_type}"' for ext, fmt in EXTENSIONS.items()]
        + [f'<{path}>; rel="canonical"']
    )
    headers = {"Link": links, "Vary": "Accept", "Content-Location": f"{path}.{extension}", "Cache-Control": "public, max-age=60"}
    if extension == "html":
        return HTMLResponse(_plain_page(server, iri, triples), headers=headers)
    rdf_format = EXTENSIONS[extension]
    body = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None)
    return Response(body, media_type=rdf_format.media_type, headers=headers)


def _html_location(server, store, iri: str, kind: str) -> str:
    site = server.settings.site_dir
    lang = server.config.languages[0] if server.config.languages else "en"
    if kind == "offer" and site is not None and (site / "index.html").exists():
        source = iri[len(server.config.base) + len("offer/"):].split("/", 1)[0]
        page = offer_page(iri, source, server.config.base, lang)
        if (site / page.lstrip("/")).exists():
            return page
    return f"{_path(server.config.base, iri)}.html"


def _plain_page(server, iri: str, triples: list[ox.Triple]) -> str:
    rows = [
        {
            "subject": t.subject.value,
            "predicate": curie(t.predicate.value),
            "object": t.object.value,
            "object_is_iri": isinstance(t.object, ox.NamedNode),
            "language": getattr(t.object, "language", None),
        }
        for t in sorted(triples, key=lambda t: (t.subject.value != iri, t.subject.value, t.predicate.value != RDF_TYPE, t.predicate.value))
    ]
    return render("api/resource.html", lang="en", title=server.config.title, iri=iri, rows=rows, path=_path(server.config.base, iri))
