"""The store interface on every backend (embedded Oxigraph, Oxigraph server, Virtuoso): one graph per
source, atomic difference writes, exports; and, for the embedded store, crashes and readers beside a writer."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalogue.harvest.admission import publish
from catalogue.harvest.rdfio import read_rdf
from catalogue.namespaces import ELM, RDF_TYPE
from catalogue.publish.offer_data import duration_hours
from catalogue.store.base import CatalogueStore
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.offers import extract_offers
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .conftest import BACKENDS, BASE, EXAMPLES, ROOT, backend_store, remote_store_for


def load_example(store: CatalogueStore, name: str, source: str, validator: Validator):
    document = read_rdf(str(EXAMPLES / name))
    records = extract_offers(document.quads, load_vocabulary(), store.base).offers
    reports = validator.validate_records(records)
    return publish(store, source, records, reports)


@pytest.fixture(params=BACKENDS)
def empty_store(request):
    """An empty store on each backend; on the shared servers each test writes under its own base IRI."""
    store = backend_store(request.param, request)
    yield store
    store.close()


@pytest.fixture()
def store(empty_store, validator):
    store = empty_store
    store.ensure_vocabulary(load_vocabulary())
    load_example(store, "norrsunda-universitet.ttl", "norrsunda", validator)
    load_example(store, "hochschule-rheinau.ttl", "rheinau", validator)
    return store


def test_one_graph_per_source_and_counts(store):
    counts = store.source_counts()
    assert counts["norrsunda"]["offers"] == 7 and counts["rheinau"]["offers"] == 5
    assert counts["norrsunda"]["quarantined"] == 0
    assert store.source_graph("norrsunda") in store.graphs()
    assert set(store.public_graphs()) == {
        store.vocabulary_graph,
        store.source_graph("norrsunda"),
        store.records_graph("norrsunda"),
        store.source_graph("rheinau"),
        store.records_graph("rheinau"),
    }


def test_queries_see_the_union_of_sources_and_the_vocabulary(store):
    rows = list(
        store.query(
            "SELECT ?offer ?label WHERE { ?offer a elm:LearningOpportunity ; elm:mode ?mode . "
            "?mode skos:prefLabel ?label FILTER(LANG(?label) = 'sv') }"
        )
    )
    assert len({r["offer"].value for r in rows}) == 12
    assert {"Distans", "På plats"} <= {r["label"].value for r in rows}


def test_records_say_which_offers_are_micro_credentials(store):
    rows = store.query(
        "SELECT ?offer ?missing WHERE { ?r foaf:primaryTopic ?offer ; mcc:microCredential false ; mcc:missingElement ?missing }"
    )
    missing = {(r["offer"].value.rsplit("/", 1)[-1], r["missing"].value.rsplit("/", 1)[-1]) for r in rows}
    assert missing == {
        ("2027-climate-adaptation", "workload"),
        ("2027-plc-automation", "assessment-type"),
        ("2027-gebaeudetechnik", "level"),
        ("2027-pflegeinformatik", "awarding-body"),
    }


def test_republishing_unchanged_data_writes_nothing(store, validator):
    outcome = load_example(store, "norrsunda-universitet.ttl", "norrsunda", validator)
    assert outcome.change.empty and outcome.unchanged == 7


def test_one_changed_offer_rewrites_only_its_own_triples(store, validator, tmp_path):
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    changed = tmp_path / "changed.ttl"
    changed.write_text(text.replace('"Data analysis with Python"@en', '"Data analysis with Python and pandas"@en'), encoding="utf-8")
    document = read_rdf(str(changed))
    records = extract_offers(document.quads, load_vocabulary(), store.base).offers
    later = datetime.now(UTC) + timedelta(days=1)
    outcome = publish(store, "norrsunda", records, validator.validate_records(records), now=later)
    assert outcome.unchanged == 6
    if isinstance(store, OxigraphStore):
        # the title of the offer and of its specification, and in its record the content hash and the modification time
        assert outcome.change.removed == 4 and outcome.change.added == 4
    else:
        # a remote store rewrites whole subjects: the offer, its specification and its record, nothing else
        assert outcome.change.removed == outcome.change.added and 4 < outcome.change.added < 80
    titles = {row["t"].value for row in store.query("SELECT ?t WHERE { <https://data.norrsunda.example/lo/2027-data-analysis-python> dcterms:title ?t }")}
    assert titles == {"Dataanalys med Python", "Data analysis with Python and pandas"}


def test_a_source_that_shrinks_withdraws_offers(store, validator):
    document = read_rdf(str(EXAMPLES / "norrsunda-universitet.ttl"))
    records = extract_offers(document.quads, load_vocabulary(), store.base).offers[:2]
    outcome = publish(store, "norrsunda", records, validator.validate_records(records))
    assert len(outcome.withdrawn) == 5
    assert store.source_counts()["norrsunda"]["offers"] == 2


@pytest.mark.parametrize("fmt, rdf_format", [("nquads", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG), ("turtle", ox.RdfFormat.TURTLE)])
def test_exports_parse_back(store, fmt, rdf_format):
    buffer = io.BytesIO()
    count = store.export(buffer, fmt)
    quads = list(ox.parse(buffer.getvalue(), format=rdf_format))
    assert len(quads) == count > 5000
    if rdf_format.supports_datasets:
        graphs = {q.graph_name.value for q in quads}
        assert store.source_graph("rheinau") in graphs and store.vocabulary_graph in graphs
        assert not any("quarantine" in g for g in graphs)


def test_a_write_is_atomic_for_readers_in_the_same_process(validator):
    store = OxigraphStore.open(None, BASE)
    graph = store.source_graph("big")
    small = [ox.Triple(ox.NamedNode(f"https://x.example/a/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(str(i))) for i in range(2000)]
    large = [ox.Triple(ox.NamedNode(f"https://x.example/b/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(str(i))) for i in range(30000)]
    store.replace_graph(graph, small)
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(store.count(graph))

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(3):
        store.replace_graph(graph, large)
        store.replace_graph(graph, small)
    stop.set()
    reader.join()
    assert seen <= {2000, 30000} and seen


def test_a_reader_process_works_while_a_writer_holds_the_store(tmp_path, validator):
    path = tmp_path / "store"
    writer = OxigraphStore.open(path, BASE)
    load_example(writer, "norrkust-kompetens.ttl", "norrkust", validator)
    writer.store.flush()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    config = tmp_path / "catalogue.toml"
    config.write_text(f'[store]\npath = "{path}"\n', encoding="utf-8")
    reader = subprocess.run(
        [sys.executable, "-c", "from catalogue.cli.commands import main; main()", "--config", str(config), "stats", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )
    writer.close()
    assert reader.returncode == 0, reader.stderr
    assert json.loads(reader.stdout)["sources"]["norrkust"]["offers"] == 5


def test_a_snapshot_is_a_consistent_copy(tmp_path, validator):
    store = OxigraphStore.open(tmp_path / "store", BASE)
    load_example(store, "norrkust-kompetens.ttl", "norrkust", validator)
    store.snapshot(tmp_path / "snapshot")
    store.drop_graph(store.source_graph("norrkust"))
    copy = OxigraphStore.open(tmp_path / "snapshot", BASE, read_only=True)
    assert copy.source_counts()["norrkust"]["offers"] == 5
    assert store.source_counts().get("norrkust", {"offers": 0})["offers"] == 0
    copy.close()
    store.close()


def test_cli_load_query_stats_export(cli, example_files):
    for path in example_files:
        assert cli("load", str(path), "--source", path.stem).exit_code == 0
    stats = json.loads(cli("stats", "--format", "json").output)
    assert sum(s["offers"] for s in stats["sources"].values()) == 17
    result = cli("query", "SELECT (COUNT(?o) AS ?n) WHERE { ?o a elm:LearningOpportunity }", "--format", "csv")
    assert result.output.strip().splitlines()[-1] == "17"
    ask = cli("query", "ASK { ?o a elm:LearningOpportunity }", "--format", "json")
    assert json.loads(ask.output)["boolean"] is True
    bad = cli("query", "SELECT WHERE {")
    assert bad.exit_code == 2 and "not valid SPARQL" in bad.output
    exported = Path("export.nq")
    assert cli("export", "--format", "nquads", "--output", str(exported)).exit_code == 0
    graphs = {q.graph_name.value for q in ox.parse(path=str(exported), format=ox.RdfFormat.N_QUADS)}
    assert len([g for g in graphs if "/graph/source/" in g]) == 3


def test_loading_a_file_without_offers_keeps_the_source(cli, workdir, example_files):
    assert cli("load", str(example_files[0]), "--source", "one").exit_code == 0
    empty = workdir / "empty.ttl"
    empty.write_text("<https://x.example/a> <https://x.example/b> <https://x.example/c> .\n", encoding="utf-8")
    result = cli("load", str(empty), "--source", "one")
    assert result.exit_code == 2 and "left as it was" in result.output
    stats = json.loads(cli("stats", "--format", "json").output)
    assert stats["sources"]["one"]["offers"] > 0


# -- every backend: large graphs, staged writes, failures ---------------------------------------------


def _triples(prefix: str, count: int) -> list[ox.Triple]:
    return [
        ox.Triple(ox.NamedNode(f"https://x.example/{prefix}/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(f"{prefix} {i}"))
        for i in range(count)
    ]


def test_a_graph_larger_than_a_result_page_is_read_whole(empty_store):
    """Virtuoso answers at most 10,000 rows per request: reads must page."""
    graph = empty_store.source_graph("big")
    content = _triples("a", 25_000)
    empty_store.replace_graph(graph, content)
    assert empty_store.count(graph) == 25_000
    assert set(empty_store.triples(graph)) == set(content)
    assert empty_store.replace_graph(graph, content).empty
    assert graph in empty_store.graphs()


# Virtuoso runs the switch as one request but commits large operations in parts, so a reader querying during
# the switch of a large change can see part of it (observed: 10,000 of 12,000); see README, "Store backends".
@pytest.mark.parametrize("backend", ["embedded", "oxigraph-server"])
def test_a_large_write_is_atomic_for_a_concurrent_reader(backend, request):
    empty_store = backend_store(backend, request)
    graph = empty_store.source_graph("swap")
    small, large = _triples("s", 1_500), _triples("l", 12_000)
    empty_store.replace_graph(graph, small)
    seen: set[int] = set()
    stop = threading.Event()
    errors: list[Exception] = []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.add(empty_store.count(graph))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(2):
            empty_store.replace_graph(graph, large)
            empty_store.replace_graph(graph, small)
    finally:
        stop.set()
        reader.join()
    assert not errors, errors
    assert seen and seen <= {1_500, 12_000}, seen
    leftovers = [g for g in _all_graphs(empty_store) if "/graph/staging/" in g]
    assert leftovers == []


def _all_graphs(store: CatalogueStore) -> list[str]:
    rows = store.query(
        f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{store.base}")) }}', default_graphs=[]
    )
    return [row["g"].value for row in rows]


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "embedded"])
def test_a_write_that_fails_half_way_leaves_the_old_content(backend, request, monkeypatch):
    """The remote stores stage a large change before switching it in (the embedded store's crash test is below)."""
    from catalogue.errors import StoreError

    empty_store = backend_store(backend, request)

    graph = empty_store.source_graph("half")
    old = _triples("old", 800)
    empty_store.replace_graph(graph, old)
    calls = {"n": 0}
    real = empty_store._load

    def failing(target, triples):
        calls["n"] += 1
        if calls["n"] == 2:
            raise StoreError("the connection dropped (injected)")
        real(target, triples)

    monkeypatch.setattr(empty_store, "_load", failing)
    monkeypatch.setattr(empty_store, "load_triples", 500)
    monkeypatch.setattr(empty_store, "batch_triples", 500)
    with pytest.raises(StoreError, match="injected"):
        empty_store.replace_graph(graph, _triples("new", 3_000))
    assert set(empty_store.triples(graph)) == set(old)
    assert [g for g in _all_graphs(empty_store) if "/graph/staging/" in g] == []
    monkeypatch.setattr(empty_store, "_load", real)
    assert not empty_store.replace_graph(graph, _triples("new", 3_000)).empty
    assert empty_store.count(graph) == 3_000


def test_emptying_a_graph_removes_it_from_the_list(empty_store):
    graph = empty_store.source_graph("gone")
    empty_store.replace_graph(graph, _triples("g", 10))
    assert graph in empty_store.graphs()
    empty_store.replace_graph(graph, [])
    assert graph not in empty_store.graphs() and empty_store.count(graph) == 0


def test_workload_durations_survive_the_round_trip(store):
    """Virtuoso 7 keeps day-time durations as seconds; the store gives them back as durations."""
    rows = store.query(
        "SELECT ?v WHERE { <https://data.norrsunda.example/spec/data-analysis-python> elm:volumeOfLearning ?v }"
    )
    values = [(duration_hours(row["v"].value), row["v"].datatype.value) for row in rows]
    assert values == [(200, "http://www.w3.org/2001/XMLSchema#duration")]  # Oxigraph writes it as P8DT8H


def test_every_row_is_read_past_a_page(empty_store):
    graph = empty_store.source_graph("many")
    offers = [ox.Triple(ox.NamedNode(f"https://x.example/offer/{i:04d}"), ox.NamedNode(RDF_TYPE), ox.NamedNode(ELM + "LearningOpportunity"))
              for i in range(250)]
    empty_store.replace_graph(graph, offers)
    if hasattr(empty_store, "page_triples"):
        empty_store.page_triples = 100  # three pages on a server
    rows = list(empty_store.every_row("?o", f"GRAPH <{graph}> {{ ?o a <{ELM}LearningOpportunity> }}"))
    assert sorted(row["o"].value for row in rows) == sorted(t.subject.value for t in offers)


def test_a_result_the_server_cut_short_is_an_error_not_a_smaller_catalogue(virtuoso_session):
    from catalogue.errors import StoreError

    store = remote_store_for(virtuoso_session, "http://127.0.0.1:8000/cut/")
    numbers = " ".join(str(i) for i in range(120))
    with pytest.raises(StoreError, match="cut a result at 10000 rows"):
        list(store.client.query(f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} }}"))
    assert len(list(store.client.query(f"SELECT ?a WHERE {{ VALUES ?a {{ {numbers} }} }}"))) == 120


# -- remote servers: credentials, dead and slow servers -----------------------------------------------


def test_wrong_credentials_are_named_as_such(virtuoso_session):
    from requests.auth import HTTPDigestAuth

    from catalogue.errors import StoreError
    from catalogue.store.remote import RemoteStore, SparqlClient

    client = SparqlClient(virtuoso_session.query_url, virtuoso_session.update_url, virtuoso_session.graph_store_url,
                          auth=HTTPDigestAuth("dba", "wrong"), timeout=30, retries=0)
    store = RemoteStore(client, "http://127.0.0.1:8000/wrong/")
    with pytest.raises(StoreError, match="credentials"):
        store.replace_graph(store.source_graph("x"), _triples("x", 3))


def test_credentials_come_from_the_environment_only(tmp_path, monkeypatch, oxigraph_server_session):
    from catalogue.config import load_config
    from catalogue.errors import ConfigError
    from catalogue.store.factory import open_store

    config = tmp_path / "catalogue.toml"
    config.write_text(oxigraph_server_session.toml(user_env="STORE_USER", password_env="STORE_PASSWORD"), encoding="utf-8")
    monkeypatch.delenv("STORE_USER", raising=False)
    with pytest.raises(ConfigError, match="STORE_USER"):
        open_store(load_config(config))
    config.write_text(oxigraph_server_session.toml() + 'password = "secret"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="environment variable"):
        load_config(config)


def test_a_dead_or_silent_server_gives_a_clear_error_in_bounded_time():
    import socket as sockets

    from catalogue.errors import StoreError
    from catalogue.store.remote import RemoteStore, SparqlClient

    from .conftest import free_port

    dead = RemoteStore(SparqlClient(f"http://127.0.0.1:{free_port()}/query", timeout=2, retries=1), "http://127.0.0.1:8000/")
    with pytest.raises(StoreError, match="cannot be reached"):
        dead.graphs()
    listener = sockets.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    try:
        silent = RemoteStore(
            SparqlClient(f"http://127.0.0.1:{listener.getsockname()[1]}/query", timeout=1.5, retries=1), "http://127.0.0.1:8000/"
        )
        started = time.monotonic()
        with pytest.raises(StoreError, match="did not answer"):
            silent.graphs()
        assert time.monotonic() - started < 10
    finally:
        listener.close()
