"""The Oxigraph store: one graph per source, atomic difference writes, exports, and readers beside a writer."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalogue.offers import extract_offers
from catalogue.publish import publish
from catalogue.rdfio import read_rdf
from catalogue.store import GraphWrite, OxigraphStore
from catalogue.validate import Validator
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, ROOT


def load_example(store: OxigraphStore, name: str, source: str, validator: Validator):
    document = read_rdf(str(EXAMPLES / name))
    records = extract_offers(document.quads, load_vocabulary(), BASE).offers
    reports = validator.validate_records(records)
    return publish(store, source, records, reports)


@pytest.fixture(scope="module")
def validator():
    return Validator(BASE)


@pytest.fixture()
def store(validator):
    store = OxigraphStore.open(None, BASE)
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
    records = extract_offers(document.quads, load_vocabulary(), BASE).offers
    outcome = publish(store, "norrsunda", records, validator.validate_records(records))
    assert outcome.unchanged == 6
    # the title, and in its record the content hash and the modification time
    assert outcome.change.removed == 3 and outcome.change.added == 3


def test_a_source_that_shrinks_withdraws_offers(store, validator):
    document = read_rdf(str(EXAMPLES / "norrsunda-universitet.ttl"))
    records = extract_offers(document.quads, load_vocabulary(), BASE).offers[:2]
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


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, pyoxigraph as ox
    from pathlib import Path
    from catalogue.store import OxigraphStore
    store = OxigraphStore.open(Path(sys.argv[1]), "http://127.0.0.1:8000/")
    graph = store.source_graph("crash")
    new = [ox.Triple(ox.NamedNode(f"https://x.example/new/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal("n" * 50 + str(i))) for i in range(400000)]
    print("writing", flush=True)
    store.replace_graph(graph, new)
    print("done", flush=True)
    """
)


def test_a_crash_in_the_middle_of_a_write_leaves_the_old_content(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore.open(path, BASE)
    graph = store.source_graph("crash")
    old = [ox.Triple(ox.NamedNode(f"https://x.example/old/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(str(i))) for i in range(1000)]
    store.replace_graph(graph, old)
    store.close()
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert writer.stdout.readline().strip() == "writing"
    time.sleep(1.5)
    assert writer.poll() is None, "the write finished before it could be interrupted"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    reopened = OxigraphStore.open(path, BASE)
    try:
        assert set(reopened.triples(graph)) == set(old)
    finally:
        reopened.close()


def test_a_reader_process_works_while_a_writer_holds_the_store(tmp_path, validator):
    path = tmp_path / "store"
    writer = OxigraphStore.open(path, BASE)
    load_example(writer, "norrkust-kompetens.ttl", "norrkust", validator)
    writer.store.flush()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    config = tmp_path / "catalogue.toml"
    config.write_text(f'[store]\npath = "{path}"\n', encoding="utf-8")
    reader = subprocess.run(
        [sys.executable, "-c", "from catalogue.cli import main; main()", "--config", str(config), "stats", "--format", "json"],
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
