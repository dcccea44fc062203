"""The ``ldes`` harvester: Linked Data Event Streams read from real servers on 127.0.0.1.

Hand-written streams (tests/fixtures/ldes/ and pages built here from the Norrsunda example's offers) with several
pages, every kind of relation, versions out of order, deletes, tombstones, a broken page and an undeclared prefix;
then a round trip: catalogue A's own ``/feed``, harvested by catalogue B, gives B the offers A publishes, with the
same IRIs and statements, also after A changes one offer and withdraws another.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from catalogue.config import Config
from catalogue.harvest import registry
from catalogue.harvest.admission import publish
from catalogue.harvest.rdfio import read_rdf
from catalogue.harvest.state import HarvestState
from catalogue.publish.generations import publish_generation
from catalogue.server.app import ServerSettings
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.offers import OfferRecord, extract_offers
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .apiserver import LiveServer, example_quads, publish_examples
from .conftest import BASE, EXAMPLES, free_port
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ldes"
NORRSUNDA = EXAMPLES / "norrsunda-universitet.ttl"
PREFIXES = """@prefix ldes: <https://w3id.org/ldes#> .
@prefix tree: <https://w3id.org/tree#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = "stream", "An event stream", "ldes"


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Catalogue(tmp_path, validator)


@pytest.fixture()
def server():
    with FeedServer() as running:
        yield running


@pytest.fixture(scope="module")
def offers() -> list[OfferRecord]:
    return extract_offers(read_rdf(str(NORRSUNDA)).quads, load_vocabulary(), BASE).offers


# -- hand-written streams -------------------------------------------------------------------------------------


def _fixture(name: str, root: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{root}", root)


def _version(root: str, name: str, entity: str, stamp: str, kind: str = "Create", offer: OfferRecord | None = None,
             title: str | None = None) -> str:
    """A version object: what it is a version of, when, which activity, and (unless a delete) the offer's statements."""
    version = f"{root}/version/{name}"
    text = (f'<{root}/stream> tree:member <{version}> .\n<{version}> dcterms:isVersionOf <{entity}> ; '
            f'prov:generatedAtTime "{stamp}"^^xsd:dateTime ; a as:{kind} .\n')
    if offer is not None:
        for line in offer.lines:
            if title and line.startswith(f"<{offer.iri}> <http://purl.org/dc/terms/title> ") and line.endswith("@en ."):
                line = f'<{offer.iri}> <http://purl.org/dc/terms/title> "{title}"@en .'
            text += (f"<{version}>" + line[len(offer.iri) + 2:] if line.startswith(f"<{offer.iri}> ") else line) + "\n"
    return text


def _page(root: str, name: str, members: list[str], relations: list[tuple[str, str, str | None]] = (), immutable: bool = False) -> str:
    node = f"{root}/{name}"
    text = PREFIXES + f"<{node}> a tree:Node .\n<{root}/stream> a ldes:EventStream ; tree:view <{root}/page1.ttl> .\n"
    if immutable:
        text += f"<{node}> ldes:immutable true .\n"
    for kind, target, value in relations:
        text += f"<{node}> tree:relation [ a tree:{kind} ; tree:node <{root}/{target}> ; tree:path prov:generatedAtTime"
        text += f' ; tree:value "{value}"^^xsd:dateTime ] .\n' if value else " ] .\n"
    return text + "".join(members)


def _stream(server: FeedServer, offers: list[OfferRecord]) -> dict[str, str]:
    """Four pages: creates, an update, versions out of order, a delete and a tombstone, linked by four kinds of relation."""
    root = server.url("").rstrip("/")
    o = [offer.iri for offer in offers]
    server.add("/stream", _fixture("stream.ttl", root))
    server.add("/page1.ttl", _page(root, "page1.ttl", [
        _version(root, "1", o[0], "2026-01-01T10:00:00Z", offer=offers[0]),
        _version(root, "2", o[1], "2026-01-01T10:00:00Z", offer=offers[1]),
        _version(root, "3", o[2], "2026-01-01T10:00:00Z", offer=offers[2]),
    ], [("GreaterThanOrEqualToRelation", "page2.ttl", "2026-01-02T00:00:00Z"), ("GreaterThanRelation", "page3.ttl", "2026-01-03T00:00:00Z")],
        immutable=True))
    server.add("/page2.ttl", _page(root, "page2.ttl", [
        _version(root, "4", o[0], "2026-01-02T10:00:00Z", "Update", offers[0], title="Data analysis with Python, second edition"),
        _version(root, "5", o[3], "2026-01-02T10:00:00Z", offer=offers[3]),
        _version(root, "6", o[4], "2026-01-02T12:00:00+02:00", offer=offers[4], title="Swedish for engineers, newer"),
    ], [("LessThanRelation", "page1.ttl", "2026-01-02T00:00:00Z"), ("Relation", "page3.ttl", None)], immutable=True))
    server.add("/page3.ttl", _page(root, "page3.ttl", [
        # older than version 6 though read after it: not the offer
        _version(root, "7", o[4], "2026-01-02T09:00:00Z", offer=offers[4], title="Swedish for engineers, older"),
        _version(root, "8", o[5], "2026-01-03T10:00:00Z", offer=offers[5]),
        _version(root, "9", o[1], "2026-01-03T11:00:00Z", "Delete"),
    ], [("EqualToRelation", "page4.ttl", "2026-01-04T00:00:00Z")], immutable=True))
    server.add("/page4.ttl", _page(root, "page4.ttl", [
        _version(root, "10", o[6], "2026-01-04T10:00:00Z", offer=offers[6]),
        _version(root, "11", o[2], "2026-01-04T11:00:00Z", "Tombstone"),
    ]))
    return {"root": root, "stream": server.url("/stream"), "page2": server.url("/page2.ttl")}


def _title(catalogue: Catalogue, offer: str) -> str:
    rows = catalogue.store.query(f'SELECT ?t WHERE {{ <{offer}> <http://purl.org/dc/terms/title> ?t FILTER(LANG(?t) = "en") }}')
    return next(iter(rows))["t"].value


def _subjects(catalogue: Catalogue) -> set[str]:
    graph = catalogue.store.source_graph(catalogue.source_id)
    return {t.subject.value for t in catalogue.store.triples(graph) if isinstance(t.subject, ox.NamedNode)}


def test_the_kind_is_registered_or_bypassed():
    assert "ldes" in registry.available()


def test_a_stream_gives_the_latest_version_of_each_offer(server, catalogue, offers):
    stream = _stream(server, offers)
    outcome = catalogue.harvest(stream["stream"])
    assert outcome.run.outcome == "published", (outcome.run.message, outcome.errors)
    o = [offer.iri for offer in offers]
    assert catalogue.offers() == {o[0], o[3], o[4], o[5], o[6]}, "deleted (as:Delete) and tombstoned offers are not offers"
    assert _title(catalogue, o[0]) == "Data analysis with Python, second edition"
    assert _title(catalogue, o[4]) == "Swedish for engineers, newer", "an older version read later does not win"
    subjects = _subjects(catalogue)
    assert not any("/version/" in s for s in subjects), "version statements are rewritten onto the offer"
    specification = "https://data.norrsunda.example/spec/data-analysis-python"
    assert specification in subjects, "the other nodes of a member keep their IRIs"
    statements = {str(t) for t in catalogue.store.triples(catalogue.store.source_graph("stream"))}
    assert not any("activitystreams" in s or "isVersionOf" in s or "generatedAtTime" in s for s in statements)
    for number in range(1, 5):
        assert server.hits(f"/page{number}.ttl") == 1


def test_a_page_of_the_stream_leads_to_the_whole_stream(server, catalogue, offers):
    stream = _stream(server, offers)
    outcome = catalogue.harvest(stream["page2"])
    assert outcome.run.outcome == "published", outcome.run.message
    assert len(catalogue.offers()) == 5
    assert server.hits("/stream") == 1, "the page does not say how to read its members: the stream's document does"
    assert all(server.hits(f"/page{n}.ttl") == 1 for n in range(1, 5))


def test_a_rerun_reads_only_new_pages_and_withdraws_deleted_offers(server, catalogue, offers):
    stream = _stream(server, offers)
    catalogue.harvest(stream["stream"])
    again = catalogue.harvest(stream["stream"])
    assert again.run.outcome == "unchanged", again.run.message
    assert [server.hits(f"/page{n}.ttl") for n in range(1, 5)] == [1, 1, 1, 2], "immutable pages are not asked for again"
    root, o = stream["root"], [offer.iri for offer in offers]
    server.add("/page4.ttl", _page(root, "page4.ttl", [
        _version(root, "10", o[6], "2026-01-04T10:00:00Z", offer=offers[6]),
        _version(root, "11", o[2], "2026-01-04T11:00:00Z", "Tombstone"),
    ], [("GreaterThanOrEqualToRelation", "page5.ttl", "2026-01-05T00:00:00Z")], immutable=True))
    server.add("/page5.ttl", _page(root, "page5.ttl", [
        _version(root, "12", o[0], "2026-01-05T10:00:00Z", "Delete"),
        _version(root, "13", o[1], "2026-01-05T11:00:00Z", offer=offers[1]),  # back after its delete
    ]))
    third = catalogue.harvest(stream["stream"])
    assert third.run.outcome == "published", third.run.message
    assert catalogue.offers() == {o[1], o[3], o[4], o[5], o[6]}
    assert third.run.withdrawn == 1 and _title(catalogue, o[4]) == "Swedish for engineers, newer"
    assert [server.hits(f"/page{n}.ttl") for n in range(1, 6)] == [1, 1, 1, 3, 1]
    # Only the entity whose latest version changed (o[6]) is mapped again; the four others come from the store.
    assert (third.records_read, third.records_unchanged) == (1, 4)


def test_an_undeclared_prefix_fails_the_run_naming_page_and_line(server, catalogue, offers):
    stream = _stream(server, offers)
    catalogue.harvest(stream["stream"])
    before = catalogue.offers()
    url = server.add("/stream", _fixture("undeclared-prefix.ttl", stream["root"]))
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed"
    assert f"{url}, line 10" in outcome.run.message and "elm" in outcome.run.message, outcome.run.message
    assert catalogue.offers() == before


@pytest.mark.parametrize("fixture, line", [("broken-page.ttl", 8), ("undeclared-prefix.ttl", 10)])
def test_an_unreadable_page_is_reported_with_page_and_line_and_read_again_next_time(server, catalogue, offers, fixture, line):
    stream = _stream(server, offers)
    page = server.add("/page3.ttl", _fixture(fixture, stream["root"]))
    outcome = catalogue.harvest(stream["stream"])
    assert outcome.run.outcome == "partial", outcome.run.message
    [error] = outcome.errors
    assert error.record == page and error.position == f"line {line}" and f"{page}, line {line}" in error.message, error
    o = [offer.iri for offer in offers]
    assert catalogue.offers() == set(o[:5]), "pages 1 and 2 are read; page 4 is reached only through page 3"
    _stream(server, offers)  # the page is repaired
    repaired = catalogue.harvest(stream["stream"])
    assert repaired.run.outcome == "published", repaired.run.message
    assert catalogue.offers() == {o[0], o[3], o[4], o[5], o[6]} and server.hits("/page3.ttl") == 2


def test_a_page_that_is_down_is_reported(server, catalogue, offers):
    stream = _stream(server, offers)
    server.fault("/page2.ttl", "status", status=500)
    outcome = catalogue.harvest(stream["stream"])
    assert outcome.run.outcome == "partial"
    assert any(e.record == server.url("/page2.ttl") and "500" in e.message for e in outcome.errors)


# -- the round trip: catalogue A's /feed harvested by catalogue B ------------------------------------------------------


def _published(store: OxigraphStore) -> dict[str, set[str]]:
    """Every published offer of a store with its statements, cut from its source graph as the harvest cuts it."""
    found: dict[str, set[str]] = {}
    vocabulary = load_vocabulary()
    for source in store.source_ids():
        for record in extract_offers(store.triples(store.source_graph(source)), vocabulary, store.base).offers:
            found[record.iri] = set(record.lines)
    return found


def _republish(folder: Path, base: str, changed: str, withdrawn: str) -> dict[str, set[str]]:
    """A harvests Norrsunda again: one offer with a new title, one offer gone; returns what A now publishes."""
    store = OxigraphStore.open(folder / "store", base)
    state = HarvestState(folder / "state.sqlite")
    try:
        records = extract_offers(example_quads(NORRSUNDA, base, derive=True), load_vocabulary(), base).offers
        kept = []
        for record in records:
            if record.iri == withdrawn:
                continue
            if record.iri == changed:
                text = record.ntriples().replace('"Data analysis with Python"@en', '"Data analysis with Python, revised"@en')
                record = extract_offers(ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES), load_vocabulary(), base).offers[0]
            kept.append(record)
        outcome = publish(store, NORRSUNDA.stem, kept, Validator(base).validate_records(kept))
        state.log_changes(("2026-11-25T10:00:00Z", NORRSUNDA.stem, o, k, h, c) for o, k, h, c in outcome.events)
        publish_generation(Config(base=base, data_dir=folder), store, now=datetime(2026, 11, 25, tzinfo=UTC))
        return _published(store)
    finally:
        store.close()
        state.close()


def _members_are_whole_offers(page: str, published: dict[str, set[str]]) -> None:
    """Each member of the feed is its offer's whole description: in TriG, the graph named by the version holds the
    offer's closure (the version standing for the offer); Turtle has the same statements merged."""
    trig = requests.get(page, headers={"Accept": "application/trig"}, timeout=30)
    assert trig.status_code == 200 and trig.headers["content-type"].startswith("application/trig")
    quads = list(ox.parse(trig.content, format=ox.RdfFormat.TRIG))
    members = [q.object for q in quads if q.predicate.value == "https://w3id.org/tree#member"]
    assert len(members) == len(published)
    for member in members:
        offer = next(q.object.value for q in quads if q.subject == member and q.predicate.value.endswith("/isVersionOf"))
        graph = {f"{ox.NamedNode(offer) if q.subject == member else q.subject} {q.predicate} {q.object} ."
                 for q in quads if q.graph_name == member}
        assert graph == published[offer], f"{member} is not the whole of {offer}"
    turtle = requests.get(page, headers={"Accept": "text/turtle"}, timeout=30)
    merged = {q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}
    assert merged == {q.triple for q in quads}
    assert "ldes#immutable" not in trig.text, "a page without a next page can still change"


def test_a_catalogue_replicates_another_through_its_feed(tmp_path, catalogue):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    folder = tmp_path / "a"
    config = publish_examples(folder, base, derive=True)  # A harvested its sources, so it publishes derived values too
    store = OxigraphStore.open(folder / "store", base)
    a_offers = _published(store)
    store.close()
    assert len(a_offers) >= 15
    with LiveServer(config, replace(ServerSettings.from_config(config), port=port)):
        feed = f"{base}feed"
        _members_are_whole_offers(f"{feed}/page/1", a_offers)
        first = catalogue.harvest(feed)
        assert first.run.outcome == "published", (first.run.message, first.errors)
        assert not catalogue.quarantined()
        assert _published(catalogue.store) == a_offers, "B holds A's offers, with the same IRIs and statements"

        changed, withdrawn = "https://data.norrsunda.example/lo/2027-data-analysis-python", "https://data.norrsunda.example/lo/2027-plc-automation"
        a_offers = _republish(folder, base, changed, withdrawn)
        assert withdrawn not in a_offers and any("revised" in line for line in a_offers[changed])
        second = catalogue.harvest(feed)
        assert second.run.outcome == "published", (second.run.message, second.errors)
        assert second.run.withdrawn == 1
        assert _published(catalogue.store) == a_offers, "B follows A's change and withdrawal"

        third = catalogue.harvest(feed)
        assert third.run.outcome == "unchanged", third.run.message


def test_only_a_page_with_a_next_page_says_it_is_immutable():
    from types import SimpleNamespace

    from starlette.requests import Request

    from catalogue.server.feed import PAGE_SIZE, router

    state = HarvestState(None)
    content = '<https://x.example/lo/1> <http://purl.org/dc/terms/title> "One"@en .\n'
    state.log_changes(("2026-11-24T10:00:00Z", "x", f"https://x.example/lo/{n}", "create", "h", content) for n in range(PAGE_SIZE))
    api = router(SimpleNamespace(state=state, config=SimpleNamespace(base=BASE, title="T", licence=f"{BASE}licence")))
    page = next(route.endpoint for route in api.routes if route.path == "/feed/page/{number}")
    request = Request({"type": "http", "method": "GET", "path": "/feed/page/1", "headers": [(b"accept", b"application/n-quads")]})
    full_last = page(1, request)
    assert b"ldes#immutable" not in full_last.body and "immutable" not in full_last.headers["cache-control"]
    state.log_changes([("2026-11-24T11:00:00Z", "x", "https://x.example/lo/1", "delete", None, None)])
    followed = page(1, request)
    assert b"ldes#immutable" in followed.body and "immutable" in followed.headers["cache-control"]
    assert followed.headers["etag"] != full_last.headers["etag"]
    state.close()
