"""The public HTTP surface under attack and abuse: a real server on 127.0.0.1 serving every bundled source.

A listener on another port stands for an internal service the server can reach: no attack may make
the server connect to it. Clients are told apart by their source address (127.0.0.2, 127.0.0.3 …:
Linux routes all of 127/8 to loopback), as per-client limits see them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from SPARQLWrapper import JSONLD, N3, RDF, RDFXML, TURTLE, XML, SPARQLWrapper

from catalogue.publish.generations import current_generation
from catalogue.server.query_pool import QueryJob, QueryPool
from catalogue.store.sparql_check import QueryRefused, check

from .apiserver import LiveServer, settings_for
from .conftest import ROOT, SHARED, free_port
from .listeners import Listener

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(STR(?c) != STR(?i)) }} # {}"
CHEAP = "SELECT (COUNT(*) AS ?n) WHERE {{ ?o a elm:LearningOpportunity }} # {}"


def service_url(listener: Listener) -> str:
    return f"http://127.0.0.1:{listener.port}/sparql"


@pytest.fixture()
def listener() -> Iterator[Listener]:
    """A TCP service on 127.0.0.1 that counts every connection made to it: a SERVICE call must never reach it."""
    with Listener("127.0.0.1", 0, lambda head: b"") as service:
        yield service


@pytest.fixture(scope="module")
def live(bundled_site):
    settings = settings_for(bundled_site.config, query_timeout=4.0, workers=2, max_queries_per_client=2, queue_wait=1.5,
                            max_upload_bytes=2_000_000)
    with LiveServer(bundled_site.config, settings) as server:
        yield server


def get_from(address: str, server: LiveServer, path: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` with ``address`` as the client's source address."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(address, 0))
    try:
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def query_path(query: str) -> str:
    return "/sparql?query=" + quote(query, safe="")


def metric(server: LiveServer, name: str) -> int:
    for line in requests.get(f"{server.url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError(f"no metric {name}")


# -- injection through the linked-data routes ---------------------------------------------------


def test_linked_data_routes_never_build_sparql_from_the_request(live, listener):
    escape = f"http://x.example/a> }} SERVICE <{service_url(listener)}> {{ ?s ?p ?o }} #"
    attempts = [
        ("/data/offer.ttl?iri=" + quote(escape, safe=""), 400),
        ("/data/offer.ttl?iri=" + quote("not an iri", safe=""), 400),
        ("/data/offer.jsonld?iri=" + quote("http://x.example/a>" + "{" * 3000, safe=""), 400),
        ("/offer/" + quote(escape, safe=""), 404),
        ("/org/" + quote(escape, safe="") + ".ttl", 404),
        ("/offer/src/" + "%7B" * 3000, 404),
        ("/.well-known/genid/" + quote(escape, safe=""), 404),
    ]
    for path, status in attempts:
        response = requests.get(live.url + path, headers={"Accept": "text/turtle"}, timeout=30)
        assert response.status_code == status, (path[:80], response.status_code, response.text[:200])
        assert response.text.strip(), path[:80]
    assert requests.get(f"{live.url}/health", timeout=10).status_code == 200
    assert listener.connections == 0


def test_raw_request_targets_with_iri_breaking_characters_get_a_4xx(live, listener):
    for target in ("/offer/<script>alert(1)</script>", "/offer/a>%20}%20SERVICE", '/offer/x"{}|^`'):
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, (target, answer[:200])
    assert listener.connections == 0


# -- SERVICE, decided on the query's tokens ---------------------------------------------------------


def test_service_is_refused_however_it_is_written(live, listener):
    target = service_url(listener)
    queries = [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX e: <http://e.example/> SELECT * WHERE {{ ?s e:a\\#b ?o . SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"select * where {{ ?s ?p ?o . service silent <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SeRvIcE <{target}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p 'a\\'' . SERVICE <{target}> {{ ?s ?p ?o }} }} # '",
        f'SELECT * WHERE {{ ?s ?p """a""" . SERVICE <{target}> {{ ?s ?p ?o }} }}',
        f"SELECT * WHERE {{ BIND(<{target}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"PREFIX e: <http://e.example/> SELECT * WHERE {{ ?s e:x%23 ?o . SERVICE <{target}> {{ ?s ?p ?o }} }}",
    ]
    for query in queries:
        response = requests.get(f"{live.url}/sparql", params={"query": query}, timeout=30)
        assert response.status_code == 403, (query, response.status_code, response.text[:200])
        assert "SERVICE" in response.text
        form = requests.post(f"{live.url}/sparql", data={"query": query}, timeout=30)
        assert form.status_code == 403
    time.sleep(0.3)
    assert listener.connections == 0


def test_the_lexer_does_not_see_service_where_the_grammar_has_none():
    for query in (
        "SELECT * WHERE { ?s <http://x.example/SERVICE> ?o }",
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x.example/> { }' }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x.example/> { }",
        "PREFIX service: <http://x.example/> SELECT * WHERE { ?s service:a ?o }",
        "SELECT ?service WHERE { ?service ?p ?o }",
    ):
        assert not check(query).service, query


def test_the_lexer_agrees_with_the_engine_on_service(listener):
    """Oxigraph itself is the oracle: it calls the listener exactly when its parser read a SERVICE."""
    store = ox.Store()
    s = ox.NamedNode("http://s.example/")
    for predicate, value in (("http://e.example/a#b", "x"), ("http://e.example/a.b~c", "x#y"), ("http://e.example/%41#", "1")):
        store.add(ox.Quad(s, ox.NamedNode(predicate), ox.Literal(value)))
    target = service_url(listener)
    queries = [
        "PREFIX e: <http://e.example/> SELECT * WHERE { ?s e:a\\#b ?o . SERVICE <TARGET> { ?s ?p ?o } }",
        "PREFIX e: <http://e.example/> SELECT * WHERE { ?s e:a\\.b\\~c 'x#y' . SERVICE <TARGET> { ?s ?p ?o } }",
        "PREFIX e: <http://e.example/> SELECT * WHERE { ?s e:%41\\# ?o . SERVICE SILENT <TARGET> { ?s ?p ?o } }",
        "PREFIX e: <http://e.example/> SELECT * WHERE { ?s e:a\\#b ?o } # SERVICE <TARGET> { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o != '''\nSERVICE <TARGET> { }\n''') }",
        "SELECT * WHERE { ?s ?p ?o . OPTIONAL { SERVICE <TARGET> { ?s ?p ?o } } }",
    ]
    for query in (q.replace("TARGET", target) for q in queries):
        before = listener.connections
        try:
            list(store.query(query))
        except (OSError, SyntaxError, RuntimeError):
            pass
        time.sleep(0.2)
        assert check(query).service == (listener.connections > before), query


def test_the_lexer_agrees_with_a_sparql_parser_on_the_dataset():
    """rdflib's SPARQL parser as the oracle for FROM / FROM NAMED (it misreads PN_LOCAL escapes, so not for those)."""
    from rdflib.plugins.sparql.parser import parseQuery

    for query in (
        'SELECT * FROM <http://g.example/> WHERE { ?s ?p ?o FILTER(?o != "FROM") }',
        "SELECT * FROM NAMED <http://g.example/> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "PREFIX from: <http://f.example/> SELECT * WHERE { ?s from:x ?o }",
        "SELECT ?from WHERE { ?from ?p 'FROM <http://g.example/>' } # FROM <http://g.example/>",
    ):
        assert check(query).names_dataset == ("datasetClause" in parseQuery(query)[1]), query


def test_query_workers_reach_no_network_even_when_a_service_gets_past_the_lexer(bundled_site, listener):
    generation = current_generation(bundled_site.config)

    async def run() -> tuple[bool, str]:
        pool = QueryPool(generation.store_path, workers=1, timeout=10)
        await pool.start()
        try:
            answer = await pool.run(QueryJob(f"SELECT * WHERE {{ SERVICE <{service_url(listener)}> {{ ?s ?p ?o }} }}"))
            return pool.offline, answer.status
        finally:
            await pool.close()

    offline, status = asyncio.run(run())
    if not offline:
        pytest.skip("this system does not let a process leave the network (unshare CLONE_NEWNET refused)")
    assert status == "failed"
    time.sleep(0.3)
    assert listener.connections == 0


# -- queries the engine could not parse safely -----------------------------------------------------


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }",
    "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 20_000) + " }",
    "SELECT * WHERE { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s ?p ?o{i} }}" for i in range(10_000)) + " }",
    "SELECT * WHERE { ?s ?p ?o FILTER(" + " && ".join(["true"] * 20_000) + ") }",
    "SELECT * WHERE { ?s " + "/".join(["<http://p.example/>"] * 10_000) + " ?o }",
])
def test_deep_and_long_queries_are_refused_before_any_worker_parses_them(live, query):
    killed = metric(live, "catalogue_queries_killed_total")
    response = requests.post(f"{live.url}/sparql", data=query.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert response.status_code == 400, response.text[:200]
    assert "at most" in response.text
    assert metric(live, "catalogue_queries_killed_total") == killed
    cheap = requests.get(f"{live.url}/sparql", params={"query": CHEAP.format(time.time())}, timeout=30)
    assert cheap.status_code == 200


def test_deep_but_allowed_queries_run_on_the_workers_large_stack(live):
    query = "SELECT * WHERE " + "{" * 120 + " ?s a elm:LearningOpportunity " + "}" * 120 + " LIMIT 1"
    killed = metric(live, "catalogue_queries_killed_total")
    response = requests.get(f"{live.url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text[:200]
    assert len(response.json()["results"]["bindings"]) == 1
    assert metric(live, "catalogue_queries_killed_total") == killed


def test_a_bad_graph_parameter_is_a_400_and_costs_no_worker(live):
    killed = metric(live, "catalogue_queries_killed_total")
    for name in ("default-graph-uri", "named-graph-uri"):
        response = requests.get(f"{live.url}/sparql", params={"query": CHEAP.format(name), name: "not a graph"}, timeout=30)
        assert response.status_code == 400 and name in response.text
    assert metric(live, "catalogue_queries_killed_total") == killed


def test_unreadable_query_text_is_refused_naming_the_place():
    with pytest.raises(QueryRefused) as refused:
        check("SELECT * WHERE { ?s ?p ?o }\n  \x00 SERVICE")
    assert refused.value.status == 400 and "line 2" in refused.value.message


# -- bad input anywhere is a 4xx with a message --------------------------------------------------------


@pytest.mark.parametrize("path, status", [
    ("/feed/page/99999999999999999999999999999", 404),
    ("/feed/page/-1", 404),
    ("/api/offers?page=" + "9" * 30, 422),
    ("/api/offers?page_size=100000", 422),
    ("/api/offers?start_from=yesterday", 422),
    ("/data/offer.ttl", 422),
    ("/data/offer.xyz?iri=http://x.example/", 404),
    ("/version/99999999999999999999", 404),
    ("/graph/nothing", 404),
])
def test_bad_input_gets_a_4xx_with_a_message(live, path, status):
    response = requests.get(live.url + path, timeout=30)
    assert response.status_code == status, (path, response.status_code, response.text[:200])
    assert response.text.strip()


def post_chunked(server: LiveServer, path: str, content_type: str, head: bytes, total: int, chunk: int = 1 << 20) -> tuple[int, bytes]:
    """POST a chunked body of ``total`` bytes (``head`` first), reading the answer as soon as the server gives one."""
    import select

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        sent = 0
        answer = b""
        while sent < total:
            data = (head if sent == 0 else b"") + b"#" * chunk
            try:
                sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading: its answer is waiting
            sent += len(data)
            if select.select([sock], [], [], 0)[0]:
                break
        else:
            sock.sendall(b"0\r\n\r\n")
        sock.settimeout(30)
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer.split(b" ", 2)[1]), answer


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


MULTIPART_HEAD = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.ttl"\r\nContent-Type: text/turtle\r\n\r\n'


@pytest.mark.parametrize("path, content_type, head, megabytes", [
    ("/sparql", "application/sparql-query", b"", 20),
    ("/sparql", "application/x-www-form-urlencoded", b"query=", 20),
    ("/api/validate", "text/turtle", b"", 50),
    ("/api/validate", "multipart/form-data; boundary=xyz", MULTIPART_HEAD, 50),
])
def test_a_chunked_body_is_stopped_at_the_limit(live, path, content_type, head, megabytes):
    started = time.monotonic()
    status, answer = post_chunked(live, path, content_type, head, megabytes << 20)
    assert status == 413, answer[:300]
    assert b"limit" in answer
    assert time.monotonic() - started < 30
    assert requests.get(f"{live.url}/health", timeout=10).status_code == 200


# -- availability ---------------------------------------------------------------------------------


def test_runaway_queries_of_one_client_leave_workers_for_the_others(live):
    statuses: list[tuple[int, dict[str, str], bytes]] = []

    def runaway(n: int) -> None:
        statuses.append(get_from("127.0.0.2", live, query_path(HEAVY.format(f"runaway {n} {time.time()}"))))

    threads = [threading.Thread(target=runaway, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    time.sleep(0.5)
    started = time.perf_counter()
    status, _, body = get_from("127.0.0.3", live, query_path(CHEAP.format(f"cheap {time.time()}")))
    latency = time.perf_counter() - started
    for thread in threads:
        thread.join()
    assert status == 200, body[:200]
    assert latency < 1.0, f"a cheap query took {latency:.2f} s while another client's runaway queries ran"
    assert [status for status, _, _ in statuses] == [503] * 4, statuses
    stopped = [body for _, _, body in statuses if b"time limit" in body]
    refused = [headers for _, headers, body in statuses if b"already have" in body or b"busy" in body]
    assert len(stopped) == 1 and len(refused) == 3, [body[:80] for _, _, body in statuses]
    assert all(int(headers["retry-after"]) >= 1 for headers in refused)


def test_a_query_whose_client_leaves_is_stopped_before_its_time_limit(live):
    killed = metric(live, "catalogue_queries_killed_total")
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(f"GET {query_path(HEAVY.format(time.time()))} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(0.5)
    deadline = time.monotonic() + 3.0  # the time limit is 4 s
    while metric(live, "catalogue_queries_killed_total") == killed:
        assert time.monotonic() < deadline, "the abandoned query was not stopped"
        time.sleep(0.1)


def test_forwarded_for_is_ignored_from_untrusted_peers(live):
    threads = [threading.Thread(target=get_from, args=("127.0.0.4", live, query_path(HEAVY.format(f"xff {n} {time.time()}"))))
               for n in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30, source_address=("127.0.0.4", 0))
    connection.request("GET", query_path(HEAVY.format(f"xff third {time.time()}")), headers={"X-Forwarded-For": "203.0.113.9"})
    assert connection.getresponse().status == 503
    connection.close()
    for thread in threads:
        thread.join()


# -- standards, with third-party clients ------------------------------------------------------------


OFFER = "https://data.norrsunda.example/lo/2027-data-analysis-python"


@pytest.mark.filterwarnings("ignore:Sending Accept header:RuntimeWarning")  # SPARQLWrapper's own note for format RDF
@pytest.mark.parametrize("form", ["CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = <%s>) }" % OFFER, "DESCRIBE <%s>" % OFFER])
@pytest.mark.parametrize("fmt, rdflib_format", [(TURTLE, "turtle"), (N3, "turtle"), (XML, "xml"), (RDFXML, "xml"), (RDF, "xml"), (JSONLD, "json-ld")])
def test_sparqlwrapper_gets_construct_and_describe_in_every_format(live, form, fmt, rdflib_format):
    client = SPARQLWrapper(f"{live.url}/sparql")
    client.setQuery(form)
    client.setReturnFormat(fmt)
    result = client.query()
    body = result.response.read()
    graph = Graph().parse(data=body, format=rdflib_format)
    assert len(graph) > 5


def _minted(config) -> set[str]:
    generation = current_generation(config)
    store = ox.Store.read_only(str(generation.store_path))
    base = config.base
    found: set[str] = set()
    for quad in store:
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                found.add(term.value.split("#")[0])
    del store
    return found


def test_every_iri_the_catalogue_mints_dereferences(live, bundled_site):
    base = bundled_site.config.base
    iris = _minted(bundled_site.config)
    feed = requests.get(f"{live.url}/feed/page/1", headers={"Accept": "application/n-triples"}, timeout=30).text
    iris |= {t.split("> ")[0].lstrip("<") for t in feed.splitlines() if t.startswith(f"<{base}version/")}
    for document in ("/.well-known/void", "/catalogue", "/sparql"):
        text = requests.get(live.url + document, headers={"Accept": "application/n-triples"}, timeout=30).text
        iris |= {part.strip("<>").split("#")[0] for part in text.split() if part.startswith(f"<{base}")}
    kinds = {urlsplit(i).path.split("/")[1] for i in iris}
    assert {"offer", "source", "run", "version", "graph", "record", "place", "outcome"} <= kinds, kinds
    session = requests.Session()
    failures = []
    for iri in sorted(iris):
        path = urlsplit(iri).path
        for accept in ("text/turtle", "text/html"):
            response = session.get(live.url + path, headers={"Accept": accept}, timeout=30)
            if response.status_code != 200 or not response.content:
                failures.append((iri, accept, response.status_code))
    assert not failures, failures[:20]


def test_offer_documents_stand_on_their_own_under_the_loq_shapes(live):
    regex = pytest.importorskip("regex")
    import pyshacl
    import pyshacl.constraints.core.string_based_constraints as string_constraints

    loq = SHARED / "elm" / "shapes"
    if not (loq / "LOQ-constraints.ttl").exists():
        pytest.skip("the official LOQ shapes are expected in ../shared/elm/shapes")
    original = string_constraints.re
    string_constraints.re = regex
    try:
        shapes = Graph()
        shapes.parse(loq / "LOQ-constraints.ttl")
        shapes.parse(loq / "LOQ-constraints-mdr.ttl")
        offers = requests.get(f"{live.url}/api/offers", params={"page_size": 100, "status": ["current", "ended"]}, timeout=30).json()["items"]
        assert len(offers) >= 20
        failing, wrongly_passing = {}, []
        for offer in offers:
            document = requests.get(f"{live.url}/data/offer.ttl", params={"iri": offer["iri"]}, timeout=30)
            assert document.status_code == 200
            conforms, _, text = pyshacl.validate(Graph().parse(data=document.text, format="turtle"), shacl_graph=shapes, inference="none")
            # The catalogue's Europass level agrees with the official shapes both ways.
            if offer["level"] in ("europass-ready", "complete") and not conforms:
                failing[offer["iri"]] = text[:600]
            elif offer["level"] == "listed" and conforms:
                wrongly_passing.append(offer["iri"])
        assert not failing, failing
        assert not wrongly_passing
        assert any(o["level"] == "listed" for o in offers)  # the bundled spreadsheet has one offer without a web page
    finally:
        string_constraints.re = original


# -- processes ----------------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found |= {int(p) for p in handle.read().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def test_query_workers_exit_when_the_server_is_killed(bundled_site):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "catalogue", "--config", str(bundled_site.config.path), "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except requests.exceptions.ConnectionError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
            time.sleep(0.2)
        requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": CHEAP.format("warm")}, timeout=30)
        workers = {pid for pid in _children(process.pid) if _alive(pid)}
        assert len(workers) >= 2, workers
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers still running after their server was killed: {[p for p in workers if _alive(p)]}"
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()


def test_metrics_say_the_workers_are_offline_and_count_refusals(live):
    text = requests.get(f"{live.url}/metrics", timeout=10).text
    assert "catalogue_query_workers_offline 1" in text
    assert "catalogue_queries_refused_total" in text


def test_health_and_search_stay_quick_while_many_linked_data_reads_wait(live):
    offers = requests.get(f"{live.url}/api/offers", params={"page_size": 50}, timeout=30).json()["items"]
    paths = ["/data/offer.ttl?iri=" + quote(o["iri"], safe="") for o in offers] * 2
    with concurrent.futures.ThreadPoolExecutor(45) as pool:
        pending = [pool.submit(get_from, "127.0.0.5", live, path) for path in paths[:45]]
        started = time.perf_counter()
        assert requests.get(f"{live.url}/health", timeout=10).status_code == 200
        assert requests.get(f"{live.url}/api/offers", params={"q": "data"}, timeout=10).status_code == 200
        quick = time.perf_counter() - started
        statuses = Counter(future.result()[0] for future in pending)
    assert quick < 1.0, quick
    assert set(statuses) <= {200, 503} and statuses[200] >= 2, statuses
