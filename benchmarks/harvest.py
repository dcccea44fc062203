"""Harvest: the whole pipeline (fetch, map, validate, store, publish) per harvester kind, over real HTTP.

For each N (default 1,000 and 10,000) and each of the six harvester kinds, benchmarks/feeds.py writes a
synthetic feed of the same N offers (one offer model written six ways; about 4 % deliberately broken,
so they are quarantined; see its docstring) into a temp folder, and a ``ThreadingHTTPServer`` on
127.0.0.1 serves it (Content-Type, ETag, Last-Modified, 304 to conditional requests, requests
counted). Then the real command runs in a child process, as an operator runs it:

    catalogue --config DIR/catalogue.toml harvest KIND --timings      first harvest
    catalogue --config DIR/catalogue.toml harvest KIND --timings      again, nothing changed
    catalogue --config DIR/catalogue.toml stats --format json         published / quarantined
    catalogue --config DIR/catalogue.toml sources --format json       the pipeline's own seconds per run

Every kind and N gets its own folder, configuration (one ``[[sources]]``, for that kind) and data
folder (store, validation cache, HTTP cache, state), so no kind profits from another's validation
cache: the rdf and spreadsheet feeds describe the same offers, and without this the second would find
many of its offers already validated (their IRIs differ, but a fresh cache rules it out entirely).

Source options set for the benchmark: ``schemaorg`` gets ``delay = 0`` (its politeness delay between
requests to one host; the default is 0 in the HTTP client, set explicitly so a changed default does
not silently turn this into a sleep benchmark) and ``max_pages = N`` (default 2000, which would
silently drop pages at N = 10,000); ``ooapi`` gets ``page_size = 250`` (the server's pages hold 250)
and a ``quality_assurance`` table (OOAPI cannot carry it); ``spreadsheet`` gets ``timezone``;
every source gets ``max_megabytes = 200`` (a 10,000-offer LOQ XML or Turtle document is 20-30 MB,
near the default 50 MB limit).

Printed per N and kind: feed size; first harvest wall seconds (child process, so including start-up)
and offers per second (N / wall); published and quarantined offers (``stats``), so a kind that
silently publishes nothing shows; HTTP requests the first harvest made; the stage split printed by
``--timings``; the unchanged re-harvest's wall seconds, the pipeline's own seconds for the source
(``sources --format json``: without process start-up), its outcome, requests and 304s; and as the
baseline one plain ``requests.get`` of the kind's entry document (median of 5, new connection each),
measured in the same run just before, with the ratios re-harvest / one GET. The start-up floor of the
command (``catalogue --config X sources``, no harvesting) is printed once per run, for reading the
wall-clock ratios.

    /work/venv/bin/python benchmarks/harvest.py                 # N = 1,000 and 10,000, all six kinds
    /work/venv/bin/python benchmarks/harvest.py 1000 --kinds rdf ooapi
    /work/venv/bin/python benchmarks/harvest.py 10000 --cap schemaorg=5000

``--cap KIND=M`` harvests at most M offers of KIND at any N (said in the table, never silently).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

from feeds import ENTRY, KINDS, FeedServer, offers, write_feed  # noqa: E402

BASE = "http://127.0.0.1:8000/"
# The SHACL engine a harvest validates with (the command has no option for it; ValidatorSettings' default decides).
ENGINE = """
try:
    from catalogue.validation.validator import ValidatorSettings, resolve_engine
    print(resolve_engine(getattr(ValidatorSettings(), "engine", "pyshacl")))
except ImportError:
    print("pyshacl")
"""
QUALITY = '{ type = "Institutional Quality Assurance", agency = "National quality assurance agency", agency_country = "SE", title = "Institutional review" }'


def source_toml(kind: str, base_url: str, n: int) -> str:
    url = base_url + {"rdf": "rdf/offers.ttl", "elm-xml": "elm-xml/loq.xml", "schemaorg": "schemaorg/sitemap.xml",
                      "xcri-cap": "xcri-cap/xcri.xml", "ooapi": "ooapi/v5/", "spreadsheet": "spreadsheet/offers.csv"}[kind]
    options = {"schemaorg": f"delay = 0\nmax_pages = {max(n, 2000)}\n", "ooapi": f"page_size = 250\nquality_assurance = {QUALITY}\n",
               "spreadsheet": 'timezone = "Europe/Stockholm"\n'}.get(kind, "")
    return (f'[[sources]]\nid = "{kind}"\nname = "Benchmark feed ({kind})"\nharvester = "{kind}"\nurl = "{url}"\n'
            f"max_megabytes = 200\n{options}")


def write_config(folder: Path, kind: str, base_url: str, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "catalogue.toml"
    config.write_text(
        f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n\n[store]\npath = "data/store"\n\n[validation]\nworkers = 0\n\n'
        f"{source_toml(kind, base_url, n)}",
        encoding="utf-8",
    )
    return config


@dataclass
class Ran:
    seconds: float
    code: int
    output: str


def catalogue(config: Path, *args: str) -> Ran:
    command = [sys.executable, "-m", "catalogue", "--config", str(config), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=config.parent, env={**os.environ, "COLUMNS": "200"})
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return Ran(seconds, done.returncode, done.stdout + done.stderr)


def timings(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("Timings"):
            return line.split(":", 1)[1].strip()
    return "(no Timings line)"


def engine() -> str:
    done = subprocess.run([sys.executable, "-c", ENGINE], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip() or "unknown"


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip() or "unknown"


def one_get(url: str, runs: int = 5) -> float:
    """Median seconds of a plain requests.get of ``url`` (a new connection each time, whole body read)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = requests.get(url, timeout=60)
        answer.content  # noqa: B018
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
    return statistics.median(times)


@dataclass
class Result:
    kind: str
    n: int
    feed_bytes: int = 0
    first: Ran | None = None
    again: Ran | None = None
    published: int = 0
    quarantined: int = 0
    triples: int = 0
    first_requests: int = 0
    again_requests: int = 0
    again_304: int = 0
    first_source_s: float = 0.0
    again_source_s: float = 0.0
    first_outcome: str = ""
    again_outcome: str = ""
    errors: int = 0
    get_s: float = 0.0
    engine: str = ""
    notes: list[str] = field(default_factory=list)


def last_run(config: Path, kind: str) -> dict:
    ran = catalogue(config, "sources", "--format", "json")
    data = json.loads(ran.output[ran.output.index("["):])
    return next((row["last_run"] or {}) for row in data if row["id"] == kind)


def run_kind(kind: str, n: int, folder: Path, server: FeedServer, items) -> Result:
    result = Result(kind, n)
    result.feed_bytes = write_feed(kind, folder / "feeds", n, server.base_url, items)
    config = write_config(folder / f"run-{kind}", kind, server.base_url, n)

    result.get_s = one_get(server.base_url + ENTRY[kind])
    result.engine = engine()

    server.reset()
    result.first = catalogue(config, "harvest", kind, "--timings")
    result.first_requests = sum(server.requests.values())
    run = last_run(config, kind)
    result.first_source_s, result.first_outcome, result.errors = run.get("seconds") or 0.0, run.get("outcome") or "?", run.get("errors") or 0
    stats = catalogue(config, "stats", "--format", "json")
    counts = json.loads(stats.output[stats.output.index("{"):])["sources"].get(kind, {})
    result.published, result.quarantined, result.triples = counts.get("offers", 0), counts.get("quarantined", 0), counts.get("triples", 0)

    server.reset()
    result.again = catalogue(config, "harvest", kind, "--timings")
    result.again_requests = sum(server.requests.values())
    result.again_304 = sum(server.not_modified.values())
    run = last_run(config, kind)
    result.again_source_s, result.again_outcome = run.get("seconds") or 0.0, run.get("outcome") or "?"

    if result.first.code or result.again.code:
        result.notes.append(f"exit status {result.first.code} / {result.again.code}:\n" + result.first.output[-1500:])
    if result.published < 0.9 * n * (1 - 0.04):
        result.notes.append(f"only {result.published} of {n} offers published:\n" + result.first.output[-1500:])
    return result


def print_table(n: int, results: list[Result], caps: dict[str, int], floor: float, server_url: str) -> None:
    print(f"\nN = {n:,} offers per kind (feeds served over HTTP from {server_url}; {os.cpu_count()} cores, shared)")
    head = ("kind", "N", "engine", "feed MiB", "first s", "offers/s", "published", "quarantined", "triples", "first req",
            "again s", "again src s", "again outcome", "again req", "again 304", "1 GET ms", "again/GET", "again src/GET")
    rows = []
    for r in results:
        assert r.first and r.again
        rows.append((
            r.kind, f"{r.n:,}", r.engine, f"{r.feed_bytes / 2**20:.1f}", f"{r.first.seconds:.1f}", f"{r.n / r.first.seconds:,.0f}",
            f"{r.published:,}", f"{r.quarantined:,}", f"{r.triples:,}", f"{r.first_requests:,}",
            f"{r.again.seconds:.2f}", f"{r.again_source_s:.2f}", r.again_outcome, f"{r.again_requests:,}", f"{r.again_304:,}",
            f"{r.get_s * 1000:.1f}", f"{r.again.seconds / r.get_s:,.0f}x", f"{r.again_source_s / r.get_s:,.0f}x",
        ))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) if i in (0, 2, 12) else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))))
    for row in rows:
        print("  ".join(c.ljust(w) if i in (0, 2, 12) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if len({r.engine for r in results}) > 1:
        print("ATTENTION: the kinds were validated with different SHACL engines (the code changed during the run?); "
              "validate times are not comparable across them.")
    print("engine = the SHACL engine the harvest validated with. first = first harvest, wall clock of the child process (offers/s = N / first s); published, quarantined, triples from "
          "`stats`; first req = HTTP requests it made. again = unchanged re-harvest: wall clock; src s = the pipeline's own "
          "seconds for the source (`sources`), without process start-up; req, 304 = requests it made, answered 304. "
          "1 GET = one plain requests.get of the entry document (median of 5); the last two columns divide by it.")
    print(f"command start-up floor (catalogue --config X sources, no harvest): {floor:.2f} s")
    print("stage split, first harvest (seconds, from --timings):")
    for r in results:
        print(f"  {r.kind:12} {timings(r.first.output)}")
    print("stage split, unchanged re-harvest:")
    for r in results:
        print(f"  {r.kind:12} {timings(r.again.output)}")
    for kind, cap in caps.items():
        if cap < n and any(r.kind == kind for r in results):
            print(f"CAPPED: {kind} was harvested with {cap:,} offers, not {n:,} (--cap {kind}={cap}); its row is for {cap:,} offers.")
    for r in results:
        for note in r.notes:
            print(f"ATTENTION {r.kind}: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--cap", action="append", default=[], metavar="KIND=M", help="harvest at most M offers of KIND (printed)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders (feeds, configurations, data) and print where")
    args = parser.parse_args()
    caps = {k: int(v) for k, v in (c.split("=", 1) for c in args.cap)}
    print(f"Harvest benchmark: kinds {', '.join(args.kinds)}; N {', '.join(f'{n:,}' for n in args.sizes)}; "
          f"code at commit {commit()} (plus any uncommitted changes)", flush=True)
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"harvest-{n}-"))
        try:
            everything = offers(n)
            with FeedServer(tmp / "feeds") as server:
                results = []
                for kind in args.kinds:
                    size = min(n, caps.get(kind, n))
                    print(f"  … {kind} at {size:,} offers", file=sys.stderr, flush=True)
                    try:
                        results.append(run_kind(kind, size, tmp, server, everything[:size]))
                    except RuntimeError as error:
                        print(f"FAILED {kind} at {size:,} offers: {error}", flush=True)
                floor = catalogue(tmp / f"run-{args.kinds[0]}" / "catalogue.toml", "sources").seconds
                print_table(n, results, caps, floor, server.base_url)
        finally:
            if args.keep:
                print(f"(kept {tmp})")
            else:
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
