"""The catalogue's descriptions of itself say exactly what the endpoint and the dumps serve.

Every count in VoID (``/.well-known/void``) and the SPARQL Service Description (``GET /sparql``)
is compared with the COUNT query that answers it on the live endpoint; the dumps are read with the
clients platforms use (rdflib from the URL, requests with and without gzip, curl --compressed,
Python's gzip) and compared with the endpoint, the VoID counts and the DCAT distributions.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import shutil
import subprocess
import uuid
import zlib
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import requests
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from SPARQLWrapper import JSON, SPARQLWrapper

from catalogue.config import load_config
from catalogue.generations import current_generation, publish_generation
from catalogue.offers import extract_offers
from catalogue.publish import publish
from catalogue.rdfio import read_rdf
from catalogue.store import open_store
from catalogue.validate import Validator
from catalogue.vocab import load_vocabulary

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import EXAMPLES, free_port

PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}/"
OFFERS = 17
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
IANA = "http://www.iana.org/assignments/media-types/"
ELM_OFFER = "http://data.europa.eu/snb/model/elm/LearningOpportunity"
DISTINCT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = publish_examples(tmp_path_factory.mktemp("descriptions"), BASE)
    settings = settings_for(config, query_timeout=20.0, max_rows=1000)
    settings = type(settings)(**{**settings.__dict__, "port": PORT})
    with LiveServer(config, settings) as live:
        live.meta = current_generation(config).meta
        yield live


def count(endpoint: str, query: str) -> int:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    return int(rows[0]["n"]["value"])


def rows(endpoint: str, query: str) -> list[dict]:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    return client.queryAndConvert()["results"]["bindings"]


def turtle(url: str) -> Graph:
    response = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format="turtle")


def check_counts(url: str, base: str, meta: dict, graph_endpoint: str | None = None) -> dict[str, int]:
    """Compare every count of VoID and the service description with the live endpoint at ``url`` (the named
    graphs' sizes with ``graph_endpoint``, when given)."""
    endpoint = f"{url}/sparql"
    graphs_at = graph_endpoint or endpoint
    dataset = URIRef(f"{base}dataset")
    void = turtle(f"{url}/.well-known/void")
    sd = turtle(endpoint)

    triples = count(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(void.value(dataset, URIRef(VOID + "triples"))) == triples
    defaults = list(sd.objects(None, URIRef(SD + "defaultGraph")))
    assert len(defaults) == 1 and int(sd.value(defaults[0], URIRef(VOID + "triples"))) == triples

    entities = count(endpoint, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")
    assert int(void.value(dataset, URIRef(VOID + "entities"))) == entities

    classes = {b["c"]["value"]: int(b["n"]["value"]) for b in rows(
        endpoint, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?s) && isIRI(?c)) } GROUP BY ?c")}
    partitions = {str(void.value(p, URIRef(VOID + "class"))): int(void.value(p, URIRef(VOID + "entities")))
                  for p in void.objects(dataset, URIRef(VOID + "classPartition"))}
    assert partitions == classes and partitions[ELM_OFFER] == meta["offers"]
    assert int(void.value(dataset, URIRef(VOID + "classes"))) == len(classes)

    # One subset per public graph, each as large as the graph; together they are the default graph.
    subsets = {str(void.value(s, URIRef(SD + "name"))): s for s in void.objects(dataset, URIRef(VOID + "subset"))}
    public = {b["g"]["value"] for b in rows(graphs_at, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
              if any(f"{base}graph/{kind}" in b["g"]["value"] for kind in ("vocabulary", "source/", "records/"))}
    assert set(subsets) == public
    sizes = {}
    for graph, subset in subsets.items():
        sizes[graph] = count(graphs_at, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert int(void.value(subset, URIRef(VOID + "triples"))) == sizes[graph], graph
        offers = [p for p in void.objects(subset, URIRef(VOID + "classPartition")) if str(void.value(p, URIRef(VOID + "class"))) == ELM_OFFER]
        if "/graph/source/" in graph:
            assert len(offers) == 1
            assert int(void.value(offers[0], URIRef(VOID + "entities"))) == count(
                graphs_at, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?o a <{ELM_OFFER}> }} }}")

    named = {str(sd.value(n, URIRef(SD + "name"))): n for n in sd.objects(None, URIRef(SD + "namedGraph"))}
    assert public <= set(named)
    for graph, node in named.items():
        size = sd.value(sd.value(node, URIRef(SD + "graph")), URIRef(VOID + "triples"))
        assert int(size) == count(graphs_at, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"), graph
    return {"triples": triples, "distinct": count(endpoint, DISTINCT_TRIPLES), "graphs": sum(sizes.values())}


def test_every_count_in_void_and_the_service_description_is_what_the_endpoint_answers(server):
    found = check_counts(server.url, BASE, server.meta)
    # The examples describe an ESCO skill in a source graph and in the vocabulary: two triples are held by
    # two public graphs. Oxigraph's default graph of several graphs keeps both, so COUNT(*) over it is the
    # sum of the graphs' sizes, two more than its distinct triples; the descriptions say what COUNT(*) says.
    assert found["triples"] == found["graphs"] == found["distinct"] + 2
    assert server.meta["counts"]["default graph"]["triples"] == found["triples"]


@pytest.fixture(params=["oxigraph-server", "virtuoso"], scope="module")
def remote(request, tmp_path_factory):
    """The example sources published on a remote SPARQL server (no snapshot: the endpoint forwards to the server)."""
    sparql_server = request.getfixturevalue("oxigraph_server_session" if request.param == "oxigraph-server" else "virtuoso_session")
    folder = tmp_path_factory.mktemp(f"descriptions-{request.param}")
    port = free_port()
    base = f"http://127.0.0.1:{port}/d{uuid.uuid4().hex[:8]}/"  # a base of its own on a server other tests share
    (folder / "catalogue.toml").write_text(f'[catalogue]\nbase = "{base}"\ndata_dir = "data"\n\n{sparql_server.toml()}', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in sparql_server.environment().items():
            patch.setenv(name, value)
        config = load_config(folder / "catalogue.toml")
        store = open_store(config)
        validator = Validator(base)
        store.ensure_vocabulary(load_vocabulary())
        for path in sorted(EXAMPLES.glob("*.ttl")):
            records = extract_offers(read_rdf(str(path)).quads, load_vocabulary(), base).offers
            publish(store, path.stem, records, validator.validate_records(records))
        generation = publish_generation(config, store)
        store.close()
        assert not generation.has_snapshot
        settings = settings_for(config, query_timeout=60.0, max_rows=1000)
        with LiveServer(config, settings) as live:
            live.meta = generation.meta
            yield request.param, sparql_server, base, live


def test_a_remote_store_generation_is_described_as_its_server_answers(remote):
    """The default graph's counts through the catalogue's endpoint, each graph's size on the server itself:
    what the endpoint forwards a GRAPH pattern to differs by server (next test)."""
    name, sparql_server, base, live = remote
    found = check_counts(live.url, base, live.meta, graph_endpoint=sparql_server.query_url)
    # Oxigraph server and Virtuoso 7 both keep a triple once per graph in a default graph of several graphs.
    assert found["triples"] == found["graphs"] == found["distinct"] + 2 == live.meta["counts"]["default graph"]["triples"]


def test_the_remote_endpoint_shows_the_named_graphs_the_service_description_lists(request, remote):
    """Known gap, outside the descriptions: for a remote store the endpoint sends the public graphs as
    default-graph-uri and no named-graph-uri, and by the SPARQL Protocol the dataset then has no named
    graphs; Oxigraph server follows that (every GRAPH pattern is empty), Virtuoso shows all its graphs.
    The fix belongs in query_pool.py (send the catalogue's graphs as named-graph-uri)."""
    name, _, base, live = remote
    if name == "oxigraph-server":
        request.applymarker(pytest.mark.xfail(strict=True, reason="the remote endpoint sends no named-graph-uri (query_pool.py)"))
    graph = f"{base}graph/vocabulary"
    size = live.meta["counts"]["graphs"][graph]
    assert size > 0
    assert count(f"{live.url}/sparql", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == size
