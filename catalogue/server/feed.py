"""``/feed``: the change feed, a Linked Data Event Stream of offer versions.

Every publish appends to a change log (``changes`` in the state database):
an offer created or changed becomes a version object (``BASE/version/N``, the
offer's triples with the offer as ``dcterms:isVersionOf``), an offer withdrawn
from its source, or moved to quarantine, becomes a tombstone (``as:Delete``).

A member is the offer's whole description: its closure as the harvest cut it
(specification, outcomes, provider, prices, places…), not only the statements
about the offer itself, whose concise bounded description is about a tenth of
it. In the dataset formats (TriG, N-Quads, JSON-LD) each member's statements
are in a named graph named by the version, which the TREE member extraction
reads as the member (and which keeps two versions of one offer on one page
apart); the version's own statements (``dcterms:isVersionOf``, the time, the
activity type) and the hypermedia are in the default graph. Turtle and
N-Triples, which have no graphs, carry the same statements merged.
Members are paged 100 at a time in the order they happened; each page links to
the next with a ``tree:GreaterThanOrEqualToRelation`` on the time of change.
A full page with a next page never changes again: it says ``ldes:immutable`` and is served with
``Cache-Control: immutable`` (a full last page still gains its relation to the next page).
A platform replicates the catalogue by reading the pages from the first, and
stays in sync by coming back to the last one it read.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from catalogue.namespaces import DCTERMS, LDES, RDF_TYPE, TREE, XSD
from catalogue.publish.describe import Triples

from .api_docs import NOT_ACCEPTABLE, NOT_MODIFIED, answers
from .negotiation import negotiate, prefers_html
from .resource_page import resource_page
from .results import GRAPH_FORMATS

PAGE_SIZE = 100
MAX_PAGE = 2**40  # beyond any feed, and far from SQLite's 64-bit integers
AS = "https://www.w3.org/ns/activitystreams#"
MEDIA = ["text/turtle", "application/ld+json", "application/n-triples", "application/n-quads", "application/trig"]
PREFIXES = {"ldes": LDES, "tree": TREE, "dcterms": DCTERMS, "as": AS, "xsd": XSD, "elm": "http://data.europa.eu/snb/model/elm/"}


def router(server) -> APIRouter:
    api = APIRouter(tags=["Change feed"])

    @api.get("/feed", summary="The event stream: how to read it, and its first page", response_class=Response,
             responses=answers("The LDES event stream (a plain page for browsers)", (*MEDIA, "text/html"), NOT_ACCEPTABLE, NOT_MODIFIED))
    def stream(request: Request) -> Response:
        base = server.config.base
        g = Triples()
        feed = f"{base}feed"
        _stream(g, feed)
        g.add(feed, LDES + "pollingInterval", ox.Literal("3600", datatype=ox.NamedNode(XSD + "integer")))
        g.add(feed, DCTERMS + "title", ox.Literal("Changes to the catalogue's learning opportunities", language="en"))
        g.add(feed, DCTERMS + "license", server.config.licence)
        g.add(feed, TREE + "view", f"{feed}/page/1")
        g.add(f"{feed}/page/1", RDF_TYPE, TREE + "Node")
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in g.triples]
        return _respond(quads, request, immutable=False, etag=f"{FORMAT}-{server.state.change_count()}", page=(server.config.title, feed))

    @api.get("/feed/page/{number}", summary="One page of the event stream", response_class=Response,
             responses=answers("One page: up to 100 members and a relation to the next page", (*MEDIA, "text/html"),
                               {404: "No such page (yet)", **NOT_ACCEPTABLE}, NOT_MODIFIED))
    def page(number: int, request: Request) -> Response:
        if number < 1:
            return PlainTextResponse("Pages start at 1.", status_code=404)
        if number > MAX_PAGE:
            return PlainTextResponse(f"The feed has no page {number}.", status_code=404)
        base = server.config.base
        feed = f"{base}feed"
        node = f"{feed}/page/{number}"
        changes = server.state.changes(after=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
        if not changes and number > 1:
            return PlainTextResponse(f"The feed has no page {number} yet.", status_code=404)
        members, following = changes[:PAGE_SIZE], changes[PAGE_SIZE:]
        g = Triples()
        g.add(node, RDF_TYPE, TREE + "Node")
        _stream(g, feed)  # how to read the members, on every page: a reader may start at any of them
        g.add(feed, TREE + "view", f"{feed}/page/1")
        full = len(members) == PAGE_SIZE
        if full and following:
            # Only then can the page not change again: a full last page still gains its relation to the next one.
            g.add(node, LDES + "immutable", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")))
        if following:
            relation = ox.BlankNode()
            g.add(node, TREE + "relation", relation)
            g.add(relation, RDF_TYPE, TREE + "GreaterThanOrEqualToRelation")
            g.add(relation, TREE + "path", DCTERMS + "created")
            g.add(relation, TREE + "value", ox.Literal(following[0]["time"], datatype=ox.NamedNode(XSD + "dateTime")))
            g.add(relation, TREE + "node", f"{feed}/page/{number + 1}")
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in g.triples]
        for change in members:
            quads.append(ox.Quad(ox.NamedNode(feed), ox.NamedNode(TREE + "member"), ox.NamedNode(f"{base}version/{change['seq']}")))
            quads.extend(member_quads(base, change))
        # FORMAT names the shape of the members, so that a page cached before they became whole is fetched again.
        digest = hashlib.sha256(f"{FORMAT}:{number}:{members[-1]['seq'] if members else 0}:{bool(following)}".encode()).hexdigest()[:20]
        return _respond(quads, request, immutable=full and bool(following), etag=digest, page=(server.config.title, node))

    return api


FORMAT = "members-in-named-graphs"


def _stream(g: Triples, feed: str) -> None:
    """The event stream and how its members are read."""
    g.add(feed, RDF_TYPE, LDES + "EventStream")
    g.add(feed, LDES + "timestampPath", DCTERMS + "created")
    g.add(feed, LDES + "versionOfPath", DCTERMS + "isVersionOf")
    g.add(feed, LDES + "versionDeletePath", RDF_TYPE)
    g.add(feed, LDES + "versionDeleteObject", AS + "Delete")
    g.add(feed, LDES + "versionCreatePath", RDF_TYPE)
    g.add(feed, LDES + "versionCreateObject", AS + "Create")
    g.add(feed, LDES + "versionUpdatePath", RDF_TYPE)
    g.add(feed, LDES + "versionUpdateObject", AS + "Update")


def member_quads(base: str, change: dict) -> list[ox.Quad]:
    """One version object of the feed: what changed and when (default graph), and the offer's whole description,
    its closure as the harvest stored it with the version as the offer's subject, in the graph named by the version."""
    g = Triples()
    version = f"{base}version/{change['seq']}"
    offer = change["offer"]
    g.add(version, DCTERMS + "isVersionOf", offer)
    g.add(version, DCTERMS + "created", ox.Literal(change["time"], datatype=ox.NamedNode(XSD + "dateTime")))
    kind = {"create": "Create", "update": "Update", "delete": "Delete"}[change["kind"]]
    g.add(version, RDF_TYPE, AS + kind)
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in g.triples]
    if change["kind"] == "delete" or not change["content"]:
        return quads
    subject, graph = ox.NamedNode(offer), ox.NamedNode(version)
    for quad in ox.parse(change["content"].encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
        s = graph if quad.subject == subject else quad.subject
        quads.append(ox.Quad(s, quad.predicate, quad.object, graph))
    return quads


def member_triples(base: str, change: dict) -> list[ox.Triple]:
    """One version object as triples (its document ``/version/N``): what changed, when, and the offer's statements."""
    return list(dict.fromkeys(q.triple for q in member_quads(base, change)))


def _respond(quads: list[ox.Quad], request: Request, immutable: bool, etag: str, page: tuple[str, str]) -> Response:
    triples = list(dict.fromkeys(q.triple for q in quads))  # for the formats without graphs: the members merged
    if prefers_html(request.headers.get("accept")):
        return HTMLResponse(resource_page(page[0], page[1], "", triples, formats=False), headers={"Vary": "Accept"})
    media = negotiate(request.headers.get("accept"), MEDIA)
    if media is None:
        return PlainTextResponse("Available as: " + ", ".join(MEDIA), status_code=406)
    quoted = f'"{etag}-{media.split("/")[1]}"'
    cache = "public, max-age=31536000, immutable" if immutable else "public, max-age=60"
    headers = {"ETag": quoted, "Cache-Control": cache, "Vary": "Accept"}
    if request.headers.get("if-none-match") == quoted:
        return Response(status_code=304, headers=headers)
    rdf_format = GRAPH_FORMATS[media]
    items = quads if rdf_format.supports_datasets else triples
    body = ox.serialize(items, format=rdf_format, prefixes=PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None)
    return Response(body, media_type=rdf_format.media_type, headers=headers)
