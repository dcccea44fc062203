"""Large writes to the embedded store go through a redo journal and Oxigraph's bulk loader (store_journal.py).

The writes must give exactly what the transactional path gives, and a writer killed at any point must
leave the old content or the new one when the store is opened again, never a mix.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalogue.errors import StoreError
from catalogue.store.journal import ADD, COMMIT, REMOVE, Journal
from catalogue.store.oxigraph import OxigraphStore

from .conftest import BASE, ROOT
from .test_store import load_example


def _triples(prefix: str, n: int, start: int = 0) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"https://x.example/{prefix}/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(f"{prefix} {i}"))
            for i in range(start, start + n)]


def _closed_store_holding(path: Path, source: str, old: list[ox.Triple]) -> str:
    """A store at ``path`` whose graph for ``source`` holds ``old``, closed again; returns the graph."""
    store = OxigraphStore.open(path, BASE)
    graph = store.source_graph(source)
    store.replace_graph(graph, old)
    store.close()
    return graph


DATE_TIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def _content(store: OxigraphStore) -> set[ox.Quad]:
    """Every quad; a record's time stamp (the second it was written) as one placeholder, so two loads a second apart compare equal."""
    def timeless(term):
        return ox.Literal("TIME", datatype=DATE_TIME) if isinstance(term, ox.Literal) and term.datatype == DATE_TIME else term
    return {ox.Quad(q.subject, q.predicate, timeless(q.object), q.graph_name) for q in store.store.quads_for_pattern(None, None, None, None)}


@pytest.fixture()
def disk_store(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", BASE)
    store.bulk_quads = 1  # every write that adds something takes the journal path
    yield store
    store.close()


def test_journalled_writes_give_what_transactions_give(disk_store, validator):
    plain = OxigraphStore.open(None, BASE)
    plain.bulk_quads = 10**9
    graph = disk_store.source_graph("s")
    steps = [
        _triples("a", 300),
        _triples("a", 200) + _triples("b", 150),      # some removed, some added
        _triples("b", 150),                            # only removed
        [],                                            # emptied: the graph goes away
        _triples("c", 50),
    ]
    for triples in steps:
        changes = [store.replace_graph(graph, triples) for store in (disk_store, plain)]
        assert (changes[0].added, changes[0].removed) == (changes[1].added, changes[1].removed)
        assert _content(disk_store) == _content(plain)
        assert (graph in disk_store.graphs()) == bool(triples)
    for store in (disk_store, plain):
        load_example(store, "norrsunda-universitet.ttl", "norrsunda", validator)
    assert _content(disk_store) == _content(plain)
    assert not Journal.beside(disk_store.path).folder.exists()


def test_a_committed_journal_left_by_a_crash_is_finished_on_open(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore.open(path, BASE)
    graph = store.source_graph("s")
    store.replace_graph(graph, _triples("old", 500))
    new = _triples("old", 250) + _triples("new", 700)
    removals = {graph: set(_triples("old", 250, start=250))}
    additions = {graph: set(_triples("new", 700))}
    Journal.beside(path).record(removals, additions, set())  # the crash came right after the commit
    store.close()
    with pytest.raises(StoreError, match="in the middle of a large change"):
        OxigraphStore.open(path, BASE, read_only=True)
    reopened = OxigraphStore.open(path, BASE)
    try:
        assert set(reopened.triples(graph)) == set(new)
        assert not Journal.beside(path).folder.exists()
    finally:
        reopened.close()


def test_an_uncommitted_journal_is_discarded_and_the_store_keeps_the_old_content(tmp_path):
    path = tmp_path / "store"
    old = _triples("old", 400)
    graph = _closed_store_holding(path, "s", old)
    folder = Journal.beside(path).folder
    folder.mkdir()
    (folder / REMOVE).write_text(f"<https://x.example/old/1> <https://x.example/p> \"old 1\" <{graph}> .\n", encoding="utf-8")
    (folder / ADD).write_text(f"<https://x.example/new/1> <https://x.example/p> \"new 1\" <{graph}> .\n", encoding="utf-8")
    assert not (folder / COMMIT).exists()
    reopened = OxigraphStore.open(path, BASE)
    try:
        assert set(reopened.triples(graph)) == set(old)
        assert not folder.exists()
    finally:
        reopened.close()


# A writer that dies (SIGKILL) half-way through the bulk load: the quads of the first half are in the store.
DYING_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import pyoxigraph as ox
    from pathlib import Path
    from catalogue.store import OxigraphStore

    class HalfWay:
        def __init__(self, store):
            self.store = store
        def __getattr__(self, name):
            return getattr(self.store, name)
        def bulk_load(self, path, format):
            quads = list(ox.parse(path=path, format=format))
            self.store.bulk_extend(quads[: len(quads) // 2])
            self.store.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    store = OxigraphStore.open(Path(sys.argv[1]), "http://127.0.0.1:8000/")
    store.store = HalfWay(store.store)
    graph = store.source_graph("crash")
    keep = [ox.Triple(ox.NamedNode(f"https://x.example/old/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(f"old {i}")) for i in range(500)]
    new = [ox.Triple(ox.NamedNode(f"https://x.example/new/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal(f"new {i}")) for i in range(30000)]
    store.replace_graph(graph, keep + new)
    """
)


def test_a_writer_killed_during_the_bulk_load_leaves_the_new_content_after_reopening(tmp_path):
    path = tmp_path / "store"
    graph = _closed_store_holding(path, "crash", _triples("old", 1000))
    writer = subprocess.run([sys.executable, "-c", DYING_WRITER, str(path)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert writer.returncode == -signal.SIGKILL, writer.stderr
    half_written = ox.Store.read_only(str(path))
    partial = sum(1 for _ in half_written.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    del half_written
    assert 500 < partial < 30_500, "the writer should have died with part of the change in the store"
    assert Journal.beside(path).committed
    reopened = OxigraphStore.open(path, BASE)
    try:
        assert set(reopened.triples(graph)) == set(_triples("old", 500) + _triples("new", 30000))
        assert not Journal.beside(path).folder.exists()
    finally:
        reopened.close()


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


@pytest.mark.parametrize("after", [0.5, 2.0])
def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_content(tmp_path, after):
    path = tmp_path / "store"
    old = _triples("old", 1000)
    graph = _closed_store_holding(path, "crash", old)
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert writer.stdout.readline().strip() == "writing"
    time.sleep(after)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    new = {ox.Triple(ox.NamedNode(f"https://x.example/new/{i}"), ox.NamedNode("https://x.example/p"), ox.Literal("n" * 50 + str(i)))
           for i in range(400000)}
    reopened = OxigraphStore.open(path, BASE)
    try:
        found = set(reopened.triples(graph))
        assert found == set(old) or found == new, f"{len(found)} triples: neither the old content nor the new"
        assert not Journal.beside(path).folder.exists()
    finally:
        reopened.close()


def test_a_read_only_store_refuses_to_write(tmp_path):
    path = tmp_path / "store"
    OxigraphStore.open(path, BASE).close()
    reader = OxigraphStore.open(path, BASE, read_only=True)
    with pytest.raises(Exception, match="read-only"):
        reader.replace_graph(reader.source_graph("s"), _triples("a", 10))
    assert not Path(str(path) + ".journal").exists()


def test_a_staged_write_past_memory_is_sorted_on_disk_and_gives_what_a_set_difference_gives(tmp_path, monkeypatch):
    from catalogue.store import staging
    from catalogue.store.base import GraphWrite
    from catalogue.store.staging import StagedGraphs

    monkeypatch.setattr(staging, "SPILL_QUADS", 100)
    old, new = _triples("old", 500), _triples("old", 250) + _triples("new", 700)
    disk = OxigraphStore.open(tmp_path / "disk", BASE)
    memory = OxigraphStore.open(None, BASE)
    try:
        for store in (disk, memory):
            graph, emptied = store.source_graph("s"), store.quarantine_graph("s")
            store.write([GraphWrite(graph, triples=old), GraphWrite(emptied, triples=_triples("q", 10))])
            staged = StagedGraphs([graph, emptied], tmp_path / "staging")
            for start in range(0, len(new), 300):  # in batches, as a harvest stages them
                staged.add(graph, new[start:start + 300])
            assert staged.spilled
            change = store.write_staged(staged, [GraphWrite(store.provenance_graph, add=_triples("run", 1))])
            assert (change.removed, change.added) == (250 + 10, 700)  # the emptied graph's ten go too
            assert set(store.triples(graph)) == set(new)
            assert emptied not in store.graphs()  # a graph left with nothing is dropped, as a set-difference write does
            assert set(store.triples(store.provenance_graph)) == set(_triples("run", 1))
        assert not list((tmp_path / "staging").iterdir()) and not Journal.beside(tmp_path / "disk").folder.exists()
    finally:
        disk.close()


def test_a_staged_change_left_by_a_crash_after_its_commit_is_finished_on_open(tmp_path):
    path = tmp_path / "store"
    graph = _closed_store_holding(path, "s", _triples("old", 500))
    work = tmp_path / "work"
    work.mkdir()
    for name, triples in (("remove.nq", _triples("old", 250, start=250)), ("add.nq", _triples("new", 700))):
        with (work / name).open("wb") as file:
            ox.serialize((ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples), file, ox.RdfFormat.N_QUADS)
    Journal.beside(path).record_files(work / "remove.nq", work / "add.nq", set(), 250, 700)  # the crash came right after the commit
    reopened = OxigraphStore.open(path, BASE)
    try:
        assert set(reopened.triples(graph)) == set(_triples("old", 250) + _triples("new", 700))
        assert not Journal.beside(path).folder.exists()
    finally:
        reopened.close()


TRICKY_OFFER = """
@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://x.example/offer/1> a elm:LearningOpportunity ;
    dcterms:title "a \\"quoted\\" \\\\ title\\nover two lines\\twith a tab é 😀 \\u0001"@sv-SE, "plain"^^xsd:string ;
    elm:duration "P1Y2M"^^xsd:duration ; elm:credit "01.50"^^xsd:decimal ; elm:start "2026-01-01T00:00:00+00:00"^^xsd:dateTime ;
    dcterms:description [ dcterms:title "nested \\u2028 separator" ; dcterms:source <https://x.example/iri%20with?q=1#f> ] .
"""


@pytest.mark.parametrize("spill_at", [5, 1_000_000])
def test_offers_staged_as_their_lines_give_the_store_what_their_statements_give(tmp_path, monkeypatch, spill_at):
    """An offer's statements are staged as the N-Triples lines extraction made (not parsed and serialized again):
    past memory they are compared with the store as text, so they must be the very lines Oxigraph writes, or an
    unchanged offer would be removed and added again by every harvest."""
    from catalogue.store import staging
    from catalogue.store.staging import StagedGraphs
    from catalogue.validation.offers import extract_offers
    from catalogue.vocab import load_vocabulary

    monkeypatch.setattr(staging, "SPILL_QUADS", spill_at)
    quads = list(ox.parse(TRICKY_OFFER.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    records = extract_offers(quads, load_vocabulary(), BASE).offers
    lines = [line for record in records for line in record.lines]
    expected = {triple for record in records for triple in record.triples()}
    assert len(lines) == len(expected) >= 9
    store = OxigraphStore.open(tmp_path / "store", BASE)
    try:
        graph = store.source_graph("s")
        for attempt in range(2):
            staged = StagedGraphs([graph], tmp_path / "staging")
            staged.add_lines(graph, lines)
            assert staged.spilled == (spill_at == 5)
            change = store.write_staged(staged)
            assert (change.removed, change.added) == ((0, len(expected)) if attempt == 0 else (0, 0))
            assert set(store.triples(graph)) == expected
        # The same statements staged as terms are the same lines too: nothing to change.
        staged = StagedGraphs([graph], tmp_path / "staging")
        staged.add(graph, sorted(expected, key=str))
        change = store.write_staged(staged)
        assert (change.removed, change.added) == (0, 0)
    finally:
        store.close()
