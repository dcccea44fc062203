"""Publishing a generation builds on the previous one: the search index re-reads only new, changed and
withdrawn offers, and the dumps reuse the compressed members of unchanged graphs; both give exactly
what building everything afresh gives."""

from __future__ import annotations

import gzip
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyroaring import BitMap

from catalogue.config import Config
from catalogue.harvest.admission import publish
from catalogue.harvest.rdfio import parse_rdf
from catalogue.publish.dumps import GraphPart, graph_fingerprints, write_dumps
from catalogue.publish.europass_subset import NAME as EUROPASS_DUMP
from catalogue.publish.europass_subset import europass_dump
from catalogue.publish.generations import current_generation, publish_generation
from catalogue.publish.offer_data import offer_listing, read_offers
from catalogue.publish.search_index import SearchIndex, SearchQuery, refresh
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.offers import extract_offers
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, publish_example_sources

CHANGED_TITLE = "Dataanalys med Python för forskare"


def _publish_text(store: OxigraphStore, validator, source: str, turtle: str, now: datetime) -> None:
    quads = parse_rdf(turtle.encode("utf-8"), f"{source}.ttl").quads
    records = extract_offers(quads, load_vocabulary(), BASE).offers
    publish(store, source, records, validator.validate_records(records), now=now)


def _content(path: Path) -> dict[str, object]:
    """Everything the index says, keyed by offer IRI (row numbers differ between builds and do not matter)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        offers = {row[0]: row[1:] for row in db.execute(
            "SELECT iri, source, provider, start_date, end_date, ects, hours, price, currency, microcredential, changed, "
            "title_sort, summary, fingerprint FROM offers")}
        iris = dict(db.execute("SELECT id, iri FROM offers"))
        facets = sorted((iris[number], facet, value) for facet, value, members in db.execute("SELECT facet, value, members FROM value_sets")
                        for number in BitMap.deserialize(members))
        text = sorted(db.execute(
            "SELECT o.iri, t.title, t.description, t.outcomes, t.provider FROM offer_text t JOIN offers o ON o.id = t.rowid"))
        count = db.execute("SELECT value FROM meta WHERE key = 'offers'").fetchone()[0]
        return {"offers": offers, "facets": facets, "text": text, "count": count}
    finally:
        db.close()


@pytest.fixture()
def catalogue(tmp_path, validator):
    config = Config(base=BASE, data_dir=tmp_path / "data")
    store = OxigraphStore.open(tmp_path / "data" / "store", BASE)
    store.ensure_vocabulary(load_vocabulary())
    publish_example_sources(store, validator, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    first = publish_generation(config, store)
    yield config, store, first
    store.close()


def test_a_changed_and_a_withdrawn_offer_are_all_that_is_re_read(catalogue, validator, tmp_path):
    config, store, first = catalogue
    # Published as ``catalogue load`` does, with no summaries kept at harvest: every offer is read from the store.
    assert first.meta["search index"] == {"offers read": first.meta["offers"], "built whole": True,
                                          "summaries kept at harvest": 0, "summaries read from the store": first.meta["offers"]}
    norrsunda = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    edited = norrsunda.replace('"Dataanalys med Python"@sv', f'"{CHANGED_TITLE}"@sv')
    # One offer edited; one withdrawn (its type removed, so it is no longer an offer of the source).
    edited = edited.replace("lo:2027-plc-automation a elm:LearningOpportunity ;", "lo:2027-plc-automation a elm:Qualification ;")
    _publish_text(store, validator, "norrsunda-universitet", edited, datetime(2026, 11, 2, tzinfo=timezone.utc))

    second = publish_generation(config, store, now=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert second.meta["search index"] == {"offers read": 1, "built whole": False,
                                           "summaries kept at harvest": 0, "summaries read from the store": 1}
    assert second.meta["offers"] == first.meta["offers"] - 1

    snapshot = OxigraphStore.open(second.store_path, BASE, read_only=True)
    try:
        whole = refresh(tmp_path / "whole.sqlite", offer_listing(snapshot), lambda pairs: read_offers(snapshot, pairs))
    finally:
        snapshot.close()
    assert whole.whole and whole.read == second.meta["offers"]
    assert _content(second.search_path) == _content(tmp_path / "whole.sqlite")

    index = SearchIndex(second.search_path)
    # "forskare" (researchers) is now in one title; other offers speak of "forskning" (research), which shares its stem.
    found = index.search(SearchQuery(text="forskare"))
    assert found.items[0]["iri"] == "https://data.norrsunda.example/lo/2027-data-analysis-python"  # the title's match ranks first
    assert found.items[0]["titles"]["sv"] == CHANGED_TITLE
    assert "https://data.norrsunda.example/lo/2027-plc-automation" not in {
        item["iri"] for item in index.search(SearchQuery(page_size=100)).items}


def test_an_index_made_under_other_rules_is_built_whole(catalogue, tmp_path):
    config, store, first = catalogue
    snapshot = OxigraphStore.open(first.store_path, BASE, read_only=True)
    try:
        listing = offer_listing(snapshot)
        again = refresh(tmp_path / "same.sqlite", listing, lambda pairs: read_offers(snapshot, pairs), previous=first.search_path,
                        rules=_rules_of(first.search_path))
        other = refresh(tmp_path / "other.sqlite", listing, lambda pairs: read_offers(snapshot, pairs), previous=first.search_path,
                        rules="shapes changed")
    finally:
        snapshot.close()
    assert (again.whole, again.read) == (False, 0)
    assert (other.whole, other.read) == (True, len(listing))
    assert _content(tmp_path / "same.sqlite") == _content(first.search_path) == _content(tmp_path / "other.sqlite")


def test_a_damaged_previous_index_is_not_built_on(catalogue, tmp_path):
    config, store, first = catalogue
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this is not a database" * 100)
    snapshot = OxigraphStore.open(first.store_path, BASE, read_only=True)
    try:
        result = refresh(tmp_path / "new.sqlite", offer_listing(snapshot), lambda pairs: read_offers(snapshot, pairs),
                         previous=damaged, rules=_rules_of(first.search_path))
    finally:
        snapshot.close()
    assert result.whole
    assert _content(tmp_path / "new.sqlite") == _content(first.search_path)
    assert current_generation(config).id == first.id


def _rules_of(path: Path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'rules'").fetchone()[0]
    finally:
        db.close()


def _public_quads(store: OxigraphStore) -> set[ox.Quad]:
    return {q for g in store.public_graphs() for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(g))}


def _dumped(generation, name: str, rdf_format: ox.RdfFormat) -> list:
    with gzip.open(generation.dumps / name, "rb") as handle:  # several gzip members, read as one stream
        return list(ox.parse(handle.read(), format=rdf_format))


def test_dumps_hold_the_public_view_and_reuse_unchanged_graphs(catalogue, validator):
    config, store, first = catalogue
    norrsunda = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    _publish_text(store, validator, "norrsunda-universitet", norrsunda.replace('"Dataanalys med Python"@sv', f'"{CHANGED_TITLE}"@sv'),
                  datetime(2026, 11, 2, tzinfo=timezone.utc))
    second = publish_generation(config, store, now=datetime.now(timezone.utc) + timedelta(seconds=1))
    snapshot = OxigraphStore.open(second.store_path, BASE, read_only=True)
    try:
        graphs = len(snapshot.public_graphs())  # the published graphs: the store's and the statistics graph
        assert snapshot.statistics_graph in snapshot.public_graphs() and store.statistics_graph not in store.public_graphs()
        expected = _public_quads(snapshot)
    finally:
        snapshot.close()
    assert first.meta["dump graphs reused"] == 0
    # Two formats; every graph but norrsunda's offers and records is taken from the first generation (the statistics
    # too: a new title changes no count), and so is the Europass-ready part of every other source (each has such offers).
    assert second.meta["dump graphs reused"] == 2 * (graphs - 2) + len(store.source_ids()) - 1

    quads = _dumped(second, "catalogue.nq.gz", ox.RdfFormat.N_QUADS)
    assert set(quads) == expected and len(quads) == second.meta["dumps"]["catalogue.nq.gz"]["statements"]
    assert any(CHANGED_TITLE in str(q.object) for q in quads)
    triples = _dumped(second, "catalogue.ttl.gz", ox.RdfFormat.TURTLE)
    assert {t.triple for t in triples} == {q.triple for q in expected}

    first_parts = {p.name: p.stat().st_ino for p in (first.dumps / "parts").glob("*.gz")}
    second_parts = {p.name: p.stat().st_ino for p in (second.dumps / "parts").glob("*.gz")}
    shared = [name for name in second_parts if first_parts.get(name) == second_parts[name]]
    assert len(shared) == 2 * (graphs - 2) + len(store.source_ids()) - 1
    assert not [p for p in (second.dumps / "parts").iterdir() if p.name.startswith("fresh-")]


def test_a_damaged_earlier_dump_is_not_reused(catalogue, validator):
    config, store, first = catalogue
    (first.dumps / "parts" / "manifest.json").write_text("{not json", encoding="utf-8")
    second = publish_generation(config, store, now=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert second.meta["dump graphs reused"] == 0
    assert len(_dumped(second, "catalogue.nq.gz", ox.RdfFormat.N_QUADS)) == second.meta["dumps"]["catalogue.nq.gz"]["statements"]
    assert os.path.getsize(second.dumps / "catalogue.nq.gz") == second.meta["dumps"]["catalogue.nq.gz"]["bytes"]


def test_dumps_written_by_worker_processes_are_the_same_bytes(catalogue, tmp_path):
    _config, store, _first = catalogue
    listing = offer_listing(store)
    subset = europass_dump(store, listing)
    assert any(isinstance(part, GraphPart) for part in subset.parts)  # a source whose offers are all Europass-ready
    fingerprints = graph_fingerprints(store, listing)
    made = {workers: write_dumps(store, tmp_path / f"by-{workers}", fingerprints, extra={EUROPASS_DUMP: subset}, workers=workers)
            for workers in (1, 2)}
    assert made[1] == made[2] and made[1][0]["catalogue.nq.gz"]["statements"] > 1000
    for name in made[1][0]:
        assert (tmp_path / "by-1" / name).read_bytes() == (tmp_path / "by-2" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "by-1" / "parts").iterdir()) == sorted(p.name for p in (tmp_path / "by-2" / "parts").iterdir())
    assert not list((tmp_path / "by-2" / "parts").glob("graph-*.nt"))  # every graph's N-Triples removed once written
