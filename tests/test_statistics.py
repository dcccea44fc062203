"""The statistics graph: offers per EQF level, provider, source … answered by the endpoint as a lookup, with the
same numbers a GROUP BY over the offers gives, kept up to date and in the dumps."""

from __future__ import annotations

import gzip
import time

import pyoxigraph as ox
import pytest
import requests

from catalogue.publish.generations import current_generation, publish_generation
from catalogue.store.oxigraph import OxigraphStore

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import free_port

PREFIXES = "PREFIX qb: <http://purl.org/linked-data/cube#> PREFIX mcc: <https://w3id.org/mc-catalogue/ns#> "
ELM = "http://data.europa.eu/snb/model/elm/"


def _rows(live: LiveServer, query: str) -> list[dict[str, str]]:
    answer = requests.get(f"{live.url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in b.items()} for b in answer.json()["results"]["bindings"]]


def _statistics(live: LiveServer, base: str, facet: str, prop: str) -> dict[str, int]:
    rows = _rows(live, PREFIXES + f"SELECT ?v ?n WHERE {{ ?o qb:dataSet <{base}dataset/statistics/{facet}> ; mcc:{prop} ?v ; mcc:offers ?n }}")
    return {row["v"]: int(row["n"]) for row in rows}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statistics")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = publish_examples(folder, base)
    settings = settings_for(config)
    with LiveServer(config, type(settings)(**{**settings.__dict__, "port": port})) as live:
        yield config, base, live


def test_counts_per_provider_and_level_are_those_a_group_by_gives(published):
    _config, base, live = published
    providers = _statistics(live, base, "provider", "provider")
    grouped = {row["p"]: int(row["n"]) for row in _rows(live, f"""
        SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o a <{ELM}LearningOpportunity> ; <{ELM}providedBy> ?p }} GROUP BY ?p""")}
    assert len(providers) == 3
    assert providers == grouped
    levels = _statistics(live, base, "eqf", "eqfLevel")
    by_level = {row["l"]: int(row["n"]) for row in _rows(live, f"""
        SELECT ?l (COUNT(DISTINCT ?o) AS ?n) WHERE {{
          ?o a <{ELM}LearningOpportunity> ; <{ELM}learningAchievementSpecification>/<{ELM}educationLevel> ?l
          FILTER(STRSTARTS(STR(?l), "http://data.europa.eu/snb/eqf/")) }} GROUP BY ?l""")}
    assert levels and all(level.startswith("http://data.europa.eu/snb/eqf/") for level in levels)
    assert levels == by_level
    total = int(_rows(live, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o a <{ELM}LearningOpportunity> }}")[0]["n"])
    assert sum(_statistics(live, base, "source", "source").values()) == total
    assert sum(_statistics(live, base, "status", "timeStatus").values()) == total
    assert set(_statistics(live, base, "microcredential", "completeMicroCredential")) <= {"yes", "no"}


def test_the_data_sets_are_data_cube_and_listed_in_void(published):
    _config, base, live = published
    structure = _rows(live, PREFIXES + f"""
        SELECT ?dimension ?measure WHERE {{ <{base}dataset/statistics/eqf> a qb:DataSet ; qb:structure ?s .
          ?s a qb:DataStructureDefinition ; qb:component/qb:dimension ?dimension ; qb:component/qb:measure ?measure }}""")
    assert structure == [{"dimension": "https://w3id.org/mc-catalogue/ns#eqfLevel", "measure": "https://w3id.org/mc-catalogue/ns#offers"}]
    void = requests.get(f"{live.url}/.well-known/void", headers={"Accept": "application/n-triples"}, timeout=30)
    parts = {t.object.value for t in ox.parse(void.content, format=ox.RdfFormat.N_TRIPLES)
             if t.subject.value == f"{base}dataset#statistics" and t.predicate.value == "http://purl.org/dc/terms/hasPart"}
    assert f"{base}dataset/statistics/provider" in parts and len(parts) == 11


def test_a_new_generation_counts_again_and_its_dump_holds_the_statistics(published):
    config, base, live = published
    store = OxigraphStore.open(config.data_dir / "store", base)
    try:
        removed = next(iter(store.source_ids()))
        before = _statistics(live, base, "source", "source")
        store.drop_graph(store.source_graph(removed))
        generation = publish_generation(config, store)
    finally:
        store.close()
    time.sleep(1.1)  # the server looks for a newer generation at most once a second
    after = _statistics(live, base, "source", "source")
    assert f"{base}source/{removed}" in before and f"{base}source/{removed}" not in after
    assert {k: v for k, v in before.items() if k != f"{base}source/{removed}"} == after
    with gzip.open(current_generation(config).dumps / "catalogue.nq.gz") as handle:
        dumped = [q for q in ox.parse(handle.read(), format=ox.RdfFormat.N_QUADS) if q.graph_name.value == f"{base}graph/statistics"]
    assert len(dumped) > 100
    assert generation.meta["timings"]["statistics"] >= 0
