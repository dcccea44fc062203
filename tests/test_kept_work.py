"""What a publish works out per graph (time statuses, the published listing, graph sizes) is kept under the graphs'
version stamps and used again only while no write has touched them: the results must be exactly what working it out
afresh gives, after time passes, after a source changes, and after a write that never finished."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyoxigraph as ox
import pytest

from catalogue.config import Config
from catalogue.harvest.admission import publish
from catalogue.harvest.rdfio import read_rdf
from catalogue.namespaces import MCC
from catalogue.publish import time_relevance
from catalogue.publish.describe import dataset_counts, measured_by
from catalogue.publish.generations import publish_generation
from catalogue.publish.kept_work import KeptWork
from catalogue.publish.offer_data import offer_listing
from catalogue.publish.time_relevance import CURRENT, ENDED, status_until, time_status
from catalogue.store.graph_versions import GraphVersions
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.offers import extract_offers
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, publish_example_sources

FIRST_PUBLISH = datetime(2026, 11, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "start, end, deadlines, flexible, statuses",
    [
        ("2027-01-10T00:00:00Z", "2027-05-31T00:00:00Z", [], False, []),
        ("2027-05-01T00:00:00Z", None, ["2027-04-01T00:00:00Z"], False, []),
        ("2027-05-01T00:00:00Z", None, ["2027-07-01T00:00:00Z", "2027-06-01T00:00:00Z"], False, []),
        ("2027-08-01T00:00:00Z", "2028-01-01T00:00:00Z", ["2027-07-01T00:00:00Z"], False, []),
        ("2027-05-01T00:00:00Z", None, [], False, []),
        ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", [], True, []),
        (None, None, [], False, []),
        ("2027-09-01T00:00:00Z", None, [], False, ["Cancelled"]),
        ("not a date", "2027-05-31T23:59:59+02:00", [], False, []),
    ],
)
@pytest.mark.parametrize("now", [datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2027, 6, 15, tzinfo=timezone.utc)])
def test_a_status_holds_until_the_moment_given_with_it_and_no_longer(start, end, deadlines, flexible, statuses, now):
    facts = (start, end, deadlines, flexible, statuses)
    status, until = status_until(*facts, now=now)
    assert status == time_status(*facts, now=now)
    later = [now + timedelta(days=days) for days in (1, 30, 200, 400, 4000)]
    if until is None:
        assert all(time_status(*facts, now=moment) == status for moment in later)
    else:
        turn = datetime.fromtimestamp(until, timezone.utc)
        assert status == CURRENT and turn >= now
        assert all(time_status(*facts, now=moment) == status for moment in later if moment <= turn)
        assert time_status(*facts, now=turn + timedelta(seconds=1)) == ENDED


def test_a_graph_loses_its_stamp_when_a_write_begins_and_gets_a_new_one_when_it_ends(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", BASE)
    try:
        store.ensure_vocabulary(load_vocabulary())
        first = store.graph_stamps()
        assert set(first) == {store.vocabulary_graph}
        store.ensure_vocabulary(load_vocabulary())  # nothing to change: nothing written, the stamp stands
        assert store.graph_stamps() == first
        offer = ox.Triple(ox.NamedNode("https://example.org/o"), ox.NamedNode(MCC + "x"), ox.Literal("1"))
        store.replace_graph("https://example.org/g", [offer])
        assert store.graph_stamps()[store.vocabulary_graph] == first[store.vocabulary_graph]
        stamp = store.graph_stamps()["https://example.org/g"]
        store.replace_graph("https://example.org/g", [offer, ox.Triple(offer.subject, offer.predicate, ox.Literal("2"))])
        assert store.graph_stamps()["https://example.org/g"] != stamp
        store.replace_graph("https://example.org/g", [])
        assert "https://example.org/g" not in store.graph_stamps() and "https://example.org/g" not in store.graphs()
    finally:
        store.close()
    again = OxigraphStore.open(tmp_path / "store", BASE)
    assert again.graph_stamps() == first  # kept beside the store
    again.close()

    versions = GraphVersions.beside(tmp_path / "store")
    with pytest.raises(RuntimeError):
        with versions.writing([store.vocabulary_graph]):
            raise RuntimeError("the process stops half way")
    assert GraphVersions.beside(tmp_path / "store").stamps() == {}  # nothing made from it is trusted any more
    # Opened again (the journal having finished or undone the write), the graph gets a stamp it never had.
    reopened = OxigraphStore.open(tmp_path / "store", BASE)
    try:
        stamps = reopened.graph_stamps()
        assert set(stamps) == {store.vocabulary_graph} and stamps[store.vocabulary_graph] != first[store.vocabulary_graph]
    finally:
        reopened.close()


@pytest.fixture()
def catalogue(tmp_path, validator):
    config = Config(base=BASE, data_dir=tmp_path / "data")
    store = OxigraphStore.open(tmp_path / "data" / "store", BASE)
    store.ensure_vocabulary(load_vocabulary())
    publish_example_sources(store, validator, now=FIRST_PUBLISH)
    yield config, store
    store.close()


def _statuses(store: OxigraphStore) -> dict[str, str]:
    return {row["o"].value: row["s"].value for row in store.query(
        "SELECT ?o ?s WHERE { ?r foaf:primaryTopic ?o ; mcc:timeStatus ?s }")}


def test_time_passing_ends_offers_of_sources_that_are_not_read_again(catalogue, monkeypatch):
    config, store = catalogue
    first = publish_generation(config, store, now=FIRST_PUBLISH)
    assert first.meta["offers by time status"][ENDED] < first.meta["offers"]

    # Years later, with nothing harvested: no source is read again, yet the offers whose dates passed end.
    def refuse(*args):
        raise AssertionError("a source whose graphs were not written was read again")

    monkeypatch.setattr(time_relevance, "_read", refuse)
    later = FIRST_PUBLISH + timedelta(days=3 * 365)
    second = publish_generation(config, store, now=later)
    kept_statuses = _statuses(store)
    assert second.meta["offers by time status"][ENDED] > first.meta["offers by time status"][ENDED]

    # Worked out afresh from the store, the statuses are the same and nothing is left to write.
    monkeypatch.undo()
    assert time_relevance.refresh_statuses(store, later) == second.meta["offers by time status"]
    assert _statuses(store) == kept_statuses


def test_the_kept_listing_and_sizes_are_what_the_store_gives_after_a_source_changes(catalogue, validator):
    config, store = catalogue
    publish_generation(config, store, now=FIRST_PUBLISH)
    listing = KeptWork.in_data_dir(config.data_dir, "listing", store.graph_stamps, "catalogue.publish.offer_data")
    sizes = KeptWork.in_data_dir(config.data_dir, "graph-size", store.graph_stamps, "catalogue.store.base")
    assert offer_listing(store, listing) == offer_listing(store)
    assert dataset_counts(store, sizes) == dataset_counts(store)
    assert store.source_counts(measured_by(store, sizes)) == store.source_counts()

    # One source written again with an offer fewer: its entries are not used, the others' are.
    path = EXAMPLES / "norrsunda-universitet.ttl"
    records = extract_offers(read_rdf(str(path)).quads, load_vocabulary(), BASE).offers[1:]
    publish(store, path.stem, records, validator.validate_records(records), now=FIRST_PUBLISH + timedelta(days=1))
    fresh = offer_listing(store)
    assert offer_listing(store, listing) == fresh and len(fresh) > 0
    assert dataset_counts(store, sizes) == dataset_counts(store)
    assert store.source_counts(measured_by(store, sizes)) == store.source_counts()
    unchanged = [source for source in store.source_ids() if source != path.stem]
    assert unchanged and all(
        listing.get(source, [store.source_graph(source), store.records_graph(source)]) is not None for source in unchanged)
