"""Dataset descriptions, dumps, health and metrics.

* ``/.well-known/void`` (and ``/void``): VoID; ``/catalogue``: DCAT-AP 3 — both by content negotiation.
* ``/dumps/catalogue.nq.gz`` and ``/dumps/catalogue.ttl.gz``: the full published catalogue, with
  ETag (the file's SHA-256), Last-Modified, conditional GET and range requests.
* ``/health``: whether the store is reachable and when each source was last harvested.
* ``/metrics``: request and query counters in the Prometheus text format.
"""

from __future__ import annotations

import email.utils
from datetime import datetime

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from .describe import dcat_catalogue, void_description
from .errors import CatalogueError
from .namespaces import PREFIXES
from .negotiation import negotiate
from .results import GRAPH_FORMATS

RDF_MEDIA = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads", "application/trig"]
DESCRIPTION_PREFIXES = {
    **PREFIXES,
    "spdx": "http://spdx.org/rdf/terms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def rdf_response(triples: list[ox.Triple], accept: str | None, headers: dict[str, str] | None = None) -> Response:
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

    @api.get("/.well-known/void", tags=["Dataset descriptions"], summary="VoID description of the catalogue")
    @api.get("/void", include_in_schema=False)
    def void(request: Request) -> Response:
        published = server.refresh()
        example = None
        if published.search is not None:
            row = published.search.db.execute("SELECT iri FROM offers ORDER BY iri LIMIT 1").fetchone()
            example = row[0] if row else None
        return rdf_response(void_description(server.config, published.meta, example), request.headers.get("accept"))

    @api.get("/catalogue", tags=["Dataset descriptions"], summary="DCAT-AP 3 catalogue record with its distributions")
    def catalogue(request: Request) -> Response:
        return rdf_response(dcat_catalogue(server.config, server.refresh().meta), request.headers.get("accept"))

    @api.get("/dumps/{name}", tags=["Dumps"], summary="Full dump of the published catalogue")
    def dump(name: str, request: Request) -> Response:
        published = server.refresh()
        info = published.meta.get("dumps", {}).get(name)
        if published.generation is None or info is None:
            return PlainTextResponse(f"No dump called {name}. Available: " + ", ".join(published.meta.get("dumps", {})), status_code=404)
        path = published.generation.dumps / name
        etag = f'"{info["sha256"]}"'
        modified = _http_date(published.meta.get("created"))
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        media = "application/n-quads" if ".nq" in name else "text/turtle"
        return FileResponse(
            path,
            media_type=media,
            filename=name,
            headers={"ETag": etag, "Last-Modified": modified, "Cache-Control": "public, max-age=300"},
            content_disposition_type="attachment",
        )

    @api.get("/health", tags=["Status"], summary="Store reachable, generation served, last harvest per source")
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

    @api.get("/metrics", tags=["Status"], summary="Counters in the Prometheus text format")
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
            "# TYPE catalogue_offers gauge",
            f"catalogue_offers {published.meta.get('offers', 0)}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return api


def _http_date(iso: str | None) -> str:
    if not iso:
        return email.utils.formatdate(usegmt=True)
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return email.utils.format_datetime(moment, usegmt=True)
