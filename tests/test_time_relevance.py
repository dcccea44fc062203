"""Time relevance: ended and cancelled offers leave the default search, keep their pages (with a notice),
and stay in SPARQL with their status. Computed at publish time from the offers' own dates."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pyoxigraph as ox
import pytest
import requests

from catalogue.namespaces import sparql_prefixes
from catalogue.publish.time_relevance import CANCELLED, CURRENT, ENDED, time_status
from catalogue.site.builder import build_site
from catalogue.urls import offer_page

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import BASE, EXAMPLES, free_port
from .sitebuild import pagefind_records

NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)
LO = "https://data.norrsunda.example/lo/"
ENDED_OFFER, CANCELLED_OFFER, FLEXIBLE_OFFER, OPEN_OFFER = (
    LO + "2027-data-analysis-python", LO + "2027-palliative-care-home", LO + "2027-sustainable-business", LO + "2027-plc-automation")


@pytest.mark.parametrize(
    "start, end, deadlines, flexible, statuses, expected",
    [
        ("2027-01-10T00:00:00Z", "2027-05-31T00:00:00Z", [], False, [], ENDED),  # the end has passed
        ("2027-05-01T00:00:00Z", None, ["2027-04-01T00:00:00Z"], False, [], ENDED),  # started, applications closed
        ("2027-05-01T00:00:00Z", None, ["2027-07-01T00:00:00Z"], False, [], CURRENT),  # still taking applications
        ("2027-05-01T00:00:00Z", None, [], False, [], CURRENT),  # started, no deadline given: not ended by dates
        ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", [], True, [], CURRENT),  # start any time
        (None, None, [], False, [], CURRENT),
        ("2027-09-01T00:00:00Z", None, [], False, ["Cancelled"], CANCELLED),
        ("2027-09-01T00:00:00+02:00", "2027-12-01", [], False, ["released"], CURRENT),
        ("not a date", "2027-05-31T23:59:59+02:00", [], False, [], ENDED),
    ],
)
def test_the_status_of_one_offer(start, end, deadlines, flexible, statuses, expected):
    assert time_status(start, end, deadlines, flexible, statuses, now=NOW) == expected


def _example_with_time_cases(folder) -> object:
    """The Norrsunda example with one offer ended (dates in 2020), one cancelled, one flexible with old dates."""
    store = ox.Store()
    store.load(path=str(EXAMPLES / "norrsunda-universitet.ttl"), format=ox.RdfFormat.TURTLE)
    store.update(sparql_prefixes() + f"""
        DELETE {{ ?t elm:startDate ?s ; elm:endDate ?e }} INSERT {{ ?t elm:startDate "2020-01-01T00:00:00Z"^^xsd:dateTime ; elm:endDate "2020-03-01T00:00:00Z"^^xsd:dateTime }}
        WHERE {{ <{ENDED_OFFER}> dcterms:temporal ?t . ?t elm:startDate ?s ; elm:endDate ?e }} ;
        INSERT DATA {{ <{CANCELLED_OFFER}> elm:status "cancelled" }} ;
        DELETE {{ ?t elm:startDate ?s ; elm:endDate ?e }} INSERT {{ ?t elm:startDate "2020-01-01T00:00:00Z"^^xsd:dateTime ; elm:endDate "2020-03-01T00:00:00Z"^^xsd:dateTime }}
        WHERE {{ <{FLEXIBLE_OFFER}> dcterms:temporal ?t . ?t elm:startDate ?s ; elm:endDate ?e }} ;
        INSERT DATA {{ <{FLEXIBLE_OFFER}> elm:additionalNote <{FLEXIBLE_OFFER}/flexible> .
                       <{FLEXIBLE_OFFER}/flexible> a elm:Note ; elm:noteLiteral "Start any time."@en ;
                           dcterms:subject <https://w3id.org/mc-catalogue/note-topic/flexible-start> }}
    """)
    path = folder / "norrsunda-universitet.ttl"
    path.write_bytes(ox.serialize(store, format=ox.RdfFormat.TURTLE))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("time")
    config = publish_examples(folder / "data", BASE, files=[_example_with_time_cases(folder)])
    build_site(config, config.data_dir / "site")
    settings = settings_for(config)
    settings = type(settings)(**{**settings.__dict__, "port": free_port()})
    with LiveServer(config, settings) as live:
        live.site_folder = config.data_dir / "site"
        yield live


def _search(server, **params) -> dict:
    answer = requests.get(f"{server.url}/api/offers", params={"page_size": 100, **params}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_ended_and_cancelled_offers_leave_the_default_search(server):
    default = _search(server)
    shown = {item["iri"] for item in default["items"]}
    assert ENDED_OFFER not in shown and CANCELLED_OFFER not in shown
    assert FLEXIBLE_OFFER in shown and OPEN_OFFER in shown  # old dates but a flexible start; future dates
    assert all(item["status"] == "current" for item in default["items"])
    counts = {f["value"]: f["count"] for f in default["facets"]["status"]}
    assert counts == {"current": len(shown), "ended": 1, "cancelled": 1}


def test_ended_offers_are_found_when_asked_for_with_their_status(server):
    ended = _search(server, status="ended")
    assert [(i["iri"], i["status"]) for i in ended["items"]] == [(ENDED_OFFER, "ended")]
    both = _search(server, status=["ended", "cancelled"])
    assert {i["iri"] for i in both["items"]} == {ENDED_OFFER, CANCELLED_OFFER}
    assert requests.get(f"{server.url}/api/offers", params={"status": "over"}, timeout=30).status_code == 422


def test_sparql_keeps_them_with_their_status(server):
    query = sparql_prefixes() + "SELECT ?o ?s WHERE { ?r foaf:primaryTopic ?o ; mcc:timeStatus ?s }"
    answer = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    rows = {b["o"]["value"]: b["s"]["value"].rsplit("#", 1)[-1] for b in answer.json()["results"]["bindings"]}
    assert rows[ENDED_OFFER] == "Ended" and rows[CANCELLED_OFFER] == "Cancelled" and rows[FLEXIBLE_OFFER] == "Current"


@pytest.mark.parametrize("offer, words", [(ENDED_OFFER, "Det här erbjudandet har avslutats."), (CANCELLED_OFFER, "Anordnaren har ställt in det här erbjudandet.")])
def test_opened_by_link_the_page_says_so(server, offer, words):
    page = requests.get(server.url + offer_page(offer, "norrsunda-universitet", BASE, "sv"), timeout=30)
    assert page.status_code == 200
    assert words in page.text
    current = requests.get(server.url + offer_page(OPEN_OFFER, "norrsunda-universitet", BASE, "sv"), timeout=30)
    assert current.status_code == 200 and "avslutats" not in current.text and "ställt in" not in current.text


def test_the_static_search_and_browse_pages_leave_them_out(server):
    index = json.dumps([record["url"] for record in pagefind_records(server.site_folder, "sv")])
    assert offer_page(OPEN_OFFER, "norrsunda-universitet", BASE, "sv") in index
    assert offer_page(ENDED_OFFER, "norrsunda-universitet", BASE, "sv") not in index
    assert offer_page(CANCELLED_OFFER, "norrsunda-universitet", BASE, "sv") not in index
