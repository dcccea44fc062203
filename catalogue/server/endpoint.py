"""``/sparql``: the SPARQL 1.1 Protocol, read-only.

* Queries by GET (``query=``), POST form-encoded and POST ``application/sparql-query``,
  with ``default-graph-uri`` / ``named-graph-uri``; results by content negotiation
  (SPARQL JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads, TriG),
  or ``format=json|xml|csv|tsv|turtle|…`` for links.
* The default graph is the public catalogue; quarantine and provenance are named graphs.
* SPARQL Update is refused (403), as are SERVICE and over-long or malformed
  requests, each with a message saying why. Only a server started for the W3C
  conformance tests, bound to loopback, accepts updates (on its own in-memory store).
* GET without a query returns the Service Description (RDF), or a query page for browsers.
* Answers are kept while their generation is served and carry an ETag (``answer_cache.py``):
  a repeated query is answered from memory, a conditional one with 304.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from catalogue.namespaces import PREFIXES
from catalogue.publish.describe import service_description
from catalogue.store.sparql_check import QueryCheck, QueryRefused, check
from catalogue.store.sparql_text import add_using, names_its_update_dataset
from catalogue.templates import render

from .answer_cache import AnswerCache
from .api_docs import NOT_MODIFIED, RDF_TYPES, answers
from .negotiation import negotiate, prefers_html
from .query_pool import GRAPH_MEDIA, QueryAnswer, QueryJob, execute
from .resource_reads import BadIri, checked_iri
from .results import GRAPH_FORMATS

STATUS = {
    "ok": 200, "syntax": 400, "forbidden": 403, "missing": 404, "too-large": 413, "not-acceptable": 406, "timeout": 503,
    "busy": 503, "failed": 500, "gone": 499,
}

EXAMPLES = [
    {
        "id": "by-field-and-level",
        "title": {"en": "Micro-credentials in ICT at EQF level 6", "sv": "Mikromeriter inom IKT på EQF-nivå 6"},
        "query": """SELECT ?offer ?title ?provider WHERE {
  ?record foaf:primaryTopic ?offer ; mcc:microCredential true .
  ?offer elm:learningAchievementSpecification ?spec ; dcterms:title ?title ;
         elm:providedBy/rov:legalName ?provider .
  ?spec elm:ISCEDFCode ?field ; elm:educationLevel <http://data.europa.eu/snb/eqf/6> .
  ?field skos:broader* <http://data.europa.eu/snb/isced-f/06> .
  FILTER(LANG(?title) = "en" && LANG(?provider) = "en")
}
ORDER BY ?title""",
    },
    {
        "id": "online-swedish-next-month",
        "title": {"en": "Online offers in Swedish starting next month", "sv": "Distansutbildningar på svenska som startar nästa månad"},
        "query": """SELECT ?offer ?title ?start WHERE {
  ?offer a elm:LearningOpportunity ; dcterms:title ?title ;
         elm:mode <http://data.europa.eu/snb/learning-assessment/920fbb3cbe> ;
         elm:learningAchievementSpecification/dcterms:language <http://publications.europa.eu/resource/authority/language/SWE> ;
         dcterms:temporal/elm:startDate ?start .
  BIND(NOW() AS ?now)
  BIND(YEAR(?now) * 12 + MONTH(?now) AS ?thisMonth)
  FILTER(YEAR(?start) * 12 + MONTH(?start) = ?thisMonth + 1)
  FILTER(LANG(?title) = "sv")
}
ORDER BY ?start""",
    },
    {
        "id": "providers-per-country",
        "title": {"en": "Providers per country", "sv": "Anordnare per land"},
        "query": """SELECT ?country (COUNT(DISTINCT ?provider) AS ?providers) (COUNT(DISTINCT ?offer) AS ?offers) WHERE {
  ?offer a elm:LearningOpportunity ; elm:providedBy ?provider .
  ?provider elm:location/elm:address/elm:countryCode ?code .
  ?code skos:prefLabel ?country FILTER(LANG(?country) = "en")
}
GROUP BY ?country
ORDER BY DESC(?offers)""",
    },
    {
        "id": "missing-elements",
        "title": {"en": "What keeps offers from being micro-credentials", "sv": "Vad som saknas för att vara mikromerit"},
        "query": """SELECT ?element (COUNT(?offer) AS ?offers) WHERE {
  ?record foaf:primaryTopic ?offer ; mcc:missingElement ?e .
  ?e skos:prefLabel ?element FILTER(LANG(?element) = "en")
}
GROUP BY ?element
ORDER BY DESC(?offers)""",
    },
]


DATASET_PARAMETERS = [
    {"name": "default-graph-uri", "in": "query", "required": False, "description": "A graph of the query's default graph (repeatable); "
     "without it, the default graph is the public catalogue", "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
     "style": "form", "explode": True},
    {"name": "named-graph-uri", "in": "query", "required": False, "description": "A named graph the query may use (repeatable)",
     "schema": {"type": "array", "items": {"type": "string", "format": "uri"}}, "style": "form", "explode": True},
    {"name": "format", "in": "query", "required": False, "description": "The result format by name (json, xml, csv, tsv, turtle, "
     "ntriples, jsonld, rdfxml) or media type; tried before the Accept header", "schema": {"type": "string"}},
]
GET_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "description": "The SPARQL 1.1 query; without it, the SPARQL service "
     "description (or a query page for browsers). Queries longer than a request line allows (8 KB) go by POST",
     "schema": {"type": "string", "maxLength": 6000}},
    *DATASET_PARAMETERS,
]
POST_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["query"], "properties": {
            "query": {"type": "string"}, "default-graph-uri": {"type": "array", "items": {"type": "string"}},
            "named-graph-uri": {"type": "array", "items": {"type": "string"}}}}},
        "application/sparql-query": {"schema": {"type": "string"}},
    },
}
RESPONSES = answers(
    "Query results (SELECT, ASK: SPARQL JSON, XML, CSV, TSV; CONSTRUCT, DESCRIBE: Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads, TriG), "
    "the service description, or the query page",
    ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values", *RDF_TYPES, "text/html"),
    {400: "Not valid SPARQL, nested too deeply, or a malformed request", 403: "SERVICE or SPARQL Update: refused on this read-only endpoint",
     405: "Update by GET", 406: "No acceptable result format for this kind of query",
     413: "The request, the result or the memory the query needs is over this endpoint's limit",
     415: "A request body of another media type or charset", 503: "Time limit reached, or every query worker busy (see Retry-After)"},
    NOT_MODIFIED,
)


class ProtocolError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


def router(server) -> APIRouter:
    api = APIRouter(tags=["SPARQL"])

    @api.get("/sparql", summary="SPARQL 1.1 query by GET; without a query, the service description",
             response_class=Response, responses=RESPONSES, openapi_extra={"parameters": GET_PARAMETERS})
    @api.post("/sparql", summary="SPARQL 1.1 query by POST (a form, or the query itself as the body)",
              response_class=Response, responses=RESPONSES, openapi_extra={"parameters": DATASET_PARAMETERS, "requestBody": POST_BODY})
    @api.api_route("/sparql", methods=["HEAD"], include_in_schema=False)
    @api.api_route("/sparql/", methods=["GET", "POST", "HEAD"], include_in_schema=False)
    async def sparql(request: Request) -> Response:
        try:
            operation, text, params = await _read(request)
        except ProtocolError as error:
            return PlainTextResponse(error.message, status_code=error.status)
        accept = request.headers.get("accept")
        if operation is None:
            try:
                _check_graphs(params.get("default-graph-uri"), params.get("named-graph-uri"))
            except QueryRefused as refused:
                return PlainTextResponse(refused.message, status_code=refused.status)
            return _description(server, request, accept)
        if operation == "update":
            return _update(server, request, text, params)
        job = QueryJob(
            query=text,
            accept=accept,
            formats=params.get("format", []) + params.get("output", []),
            default_graphs=params.get("default-graph-uri"),
            named_graphs=params.get("named-graph-uri"),
            max_rows=server.settings.max_rows,
            base_iri=str(request.url).split("?")[0],
        )
        html = prefers_html(accept) and not job.formats
        try:
            # Lexing and hashing a large query are CPU work: off the event loop.
            checked = await asyncio.get_running_loop().run_in_executor(None, _prepare, job)
        except QueryRefused as refused:
            if html:
                return _query_page(server, request, text, QueryAnswer(_REFUSED.get(refused.status, "syntax"), message=refused.message))
            return PlainTextResponse(refused.message, status_code=refused.status)
        if html:
            job.accept = "application/sparql-results+json" if not checked.graph_form else "text/turtle"
        answer, etag = await _run(server, request, job, checked, None if html else request.headers.get("if-none-match"))
        if html:
            return _query_page(server, request, text, answer)
        return _answer(answer, etag)

    @api.api_route("/sparql", methods=["PUT", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False)
    async def wrong_method(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": "GET, POST, HEAD, OPTIONS"})
        return PlainTextResponse("The SPARQL endpoint answers GET and POST only.", status_code=405, headers={"Allow": "GET, POST, HEAD"})

    return api


_REFUSED = {400: "syntax", 403: "forbidden"}


def _prepare(job: QueryJob) -> QueryCheck:
    """The query's tokens checked (SERVICE refused, nesting bounded) and the dataset it names, before it runs."""
    checked = check(job.query)
    if checked.service:
        raise QueryRefused(403, "SERVICE (federated queries to other endpoints) is switched off on this endpoint.")
    _check_graphs(job.default_graphs, job.named_graphs)
    job.names_dataset = checked.names_dataset
    return checked


def _check_graphs(default_graphs: list[str] | None, named_graphs: list[str] | None) -> None:
    for name, graphs in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
        for graph in graphs or ():
            try:
                checked_iri(graph)
            except BadIri as error:
                raise QueryRefused(400, f"The {name} parameter must be an IRI: {error}") from None


async def _read(request: Request) -> tuple[str | None, str, dict[str, list[str]]]:
    """(operation, text, parameters) from a protocol request, or ProtocolError for a malformed one."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if request.method in ("GET", "HEAD"):
        if "update" in params:
            raise ProtocolError(405, "SPARQL Update cannot be sent with GET; and this endpoint is read-only.")
        return _single(params, "query")
    content_type = request.headers.get("content-type", "")
    media, _, options = content_type.partition(";")
    media = media.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", options, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"Requests must be UTF-8; this one declares {charset.group(1)}.")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "The request body is not valid UTF-8.") from None
    if media == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        for key, values in form.items():
            params.setdefault(key, []).extend(values)
        if "query" in form and "update" in form:
            raise ProtocolError(400, "Send either a query or an update, not both.")
        if "update" in params:
            operation, update, _ = _single(params, "update")
            return operation, update, params
        if not params.get("query"):
            raise ProtocolError(400, "The form has no query: send query=... (or GET /sparql without one for the service description).")
        return _single(params, "query")
    if media == "application/sparql-query":
        if "query" in params:
            raise ProtocolError(400, "Give the query either in the body or as the query parameter, not both.")
        return "query", text, params
    if media == "application/sparql-update":
        return "update", text, params
    raise ProtocolError(
        415,
        "POST a query as application/x-www-form-urlencoded (query=…) or as application/sparql-query; "
        f"this request is {media or 'without a content type'}.",
    )


def _single(params: dict[str, list[str]], name: str) -> tuple[str | None, str, dict[str, list[str]]]:
    values = params.get(name, [])
    if len(values) > 1:
        raise ProtocolError(400, f"Send one {name}, not {len(values)}.")
    if not values:
        return None, "", params
    return name, values[0], params


async def _run(server, request: Request, job: QueryJob, checked: QueryCheck, if_none_match: str | None = None) -> tuple[QueryAnswer, str | None]:
    """The answer, and its ETag when it is the same for as long as the current generation is served."""
    if server.update_store is not None:
        return execute(server.update_store.store, [], job), None
    published = server.refresh()
    if published.generation is None:
        return await server.read(job, request), None
    generation = published.generation
    # Only a snapshot is immutable; a remote store can be written between two generations.
    key = AnswerCache.key(generation.id, job, checked.volatile) if generation.has_snapshot else None
    if key is not None and if_none_match and f'"{key}"' in if_none_match:
        return QueryAnswer("not-modified"), key
    answer = server.answers.get(key) if key is not None else None
    if answer is None:
        answer = await server.read(job, request)
        if key is not None:
            server.answers.put(key, generation.id, answer)
    return answer, key if answer.status == "ok" else None


def _answer(answer: QueryAnswer, etag: str | None = None) -> Response:
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if etag:
        headers["ETag"] = f'"{etag}"'
    if answer.status == "not-modified":
        return Response(status_code=304, headers=headers)
    status = STATUS.get(answer.status, 500)
    if answer.status != "ok":
        headers = {"Retry-After": str(answer.retry_after or 5)} if answer.status in ("busy", "timeout") else {}
        return PlainTextResponse(answer.message, status_code=status, headers=headers)
    return Response(answer.body, media_type=answer.media_type, headers={**headers, "X-Result-Count": str(answer.count)})


def _update(server, request: Request, text: str, params: dict[str, list[str]]) -> Response:
    if server.update_store is None:
        return PlainTextResponse(
            "This endpoint is read-only: SPARQL Update is refused. The catalogue changes only through harvests.",
            status_code=403,
        )
    using, using_named = params.get("using-graph-uri", []), params.get("using-named-graph-uri", [])
    if using or using_named:
        if names_its_update_dataset(text):
            return PlainTextResponse("Give the dataset either in the update (USING/WITH) or as protocol parameters, not both.", status_code=400)
        text = add_using(text, using, using_named)
    try:
        server.update_store.store.update(text, base_iri=str(request.url).split("?")[0])
    except SyntaxError as error:
        return PlainTextResponse(f"The update is not valid SPARQL: {error}", status_code=400)
    except OSError as error:
        return PlainTextResponse(f"The update failed: {error}", status_code=500)
    return Response(status_code=204)


def _description(server, request: Request, accept: str | None) -> Response:
    if prefers_html(accept):
        return _query_page(server, request, "", None)
    media = negotiate(accept, GRAPH_MEDIA) or "text/turtle"
    endpoint = str(request.url).split("?")[0]
    meta = server.refresh().meta
    import pyoxigraph as ox

    triples = service_description(server.config, meta, endpoint, updates=server.update_store is not None)
    rdf_format = GRAPH_FORMATS[media]
    items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if rdf_format.supports_datasets else triples
    prefixes = {p: PREFIXES[p] for p in ("sd", "void", "dcterms", "rdfs", "xsd")}
    body = ox.serialize(items, format=rdf_format, prefixes=prefixes if rdf_format == ox.RdfFormat.TURTLE else None)
    return Response(body, media_type=rdf_format.media_type, headers={"Vary": "Accept"})


def _query_page(server, request: Request, query: str, answer: QueryAnswer | None) -> HTMLResponse:
    import json

    lang = "sv" if (request.headers.get("accept-language", "").lower().startswith("sv")) else "en"
    table = None
    if answer is not None and answer.status == "ok" and answer.media_type.startswith("application/sparql-results+json"):
        data = json.loads(answer.body)
        if "boolean" in data:
            table = {"boolean": data["boolean"]}
        else:
            table = {"vars": data["head"]["vars"], "rows": data["results"]["bindings"]}
    elif answer is not None and answer.status == "ok":
        table = {"text": answer.body.decode("utf-8", "replace")}
    page = render(
        "api/sparql.html",
        lang=lang,
        title=server.config.title,
        query=query or EXAMPLES[0]["query"],
        examples=EXAMPLES,
        answer=answer,
        table=table,
        settings=server.settings,
        prefixes=PREFIXES,
    )
    status = STATUS.get(answer.status, 200) if answer is not None else 200
    return HTMLResponse(page, status_code=status)
