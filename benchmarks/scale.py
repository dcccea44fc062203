"""Scale: the whole catalogue at 10,000, 100,000 and 1,000,000 offers, on each store backend.

Offers come from benchmarks/generate.py (varied providers, languages, fields, levels, dates, prices;
about 4% deliberately invalid), in feeds of at most 10,000 offers each (--feed-size), as a national aggregator
receives them from many providers. Every step runs the real ``catalogue`` command in a child process,
so the figures include start-up, and memory is the peak of the whole process tree (the command and its
workers), each page counted once (``tree_memory``: summed resident sizes counted a process started with
``subprocess`` as a second copy of the harvest), sampled every 0.2 s (``TreePeak``). For each N and backend it prints:

* harvest: end-to-end time from local feeds to a published generation (fetch, map, validate, write,
  snapshot, dumps, search index), offers per second, peak memory, and where the time went;
* unchanged re-harvest: the same feeds again;
* 1% changed: every hundredth offer edited; time, and how many offers were re-validated and rewritten;
* API: median and p95 latency over HTTP of the five queries of benchmarks/sparql.py (each run a
  new query text, so answers are computed; then the same text again, answered from the answers the
  endpoint keeps for the served generation), and of the
  search API and change feed that answer the same needs (facets, text, what changed) without
  scanning the store;
* site: full build time, and the rebuild after one offer changed (up to --site-max offers);

and the naive way in the same run, as the baseline (up to --baseline-max offers): all feeds in one
rdflib Graph in memory and one pyshacl call over it.

    python benchmarks/scale.py                                  # 10,000 and 100,000; every backend found
    python benchmarks/scale.py --sizes 1000000 --backends embedded --site-max 0 --floor-feeds 10   # the long run
    python benchmarks/scale.py --sizes 1000000 --backends embedded --site-max 1000000 --site-only  # the million-offer site
    python benchmarks/scale.py --sizes 10000 --backends embedded oxigraph-server virtuoso
    python benchmarks/scale.py --sizes 250000 --feed-size 250000 --backends embedded --site-max 0 --skip floors changed   # one feed of a quarter million
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate import generate_offers  # noqa: E402
from sparql import queries  # noqa: E402
from tree_memory import TreePeak  # noqa: E402

from tests.sparqlservers import free_port, oxigraph_server, virtuoso_server  # noqa: E402

BASE = "http://127.0.0.1:8000/"
FEED_SIZE = 10_000  # offers per feed (--feed-size)
ECHO = False  # --verbose: show the catalogue's own progress lines as they come


# -- measuring a child process ---------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    peak_bytes: int
    output: str


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
    lines = []
    with TreePeak(process.pid) as peak:
        for line in process.stdout:
            lines.append(line)
            if ECHO:
                print(f"      | {line}", end="", file=sys.stderr, flush=True)
        process.wait()
    output = "".join(lines)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Measured(seconds, peak.peak, output)


def catalogue(config: Path, *args: str, env: dict[str, str] | None = None) -> Measured:
    return measure([sys.executable, "-m", "catalogue", "--config", str(config), *args], env=env, cwd=config.parent)


def timings(output: str, line_start: str = "Timings") -> str:
    """The ``Timings`` line of ``catalogue harvest --timings`` (or its ``Busy`` line), without its label."""
    for line in output.splitlines():
        if line.startswith(line_start):
            return line.split(":", 1)[1].strip()
    return ""


# -- one catalogue ------------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    rows: dict[str, str] = field(default_factory=dict)

    def __setitem__(self, name: str, value: str) -> None:
        # Printed as soon as it is measured: a long run stopped part way keeps what it had found.
        self.rows[name] = value
        print(f"    {self.backend}: {name}: {value}", file=sys.stderr, flush=True)


def feeds(folder: Path, n: int, changed: frozenset[int] = frozenset()) -> list[Path]:
    return [write_feed(folder, n, start, changed) for start in range(0, n, FEED_SIZE)]


def write_feed(folder: Path, n: int, start: int, changed: frozenset[int] = frozenset()) -> Path:
    """The feed holding offer number ``start`` (a multiple of FEED_SIZE) of a catalogue of ``n``, written as it is
    generated: a feed of 250,000 offers is 700 MB of Turtle, which this process need not hold."""
    path = folder / f"feed-{start // FEED_SIZE:03d}.ttl"
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(generate_offers(min(FEED_SIZE, n - start), changed=changed, start=start))
    return path


def write_config(folder: Path, paths: list[Path], store: str) -> Path:
    text = f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n[validation]\nworkers = 0\n{store}\n'
    # A feed larger than the 50 MB a source may send by default (about 18,000 generated offers) is let through.
    text += "".join(
        f'[[sources]]\nid = "feed-{i:03d}"\nname = "Feed {i}"\nharvester = "rdf"\nurl = "{path.as_posix()}"\nmax_shrink = 0.9\n'
        + (f"max_megabytes = {2 * path.stat().st_size // 2**20 + 1}\n" if path.stat().st_size > 40 * 2**20 else "")
        for i, path in enumerate(paths)
    )
    config = folder / "catalogue.toml"
    config.write_text(text, encoding="utf-8")
    return config


def changes_logged(config: Path) -> int:
    with contextlib.closing(sqlite3.connect(config.parent / "data" / "state.sqlite")) as db:
        return db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]


def api_latency(config: Path, env: dict[str, str], n: int, runs: int) -> tuple[dict[str, tuple[float, float, float]], dict[str, str]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "catalogue", "--config", str(config), "serve", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=config.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        session = requests.Session()
        latencies: dict[str, tuple[float, float, float]] = {}
        failures: dict[str, str] = {}
        # The five SPARQL queries, then what the catalogue offers for the same needs without a
        # whole-store query: the search API (facet counts per EQF level, a text search) and the
        # change feed (what changed since, page by page).
        requests_to_time = [(q.name, "POST", "/sparql", {"query": q.text}, q.accept) for q in queries(n)] + [
            ("6 /api/offers facets + text", "GET", "/api/offers", {"q": "machine learning", "lang": "en"}, "application/json"),
            ("7 /api/offers EQF 6, online", "GET", "/api/offers",
             {"eqf": "http://data.europa.eu/snb/eqf/6", "mode": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"},
             "application/json"),
            ("8 /feed/page/2 (changes)", "GET", "/feed/page/2", {}, "text/turtle"),
        ]
        def timed(method: str, path: str, parameters: dict, accept: str) -> tuple[requests.Response, float]:
            started = time.perf_counter()
            if method == "POST":
                answer = session.post(f"{url}{path}", data=parameters, headers={"Accept": accept}, timeout=120)
            else:
                answer = session.get(f"{url}{path}", params=parameters, headers={"Accept": accept}, timeout=120)
            return answer, time.perf_counter() - started

        for name, method, path, parameters, accept in requests_to_time:
            times = []
            for attempt in range(runs + 2):
                # The endpoint keeps answers while a generation is served: a comment that differs in
                # every run makes each one a new query, so these figures are of answers computed.
                fresh = {"query": parameters["query"] + f"\n# run {attempt}"} if path == "/sparql" else parameters
                answer, elapsed = timed(method, path, fresh, accept)
                if answer.status_code != 200:
                    # A query past the endpoint's time limit is a result worth printing, not a crash
                    # that throws away every figure measured before it.
                    failures[name] = f"HTTP {answer.status_code} after {elapsed:,.1f} s: {answer.text[:120]}"
                    break
                if attempt == 0:
                    first = elapsed
                if attempt >= 2:
                    times.append(elapsed)
            if name in failures:
                continue
            times.sort()
            latencies[name] = (statistics.median(times) * 1000, times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, first * 1000)
            if path == "/sparql":
                # The same query again, as a harvesting platform asks it: answered from the kept answer.
                computed = timed(method, path, parameters, accept)[1]
                repeated = sorted(timed(method, path, parameters, accept)[1] for _ in range(runs))
                latencies[name + ", asked again"] = (
                    statistics.median(repeated) * 1000, repeated[min(len(repeated) - 1, int(len(repeated) * 0.95))] * 1000, computed * 1000)
        return latencies, failures
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _after_harvest(n: int, folder: Path, config: Path, paths: list[Path], first: Measured, result: Result, env: dict[str, str], args) -> None:
    """Floors, the unchanged re-harvest, 1% changed and the API (left out with --site-only)."""
    if "floors" not in args.skip:
        _beside_floors(first, paths, result, args)

    again = catalogue(config, "harvest", env=env)
    result["unchanged re-harvest, s"] = f"{again.seconds:,.1f}"

    if "changed" not in args.skip:
        logged = changes_logged(config)
        feeds(folder, n, changed=frozenset(range(0, n, 100)))
        changed = catalogue(config, "harvest", "--timings", env=env)
        result["1% changed, s"] = f"{changed.seconds:,.1f}"
        result["1% changed, offers rewritten"] = f"{changes_logged(config) - logged:,}"
        result["1% changed, stages (s)"] = timings(changed.output)

    if "api" in args.skip:
        return
    # The search API keeps counts it computed (its index never changes), so its first answer is shown too.
    latencies, failures = api_latency(config, env, n, args.runs)
    for name, (median, p95, first) in latencies.items():
        result[f"API {name}, median / p95 (first) ms"] = f"{median:,.1f} / {p95:,.1f} ({first:,.0f})"
    for name, failure in failures.items():
        result[f"API {name}, median / p95 (first) ms"] = failure


def _beside_floors(first: Measured, paths: list[Path], result: Result, args) -> None:
    sample = paths[: args.floor_feeds] if args.floor_feeds else paths
    floor, floor_peak = floors(sample)
    if len(sample) < len(paths):
        # Each floor is linear in the offers (one parse, one rudof call, one bulk load, one gzip per feed of the
        # same size), so the figure for all feeds is the sample's times their ratio, and is printed as such.
        floor = {name: seconds * len(paths) / len(sample) for name, seconds in floor.items()}
    result["harvest, stages against their floors"] = beside_floors(stage_seconds(first.output), floor, stage_seconds(first.output, "Busy"))
    result["floors, s"] = (", ".join(f"{k} {v:,.1f}" for k, v in floor.items())
                           + f" (sum {sum(floor.values()):,.1f} s, peak {floor_peak / 2**20:,.0f} MiB"
                           + (f"; measured on {len(sample)} of {len(paths)} feeds and scaled" if len(sample) < len(paths) else "")
                           + ")")


def run_backend(n: int, backend: str, folder: Path, store: str, env: dict[str, str], args) -> Result:
    result = Result(backend)
    paths = feeds(folder, n)
    config = write_config(folder, paths, store)

    first = catalogue(config, "harvest", "--timings", env=env)
    result["harvest, s"] = f"{first.seconds:,.1f}"
    result["harvest, offers/s"] = f"{n / first.seconds:,.0f}"
    result["harvest, peak memory MiB"] = f"{first.peak_bytes / 2**20:,.0f}"
    result["harvest, stages (s)"] = timings(first.output)
    result["harvest, stages, CPU of the sources' threads (s)"] = timings(first.output, "Busy")
    if not args.site_only:
        _after_harvest(n, folder, config, paths, first, result, env, args)
    if n <= args.site_max:
        site = catalogue(config, "build-site", env=env)
        result["site full build, s"] = f"{site.seconds:,.1f} ({site.peak_bytes / 2**20:,.0f} MiB; {built(site.output)})"
        if not args.site_only:  # the floor writes as many pages again: at a million offers, more than the disk holds
            floor = site_floor(config)
            result["site full build against its floor"] = (f"{site.seconds:,.1f} s / plain jinja2 loop {floor.seconds:,.1f} s "
                                                           f"({floor.peak_bytes / 2**20:,.0f} MiB) = {site.seconds / floor.seconds:,.1f}x")
    else:
        result["site full build, s"] = f"not run (over --site-max {args.site_max:,})"
    # One offer edited in one feed: the harvest, and the site after it, should cost what the change costs.
    edited = not args.site_only and "changed" not in args.skip
    only = (frozenset(range(0, n, 100)) if edited else frozenset()) | {n // 2 + 1}  # the 1% edits stay made
    write_feed(folder, n, (n // 2 + 1) // FEED_SIZE * FEED_SIZE, only)
    harvested = catalogue(config, "harvest", "--timings", env=env)
    result["one offer changed, harvest s"] = f"{harvested.seconds:,.1f}"
    result["one offer changed, stages (s)"] = timings(harvested.output)
    if n <= args.site_max:
        one = catalogue(config, "build-site", env=env)
        result["site after one offer changed, s"] = f"{one.seconds:,.1f} ({one.peak_bytes / 2**20:,.0f} MiB; {built(one.output)})"
        same = catalogue(config, "build-site", env=env)
        result["site with nothing changed, s"] = f"{same.seconds:,.1f} ({same.peak_bytes / 2**20:,.0f} MiB)"
    return result


NAIVE = r"""
import sys, time, resource
from pathlib import Path
from rdflib import Graph
import pyshacl
sys.path.insert(0, sys.argv[1])
from catalogue.resources import shape_files
from catalogue.vocab import load_vocabulary
started = time.perf_counter()
data = Graph()
for path in sys.argv[2:]:
    data.parse(path, format="turtle")
loaded = time.perf_counter() - started
vocabulary = load_vocabulary()
concepts = {str(o) for o in data.objects() if vocabulary.is_concept(str(o))}
data.parse(data="".join(f"{t} .\n" for c in concepts for t in vocabulary.membership_triples(c)), format="nt")
shapes = Graph()
for path in shape_files():
    shapes.parse(path, format="turtle")
conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
print(f"NAIVE {loaded:.2f} {time.perf_counter() - started:.2f} {len(data)}")
"""


def naive(n: int, folder: Path) -> str:
    paths = [str(p) for p in feeds(folder, n)]
    measured = measure([sys.executable, "-c", NAIVE, str(ROOT), *paths])
    lines = [line for line in measured.output.splitlines() if line.startswith("NAIVE ")]
    if not lines:
        return f"failed: {measured.output.strip()[-500:]}"
    loaded, total, triples = lines[-1].split()[1:]
    return (f"{float(total):,.1f} s ({n / float(total):,.0f} offers/s; parsing {float(loaded):,.1f} s), "
            f"peak {measured.peak_bytes / 2**20:,.0f} MiB, {int(triples):,} triples in one rdflib Graph")


# The raw floors, in a child process on the same feeds (its memory measured like the catalogue's): what each stage
# would cost if it did nothing but its core job with the fastest tool at hand, and no per-offer bookkeeping.
FLOORS = r"""
import gzip, os, sqlite3, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
import pyoxigraph as ox
sys.path.insert(0, sys.argv[1])
paths = sys.argv[2:]

def timed(job):
    started = time.perf_counter()
    job()
    return time.perf_counter() - started

def parse():
    for path in paths:
        for _ in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            pass

def rudof_feed(path):
    import pyrudof
    from catalogue.resources import shape_files
    from catalogue.vocab import load_vocabulary
    shapes = ox.Store()
    for shape in shape_files():
        shapes.load(path=str(shape), format=ox.RdfFormat.TURTLE)
    vocabulary = load_vocabulary()
    triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    concepts = {t.object.value for t in triples if isinstance(t.object, ox.NamedNode) and vocabulary.is_concept(t.object.value)}
    text = "".join(f"{t} .\n" for t in triples) + "".join(f"{m} .\n" for c in concepts for m in vocabulary.membership_triples(c))
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_shacl(ox.serialize(shapes, format=ox.RdfFormat.N_QUADS).decode(), pyrudof.ShaclFormat.NTriples)
    started = time.perf_counter()
    rudof.read_data(text, pyrudof.RDFFormat.NTriples)
    rudof.validate_shacl()
    return time.perf_counter() - started

def validate():
    # one rudof call per feed, on both cores (as the catalogue's validation workers run)
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        seconds = list(pool.map(rudof_feed, paths))
    return max(sum(seconds) / os.cpu_count(), max(seconds))

figures = {"parse": timed(parse)}
try:
    import pyrudof  # noqa: F401
except ImportError:
    pass
else:
    figures["validate"] = validate()
with tempfile.TemporaryDirectory() as folder:
    store = ox.Store(folder)
    def load():
        for index, path in enumerate(paths):
            store.bulk_load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"urn:feed:{index}"))
    figures["write"] = timed(load)
    dumped = ox.serialize(store, format=ox.RdfFormat.N_QUADS)
    figures["dumps"] = timed(lambda: gzip.compress(dumped, compresslevel=6))
    del dumped
    texts = [(r["t"].value, r["d"].value if r["d"] else "") for r in store.query(
        "SELECT ?t ?d WHERE { GRAPH ?g { ?o a <http://data.europa.eu/snb/model/elm/LearningOpportunity> ; "
        "<http://purl.org/dc/terms/title> ?t OPTIONAL { ?o <http://purl.org/dc/terms/description> ?d } } }")]
    def index():
        db = sqlite3.connect(os.path.join(folder, "floor.sqlite"))
        db.execute("CREATE VIRTUAL TABLE t USING fts5(title, description, tokenize = 'unicode61 remove_diacritics 2')")
        db.executemany("INSERT INTO t VALUES (?, ?)", texts)
        db.commit()
        db.close()
    figures["search index"] = timed(index)
print("FLOORS " + " ".join(f"{k.replace(' ', '_')}={v:.3f}" for k, v in figures.items()))
"""

# Which of the catalogue's stages (``--timings``) each floor stands for.
STAGE_FLOORS = {
    "fetch and map": "parse", "extract offers": "parse", "validate": "validate", "write": "write",
    "publish: dumps": "dumps", "publish: search index": "search index",
}
# Stages whose work is all in the source's thread, as their floor's is in one thread: their CPU time is comparable.
# (The write also runs the store's own threads and `sort`, which a thread's CPU time leaves out.)
BUSY_AGAINST_FLOOR = ("fetch and map", "extract offers")


# The site's floor: every offer's summary from the published search index, through one plain jinja2 template per
# language (a page of the summary's fields), each page written to its own file.
SITE_FLOOR = r"""
import json, sqlite3, sys, tempfile
from pathlib import Path
from jinja2 import Environment
sys.path.insert(0, sys.argv[1])
from catalogue.publish.generations import current_generation
from catalogue.config import load_config
config = load_config(Path(sys.argv[2]))
index = sqlite3.connect(current_generation(config).search_path)
template = Environment(autoescape=True).from_string(
    "<!doctype html><html lang={{ lang }}><title>{{ s.titles.get(lang) or s.titles.values()|first }}</title><main><h1>{{ s.titles.get(lang) }}</h1>"
    "<p>{{ s.descriptions.get(lang) }}</p><dl>{% for k, v in s.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl></main></html>")
with tempfile.TemporaryDirectory() as out:
    pages = 0
    for number, (text,) in enumerate(index.execute("SELECT summary FROM offers")):
        summary = json.loads(text)
        for lang in ("sv", "en"):
            folder = Path(out, lang, str(number // 10000))
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{number}.html").write_text(template.render(s=summary, lang=lang), encoding="utf-8")
            pages += 1
print("PAGES", pages)
"""


def site_floor(config: Path) -> Measured:
    measured = measure([sys.executable, "-c", SITE_FLOOR, str(ROOT), str(config)], cwd=config.parent)
    if "PAGES" not in measured.output:
        raise RuntimeError(f"the site floor failed: {measured.output.strip()[-1500:]}")
    return measured


def built(output: str) -> str:
    """What ``catalogue build-site`` says it did: pages rendered, files written, unchanged, removed."""
    words = " ".join(output.split())  # the line may be wrapped at the width of a terminal
    found = re.search(r"(\d[\d,]* offer pages rendered, \d[\d,]* files written, \d[\d,]* unchanged, \d[\d,]* removed)", words)
    return found.group(1) if found else "?"


def floors(paths: list[Path]) -> tuple[dict[str, float], int]:
    """Seconds of each raw floor on ``paths``, and the floors' peak memory."""
    measured = measure([sys.executable, "-c", FLOORS, str(ROOT), *map(str, paths)])
    lines = [line for line in measured.output.splitlines() if line.startswith("FLOORS ")]
    if not lines:
        raise RuntimeError(f"the floors failed: {measured.output.strip()[-1500:]}")
    found = dict(item.split("=") for item in lines[-1].split()[1:])
    return {k.replace("_", " "): float(v) for k, v in found.items()}, measured.peak_bytes


def stage_seconds(output: str, line_start: str = "Timings") -> dict[str, float]:
    """The ``Timings`` (or ``Busy``) line of ``catalogue harvest --timings`` as {stage: seconds}."""
    found = {}
    for item in timings(output, line_start).split(", "):
        name, _, seconds = item.rpartition(" ")
        if name:
            found[name] = float(seconds)
    return found


def beside_floors(stages: dict[str, float], floor: dict[str, float], busy: dict[str, float] | None = None) -> str:
    """Each stage that has a floor as "stage 12.3 s / floor 4.1 s = 3.0x"; where the stage's own threads' CPU time is
    known (``busy``), also that against the floor: sources harvested at once wait for each other's cores and
    interpreter lock, and their summed seconds count the waits."""
    parts = []
    for stage, name in STAGE_FLOORS.items():
        if stage in stages and floor.get(name):
            text = f"{stage} {stages[stage]:,.1f} s / {name} floor {floor[name]:,.1f} s = {stages[stage] / floor[name]:,.1f}x"
            if stage in BUSY_AGAINST_FLOOR and (busy or {}).get(stage):
                text += f" (its threads busy {busy[stage]:,.1f} s = {busy[stage] / floor[name]:,.1f}x)"  # type: ignore[index]
            parts.append(text)
    return "; ".join(parts)


@contextlib.contextmanager
def backend_store(name: str):
    """The [store] table and environment for one backend, with a fresh server where one is needed."""
    env = dict(os.environ)
    if name == "embedded":
        yield '[store]\npath = "data/store"\n', env
        return
    starter = oxigraph_server if name == "oxigraph-server" else virtuoso_server
    options = {} if name == "oxigraph-server" else {"memory_megabytes": 4096}
    with starter(**options) as server:
        env.update(server.environment())
        yield server.toml(), env


def available_backends() -> list[str]:
    found = ["embedded"]
    from tests.sparqlservers import oxigraph_binary, virtuoso_binary

    for name, probe in (("oxigraph-server", oxigraph_binary), ("virtuoso", virtuoso_binary)):
        with contextlib.suppress(RuntimeError):
            probe()
            found.append(name)
    return found


def _long(row: str) -> bool:
    """Rows printed on lines of their own under the table."""
    return "stages" in row or row.startswith("floors")


def main() -> None:
    global ECHO, FEED_SIZE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=None, help="embedded, oxigraph-server, virtuoso (default: all found)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per API query")
    parser.add_argument("--site-max", type=int, default=100_000, help="build the site only up to this many offers")
    parser.add_argument("--floor-feeds", type=int, default=0,
                        help="measure the raw floors on this many feeds and scale them to all (default: every feed)")
    parser.add_argument("--baseline-max", type=int, default=10_000, help="run the naive baseline only up to this many offers")
    parser.add_argument("--site-only", action="store_true",
                        help="after the first harvest, only the site: full build, one offer changed, nothing changed (the million-offer site)")
    parser.add_argument("--feed-size", type=int, default=FEED_SIZE,
                        help="offers per feed (each feed is one source): 250000 for one feed of a national register's size")
    parser.add_argument("--skip", nargs="+", choices=("floors", "changed", "api"), default=[],
                        help="leave out the floors, the 1%% changed harvest or the API latencies (a single feed of 250,000 offers: "
                             "its floors hold the whole feed in one rudof call, and 1%% changed is the whole feed again)")
    parser.add_argument("--verbose", action="store_true", help="show the catalogue's progress lines as they come")
    args = parser.parse_args()
    ECHO, FEED_SIZE = args.verbose, args.feed_size
    backends = args.backends or available_backends()
    print(f"Scale benchmark on {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB; backends: {', '.join(backends)}")
    for n in args.sizes:
        results = []
        for backend in backends:
            with tempfile.TemporaryDirectory(prefix=f"scale-{n}-") as tmp, backend_store(backend) as (store, env):
                print(f"  … {n:,} offers on {backend}", file=sys.stderr, flush=True)
                results.append(run_backend(n, backend, Path(tmp), store, env, args))
        print(f"\nN = {n:,} offers in {(n + FEED_SIZE - 1) // FEED_SIZE} feeds")
        names = list(dict.fromkeys(name for r in results for name in r.rows))
        width = max(len(name) for name in names)
        columns = [max(len(r.backend), *(len(r.rows.get(name, "")) for name in names if not _long(name))) for r in results]
        print(f"{'':{width}}  " + "  ".join(f"{r.backend:>{w}}" for r, w in zip(results, columns)))
        for name in names:
            if _long(name):
                continue
            print(f"{name:{width}}  " + "  ".join(f"{r.rows.get(name, ''):>{w}}" for r, w in zip(results, columns)))
        for name in (n for n in names if _long(n)):
            for r in results:
                print(f"{name} on {r.backend}: {r.rows.get(name, '')}")
        if n <= args.baseline_max:
            with tempfile.TemporaryDirectory(prefix=f"naive-{n}-") as tmp:
                print(f"naive baseline (rdflib Graph + one pyshacl call): {naive(n, Path(tmp))}")
        else:
            print(f"naive baseline: not run above --baseline-max {args.baseline_max:,} offers (see the smaller N for its rate)")


if __name__ == "__main__":
    main()
