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
from catalogue.publish.generations import current_generation, publish_generation
from catalogue.store.factory import open_store
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import free_port, publish_example_sources

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
# rdflib's own N-Quads parser still uses its deprecated Dataset.default_context internally.
RDFLIB_NQUADS = pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
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
    all_subsets = list(void.objects(dataset, URIRef(VOID + "subset")))
    subsets = {str(void.value(s, URIRef(SD + "name"))): s for s in all_subsets if void.value(s, URIRef(SD + "name")) is not None}
    # Besides the graphs, one subset is not a graph: the Europass-ready offers, with a dump of their own.
    unnamed = [s for s in all_subsets if void.value(s, URIRef(SD + "name")) is None]
    assert [str(void.value(s, URIRef(VOID + "dataDump"))) for s in unnamed] == [f"{base}dumps/europass-ready.nt.gz"]
    public = {b["g"]["value"] for b in rows(graphs_at, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
              if any(f"{base}graph/{kind}" in b["g"]["value"] for kind in ("vocabulary", "source/", "records/", "statistics"))}
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
    # Some triples are held by more than one public graph: two example sources describe the same ESCO skill
    # (Python: its type and its label), and the vocabulary labels the ESCO skills the examples use (vocab/esco.ttl:
    # Python's label a third time, machine learning's a second). Oxigraph's default graph of several graphs keeps
    # each copy, so COUNT(*) over it is the sum of the graphs' sizes, four more than its distinct triples; the
    # descriptions say what COUNT(*) says.
    assert found["triples"] == found["graphs"] == found["distinct"] + 4
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
        publish_example_sources(store, validator, base)
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
    assert found["triples"] == found["graphs"] == found["distinct"] + 4 == live.meta["counts"]["default graph"]["triples"]


def test_the_remote_endpoint_shows_the_named_graphs_the_service_description_lists(request, remote):
    """For a remote store the endpoint sends the catalogue's graphs as named-graph-uri: without it the SPARQL
    Protocol leaves the dataset with no named graphs (Oxigraph server: every GRAPH pattern empty) or, on
    Virtuoso, every graph the server holds."""
    name, _, base, live = remote
    graph = f"{base}graph/vocabulary"
    size = live.meta["counts"]["graphs"][graph]
    assert size > 0
    assert count(f"{live.url}/sparql", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == size


# -- the dumps -------------------------------------------------------------------------------------


def _whole(url: str, **headers) -> requests.Response:
    response = requests.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response


@RDFLIB_NQUADS
def test_the_gzip_files_are_application_gzip_and_hold_the_public_graphs(server):
    endpoint = f"{server.url}/sparql"
    for name in ("catalogue.nq.gz", "catalogue.ttl.gz"):
        response = _whole(f"{server.url}/dumps/{name}")
        assert response.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in response.headers  # requests hands over the file's bytes as they are
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
        assert int(response.headers["content-length"]) == len(response.content) == server.meta["dumps"][name]["bytes"]
        head = requests.head(f"{server.url}/dumps/{name}", timeout=10)
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == response.headers["etag"]
        assert head.headers["content-length"] == response.headers["content-length"] and head.headers["accept-ranges"] == "bytes"
        assert requests.get(f"{server.url}/dumps/{name}", headers={"If-None-Match": f'W/"x", {response.headers["etag"]}'},
                            timeout=10).status_code == 304
        # One gzip member: a decoder that stops after the first member still reads everything.
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        first_member = inflater.decompress(response.content) + inflater.flush()
        assert inflater.eof and inflater.unused_data == b""
        assert first_member == gzip.decompress(response.content)
        assert len(first_member) == server.meta["dumps"][name]["uncompressed bytes"]
    quads = Dataset()
    quads.parse(data=gzip.decompress(_whole(f"{server.url}/dumps/catalogue.nq.gz").content), format="nquads")
    graphs = {str(g.identifier) for g in quads.graphs() if len(g)}
    public = {b["g"]["value"] for b in rows(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == public  # every public graph, and only those
    assert len(list(quads.quads())) == count(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == server.meta["dumps"]["catalogue.nq.gz"]["statements"]


@RDFLIB_NQUADS
def test_rdflib_reads_the_turtle_and_n_quads_urls(server):
    """rdflib's URL reader (urllib) sends "Accept-Encoding: identity" and picks the parser by Content-Type."""
    endpoint = f"{server.url}/sparql"
    graph = Graph().parse(f"{server.url}/dumps/catalogue.ttl")
    distinct = count(endpoint, DISTINCT_TRIPLES)
    assert len(graph) == distinct  # the default graph, read as a graph: its distinct triples
    offers = set(graph.subjects(RDF.type, URIRef(ELM_OFFER)))
    assert len(offers) == OFFERS
    dataset = Dataset().parse(f"{server.url}/dumps/catalogue.nq")
    assert len(list(dataset.quads())) == count(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert {(s, p, o) for s, p, o, _ in dataset.quads()} == set(graph)


def test_the_uncompressed_names_are_gzip_encoded_or_decompressed_as_the_client_asks(server):
    expected = {name: gzip.decompress(_whole(f"{server.url}/dumps/{name}.gz").content) for name in ("catalogue.ttl", "catalogue.nq")}
    for name, media in (("catalogue.ttl", "text/turtle"), ("catalogue.nq", "application/n-quads")):
        url = f"{server.url}/dumps/{name}"
        encoded = _whole(url)  # requests asks for gzip and decodes it
        assert encoded.headers["content-encoding"] == "gzip" and encoded.headers["content-type"].split(";")[0] == media
        assert encoded.content == expected[name]
        assert "Accept-Encoding" in encoded.headers["vary"]
        plain = _whole(url, **{"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.headers["content-type"].split(";")[0] == media
        assert plain.content == expected[name] and int(plain.headers["content-length"]) == len(expected[name])
        assert plain.headers["content-disposition"] == f'attachment; filename="{name}"'
        gz = _whole(f"{url}.gz")
        assert len({encoded.headers["etag"], plain.headers["etag"], gz.headers["etag"]}) == 3
        # Each representation's ETag gives a 304 for that representation only.
        for headers, etag in (({}, encoded.headers["etag"]), ({"Accept-Encoding": "identity"}, plain.headers["etag"])):
            again = requests.get(url, headers={**headers, "If-None-Match": etag}, timeout=10)
            assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
        other = requests.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": encoded.headers["etag"]}, timeout=30)
        assert other.status_code == 200 and other.content == expected[name]
        since = requests.get(url, headers={"If-Modified-Since": encoded.headers["last-modified"]}, timeout=10)
        assert since.status_code == 304
        head = requests.head(url, headers={"Accept-Encoding": "identity"}, timeout=10)
        assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == len(expected[name])
        assert head.headers["etag"] == plain.headers["etag"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_compressed_reads_the_whole_dump(server):
    expected = gzip.decompress(_whole(f"{server.url}/dumps/catalogue.ttl.gz").content)
    result = subprocess.run(["curl", "--silent", "--show-error", "--fail", "--compressed", f"{server.url}/dumps/catalogue.ttl"],
                            capture_output=True, timeout=60, check=True)
    assert result.stdout == expected
    raw = subprocess.run(["curl", "--silent", "--fail", f"{server.url}/dumps/catalogue.ttl"], capture_output=True, timeout=60, check=True)
    assert raw.stdout == expected  # curl without --compressed asks for no coding and gets Turtle


def test_byte_ranges_of_the_gzip_file(server):
    url = f"{server.url}/dumps/catalogue.nq.gz"
    whole = _whole(url)
    size = len(whole.content)
    first = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert first.status_code == 206 and first.content == whole.content[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}" and first.headers["content-type"] == "application/gzip"
    rest = requests.get(url, headers={"Range": "bytes=100-", "If-Range": whole.headers["etag"]}, timeout=10)
    assert rest.status_code == 206 and first.content + rest.content == whole.content
    tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    stale = requests.get(url, headers={"Range": "bytes=0-99", "If-Range": '"an-older-copy"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == whole.content
    several = requests.get(url, headers={"Range": "bytes=0-9, 50-59"}, timeout=10)
    assert several.status_code == 206 and several.headers["content-type"].startswith("multipart/byteranges")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + several.headers["content-type"].encode() + b"\r\n\r\n" + several.content)
    parts = [(part["Content-Range"], part.get_payload(decode=True)) for part in message.iter_parts()]
    assert parts == [(f"bytes 0-9/{size}", whole.content[:10]), (f"bytes 50-59/{size}", whole.content[50:60])]
    ignored = requests.get(url, headers={"Range": "lines=1-2"}, timeout=10)  # an unknown unit is ignored
    assert ignored.status_code == 200 and ignored.content == whole.content


def _raw_get(server, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """A request with the path exactly as given (requests would resolve "..")."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path, headers, status, words", [
    ("/dumps/nothing.ttl", {}, 404, "no dump called"),
    ("/dumps/..", {}, 404, "no dump called"),
    ("/dumps/../meta.json", {}, 404, "Not Found"),
    ("/dumps/..%2Fmeta.json", {}, 404, "Not Found"),
    ("/dumps/catalogue.nq.gz%00", {}, 404, "no dump called"),
    ("/dumps/catalogue.nq.gz", {"If-None-Match": "garbage"}, 400, "If-None-Match"),
    ("/dumps/catalogue.nq.gz", {"If-None-Match": '"abc" garbage'}, 400, "If-None-Match"),
    ("/dumps/catalogue.ttl", {"If-None-Match": ""}, 400, "If-None-Match"),
    ("/dumps/catalogue.nq.gz", {"Range": "garbage"}, 400, "Range"),
    ("/dumps/catalogue.nq.gz", {"Range": "bytes=abc"}, 400, "byte range"),
    ("/dumps/catalogue.nq.gz", {"Range": "bytes=9-3"}, 400, "before the first"),
    ("/dumps/catalogue.nq.gz", {"Range": "bytes="}, 400, "no range"),
    ("/dumps/catalogue.nq.gz", {"Range": "bytes=999999999-"}, 416, "bytes"),
    ("/dumps/catalogue.nq.gz", {"Range": "bytes=" + ",".join(f"{n}-{n}" for n in range(50))}, 416, "ranges"),
    ("/dumps/catalogue.ttl", {"Accept-Encoding": "gzip;q=lots"}, 400, "Accept-Encoding"),
    ("/dumps/catalogue.ttl", {"Accept-Encoding": "gzip;q=0, identity;q=0"}, 406, "Accept-Encoding"),
    ("/dumps/catalogue.ttl", {"Accept-Encoding": "@@@"}, 400, "Accept-Encoding"),
])
def test_malformed_requests_for_dumps_get_a_4xx_with_a_message(server, path, headers, status, words):
    code, body = _raw_get(server, path, headers)
    assert code == status and words.lower() in body.decode("utf-8", "replace").lower(), (code, body[:200])


def test_a_garbled_if_modified_since_is_ignored(server):
    """RFC 9110, section 13.1.3: a recipient must ignore an If-Modified-Since that is not a date."""
    response = requests.get(f"{server.url}/dumps/catalogue.ttl.gz", headers={"If-Modified-Since": "yesterday-ish"}, timeout=10)
    assert response.status_code == 200 and response.content == _whole(f"{server.url}/dumps/catalogue.ttl.gz").content


def test_the_dumps_page_lists_every_dump(server):
    page = requests.get(f"{server.url}/dumps", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in ("catalogue.nq.gz", "catalogue.nq", "catalogue.ttl.gz", "catalogue.ttl"):
        assert f'href="{BASE}dumps/{name}"' in page.text


def test_dcat_and_void_describe_every_dump_as_it_is_served(server):
    dcat = turtle(f"{server.url}/catalogue")
    void = turtle(f"{server.url}/.well-known/void")
    dataset = URIRef(f"{BASE}dataset")
    downloads = {}
    for distribution in dcat.objects(dataset, URIRef(DCAT + "distribution")):
        url = dcat.value(distribution, URIRef(DCAT + "downloadURL"))
        if url is not None:
            downloads[str(url)] = distribution
    names = {"catalogue.nq.gz", "catalogue.nq", "catalogue.ttl.gz", "catalogue.ttl", "europass-ready.nt.gz", "europass-ready.nt"}
    assert set(downloads) == {f"{BASE}dumps/{n}" for n in names}
    assert set(void.objects(dataset, URIRef(VOID + "dataDump"))) == {URIRef(u) for u in downloads}
    for url, distribution in downloads.items():
        name = url.rsplit("/", 1)[-1]
        local = f"{server.url}/dumps/{name}"
        media = str(dcat.value(distribution, URIRef(DCAT + "mediaType"))).removeprefix(IANA)
        compress = dcat.value(distribution, URIRef(DCAT + "compressFormat"))
        size = int(dcat.value(distribution, URIRef(DCAT + "byteSize")))
        assert media == {"nq": "application/n-quads", "ttl": "text/turtle", "nt": "application/n-triples"}[name.split(".")[1]]
        assert dcat.value(distribution, URIRef(DCTERMS + "description")) is not None
        if name.endswith(".gz"):
            response = _whole(local)
            assert compress == URIRef(IANA + "application/gzip") and response.headers["content-type"] == "application/gzip"
            assert size == len(response.content)
            checksum = dcat.value(distribution, URIRef(SPDX + "checksum"))
            assert dcat.value(checksum, URIRef(SPDX + "checksumValue")) == Literal(
                hashlib.sha256(response.content).hexdigest(), datatype=URIRef("http://www.w3.org/2001/XMLSchema#hexBinary"))
        else:
            response = _whole(local, **{"Accept-Encoding": "identity"})
            assert compress is None and response.headers["content-type"].split(";")[0] == media
            assert size == len(response.content)


@pytest.mark.parametrize("path", ["/.well-known/void", "/catalogue"])
@pytest.mark.parametrize("accept", ["text/turtle;q=lots", "image/png", "\x7f/\x7f"])
def test_descriptions_refuse_what_they_cannot_give_with_a_406(server, path, accept):
    response = requests.get(f"{server.url}{path}", headers={"Accept": accept}, timeout=10)
    assert response.status_code == 406 and "text/turtle" in response.text
