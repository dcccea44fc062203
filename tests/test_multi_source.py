"""One offer IRI published by two sources: each source's description is kept apart, the offer is listed and
counted once, its page and API record name both sources and show where they disagree."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

from catalogue.namespaces import sparql_prefixes
from catalogue.publish.generations import current_generation
from catalogue.site.builder import build_site
from catalogue.store.oxigraph import OxigraphStore
from catalogue.urls import offer_page

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import BASE, EXAMPLES, free_port

OFFER = "https://data.norrsunda.example/lo/2027-data-analysis-python"


def _variant(folder, name: str, update: str):
    store = ox.Store()
    store.load(path=str(EXAMPLES / "norrsunda-universitet.ttl"), format=ox.RdfFormat.TURTLE)
    store.update(sparql_prefixes() + update)
    path = folder / f"{name}.ttl"
    path.write_bytes(ox.serialize(store, format=ox.RdfFormat.TURTLE))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-sources")
    # "alpha" gives no workload for the offer; "beta" gives it, and another start date.
    alpha = _variant(folder, "alpha", f"""DELETE {{ ?s elm:volumeOfLearning ?v }} WHERE {{ <{OFFER}> elm:learningAchievementSpecification ?s . ?s elm:volumeOfLearning ?v }} ;
        DELETE {{ ?a elm:volumeOfLearning ?v }} WHERE {{ <{OFFER}> elm:learningActivitySpecification ?a . ?a elm:volumeOfLearning ?v }}""")
    beta = _variant(folder, "beta", f"""DELETE {{ ?t elm:startDate ?d }} INSERT {{ ?t elm:startDate "2027-09-06T00:00:00Z"^^xsd:dateTime }}
        WHERE {{ <{OFFER}> dcterms:temporal ?t . ?t elm:startDate ?d }}""")
    config = publish_examples(folder / "data", BASE, files=[alpha, beta])
    build_site(config, config.data_dir / "site")
    settings = settings_for(config)
    settings = type(settings)(**{**settings.__dict__, "port": free_port()})
    with LiveServer(config, settings) as live:
        live.config = config
        yield live


def _item(server) -> dict:
    found = requests.get(f"{server.url}/api/offers", params={"q": "Python", "page_size": 100}, timeout=30).json()
    items = [i for i in found["items"] if i["iri"] == OFFER]
    assert len(items) == 1  # listed once
    return items[0]


def test_the_offer_is_listed_and_counted_once(server):
    meta = current_generation(server.config).meta
    store = OxigraphStore.open(current_generation(server.config).store_path, BASE, read_only=True)
    try:
        per_source = store.source_counts()
        assert per_source["alpha"]["offers"] == per_source["beta"]["offers"] == 7
        assert store.distinct_offer_count() == 7 == meta["offers"]
    finally:
        store.close()


def test_the_api_record_uses_the_first_source_and_names_both(server):
    item = _item(server)
    assert item["sources"] == ["alpha", "beta"]
    assert item["hours"] is None  # only beta gives a workload: alpha's description is shown, not a blend
    fields = {d["field"]: d["values"] for d in item["disagreements"]}
    assert set(fields) >= {"start", "workload"}
    assert fields["start"]["beta"].startswith("2027-09-06")


def test_the_offer_page_shows_both_sources_and_where_they_disagree(server):
    page = requests.get(server.url + offer_page(OFFER, "alpha", BASE, "en"), timeout=30)
    assert page.status_code == 200
    assert "This offer comes from 2 sources: alpha, beta." in page.text
    assert "Where the sources disagree" in page.text and "2027-09-06" in page.text
    sv = requests.get(server.url + offer_page(OFFER, "alpha", BASE, "sv"), timeout=30).text
    assert "Där källorna säger olika" in sv

