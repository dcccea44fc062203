"""The HTTP API against a real server on 127.0.0.1, with real clients (SPARQLWrapper, rdflib, requests)."""

from __future__ import annotations

import concurrent.futures
import gzip
import time

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import EXAMPLES, free_port

PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}/"
OFFERS = 17
OFFER = "https://data.norrsunda.example/lo/2027-data-analysis-python"
COUNT = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a elm:LearningOpportunity }"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(STR(?c) != STR(?i)) }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("api-data")
    config = publish_examples(data, BASE)
    settings = settings_for(config, query_timeout=3.0, max_rows=500, validate_allowed_hosts=())
    settings = type(settings)(**{**settings.__dict__, "port": PORT})
    with LiveServer(config, settings) as live:
        yield live


def sparql(server, query: str, fmt=JSON, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(f"{server.url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def test_sparqlwrapper_reads_every_result_format(server):
    result = sparql(server, COUNT).queryAndConvert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) == OFFERS
    xml = sparql(server, COUNT, XML).queryAndConvert()
    assert xml.getElementsByTagName("literal")[0].firstChild.data == str(OFFERS)
    csv = sparql(server, COUNT, CSV).queryAndConvert().decode()
    assert csv.splitlines() == ["n", str(OFFERS)]
    tsv = sparql(server, COUNT, TSV).queryAndConvert().decode()
    assert tsv.splitlines()[0] == "?n" and tsv.splitlines()[1].startswith(f'"{OFFERS}"')
    assert sparql(server, "ASK { ?o a elm:LearningOpportunity }").queryAndConvert()["boolean"] is True
    assert sparql(server, COUNT, JSON, "POST").queryAndConvert()["results"]["bindings"][0]["n"]["value"] == str(OFFERS)


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
])
def test_construct_in_every_rdf_format_parses_back(server, accept, rdflib_format):
    query = f"CONSTRUCT {{ <{OFFER}> ?p ?o }} WHERE {{ <{OFFER}> ?p ?o }}"
    response = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert (URIRef(OFFER), RDF.type, URIRef("http://data.europa.eu/snb/model/elm/LearningOpportunity")) in graph


def test_rdflib_sparqlstore_queries_the_endpoint(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(f"{server.url}/sparql", returnFormat="json")
    graph = Graph(store=store)
    rows = list(graph.query(
        "SELECT ?title WHERE { ?o a <http://data.europa.eu/snb/model/elm/LearningOpportunity> ; "
        "<http://purl.org/dc/terms/title> ?title FILTER(LANG(?title) = 'sv') }"
    ))
    assert len(rows) == OFFERS


def test_the_default_graph_is_public_and_the_rest_are_named(server):
    quarantine = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), '/graph/provenance') || CONTAINS(STR(?g), '/graph/vocabulary')) }"
    assert int(sparql(server, quarantine).queryAndConvert()["results"]["bindings"][0]["n"]["value"]) > 0
    only_one = requests.get(f"{server.url}/sparql", params={
        "query": COUNT, "default-graph-uri": f"{BASE}graph/source/norrsunda-universitet",
    }, headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
    assert only_one["results"]["bindings"][0]["n"]["value"] == "7"
    named = requests.post(f"{server.url}/sparql", data={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": f"{BASE}graph/source/hochschule-rheinau",
    }, headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [f"{BASE}graph/source/hochschule-rheinau"]


def test_a_malformed_query_is_a_400_with_the_parsers_position(server):
    response = requests.get(f"{server.url}/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, timeout=10)
    assert response.status_code == 400 and "1:" in response.text and "not valid SPARQL" in response.text
    with pytest.raises(QueryBadFormed):
        sparql(server, "SELECT WHERE {").query()


@pytest.mark.parametrize("request_kwargs", [
    {"method": "POST", "data": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": "DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"query": "CLEAR ALL"}},
    {"method": "POST", "data": {"query": "LOAD <http://127.0.0.1:9/x>"}},
    {"method": "PUT", "data": "x"},
], ids=["form-update", "direct-update", "get-update", "update-as-query", "load", "put"])
def test_updates_are_refused_on_every_route(server, request_kwargs):
    response = requests.request(url=f"{server.url}/sparql", timeout=10, **request_kwargs)
    assert 400 <= response.status_code < 500
    assert int(sparql(server, COUNT).queryAndConvert()["results"]["bindings"][0]["n"]["value"]) == OFFERS


def test_service_federation_is_refused(server):
    response = requests.get(f"{server.url}/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"}, timeout=10)
    assert response.status_code == 403 and "SERVICE" in response.text


def test_an_expensive_query_times_out_while_a_cheap_one_answers(server):
    def heavy():
        start = time.monotonic()
        response = requests.get(f"{server.url}/sparql", params={"query": HEAVY}, timeout=30)
        return response, time.monotonic() - start

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(heavy)
        time.sleep(0.5)
        start = time.monotonic()
        cheap = requests.get(f"{server.url}/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}, timeout=10)
        cheap_seconds = time.monotonic() - start
        response, slow_seconds = slow.result()
    assert cheap.status_code == 200 and cheap_seconds < 1.5
    assert response.status_code == 503 and "time limit" in response.text
    assert 2.5 < slow_seconds < 10
    after = requests.get(f"{server.url}/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert after.status_code == 200


def test_results_over_the_row_cap_are_refused_not_truncated(server):
    response = requests.get(f"{server.url}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=10)
    assert response.status_code == 413 and "500 rows" in response.text


def test_request_size_cap(server):
    response = requests.post(f"{server.url}/sparql", data="SELECT * WHERE { ?s ?p ?o } # " + "x" * 2_000_000,
                             headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert response.status_code == 413


def test_cors_is_open_for_reads(server):
    response = requests.get(f"{server.url}/sparql", params={"query": COUNT}, headers={"Origin": "https://platform.example"}, timeout=10)
    assert response.headers.get("access-control-allow-origin") == "*"


def test_service_description_void_and_dcat(server):
    sd = Graph().parse(data=requests.get(f"{server.url}/sparql", headers={"Accept": "text/turtle"}, timeout=10).text, format="turtle")
    SD = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(SD + "endpoint"), URIRef(f"{server.url}/sparql")) in sd
    void = Graph().parse(data=requests.get(f"{server.url}/.well-known/void", headers={"Accept": "text/turtle"}, timeout=10).text, format="turtle")
    VOID = "http://rdfs.org/ns/void#"
    offers = [p for p in void.objects(URIRef(f"{BASE}dataset"), URIRef(VOID + "classPartition"))
              if void.value(p, URIRef(VOID + "class")) == URIRef("http://data.europa.eu/snb/model/elm/LearningOpportunity")]
    assert [int(void.value(p, URIRef(VOID + "entities"))) for p in offers] == [OFFERS]
    assert (URIRef(f"{BASE}dataset"), URIRef(VOID + "dataDump"), URIRef(f"{BASE}dumps/catalogue.nq.gz")) in void
    dcat = Graph().parse(data=requests.get(f"{server.url}/catalogue", headers={"Accept": "application/ld+json"}, timeout=10).text, format="json-ld")
    DCAT = "http://www.w3.org/ns/dcat#"
    distributions = set(dcat.objects(URIRef(f"{BASE}dataset"), URIRef(DCAT + "distribution")))
    # six dumps (the full dumps in two formats and the Europass-ready subset, each as a gzip file and
    # gzip-encoded or plain), the endpoint, the feed
    assert len(distributions) == 8
    for distribution in distributions:
        assert dcat.value(distribution, URIRef("http://purl.org/dc/terms/license")) is not None
    browser = requests.get(f"{server.url}/sparql", headers={"Accept": "text/html"}, timeout=10)
    assert browser.status_code == 200 and "<form" in browser.text and "Providers per country" in browser.text


def test_a_browser_runs_a_query_and_sees_a_table(server):
    response = requests.get(f"{server.url}/sparql", params={"query": COUNT}, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200 and "<table>" in response.text and f">{OFFERS}<" in response.text


def test_minted_and_record_iris_dereference_by_content_negotiation(server):
    records = sparql(server, "SELECT ?r WHERE { ?r foaf:primaryTopic <%s> }" % OFFER).queryAndConvert()
    record = records["results"]["bindings"][0]["r"]["value"]
    path = record[len(BASE) - 1:]
    turtle = requests.get(f"{server.url}{path}", headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=10)
    assert turtle.status_code == 303 and turtle.headers["location"].endswith(".ttl") and "Accept" in turtle.headers["vary"]
    document = requests.get(f"{server.url}{turtle.headers['location']}", timeout=10)
    assert document.status_code == 200 and 'rel="alternate"' in document.headers["link"]
    graph = Graph().parse(data=document.text, format="turtle")
    assert (URIRef(record), URIRef("http://xmlns.com/foaf/0.1/primaryTopic"), URIRef(OFFER)) in graph
    for accept, suffix in (("application/ld+json", ".jsonld"), ("application/rdf+xml", ".rdf"), ("application/n-triples", ".nt"), ("text/html", ".html")):
        answer = requests.get(f"{server.url}{path}", headers={"Accept": accept}, allow_redirects=False, timeout=10)
        assert answer.status_code == 303 and answer.headers["location"].endswith(suffix), accept
    assert requests.get(f"{server.url}/record/none/missing", headers={"Accept": "text/turtle"}, timeout=10).status_code == 404


def test_the_dump_has_the_whole_catalogue_and_an_etag(server):
    response = requests.get(f"{server.url}/dumps/catalogue.nq.gz", timeout=30)
    assert response.status_code == 200 and response.headers["etag"] and response.headers["last-modified"]
    data = gzip.decompress(response.content)
    import pyoxigraph as ox
    quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    offers = {q.subject.value for q in quads if q.object.value == "http://data.europa.eu/snb/model/elm/LearningOpportunity" and "/graph/source/" in q.graph_name.value}
    assert len(offers) == OFFERS
    again = requests.get(f"{server.url}/dumps/catalogue.nq.gz", headers={"If-None-Match": response.headers["etag"]}, timeout=10)
    assert again.status_code == 304


def test_the_change_feed_lists_every_offer_version(server):
    stream = Graph().parse(data=requests.get(f"{server.url}/feed", headers={"Accept": "text/turtle"}, timeout=10).text, format="turtle")
    LDES, TREE = "https://w3id.org/ldes#", "https://w3id.org/tree#"
    assert (URIRef(f"{BASE}feed"), RDF.type, URIRef(LDES + "EventStream")) in stream
    page = requests.get(f"{server.url}/feed/page/1", headers={"Accept": "text/turtle"}, timeout=10)
    assert page.status_code == 200 and "immutable" not in page.headers["cache-control"]
    graph = Graph().parse(data=page.text, format="turtle")
    members = set(graph.objects(URIRef(f"{BASE}feed"), URIRef(TREE + "member")))
    versions_of = {graph.value(m, URIRef("http://purl.org/dc/terms/isVersionOf")) for m in members}
    assert len(members) == OFFERS and URIRef(OFFER) in versions_of


def test_json_search_with_facets_labels_and_paging(server):
    everything = requests.get(f"{server.url}/api/offers", params={"page_size": 5}, timeout=10).json()
    assert everything["total"] == OFFERS and len(everything["items"]) == 5 and everything["pages"] == 4
    assert everything["links"]["next"]
    mc = {f["value"]: f["count"] for f in everything["facets"]["microcredential"]}
    assert mc == {"yes": 12, "no": 5}
    swedish = requests.get(f"{server.url}/api/offers", params={"mode": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"},
                           headers={"Accept-Language": "sv-SE,sv;q=0.9"}, timeout=10).json()
    assert swedish["language"] == "sv" and swedish["total"] > 0
    assert all(i["modes"] and any(m["label"] == "Distans" for m in i["modes"]) for i in swedish["items"])
    mode_facet = {f["label"] for f in swedish["facets"]["mode"]}
    assert "Distans" in mode_facet and "På plats" in mode_facet  # other choices stay visible
    text = requests.get(f"{server.url}/api/offers", params={"q": "pyth"}, timeout=10).json()
    assert text["items"][0]["iri"] == OFFER and 0 < text["total"] < OFFERS
    ranged = requests.get(f"{server.url}/api/offers", params={"ects_min": 5, "sort": "-ects"}, timeout=10).json()
    assert all(i["ects"] >= 5 for i in ranged["items"]) and ranged["items"][0]["ects"] == max(i["ects"] for i in ranged["items"])
    bad = requests.get(f"{server.url}/api/offers", params={"sort": "nonsense"}, timeout=10)
    assert bad.status_code == 422
    openapi = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    assert "/api/offers" in openapi["paths"] and "/api/validate" in openapi["paths"]


def test_a_facet_lists_its_most_frequent_values_and_those_asked_for(server):
    everything = requests.get(f"{server.url}/api/offers", timeout=10).json()
    providers = everything["facets"]["provider"]
    assert len(providers) == everything["facet_values"]["provider"] >= 3
    assert [p["count"] for p in providers] == sorted((p["count"] for p in providers), reverse=True)
    rarest = providers[-1]
    one = requests.get(f"{server.url}/api/offers", params={"facet_size": 1, "provider": rarest["value"]}, timeout=10).json()
    shown = one["facets"]["provider"]
    # The most frequent provider, and the one asked for (a filter does not narrow its own facet's counts).
    assert [p["value"] for p in shown] == [providers[0]["value"], rarest["value"]]
    assert [p["label"] for p in shown] == [providers[0]["label"], rarest["label"]]
    assert one["facet_values"]["provider"] == len(providers)


@pytest.fixture(scope="module")
def bidi_server(tmp_path_factory):
    """A catalogue holding only the offers whose provider names and titles hide bidi controls and zero-width
    characters, or are written in Arabic (tests/sitebuild.py)."""
    from .sitebuild import bidi_offer_files

    data = tmp_path_factory.mktemp("api-bidi")
    config = publish_examples(data, "http://127.0.0.1:8000/", list(bidi_offer_files(data)))
    with LiveServer(config, settings_for(config)) as live:
        yield live


def test_json_search_gives_names_and_titles_without_bidi_controls_or_zero_width_characters(bidi_server):
    import json

    from .sitebuild import (
        ARABIC_PROVIDER,
        ARABIC_TITLE,
        BIDI_PROVIDER_SHOWN,
        BIDI_TITLES_SHOWN,
        INVISIBLE,
    )

    for lang in ("sv", "en"):
        answer = requests.get(f"{bidi_server.url}/api/offers", params={"lang": lang}, timeout=10)
        assert answer.status_code == 200
        data = answer.json()
        assert data["total"] == 2
        text = json.dumps(data, ensure_ascii=False)
        assert not set(INVISIBLE) & set(text), sorted(f"U+{ord(c):04X}" for c in set(INVISIBLE) & set(text))
        items = {item["iri"].split("/")[2]: item for item in data["items"]}
        assert items["data.bidi.example"]["title"] == BIDI_TITLES_SHOWN[lang]
        assert items["data.bidi.example"]["provider"]["name"] == BIDI_PROVIDER_SHOWN
        assert (items["data.arabic.example"]["title"], items["data.arabic.example"]["title_language"]) == (ARABIC_TITLE, "ar")
        assert items["data.arabic.example"]["provider"]["name"] == ARABIC_PROVIDER
        assert {f["label"]: f["count"] for f in data["facets"]["provider"]} == {BIDI_PROVIDER_SHOWN: 1, ARABIC_PROVIDER: 1}
    # The text search reads the names as shown: a zero-width space or word joiner no longer splits a word in two.
    for words in ("folkhögskola", "Rättviks"):
        found = requests.get(f"{bidi_server.url}/api/offers", params={"q": words}, timeout=10).json()
        assert [item["iri"].split("/")[2] for item in found["items"]] == ["data.bidi.example"], words


def test_validation_service_json_and_html(server):
    from .conftest import EXAMPLES

    body = (EXAMPLES / "norrkust-kompetens.ttl").read_bytes()
    response = requests.post(f"{server.url}/api/validate", data=body, headers={"Content-Type": "text/turtle"}, timeout=60)
    assert response.status_code == 200
    data = response.json()
    assert len(data["offers"]) == 5 and data["exit_status"] == 0
    assert [o["missing"] for o in data["offers"] if not o["microcredential"]] == [["quality-assurance"]]
    html = requests.post(f"{server.url}/api/validate?format=html&lang=sv", files={"file": ("offers.ttl", body)}, timeout=60)
    assert html.status_code == 200 and "Typ av kvalitetssäkring" in html.text
    broken = requests.post(f"{server.url}/api/validate", data=b"@prefix broken", headers={"Content-Type": "text/turtle"}, timeout=10)
    assert broken.status_code == 400 and broken.json()["errors"][0]["message"]


def test_validation_service_refuses_local_addresses(server, file_server):
    url, folder = file_server
    (folder / "offers.ttl").write_bytes(b"")
    response = requests.post(f"{server.url}/api/validate", json={"url": url + "offers.ttl"}, timeout=10)
    assert response.status_code == 400 and "private or local network" in response.json()["errors"][0]["message"]
    metadata = requests.post(f"{server.url}/api/validate", json={"url": "http://169.254.169.254/latest/meta-data/"}, timeout=10)
    assert metadata.status_code == 400


def test_health_and_metrics(server):
    health = requests.get(f"{server.url}/health", timeout=10).json()
    assert health["status"] == "ok" and health["store_reachable"] and health["offers"] == OFFERS
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    assert "catalogue_http_requests_total" in metrics and "catalogue_queries_killed_total" in metrics


def test_the_validation_service_reads_every_format_a_harvester_reads(server):
    feeds = EXAMPLES.parent / "feeds"
    xcri = requests.post(f"{server.url}/api/validate", files={"file": ("courses.xml", (feeds / "xcri-cap" / "shannon-college.xml").read_bytes())}, timeout=120)
    assert xcri.status_code == 200, xcri.text
    assert xcri.json()["summary"]["offers"] == 7 and all(o["level"] != "quarantined" for o in xcri.json()["offers"])
    csv = requests.post(f"{server.url}/api/validate", files={"file": ("offers.csv", (feeds / "spreadsheet" / "norrkust-kompetens.csv").read_bytes(), "text/csv")}, timeout=120)
    assert csv.status_code == 200 and csv.json()["summary"]["offers"] == 6
    levels = {o["title"]: o["level"] for o in csv.json()["offers"]}
    assert levels["Excel for finance teams"] == "listed"
    loq = (feeds / "elm-xml" / "kaamos-loq.xml").read_text(encoding="utf-8")
    pasted = requests.post(f"{server.url}/api/validate?format=html&lang=sv", files={"data": (None, loq)}, timeout=120)
    assert pasted.status_code == 200 and "redo för Europass" in pasted.text and "<textarea" in pasted.text
