"""The validation service's limits: fetching off the event loop, its own bounded cache, and a checking
worker whose death or overrun is answered with a 400 and a sentence while the server goes on serving.

Real servers on loopback: the catalogue's (uvicorn in a thread) and the providers' (127.0.0.2, allowed
through ``validate_allowed_hosts``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import threading
import time
from dataclasses import replace

import requests

from catalogue.config import Config
from catalogue.validation.cache import ValidationCache

from .apiserver import LiveServer, settings_for
from .conftest import EXAMPLES, ROOT
from .listeners import Listener, http_answer

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402

BASE = "http://127.0.0.1:8000/"
GOOD = (EXAMPLES / "norrkust-kompetens.ttl").read_bytes()


def upload(server: LiveServer, body: bytes) -> requests.Response:
    return requests.post(f"{server.url}/api/validate", data=body, headers={"Content-Type": "text/turtle"}, timeout=120)


def test_fetching_an_address_does_not_hold_up_other_requests(tmp_path):
    config = Config(base=BASE, data_dir=tmp_path)
    slow = Listener("127.0.0.2", 0, lambda head: (time.sleep(3), http_answer(GOOD, "text/turtle"))[1])
    try:
        with LiveServer(config, settings_for(config, validate_allowed_hosts=("127.0.0.2",))) as server:
            upload(server, GOOD)  # the checking worker is started before the clock runs
            answers: list[requests.Response] = []
            fetching = threading.Thread(target=lambda: answers.append(
                requests.post(f"{server.url}/api/validate", json={"url": f"http://127.0.0.2:{slow.port}/offers.ttl"}, timeout=60)))
            fetching.start()
            time.sleep(0.5)  # the fetch is under way: the provider's server answers after 3 s
            started = time.monotonic()
            form = requests.get(f"{server.url}/api/validate", timeout=10)
            waited = time.monotonic() - started
            fetching.join()
    finally:
        slow.close()
    assert form.status_code == 200 and waited < 1.0, f"a page took {waited:.1f} s while an address was being fetched"
    assert answers[0].status_code == 200 and len(answers[0].json()["offers"]) == 5


def _files(folder, prefix: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob(prefix + "*")}


def test_uploads_stay_in_the_services_own_bounded_cache(tmp_path):
    config = Config(base=BASE, data_dir=tmp_path, server={"validate_cache_entries": 5})
    harvest_cache = ValidationCache(config.cache_path)
    harvest_cache.put_reports([("harvested-offer", {"offer": "https://x.example/o"})])
    harvest_cache.close()
    before = _files(tmp_path, config.cache_path.name)
    documents = [generate_document(1, seed=7, start=40 * i) for i in range(12)]
    with LiveServer(config, settings_for(config)) as server:
        for document in documents:
            response = upload(server, document)
            assert response.status_code == 200 and len(response.json()["offers"]) == 1, response.text
        again_last = upload(server, documents[-1]).json()["summary"]["from_cache"]
        again_first = upload(server, documents[0]).json()["summary"]["from_cache"]
        service_cache = sqlite3.connect(tmp_path / "validation-service-cache.sqlite")
        try:
            reports = service_cache.execute("SELECT COUNT(*) FROM offer_reports").fetchone()[0]
            remembered = service_cache.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            service_cache.close()
    assert 1 <= reports <= 5 and 1 <= remembered <= 5
    assert again_last == 1  # the newest upload is still remembered
    assert again_first == 0  # the first was pruned: checked again, not read from an unbounded cache
    assert _files(tmp_path, config.cache_path.name) == before


def test_a_worker_that_runs_out_of_memory_costs_the_upload_not_the_server(tmp_path):
    """A worker limited below what a check needs dies on every upload, as one a hostile document exhausts
    would; the answer is a 400 with a sentence, and the server goes on serving."""
    config = Config(base=BASE, data_dir=tmp_path)
    settings = replace(settings_for(config), worker_memory_megabytes=120)
    with LiveServer(config, settings) as server:
        response = upload(server, GOOD)
        form = requests.get(f"{server.url}/api/validate", timeout=10)
    assert response.status_code == 400
    assert "memory" in response.json()["errors"][0]["message"]
    assert form.status_code == 200


def test_a_check_over_the_time_limit_is_stopped_with_a_400(tmp_path):
    config = Config(base=BASE, data_dir=tmp_path, server={"validate_timeout": 0.2})
    with LiveServer(config, settings_for(config)) as server:
        started = time.monotonic()
        response = upload(server, GOOD)
        seconds = time.monotonic() - started
        form = requests.get(f"{server.url}/api/validate", timeout=10)
    assert response.status_code == 400 and "longer than 0.2 s" in response.json()["errors"][0]["message"]
    assert seconds < 15 and form.status_code == 200


def test_an_unreadable_upload_is_a_400_not_a_500(tmp_path):
    """A line longer than pyoxigraph's 16 MB buffer made the parser raise MemoryError, which gave a 500."""
    config = Config(base=BASE, data_dir=tmp_path)
    with LiveServer(config, settings_for(config)) as server:
        chunks = (b"# " + b"x" * 65533 for _ in range(300))  # one comment line of 19 MB, sent chunked
        response = requests.post(f"{server.url}/api/validate", data=chunks, headers={"Content-Type": "text/turtle"}, timeout=120)
    assert response.status_code == 400
    assert "memory" in response.json()["errors"][0]["message"]


def test_odd_bodies_are_answered_with_a_sentence(tmp_path):
    """Found by schemathesis: text pasted with a media type no parser knows gave a 500, a bare JSON string a 200,
    a broken multipart body Starlette's bare {"detail"} instead of a report."""
    config = Config(base=BASE, data_dir=tmp_path)
    with LiveServer(config, settings_for(config)) as server:
        pasted = requests.post(f"{server.url}/api/validate", data={"data": GOOD.decode(), "content_type": "application/x-foo"}, timeout=120)
        scalar = requests.post(f"{server.url}/api/validate", data=b'"AAA"', headers={"Content-Type": "application/ld+json"}, timeout=30)
        options = requests.options(f"{server.url}/api/validate", timeout=30)
        broken = requests.post(f"{server.url}/api/validate", data=b"--x\r\n\r\n--x--\r\n",
                               headers={"Content-Type": "multipart/form-data"}, timeout=30)  # no boundary named
    assert pasted.status_code == 200 and pasted.json()["summary"]["offers"] >= 1
    assert scalar.status_code == 400 and "JSON object or array" in scalar.json()["errors"][0]["message"]
    assert broken.status_code == 400 and "form data cannot be read" in broken.json()["errors"][0]["message"]
    assert options.status_code == 405 and set(options.headers["Allow"].split(", ")) == {"GET", "POST"}
