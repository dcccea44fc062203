"""The harvest keeps each source graph's new content as N-Triples, and the dumps read it instead of the store: the
copy must hold exactly what the store holds, whether the source was written from memory or spilled to disk, and a
copy that does not name the published offers is never used."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest

from catalogue.config import load_config
from catalogue.publish.dumps import kept_texts
from catalogue.publish.generations import current_generation
from catalogue.publish.offer_data import offer_listing
from catalogue.store import staging
from catalogue.store.graph_text import GraphTexts
from catalogue.store.oxigraph import OxigraphStore

from .sitebuild import run, write_config


def _triples(path) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def _dumped_quads(config) -> set[ox.Quad]:
    generation = current_generation(config)
    return set(ox.parse(gzip.decompress((generation.dumps / "catalogue.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS))


def _public_quads(config) -> set[ox.Quad]:
    store = OxigraphStore.open(current_generation(config).store_path, config.base, read_only=True)
    try:
        return {ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g in store.public_graphs() for t in store.triples(g)}
    finally:
        store.close()


@pytest.mark.parametrize("spilled", [False, True], ids=["in memory", "spilled to disk"])
def test_the_kept_copy_holds_what_the_store_holds_and_the_dumps_are_made_from_it(tmp_path, monkeypatch, spilled):
    if spilled:
        monkeypatch.setattr(staging, "SPILL_QUADS", 50)  # every bundled source passes it, so each is sorted on disk
    config_path = write_config(tmp_path)
    run(config_path, "harvest", "--no-publish")
    config = load_config(config_path)
    texts = GraphTexts.in_data_dir(config.data_dir)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        kept = kept_texts(store, offer_listing(store), texts)
        assert len(kept) >= 3, kept
        for graph, path in kept.items():
            lines = path.read_bytes().splitlines()
            assert _triples(path) == set(store.triples(graph)) and len(lines) == len(set(lines)) == store.count(graph)
            if spilled:
                assert lines == sorted(lines)  # the staged file, sorted on disk (a set in memory has no order)
    finally:
        store.close()

    # Publishing reads the source graphs from the copies alone (reading them from the store would fail here) and
    # gives exactly the public view; the copies are then removed.
    read_from_store = []
    original = OxigraphStore.write_ntriples

    def refuse_source_graphs(self, graph, output):
        if graph in kept:
            read_from_store.append(graph)
            raise AssertionError(f"{graph} was read from the store although a copy was kept")
        return original(self, graph, output)

    monkeypatch.setattr(OxigraphStore, "write_ntriples", refuse_source_graphs)
    run(config_path, "publish")
    assert not read_from_store
    assert _dumped_quads(config) == _public_quads(config)
    assert not list(texts.folder.glob("*.nt"))


def test_a_copy_that_does_not_name_the_published_offers_is_not_used(tmp_path):
    config_path = write_config(tmp_path)
    run(config_path, "harvest", "--no-publish")
    config = load_config(config_path)
    texts = GraphTexts.in_data_dir(config.data_dir)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        kept = kept_texts(store, offer_listing(store), texts)
    finally:
        store.close()
    graph, path = sorted(kept.items())[0]
    # As if a later write had changed the graph without keeping a copy: the copy on disk names other offers.
    stale = path.with_name(path.name.rsplit("-", 1)[0] + "-" + "0" * 32 + ".nt")
    path.rename(stale)
    with stale.open("ab") as out:
        out.write(b'<https://stale.example/offer> <http://purl.org/dc/terms/title> "Withdrawn long ago" .\n')
    run(config_path, "publish")
    dumped = _dumped_quads(config)
    assert dumped == _public_quads(config)
    assert not any("stale.example" in str(quad) for quad in dumped)
