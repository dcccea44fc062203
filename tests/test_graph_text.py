"""The harvest keeps each source graph's new content as N-Triples, and the dumps and the next write read it instead
of the store: the copy must hold exactly what the store holds, whether the source was written from memory or spilled
to disk, a write from a copy must end where a fresh harvest ends, and a copy that does not name the offers the store
holds is never used."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest

from catalogue.config import load_config
from catalogue.publish.dumps import kept_texts
from catalogue.publish.generations import current_generation
from catalogue.publish.offer_data import offer_listing
from catalogue.store import staging
from catalogue.store.graph_text import GraphTexts, stamp_key
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


def _harvested(tmp_path, check=None):
    """The bundled sources harvested without publishing: (configuration file, configuration, the kept copies' folder,
    graph -> its copy named by the offers the store publishes); ``check(store, kept)`` runs while the store is open."""
    config_path = write_config(tmp_path)
    run(config_path, "harvest", "--no-publish")
    config = load_config(config_path)
    texts = GraphTexts.in_data_dir(config.data_dir)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        kept = kept_texts(store, offer_listing(store), texts, store.graph_stamps())
        if check is not None:
            check(store, kept)
    finally:
        store.close()
    return config_path, config, texts, kept


def _naming_other_offers(path):
    """The copy at ``path`` renamed as if it held other offers than the store's (as after a write that kept none)."""
    stale = path.with_name(path.name.rsplit("-", 1)[0] + "-" + "0" * 32 + ".nt")
    path.rename(stale)
    return stale


@pytest.mark.parametrize("spilled", [False, True], ids=["in memory", "spilled to disk"])
def test_the_kept_copy_holds_what_the_store_holds_and_the_dumps_are_made_from_it(tmp_path, monkeypatch, spilled):
    if spilled:
        monkeypatch.setattr(staging, "SPILL_QUADS", 50)  # every bundled source passes it, so each is sorted on disk

    def holds_what_the_store_holds(store, kept):
        sources = store.source_ids()
        assert set(kept) == {g for s in sources for g in (store.source_graph(s), store.records_graph(s))}, kept
        for graph, path in kept.items():
            lines = path.read_bytes().splitlines()
            assert _triples(path) == set(store.triples(graph)) and len(lines) == len(set(lines)) == store.count(graph)
            if spilled:
                assert lines == sorted(lines)  # the staged file, sorted on disk (a set in memory has no order)

    config_path, config, texts, kept = _harvested(tmp_path, holds_what_the_store_holds)

    # Publishing reads the source and records graphs from the copies alone (reading them from the store would fail
    # here; the records' copies are changed as the publish gives each record its time status) and gives exactly the
    # public view; the copies stay for the next write.
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
    monkeypatch.setattr(OxigraphStore, "write_ntriples", original)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        now_kept = kept_texts(store, offer_listing(store), texts, store.graph_stamps())
        assert set(now_kept) == set(kept) and any(now_kept[g] != kept[g] for g in kept)  # statuses were written
        stamps = store.graph_stamps()
        quarantined = {g: texts.find(g, stamp_key(stamps[g])) for s in store.source_ids() if (g := store.quarantine_graph(s)) in store.graphs()}
        assert quarantined and all(quarantined.values())
        for graph, path in {**now_kept, **quarantined}.items():
            assert _triples(path) == set(store.triples(graph))
        assert sorted(texts.folder.glob("*.nt")) == sorted({*now_kept.values(), *quarantined.values()})
    finally:
        store.close()


def test_a_copy_that_does_not_name_the_published_offers_is_not_used(tmp_path):
    config_path, config, _, kept = _harvested(tmp_path)
    graph, path = sorted(kept.items())[0]
    with _naming_other_offers(path).open("ab") as out:
        out.write(b'<https://stale.example/offer> <http://purl.org/dc/terms/title> "Withdrawn long ago" .\n')
    run(config_path, "publish")
    dumped = _dumped_quads(config)
    assert dumped == _public_quads(config)
    assert not any("stale.example" in str(quad) for quad in dumped)


def _one_source(tmp_path, name: str = "norrsunda"):
    """A configuration with one source, read from a copy of a bundled example that a test then edits."""
    from .sitebuild import ROOT

    original = ROOT / "examples" / "elm" / "norrsunda-universitet.ttl"
    folder = tmp_path / name
    folder.mkdir()
    feed = folder / "feed.ttl"
    feed.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    head = write_config(folder).read_text(encoding="utf-8").split("[[sources]]")[0]
    config_path = folder / "catalogue.toml"
    config_path.write_text(head + f'[[sources]]\nid = "norrsunda"\nname = "Norrsunda"\nharvester = "rdf"\nurl = "{feed.as_posix()}"\n',
                           encoding="utf-8")
    return config_path, feed


def _edit(feed) -> None:
    text = feed.read_text(encoding="utf-8")
    edited = text.replace('"Data analysis with Python"@en', '"Data analysis in Python"@en', 1)
    assert edited != text
    feed.write_text(edited, encoding="utf-8")


def _source_graph(config_path) -> set[ox.Triple]:
    config = load_config(config_path)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        return set(store.triples(store.source_graph("norrsunda")))
    finally:
        store.close()


@pytest.mark.parametrize("spilled", [False, True], ids=["in memory", "spilled to disk"])
def test_a_changed_source_is_compared_with_its_kept_copy_and_ends_as_a_fresh_harvest(tmp_path, monkeypatch, spilled):
    if spilled:
        monkeypatch.setattr(staging, "SPILL_QUADS", 50)
    config_path, feed = _one_source(tmp_path)
    run(config_path, "harvest", "--no-publish")
    before = _source_graph(config_path)
    _edit(feed)
    graph = OxigraphStore.source_graph(OxigraphStore(ox.Store(), load_config(config_path).base), "norrsunda")
    original = OxigraphStore.triples

    def refuse_the_source_graph(self, name):
        if name == graph:
            raise AssertionError("the source graph was read from the store although a copy of it was kept")
        return original(self, name)

    monkeypatch.setattr(OxigraphStore, "triples", refuse_the_source_graph)
    run(config_path, "harvest", "--no-publish")  # a source whose write failed keeps its old title, checked below
    monkeypatch.setattr(OxigraphStore, "triples", original)
    fresh_config, fresh_feed = _one_source(tmp_path, "fresh")
    fresh_feed.write_text(feed.read_text(encoding="utf-8"), encoding="utf-8")
    run(fresh_config, "harvest", "--no-publish")
    written = _source_graph(config_path)
    assert written == _source_graph(fresh_config)
    changed = {t for t in before - written if "Data analysis with Python" in str(t.object)}
    assert len(changed) == 1 and len(written - before) == 1 and len(written) == len(before)


def test_a_write_does_not_take_a_copy_that_names_other_offers_for_the_store(tmp_path):
    config_path, feed = _one_source(tmp_path)
    run(config_path, "harvest", "--no-publish")
    texts = GraphTexts.in_data_dir(load_config(config_path).data_dir)
    (path,) = [p for p in texts.folder.glob("*.nt") if "-stamp-" not in p.name]  # the source graph's, named by its offers
    stale = _naming_other_offers(path)
    before = _source_graph(config_path)
    with stale.open("wb") as out:
        out.write(b'<https://stale.example/offer> <http://purl.org/dc/terms/title> "Not in the store" .\n')
    _edit(feed)
    run(config_path, "harvest", "--no-publish")
    written = _source_graph(config_path)
    # The old title was removed (the copy, which does not hold it, was not taken for the store), nothing stale added.
    assert len(before - written) == len(written - before) == 1 and len(written) == len(before)
    assert "Data analysis with Python" in str(next(iter(before - written)).object)
    assert not any("stale.example" in str(t) for t in written)


@pytest.mark.parametrize("spilled", [False, True], ids=["in memory", "spilled to disk"])
def test_the_next_write_reads_the_records_from_their_copy_after_a_publish_gave_them_statuses(tmp_path, monkeypatch, spilled):
    if spilled:
        monkeypatch.setattr(staging, "SPILL_QUADS", 50)
    config_path, feed = _one_source(tmp_path)
    run(config_path, "harvest")  # and publish: every record is given its time status
    config = load_config(config_path)
    store = OxigraphStore.open(config.store.path, config.base)
    graphs = [store.source_graph("norrsunda"), store.records_graph("norrsunda")]
    store.close()
    _edit(feed)
    original = OxigraphStore.triples

    def refuse(self, name):
        if name in graphs:
            raise AssertionError(f"{name} was read from the store although a copy of it was kept")
        return original(self, name)

    monkeypatch.setattr(OxigraphStore, "triples", refuse)
    run(config_path, "harvest", "--no-publish")
    monkeypatch.setattr(OxigraphStore, "triples", original)
    store = OxigraphStore.open(config.store.path, config.base)
    try:
        records = set(store.triples(graphs[1]))
        # Unchanged offers keep the status the publish gave them; the edited one has none until the next publish.
        offers = {t.object for t in records if t.predicate.value.endswith("primaryTopic")}
        assert sum(1 for t in records if t.predicate.value.endswith("timeStatus")) == len(offers) - 1 >= 5
        copy = GraphTexts.in_data_dir(config.data_dir).find(graphs[1], stamp_key(store.graph_stamps()[graphs[1]]))
        assert copy is not None and _triples(copy) == records
        assert any("Data analysis in Python" in str(t.object) for t in store.triples(graphs[0]))
    finally:
        store.close()


def test_n_triples_put_in_a_graph_are_the_lines_oxigraph_writes_for_the_quads():
    from catalogue.store.graph_text import in_graph

    graph = "http://127.0.0.1:8000/graph/source/s"
    subject, predicate = ox.NamedNode("https://hostile.example/offer/1"), ox.NamedNode("http://purl.org/dc/terms/title")
    # Texts that end a line or a statement inside a literal, and separators N-Triples leaves as they are.
    texts = ['ends with a dot .', 'a line\nbreak .\n', 'a "quoted" word .\r\n', 'tab\tand \\ backslash .',
             'line separator \u2028 and paragraph separator \u2029 .', ' .', '']
    triples = [ox.Triple(subject, predicate, ox.Literal(text, language="en")) for text in texts]
    triples.append(ox.Triple(subject, ox.NamedNode("http://data.europa.eu/snb/model/elm/homepage"), ox.BlankNode("b1")))
    written = ox.serialize([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples],
                           format=ox.RdfFormat.N_QUADS)
    assert in_graph(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), graph) == written
    assert written.count(b"\n") == len(triples)
