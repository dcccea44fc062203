"""The default graph's distinct subjects, in all and per class, counted a graph at a time from kept copies or the
store (``publish.subject_counts``), are what one query over the whole default graph gives, and a graph's entry is
used again only while its stamp holds."""

from __future__ import annotations

import random
from array import array
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalogue.namespaces import RDF_TYPE
from catalogue.publish import subject_counts
from catalogue.publish.describe import dataset_counts
from catalogue.publish.kept_work import KeptWork
from catalogue.publish.subject_counts import (
    SLICES,
    distinct_in_union,
    graph_subjects,
    text_subjects,
)
from catalogue.store.oxigraph import OxigraphStore

from .conftest import BASE

ORG = "http://data.europa.eu/snb/model/elm/Organisation"
OFFER = "http://data.europa.eu/snb/model/elm/LearningOpportunity"


def test_the_union_of_sorted_hashes_counts_each_value_once():
    rng = random.Random(3)
    end = 1 << 64
    # Values on and beside the slices' bounds, and the ends of the range, in several parts at once.
    edges = [0, end - 1] + [k * end // SLICES + d for k in range(1, SLICES) for d in (-1, 0, 1)]
    values = [edges[i::3] + [rng.getrandbits(64) for _ in range(2000)] for i in range(3)]
    values.append(values[0][:500] + values[1][-300:])  # a part all of whose values other parts hold too
    parts = [array("Q", sorted(set(v))) for v in values]
    assert distinct_in_union(parts) == len(set().union(*values))
    assert distinct_in_union([parts[0]]) == len(parts[0]) and distinct_in_union([]) == 0


def _quads(graph: str, triples: list[tuple[str, str, str | ox.Literal | ox.BlankNode]]) -> list[ox.Quad]:
    def term(value):
        return value if isinstance(value, (ox.Literal, ox.BlankNode)) else ox.NamedNode(value)

    return [ox.Quad(term(s), ox.NamedNode(p), term(o), ox.NamedNode(graph)) for s, p, o in triples]


@pytest.fixture
def shared(tmp_path: Path):
    """Two sources and the statistics graph sharing subjects: an organisation both sources type, one the statistics
    graph also describes, and a blank node; source a's graph has a kept N-Triples copy, source b's has none."""
    store = OxigraphStore.open(tmp_path / "store", BASE)
    a, b, stats = store.source_graph("a"), store.source_graph("b"), store.statistics_graph
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    blank = ox.BlankNode("shared1")
    quads = _quads(a, [
        ("https://a.example/lo/1", RDF_TYPE, OFFER), ("https://a.example/lo/1", label, ox.Literal("Ett")),
        ("https://org.example/x", RDF_TYPE, ORG), ("https://org.example/x", label, ox.Literal("X")),
        ("https://shared.example/dataset", label, ox.Literal("described by a source too")),
        (blank, label, ox.Literal("blank")),
    ]) + _quads(b, [
        ("https://b.example/lo/1", RDF_TYPE, OFFER), ("https://org.example/x", RDF_TYPE, ORG),
        ("https://org.example/y", RDF_TYPE, ORG), (blank, RDF_TYPE, ORG),
    ]) + _quads(stats, [
        ("https://shared.example/dataset", RDF_TYPE, "http://purl.org/linked-data/cube#DataSet"),
        ("https://stats.example/o1", label, ox.Literal("an observation")),
    ])
    # Typed with a triple term (RDF 1.2): the statement's subject is a subject of the default graph, but the triple
    # term is no class.
    quads.append(ox.Quad(ox.NamedNode("https://a.example/lo/2"), ox.NamedNode(RDF_TYPE),
                         ox.Triple(ox.NamedNode("https://a.example/x"), ox.NamedNode(label), ox.NamedNode(ORG)), ox.NamedNode(a)))
    store.store.extend(quads)
    copy = tmp_path / "a.nt"
    copy.write_bytes(ox.serialize([q.triple for q in quads if q.graph_name == ox.NamedNode(a)], format=ox.RdfFormat.N_TRIPLES))
    stamps = {a: "1", b: "1", stats: "1"}
    kept = KeptWork(tmp_path / "kept", "graph-subjects", lambda: dict(stamps), "catalogue.publish.subject_counts")
    try:
        yield store, {a: copy}, stamps, kept
    finally:
        store.close()


def test_subjects_counted_a_graph_at_a_time_are_what_one_query_gives(shared):
    store, texts, _, kept = shared
    whole = dataset_counts(store)
    # a's and b's lo/1, a's lo/2, organisations x and y, the dataset, o1 and the blank node
    assert whole["default graph"]["entities"] == 8
    assert whole["default graph"]["classes"][ORG] == 3
    assert dataset_counts(store, None, kept, texts) == whole
    graph = store.source_graph("a")
    assert text_subjects(texts[graph]) == graph_subjects(store, graph)  # the copy and the store agree
    assert dataset_counts(store, None, kept, texts) == whole  # from the kept entries this time


def test_a_graph_s_entry_is_used_while_its_stamp_holds_and_never_for_the_statistics_graph(shared, monkeypatch):
    store, texts, stamps, kept = shared
    dataset_counts(store, None, kept, texts)
    read: list[str] = []
    original = subject_counts.graph_subjects
    monkeypatch.setattr(subject_counts, "graph_subjects", lambda s, graph: read.append(graph) or original(s, graph))
    dataset_counts(store, None, kept, texts)
    assert read == [store.statistics_graph]  # kept: the sources' graphs are not read again
    # Source b gains an organisation and its graph a new stamp: only it is read again, and the counts follow.
    store.store.add(_quads(store.source_graph("b"), [("https://org.example/z", RDF_TYPE, ORG)])[0])
    stamps[store.source_graph("b")] = "2"
    read.clear()
    counted = dataset_counts(store, None, kept, texts)
    assert sorted(read) == sorted([store.source_graph("b"), store.statistics_graph])
    assert counted == dataset_counts(store) and counted["default graph"]["classes"][ORG] == 4


def test_copies_read_by_worker_processes_give_the_same_counts(shared, monkeypatch, tmp_path):
    store, texts, _, kept = shared
    b = store.source_graph("b")
    texts[b] = tmp_path / "b.nt"
    texts[b].write_bytes(ox.serialize((q.triple for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(b))),
                                    format=ox.RdfFormat.N_TRIPLES))
    monkeypatch.setattr(subject_counts, "PARALLEL_FROM", 2)  # both copies to the workers
    assert dataset_counts(store, None, kept, texts) == dataset_counts(store)
    assert all(kept.get(f"subjects {graph}", [graph]) is not None for graph in texts)
