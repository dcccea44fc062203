"""The whole catalogue on a remote SPARQL server: harvest the bundled sources, publish, build the site and serve
the API, unchanged, on Oxigraph server and on Virtuoso, with the same results as on the embedded store."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from catalogue.config import load_config
from catalogue.publish.generations import current_generation
from catalogue.urls import offer_page

from .apiserver import LiveServer, settings_for
from .conftest import ROOT
from .sitebuild import EXTRA_SOURCES, run

COUNT = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a elm:LearningOpportunity }"


def remote_config(folder: Path, server) -> Path:
    text = (ROOT / "catalogue.toml").read_text(encoding="utf-8")
    text = re.sub(r'url = "examples/', f'url = "{ROOT.as_posix()}/examples/', text)
    text = re.sub(r"\[store\]\npath = \"data/store\"\n", server.toml(), text)
    assert "backend = \"sparql\"" in text
    path = folder / "catalogue.toml"
    path.write_text(text.replace('base = "http://127.0.0.1:8000/"', f'base = "http://127.0.0.1:8000/{server.name}/"'), encoding="utf-8")
    return path


@pytest.fixture(params=["oxigraph-server", "virtuoso"], scope="module")
def remote_catalogue(request, tmp_path_factory):
    server = request.getfixturevalue("oxigraph_server_session" if request.param == "oxigraph-server" else "virtuoso_session")
    folder = tmp_path_factory.mktemp(f"remote-{request.param}")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in server.environment().items():
            patch.setenv(name, value)
        config_path = remote_config(folder, server)
        first = run(config_path, "harvest")
        second = run(config_path, "harvest")
        run(config_path, "build-site")
        yield config_path, first, second


def test_harvest_publishes_the_same_offers_as_the_embedded_store(remote_catalogue, bundled_site):
    config_path, first, second = remote_catalogue
    config = load_config(config_path)
    generation = current_generation(config)
    assert generation is not None and not generation.has_snapshot and generation.meta["backend"] == "sparql"
    embedded = {s["iri"]: s for s in bundled_site.offers if s["source"] not in EXTRA_SOURCES}
    minted = lambda iri: iri.replace(bundled_site.config.base, config.base)  # noqa: E731 - offers the catalogue named itself
    with (generation.search_path.parent / "meta.json").open(encoding="utf-8") as handle:
        meta = json.load(handle)
    assert meta["offers"] == len(embedded)
    import sqlite3

    with sqlite3.connect(generation.search_path) as db:
        remote = {json.loads(row[0])["iri"]: json.loads(row[0]) for row in db.execute("SELECT summary FROM offers")}
    assert set(remote) == {minted(iri) for iri in embedded}
    for iri, summary in embedded.items():
        other = remote[minted(iri)]
        assert other["microcredential"] == summary["microcredential"], iri
        assert other["titles"] == summary["titles"] and other.get("ects") == summary.get("ects")
        assert other.get("hours") == summary.get("hours"), (iri, other.get("hours"), summary.get("hours"))
    assert "Nothing changed at the source" in second or "unchanged" in second


def test_the_site_builds_from_the_remote_store(remote_catalogue):
    config_path, _, _ = remote_catalogue
    config = load_config(config_path)
    site = config.data_dir / "site"
    page = next((site / "en" / "offer" / "norrsunda").glob("2027-data-analysis-python-*.html")).read_text(encoding="utf-8")
    assert "Data analysis with Python" in page and "200 hours of work" in page
    assert len(list((site / "sv" / "offer").rglob("*.html"))) == current_generation(config).meta["offers"]


def test_the_api_answers_from_the_remote_store(remote_catalogue):
    config_path, _, _ = remote_catalogue
    config = load_config(config_path)
    settings = replace(settings_for(config), site_dir=config.data_dir / "site")
    with LiveServer(config, settings) as live:
        answer = requests.get(f"{live.url}/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == current_generation(config).meta["offers"]
        construct = requests.get(f"{live.url}/sparql", params={"query": "CONSTRUCT { ?o a elm:LearningOpportunity } WHERE { ?o a elm:LearningOpportunity } LIMIT 3"},
                                 headers={"Accept": "text/turtle"}, timeout=60)
        assert construct.status_code == 200 and "LearningOpportunity" in construct.text
        refused = requests.get(f"{live.url}/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"}, timeout=60)
        assert refused.status_code == 403
        bad = requests.get(f"{live.url}/sparql", params={"query": "SELECT WHERE {"}, timeout=60)
        assert bad.status_code == 400
        statistics = requests.get(f"{live.url}/sparql", params={"query": (
            "PREFIX qb: <http://purl.org/linked-data/cube#> SELECT (SUM(?n) AS ?total) WHERE { "
            f"?o qb:dataSet <{config.base}dataset/statistics/source> ; mcc:offers ?n }}")},
            headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert statistics.status_code == 200, statistics.text
        assert int(statistics.json()["results"]["bindings"][0]["total"]["value"]) == current_generation(config).meta["offers"]
        quarantined = requests.get(f"{live.url}/sparql", params={"query": "ASK { ?r a mcc:QuarantineRecord }"},
                                   headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert quarantined.json()["boolean"] is False  # quarantine is not part of the public view
        offer = "https://data.norrsunda.example/lo/2027-data-analysis-python"
        document = requests.get(f"{live.url}/data/offer.ttl", params={"iri": offer}, timeout=60)
        assert document.status_code == 200 and "Data analysis with Python" in document.text
        health = requests.get(f"{live.url}/health", timeout=60).json()
        assert health["store_reachable"] is True
        search = requests.get(f"{live.url}/api/offers", params={"q": "python"}, timeout=60).json()
        assert search["total"] >= 1 and any("python" in json.dumps(hit).lower() for hit in search["items"])
        page = requests.get(f"{live.url}{offer_page(offer, 'norrsunda', config.base, 'sv')}", timeout=60)
        assert page.status_code == 200 and "Dataanalys med Python" in page.text
