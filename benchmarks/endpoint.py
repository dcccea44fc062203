"""The public endpoint under load: throughput and p95 with 64 concurrent clients, and a cheap query beside runaway ones.

N generated offers (benchmarks/generate.py; default 10,000) are harvested the real way and
``catalogue serve`` is started with its defaults; the site is built so offer pages are served.
A load generator in this process (asyncio, HTTP/1.1 keep-alive) opens 64 connections, each from
its own loopback address (127.0.0.2 …), so the server's per-client limits see 64 clients, as on
the internet, and for ``--seconds`` sends, per target:

* ``/api/offers`` with a free-text word and two facets (words and facets cycled);
* an offer page of the guidance site (HTML, offers cycled);
* an offer's document (``/data/offer.ttl?iri=``: read by terms in a query worker);
* a cheap SPARQL query (one offer's title), each request distinct, so every one is computed
  by a query worker instead of coming from the kept answers.

The floor, measured in the same run with the same load generator: a bare Starlette app under
uvicorn answering a fixed body of the same size as the offer page, the cost of HTTP itself on
this machine. Each target prints requests/s, p50 and p95 latency, its ratio to the floor, and how
many answers were not 200 (503 "busy" counts as a failure here).

Then the runaway test: 4 queries that run to the time limit, sent by one client, and a cheap
uncached query sent every 100 ms by another: its median and p95 latency beside the same query
without the runaway ones.

    python benchmarks/endpoint.py [--offers 10000] [--seconds 10] [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from sparql import free_port, load, start_server, stop_server  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(STR(?c) != STR(?i)) }} # runaway {}"
CHEAP = "SELECT ?title WHERE {{ <{}> <http://purl.org/dc/terms/title> ?title }} # {}"
WORDS = ["data", "welding", "care", "python", "project", "energy", "language", "design"]

_REQUESTS = iter(range(10**12))
FLOOR_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
body = b"x" * int(sys.argv[2])
async def page(request):
    return Response(body, media_type="text/html")
uvicorn.run(Starlette(routes=[Route("/{rest:path}", page)]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


# -- the load generator -------------------------------------------------------------------------


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close"


async def _client(address: str, port: int, paths, accept: str, deadline: float, latencies: list[float], statuses: Counter) -> None:
    connection = None
    while time.perf_counter() < deadline:
        if connection is None:
            connection = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
        reader, writer = connection
        started = time.perf_counter()
        writer.write(f"GET {next(paths)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n".encode())
        status, closed = await _read_answer(reader)
        latencies.append(time.perf_counter() - started)
        statuses[status] += 1
        if closed:
            writer.close()
            connection = None
    if connection is not None:
        connection[1].close()


class Figures:
    def __init__(self, name: str, latencies: list[float], statuses: Counter, seconds: float):
        self.name = name
        self.rate = len(latencies) / seconds
        ordered = sorted(latencies) or [0.0]
        self.p50 = ordered[len(ordered) // 2] * 1000
        self.p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
        self.failed = sum(count for status, count in statuses.items() if status != 200)
        self.total = len(latencies)


def hammer(name: str, port: int, make_path, accept: str, clients: int, seconds: float) -> Figures:
    """``clients`` connections from their own loopback addresses, each sending requests one after another."""
    latencies: list[float] = []
    statuses: Counter = Counter()

    class Paths:
        def __next__(self) -> str:
            return make_path(next(_REQUESTS))  # numbered across targets and warm-ups: no two SPARQL requests alike

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(f"127.0.0.{2 + c}", port, Paths(), accept, deadline, latencies, statuses) for c in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    return Figures(name, latencies, statuses, time.perf_counter() - started)


# -- the runaway test --------------------------------------------------------------------------------


def _get_from(address: str, port: int, path: str, timeout: float = 60) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(address, 0))
    try:
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def cheap_latencies(port: int, offer: str, seconds: float, tag: str) -> tuple[list[float], int]:
    latencies, refused = [], 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        status = _get_from("127.0.0.201", port, "/sparql?query=" + quote(CHEAP.format(offer, f"{tag} {n} {time.time()}")))
        latencies.append((time.perf_counter() - started) * 1000)
        refused += status != 200
        time.sleep(0.1)
    return latencies, refused


def runaway_test(port: int, offer: str, seconds: float) -> None:
    quiet, quiet_refused = cheap_latencies(port, offer, min(seconds, 5), "quiet")
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda n=n: statuses.append(
        _get_from("127.0.0.200", port, "/sparql?query=" + quote(RUNAWAY.format(f"{n} {time.time()}"))))) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    loaded, loaded_refused = cheap_latencies(port, offer, seconds, "beside")
    for thread in threads:
        thread.join()

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    print(f"\nRunaway test: 4 queries to the time limit from one client (answers: {sorted(statuses)}), a cheap uncached query "
          "from another every 100 ms:")
    print(f"  without them: median {statistics.median(quiet):.1f} ms, p95 {p95(quiet):.1f} ms ({len(quiet)} queries, {quiet_refused} refused)")
    print(f"  beside them:  median {statistics.median(loaded):.1f} ms, p95 {p95(loaded):.1f} ms ({len(loaded)} queries, {loaded_refused} refused); "
          f"ratio of medians {statistics.median(loaded) / statistics.median(quiet):.2f}")


# -- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endpoint-bench-") as tmp:
        folder = Path(tmp)
        print(f"Harvesting {args.offers:,} generated offers …", flush=True)
        config_path, seconds, _ = load(args.offers, folder)
        print(f"  harvested in {seconds:.1f} s; building the site …", flush=True)
        subprocess.run([sys.executable, "-m", "catalogue", "--config", str(config_path), "build-site"], check=True,
                       cwd=HERE.parent, stdout=subprocess.DEVNULL)
        process, url = start_server(config_path, folder / "server.log")
        try:
            port = int(url.rsplit(":", 1)[1])
            items = requests.get(f"{url}/api/offers", params={"page_size": 100}, timeout=30).json()["items"]
            offers = [item["iri"] for item in items]
            pages = [p for p in (folder / "data" / "site" / "en" / "offer").rglob("*.html")][:500]
            pages = ["/" + p.relative_to(folder / "data" / "site").as_posix() for p in pages]
            page_size = len(requests.get(url + pages[0], timeout=30).content)
            facets = requests.get(f"{url}/api/offers", timeout=30).json()["facets"]
            eqf = [v["value"] for v in facets.get("eqf", [])] or [""]
            modes = [v["value"] for v in facets.get("mode", [])] or [""]
            rng = random.Random(1)

            def search(n: int) -> str:
                return (f"/api/offers?q={WORDS[n % len(WORDS)]}&eqf={quote(eqf[n % len(eqf)], safe='')}"
                        f"&mode={quote(modes[rng.randrange(len(modes))], safe='')}&lang=en")

            targets = [
                ("/api/offers: text and two facets", search, "application/json"),
                ("offer page (site, HTML)", lambda n: pages[n % len(pages)], "text/html"),
                ("offer document (/data/offer.ttl)", lambda n: "/data/offer.ttl?iri=" + quote(offers[n % len(offers)], safe=""), "text/turtle"),
                ("cheap SPARQL query, computed", lambda n: "/sparql?query=" + quote(CHEAP.format(offers[n % len(offers)], n)),
                 "application/sparql-results+json"),
            ]
            floor_port = free_port()
            floor = subprocess.Popen([sys.executable, "-c", FLOOR_APP, str(floor_port), str(page_size)])
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        requests.get(f"http://127.0.0.1:{floor_port}/", timeout=2)
                        break
                    except requests.RequestException:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
                hammer("warm-up", floor_port, lambda n: "/", "text/html", args.clients, 2)
                base = hammer(f"floor: bare Starlette, fixed {page_size:,} bytes", floor_port, lambda n: "/", "text/html", args.clients, args.seconds)
            finally:
                floor.terminate()
                floor.wait(timeout=10)
            results = [base]
            for name, make_path, accept in targets:
                hammer("warm-up", port, make_path, accept, args.clients, 2)
                results.append(hammer(name, port, make_path, accept, args.clients, args.seconds))
            print(f"\n{args.offers:,} offers, {args.clients} concurrent clients (each its own address), {args.seconds:g} s per target, "
                  "catalogue serve with its defaults:")
            print(f"{'target':48} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'floor/x':>8} {'not 200':>8}")
            for figures in results:
                print(f"{figures.name:48} {figures.rate:8.0f} {figures.p50:8.1f} {figures.p95:8.1f} "
                      f"{base.rate / figures.rate:8.2f} {figures.failed:>4}/{figures.total}")
            runaway_test(port, offers[0], args.seconds)
            metrics = requests.get(f"{url}/metrics", timeout=10).text
            print("\n" + "\n".join(line for line in metrics.splitlines() if line.startswith("catalogue_") and "total" in line))
        finally:
            stop_server(process)


if __name__ == "__main__":
    main()
