"""The endpoint keeps its answers while a generation is served: repeated queries come from memory,
conditional ones get 304, and a harvest that publishes a new generation is seen at once."""

from __future__ import annotations

import time

import pytest
import requests

from .apiserver import LiveServer, publish_examples, settings_for
from .conftest import EXAMPLES, free_port

PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}/"
COUNT = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a elm:LearningOpportunity }"
JSON = "application/sparql-results+json"
FILES = sorted(EXAMPLES.glob("*.ttl"))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data = tmp_path_factory.mktemp("answers")
    config = publish_examples(data, BASE, FILES[:2])
    settings = settings_for(config, query_timeout=5.0)
    settings = type(settings)(**{**settings.__dict__, "port": PORT})
    with LiveServer(config, settings) as server:
        yield server, data


def _count(response: requests.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _reused(server) -> int:
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    return int(next(line.split()[1] for line in metrics.splitlines() if line.startswith("catalogue_sparql_answers_reused_total")))


def test_a_repeated_query_is_answered_from_memory_and_a_conditional_one_with_304(live):
    server, _ = live
    first = requests.post(f"{server.url}/sparql", data={"query": COUNT}, headers={"Accept": JSON}, timeout=30)
    reused = _reused(server)
    again = requests.post(f"{server.url}/sparql", data={"query": COUNT}, headers={"Accept": JSON}, timeout=30)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    assert _reused(server) == reused + 1
    conditional = requests.get(f"{server.url}/sparql", params={"query": COUNT},
                               headers={"Accept": JSON, "If-None-Match": first.headers["ETag"]}, timeout=30)
    assert conditional.status_code == 304 and conditional.content == b""
    other_format = requests.post(f"{server.url}/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"}, timeout=30)
    assert other_format.headers["ETag"] != first.headers["ETag"] and other_format.text.startswith("n")


def test_answers_that_depend_on_the_moment_are_never_kept(live):
    server, _ = live
    query = "SELECT (NOW() AS ?t) WHERE {}"
    answers = [requests.post(f"{server.url}/sparql", data={"query": query}, headers={"Accept": JSON}, timeout=30) for _ in range(2)]
    assert all(a.status_code == 200 and "ETag" not in a.headers for a in answers)
    failed = requests.post(f"{server.url}/sparql", data={"query": "SELECT ?x WHERE { ?x"}, headers={"Accept": JSON}, timeout=30)
    assert failed.status_code == 400 and "ETag" not in failed.headers


def test_a_new_generation_is_answered_at_once(live):
    server, data = live
    before = requests.post(f"{server.url}/sparql", data={"query": COUNT}, headers={"Accept": JSON}, timeout=30)
    publish_examples(data, BASE, FILES)  # a harvest added the third source and published
    time.sleep(1.2)  # the server looks for a newer generation at most once a second
    after = requests.post(f"{server.url}/sparql", data={"query": COUNT}, headers={"Accept": JSON}, timeout=30)
    assert _count(after) > _count(before)
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = requests.get(f"{server.url}/sparql", params={"query": COUNT},
                         headers={"Accept": JSON, "If-None-Match": before.headers["ETag"]}, timeout=30)
    assert stale.status_code == 200 and _count(stale) == _count(after)
