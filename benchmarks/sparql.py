"""SPARQL endpoint latency: five typical catalogue queries through HTTP against the same queries on pyoxigraph.

For N = 10,000 and 100,000 generated offers (benchmarks/generate.py, about 4%
quarantined), harvested through the real pipeline (``catalogue harvest``: rdf
harvester, validation, store, published generation), it starts ``catalogue
serve`` on a free 127.0.0.1 port and times, per query, in the same run and
interleaved:

* raw (the baseline): pyoxigraph directly, in this process, on a read-only view
  of the same published snapshot (``Store.read_only(generation.store_path)``),
  the same query text with the same dataset and parse options as the endpoint
  (default graph = the public view: the vocabulary, source and records graphs
  as NamedNodes; the endpoint's predeclared prefixes; its base IRI), the
  results fully consumed and serialised to bytes by pyoxigraph's own
  serialisers: SELECT to SPARQL JSON (``QuerySolutions.serialize``), CONSTRUCT
  to Turtle with the endpoint's prefixes (``pyoxigraph.serialize``);
* execute(): ``catalogue.server.query_pool.execute``, the function each query worker
  runs, called in this process on the same store: the catalogue's own row cap
  and result serialisers, without HTTP and without the worker process hop;
* HTTP: a keep-alive ``requests.Session`` GET of ``/sparql?query=…`` with
  ``Accept: application/sparql-results+json`` (``text/turtle`` for CONSTRUCT),
  whole body read: client, uvicorn, FastAPI and middleware, the query pool's
  pipe to a worker process, the query, serialisation and the way back.

The queries are what a guidance platform or a Europass-style harvester sends:
offers per EQF level (GROUP BY), a free-text filter on English titles with the
provider's name (LIMIT 20), upcoming online offers in a date window (ORDER BY,
LIMIT 50), one offer's full description (CONSTRUCT), and an incremental harvest
page of catalogue records modified since a date (ORDER BY, LIMIT 1000). Each is
checked once to give a non-empty answer and the same answer on both sides.

The server runs as ``catalogue serve`` does by default (2 query workers, log
level info, its log in the temporary folder). After the check and warm-up runs
(which also warm both pool workers), each query runs up to 30 times per side,
the sides interleaved (fewer runs for slow queries: about 20 s per query for
the three sides, at least 5), and the table gives the median and p95 (nearest
rank) in milliseconds and the ratio endpoint / raw of the medians. Below the
tables the difference is split into the catalogue's serialisation (execute() -
raw) and transport (HTTP - execute()); the catalogue's serialiser is also timed
alone on the computed answer, and for the cheapest query ``QueryPool.run`` is
timed in this process, which splits the fixed cost of a request into the hop to
a worker process and the HTTP stack.

Loading: up to 25,000 offers are one rdf source (as in benchmarks/site.py, with
``max_megabytes`` raised above the 50 MB default: 100,000 offers are 270 MB of
Turtle). Larger N are split into sources of 25,000 offers (each file with its
offers' providers; together exactly ``generate_document(N)``), harvested one
after another (``[harvest] concurrency = 1``) in one ``catalogue harvest``:
writing one source of 100,000 offers needs more memory than a 24 GB machine
has (about 1.3 GB per 10,000 offers on top of the harvest's own, in the write
stage). The public view then has 4 source and 4 records graphs instead of 1 + 1.

    python benchmarks/sparql.py               # N = 10,000 and 100,000 (loading 100,000 takes 15-25 minutes on 2 cores)
    python benchmarks/sparql.py 10000
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pyoxigraph as ox  # noqa: E402
import requests  # noqa: E402
from generate import generate_document, generate_offers  # noqa: E402

BASE = "http://127.0.0.1:8000/"
MAX_RUNS = 30
MIN_RUNS = 5
WARMUP = 2  # after the answer check (one run of each side); the pool alternates between its two workers
OFFERS_PER_SOURCE = 25_000  # larger feeds are split into sources of this size (see the module docstring)
BUDGET_SECONDS = 20.0  # per query, all sides together: slow queries get fewer timed runs (never fewer than MIN_RUNS)

SOLUTIONS_JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    accept: str


def queries(n: int) -> list[Query]:
    """The five queries; the described offer is one in the middle of the feed that is published (not quarantined)."""
    i = n // 2
    while i % 25 == 7:  # generate.py breaks offers with i % 25 == 7: they are quarantined, not public
        i += 1
    offer = f"https://data.provider{i // 40}.example/offer/{i}"
    return [
        Query("1 offers per EQF level", """SELECT ?level ?label (COUNT(DISTINCT ?offer) AS ?offers) WHERE {
  ?offer a elm:LearningOpportunity ;
         elm:learningAchievementSpecification/elm:educationLevel ?level .
  ?level skos:prefLabel ?label FILTER(LANG(?label) = "en")
}
GROUP BY ?level ?label
ORDER BY ?level""", SOLUTIONS_JSON),
        Query("2 title contains, + provider", """SELECT ?offer ?title ?provider WHERE {
  ?offer a elm:LearningOpportunity ; dcterms:title ?title ;
         elm:providedBy/rov:legalName ?provider .
  FILTER(LANG(?title) = "en" && LANG(?provider) = "en")
  FILTER(CONTAINS(LCASE(STR(?title)), "machine learning"))
}
LIMIT 20""", SOLUTIONS_JSON),
        Query("3 online, starting Mar-Apr", """SELECT ?offer ?title ?start ?provider WHERE {
  ?offer a elm:LearningOpportunity ; dcterms:title ?title ;
         elm:mode <http://data.europa.eu/snb/learning-assessment/920fbb3cbe> ;
         dcterms:temporal/elm:startDate ?start ;
         elm:providedBy/rov:legalName ?provider .
  FILTER(?start >= "2027-03-01T00:00:00Z"^^xsd:dateTime && ?start < "2027-05-01T00:00:00Z"^^xsd:dateTime)
  FILTER(LANG(?title) = "en" && LANG(?provider) = "en")
}
ORDER BY ?start ?offer
LIMIT 50""", SOLUTIONS_JSON),
        Query("4 one offer (CONSTRUCT)", f"""CONSTRUCT {{ ?offer ?p ?o . ?node ?np ?no . ?record ?rp ?ro }} WHERE {{
  VALUES ?offer {{ <{offer}> }}
  {{ ?offer ?p ?o }}
  UNION {{ ?offer elm:learningAchievementSpecification|dcterms:temporal|elm:priceDetail|elm:priceDetail/elm:amount
                 |foaf:homepage|elm:providedBy ?node . ?node ?np ?no }}
  UNION {{ ?offer elm:learningAchievementSpecification/(elm:learningOutcome|elm:creditPoint|elm:awardingOpportunity
                 |elm:provenBy) ?node . ?node ?np ?no }}
  UNION {{ ?record foaf:primaryTopic ?offer ; ?rp ?ro }}
}}""", TURTLE),
        Query("5 records modified since", """SELECT ?record ?offer ?modified ?microCredential WHERE {
  ?record a dcat:CatalogRecord ; foaf:primaryTopic ?offer ;
          dcterms:modified ?modified ; mcc:microCredential ?microCredential .
  FILTER(?modified >= "2024-01-01T00:00:00Z"^^xsd:dateTime)
}
ORDER BY ?modified ?record
LIMIT 1000""", SOLUTIONS_JSON),
    ]


# -- loading the catalogue the real way -----------------------------------------------------


def write_feeds(n: int, folder: Path) -> list[Path]:
    """The offers of ``generate_document(n)``, in one file, or in files of OFFERS_PER_SOURCE offers with their providers."""
    if n <= OFFERS_PER_SOURCE:
        feed = folder / "offers.ttl"
        feed.write_bytes(generate_document(n))
        return [feed]
    parts = -(-n // OFFERS_PER_SOURCE)
    feeds = [folder / f"offers-{k + 1}.ttl" for k in range(parts)]
    chunks = generate_offers(n)  # the same chunks, in the same order, as generate_document(n)
    head = next(chunks) + next(chunks)  # prefixes and the quality assurance agency, in every file
    handles = [open(feed, "w", encoding="utf-8") for feed in feeds]
    try:
        for handle in handles:
            handle.write(head)
        for provider in range(-(-n // 40)):  # provider p offers i = 40p .. 40p+39: all in one file
            handles[provider * 40 // OFFERS_PER_SOURCE].write(next(chunks))
        for i in range(n):
            handles[i // OFFERS_PER_SOURCE].write(next(chunks))
    finally:
        for handle in handles:
            handle.close()
    return feeds


def load(n: int, folder: Path) -> tuple[Path, float, int]:
    """Harvest n generated offers the real way; returns the configuration, the seconds it took and the number of sources."""
    from click.testing import CliRunner

    from catalogue.cli.commands import main

    feeds = write_feeds(n, folder)
    config = f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n[validation]\nworkers = 0\n'
    if len(feeds) > 1:
        config += "[harvest]\nconcurrency = 1\n"  # one source after another: the memory of one source at a time
    for number, feed in enumerate(feeds, start=1):
        source_id = "bench" if len(feeds) == 1 else f"bench-{number}"
        megabytes = max(50, -(-feed.stat().st_size // (1024 * 1024)) + 1)  # 25,000 offers are ~70 MB, over the default 50 MB limit
        config += (f'[[sources]]\nid = "{source_id}"\nname = "Benchmark provider feed {number}"\nharvester = "rdf"\n'
                   f'url = "{feed.as_posix()}"\nmax_megabytes = {megabytes}\n')
    config_path = folder / "catalogue.toml"
    config_path.write_text(config, encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["--config", str(config_path), "harvest"], catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    return config_path, time.perf_counter() - started, len(feeds)


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVE = "import sys; from catalogue.cli.commands import main; main(sys.argv[1:], prog_name='catalogue')"


def start_server(config_path: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """``catalogue serve`` with its defaults (2 query workers, log level info) on a free port; returns when /health answers."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])))
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--config", str(config_path), "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}:\n{_tail(log_path)}")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"the server did not answer /health within 120 s:\n{_tail(log_path)}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # uvicorn shuts down: the lifespan closes the query pool
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the server and its query workers only
        process.wait(timeout=5)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- the three ways of running a query ------------------------------------------------------


class Raw:
    """pyoxigraph on the published snapshot, with the endpoint's dataset and parse options."""

    def __init__(self, store_path: Path, base_iri: str):
        from catalogue.namespaces import PREFIXES
        from catalogue.server.query_pool import _public_graphs

        self.store = ox.Store.read_only(str(store_path))
        self.public = _public_graphs(self.store)  # what each query worker computes when it opens the store
        self.prefixes = PREFIXES
        self.base_iri = base_iri
        self.default_graph = [ox.NamedNode(g) for g in self.public]

    def run(self, query: Query) -> bytes:
        answer = self.store.query(query.text, prefixes=self.prefixes, base_iri=self.base_iri, default_graph=self.default_graph)
        if isinstance(answer, ox.QueryTriples):
            return ox.serialize(list(answer), format=ox.RdfFormat.TURTLE, prefixes=self.prefixes) or b""
        return answer.serialize(format=ox.QueryResultsFormat.JSON)

    def serialiser_alone(self, query: Query, repeat: int = 5) -> float:
        """Median ms of catalogue/results.py serialising this query's answer, computed beforehand (no query in the timing)."""
        from catalogue.server.app import results

        answer = self.store.query(query.text, prefixes=self.prefixes, base_iri=self.base_iri, default_graph=self.default_graph)
        if isinstance(answer, ox.QueryTriples):
            triples = list(answer)
            work = lambda: results.triples(iter(triples), ox.RdfFormat.TURTLE, 100_000, self.prefixes)  # noqa: E731
        else:
            solved = _Solved(answer.variables, list(answer))
            work = lambda: results.solutions(solved, "json", 100_000)  # noqa: E731
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    def execute(self, query: Query) -> bytes:
        """What a query worker does for a request, in this process."""
        from catalogue.server.app import ServerSettings
        from catalogue.server.query_pool import QueryJob, execute

        answer = execute(self.store, self.public, QueryJob(query.text, accept=query.accept, max_rows=ServerSettings.max_rows, base_iri=self.base_iri))
        if answer.status != "ok":
            raise RuntimeError(f"execute() answered {answer.status}: {answer.message}")
        return answer.body


@dataclass
class _Solved:
    """A computed SELECT answer that iterates like ``QuerySolutions`` (for timing the serialiser alone)."""

    variables: list
    rows: list

    def __iter__(self):
        return iter(self.rows)


class Http:
    def __init__(self, url: str):
        self.endpoint = url + "/sparql"
        self.session = requests.Session()

    def run(self, query: Query) -> bytes:
        response = self.session.get(self.endpoint, params={"query": query.text}, headers={"Accept": query.accept}, timeout=120)
        body = response.content
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} for query {query.name!r}: {body[:500].decode('utf-8', 'replace')}")
        return body

    def close(self) -> None:
        self.session.close()


# -- checking the answers ---------------------------------------------------------------------


def answer_of(query: Query, body: bytes) -> tuple[int, object]:
    """(rows or triples, a comparable form of the answer)."""
    if query.accept == TURTLE:
        triples = {str(t) for t in ox.parse(body, format=ox.RdfFormat.TURTLE)}
        return len(triples), triples
    data = json.loads(body)
    rows = []
    for binding in data["results"]["bindings"]:
        row = {}
        for variable, term in binding.items():
            term = dict(term)
            if term.get("datatype") == "http://www.w3.org/2001/XMLSchema#string":
                del term["datatype"]
            row[variable] = tuple(sorted(term.items()))
        rows.append(tuple(sorted(row.items())))
    return len(rows), (data["head"]["vars"], rows)


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Timing:
    query: Query
    rows: int = 0
    same: str = ""
    seconds: dict[str, list[float]] = field(default_factory=lambda: {"raw": [], "execute": [], "http": []})
    serialiser: float = 0.0  # ms: the catalogue's result serialiser alone, on the answer already computed

    def median(self, side: str) -> float:
        return statistics.median(self.seconds[side]) * 1000

    def p95(self, side: str) -> float:
        values = sorted(self.seconds[side])
        return values[max(0, -(-95 * len(values) // 100) - 1)] * 1000  # nearest rank

    @property
    def runs(self) -> int:
        return len(self.seconds["http"])


def check(query: Query, raw: Raw, http: Http) -> tuple[int, str]:
    rows, expected = answer_of(query, raw.run(query))
    if rows == 0:
        raise RuntimeError(f"query {query.name!r} has an empty answer on the generated data: a benchmark of nothing")
    verdicts = []
    for side, body in (("execute()", raw.execute(query)), ("HTTP", http.run(query))):
        count, got = answer_of(query, body)
        if got == expected:
            verdicts.append("yes")
        elif isinstance(got, tuple) and got[0] == expected[0] and sorted(got[1]) == sorted(expected[1]):
            verdicts.append("yes (other order)")
        else:
            raise RuntimeError(f"query {query.name!r}: {side} answered {count} rows, different from raw pyoxigraph's {rows}")
    return rows, verdicts[-1]


def measure_query(query: Query, raw: Raw, http: Http) -> Timing:
    timing = Timing(query)
    timing.rows, timing.same = check(query, raw, http)
    timing.serialiser = raw.serialiser_alone(query)
    sides = {"raw": raw.run, "execute": raw.execute, "http": http.run}
    warm: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(WARMUP):
        for side, run in sides.items():
            started = time.perf_counter()
            run(query)
            warm[side].append(time.perf_counter() - started)
    per_run = sum(statistics.median(v) for v in warm.values())
    runs = max(MIN_RUNS, min(MAX_RUNS, int(BUDGET_SECONDS / max(per_run, 1e-6))))
    order = list(sides)
    for number in range(runs):
        rotation = order[number % 3:] + order[: number % 3]  # interleaved, each side first in turn: drift hits all alike
        for side in rotation:
            started = time.perf_counter()
            sides[side](query)
            timing.seconds[side].append(time.perf_counter() - started)
    return timing


def pool_hop(store_path: Path, query: Query, base_iri: str, runs: int = MAX_RUNS) -> float:
    """Median ms of ``QueryPool.run`` for ``query`` in this process: the worker hop (pipe, pickling, executor threads) without HTTP."""
    import asyncio

    from catalogue.server.app import ServerSettings
    from catalogue.server.query_pool import QueryJob, QueryPool

    async def timed() -> float:
        pool = QueryPool(store_path, workers=ServerSettings.workers, timeout=ServerSettings.query_timeout,
                         memory_megabytes=ServerSettings.worker_memory_megabytes)
        await pool.start()
        try:
            times = []
            for number in range(WARMUP + 1 + runs):
                job = QueryJob(query.text, accept=query.accept, max_rows=ServerSettings.max_rows, base_iri=base_iri)
                started = time.perf_counter()
                answer = await pool.run(job)
                if answer.status != "ok":
                    raise RuntimeError(f"the query pool answered {answer.status}: {answer.message}")
                if number > WARMUP:
                    times.append(time.perf_counter() - started)
            return statistics.median(times) * 1000
        finally:
            await pool.close()

    return asyncio.run(timed())


def measure(n: int, folder: Path) -> tuple[list[Timing], float]:
    from catalogue.config import load_config
    from catalogue.publish.generations import current_generation

    print(f"\nN = {n:,} offers: generating, harvesting and validating ...", flush=True)
    config_path, load_seconds, sources = load(n, folder)
    generation = current_generation(load_config(config_path))
    if generation is None:
        raise RuntimeError("the harvest published no generation")
    offers = generation.meta.get("offers", 0)
    print(f"loaded in {load_seconds:.1f} s (harvest, validation, store, publication): {offers:,} offers published "
          f"from {sources} source{'s' if sources > 1 else ''}", flush=True)

    process, url = start_server(config_path, folder / "server.log")
    raw = http = None
    try:
        raw = Raw(generation.store_path, url + "/sparql")
        http = Http(url)
        timings = []
        for query in queries(n):
            timings.append(measure_query(query, raw, http))
            print(f"  measured {query.name}", flush=True)
    finally:
        if http is not None:
            http.close()
        stop_server(process)
        raw = None  # drops the read-only store before its temporary folder goes
    cheapest = min(timings, key=lambda t: t.median("raw"))
    hop = pool_hop(generation.store_path, cheapest.query, url + "/sparql")
    print_table(n, offers, timings)
    return timings, hop


def print_table(n: int, offers: int, timings: list[Timing]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nN = {n:,} offers ({offers:,} published); milliseconds; p95 by nearest rank (with under 20 runs: the slowest run); "
          f"load average now {load}")
    print(f"{'query':30} {'rows':>5} {'runs':>4} {'raw med':>9} {'raw p95':>9} {'HTTP med':>9} {'HTTP p95':>9} {'HTTP/raw':>8} "
          f"{'exec med':>9}  same answer")
    for t in timings:
        print(f"{t.query.name:30} {t.rows:5,} {t.runs:4} {t.median('raw'):9.2f} {t.p95('raw'):9.2f} {t.median('http'):9.2f} "
              f"{t.p95('http'):9.2f} {t.median('http') / t.median('raw'):8.2f} {t.median('execute'):9.2f}  {t.same}")


def explain(results: dict[int, tuple[list[Timing], float]]) -> None:
    print("\nWhere the endpoint adds time (medians, ms). added = HTTP - raw = serialise (execute() - raw) + transport (HTTP - execute());")
    print("py ser = catalogue/results.py alone on the computed answer; spread = raw p95 - raw median (the engine's own run-to-run noise)")
    print(f"{'N':>8} {'query':30} {'raw':>9} {'added':>8} {'serialise':>9} {'transport':>9} {'py ser':>7} {'spread':>8} {'HTTP/raw':>8}")
    for n, (timings, _) in results.items():
        for t in timings:
            raw, ex, http = t.median("raw"), t.median("execute"), t.median("http")
            print(f"{n:8,} {t.query.name:30} {raw:9.2f} {http - raw:8.2f} {ex - raw:9.2f} {http - ex:9.2f} {t.serialiser:7.2f} "
                  f"{t.p95('raw') - raw:8.2f} {http / raw:8.2f}")
    print()
    for n, (timings, hop) in results.items():
        cheapest = min(timings, key=lambda t: t.median("raw"))
        fixed = cheapest.median("http") - cheapest.median("raw")
        worker = hop - cheapest.median("execute")
        transport = sorted(t.median("http") - t.median("execute") for t in timings)
        print(f"N = {n:,}: fixed cost of a request, from the cheapest query ('{cheapest.query.name}', raw {cheapest.median('raw'):.2f} ms): "
              f"{fixed:.2f} ms, of which {worker:.2f} ms is the hop to a query worker process and back (QueryPool.run in this process "
              f"{hop:.2f} ms - execute() {cheapest.median('execute'):.2f} ms) and {cheapest.median('http') - hop:.2f} ms the HTTP stack "
              f"(requests, uvicorn, FastAPI routing and middleware); transport over the five queries {transport[0]:.2f} to {transport[-1]:.2f} ms.")
        for t in timings:
            raw, ex, http = t.median("raw"), t.median("execute"), t.median("http")
            added, spread = http - raw, t.p95("raw") - raw
            if added < -spread:
                print(f"  {t.query.name}: ratio {http / raw:.2f}, {added:+.2f} ms: the endpoint was faster than raw in this run, "
                      "so the machine's run-to-run noise is larger than what the endpoint adds (other load on the cores?).")
            elif http / raw <= 1.25:
                noise = " (within the engine's own spread)" if abs(added) <= spread else ""
                print(f"  {t.query.name}: ratio {http / raw:.2f}, {added:+.2f} ms{noise}: the endpoint adds little over the engine.")
            elif t.serialiser > http - ex:
                print(f"  {t.query.name}: ratio {http / raw:.2f}: mostly the catalogue's Python result serialiser "
                      f"({t.serialiser:.2f} ms for {t.rows:,} rows, where pyoxigraph's Rust one is part of the raw time), "
                      f"plus {http - ex:.2f} ms transport.")
            else:
                print(f"  {t.query.name}: ratio {http / raw:.2f}: the engine needs only {raw:.2f} ms, so the fixed cost of a request "
                      f"dominates: {http - ex:.2f} ms transport (client, HTTP, FastAPI, the pipe to a worker process and back) "
                      f"and {t.serialiser:.2f} ms serialising in Python.")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(f"SPARQL endpoint benchmark on {os.cpu_count()} cores, pyoxigraph {ox.__version__} "
          f"(offers from benchmarks/generate.py; endpoint = catalogue serve with its defaults)")
    results: dict[int, tuple[list[Timing], float]] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="sparql-bench-") as tmp:
            results[n] = measure(n, Path(tmp))
    explain(results)


if __name__ == "__main__":
    main()
