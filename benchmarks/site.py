"""Guidance-site build speed for 1,000 and 10,000 offers, full and incremental.

The offers come from benchmarks/generate.py, harvested through the real pipeline
(rdf harvester, validation, store, published generation). For each size it prints:

* full build: an empty output folder, every page of both languages rendered and
  written (the baseline: what a non-incremental generator does after any change);
* no change: the same generation built again into the same folder;
* one offer changed: one offer's title edited at the source, harvested again, and
  the site rebuilt: only that offer's two pages and the listings that show it;

with files written, seconds, and the time as a share of the full build in the same run.
Page weight (average offer page, CSS, JS, search index) is printed too.

    python benchmarks/site.py            # N = 1,000 and 10,000
    python benchmarks/site.py 2000
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate import generate_document  # noqa: E402

BASE = "http://127.0.0.1:8000/"


def harvest(config_path: Path) -> None:
    from click.testing import CliRunner

    from catalogue.cli.commands import main

    result = CliRunner().invoke(main, ["--config", str(config_path), "harvest"], catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(result.output)


def build(config_path: Path, out: Path):
    from catalogue.config import load_config
    from catalogue.site.builder import SiteBuilder

    started = time.perf_counter()
    report = SiteBuilder(load_config(config_path), out).build()
    return time.perf_counter() - started, report


def measure(n: int, folder: Path) -> None:
    feed = folder / "offers.ttl"
    feed.write_bytes(generate_document(n))
    config_path = folder / "catalogue.toml"
    config_path.write_text(
        f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n[validation]\nworkers = 0\n'
        f'[[sources]]\nid = "bench"\nname = "Benchmark provider feed"\nharvester = "rdf"\nurl = "{feed.as_posix()}"\n',
        encoding="utf-8",
    )
    started = time.perf_counter()
    harvest(config_path)
    harvest_seconds = time.perf_counter() - started
    out = folder / "site"

    full_seconds, full = build(config_path, out)
    same_seconds, same = build(config_path, out)
    feed.write_bytes(generate_document(n, changed=frozenset({n // 2})))
    harvest(config_path)
    one_seconds, one = build(config_path, out)

    offer_pages = list((out / "en" / "offer" / "bench").glob("*.html"))
    average = sum(p.stat().st_size for p in offer_pages[:200]) / max(1, min(200, len(offer_pages)))
    index = sum(f.stat().st_size for f in (out / "pagefind").rglob("*") if f.is_file())  # both languages (Pagefind)
    assets = sum((out / "assets" / name).stat().st_size for name in ("site.css", "search.js", "compare.js"))
    print(f"\nN = {n:,} offers ({full.offers:,} published; harvest and validation took {harvest_seconds:.1f} s)")
    print(f"{'build':34} {'seconds':>8} {'offer pages':>12} {'files written':>14} {'share of full':>14}")
    for name, seconds, report in (("full build (baseline)", full_seconds, full), ("no change", same_seconds, same),
                                  ("one offer changed", one_seconds, one)):
        print(f"{name:34} {seconds:8.2f} {report.offers_rendered:12,} {report.written:14,} {seconds / full_seconds:13.1%}")
    print(f"full build: {full.offers * 2 / full_seconds:,.0f} offer pages/s; "
          f"average offer page {average / 1024:.1f} KiB; CSS+JS {assets / 1024:.1f} KiB; search index (Pagefind, on disk) {index / 1024:.0f} KiB")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"Site build benchmark on {os.cpu_count()} cores (offers from benchmarks/generate.py)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            measure(n, Path(tmp))


if __name__ == "__main__":
    main()
