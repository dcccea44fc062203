"""Validation speed: per-offer reports from the catalogue's validator against plain pyshacl.

For N = 1,000 and 10,000 generated offers (benchmarks/generate.py) it prints offers per second for:

* baseline: plain pyshacl, one call over the whole graph with the same shapes and
  the concepts the offers use (no per-offer reports), in a fresh process;
* cold (pyshacl engine): the catalogue's validator, per-offer reports, empty
  cache, all cores, validating with pyshacl (catalogue.validation.shacl);
* cold (rudof engine): the same with the rudof engine (catalogue.validation.rudof:
  the same findings, from pyrudof), when pyrudof is installed;
* warm (same file): the same bytes again, answered from the document cache;
* warm (1% changed): a file in which 1% of the offers changed, so 99% come
  from the offer cache and 1% are validated;

and each as a ratio to the baseline measured in the same run.

    python benchmarks/validate.py            # N = 1,000 and 10,000
    python benchmarks/validate.py 2000       # other sizes
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate import generate_document  # noqa: E402

BASE = "http://127.0.0.1:8000/"

BASELINE = """
import sys, time
from rdflib import Graph
import pyshacl
import pyoxigraph as ox
sys.path.insert(0, sys.argv[2])
from catalogue.resources import shape_files
from catalogue.vocab import load_vocabulary
shapes = Graph()
for path in shape_files():
    shapes.parse(path, format="turtle")
start = time.perf_counter()
data = Graph()
data.parse(sys.argv[1], format="turtle")
vocabulary = load_vocabulary()
for concept in {str(o) for o in data.objects() if vocabulary.is_concept(str(o))}:
    for t in vocabulary.membership_triples(concept):
        data.parse(data=str(t) + " .", format="nt")
conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
print(time.perf_counter() - start)
"""


def baseline_seconds(path: Path) -> float:
    """Plain pyshacl in a fresh interpreter (without the catalogue's pyshacl speed-ups)."""
    run = subprocess.run([sys.executable, "-c", BASELINE, str(path), str(HERE.parent)], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    return float(run.stdout.strip().splitlines()[-1])


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure(n: int, folder: Path) -> list[tuple[str, float, int]]:
    from catalogue.harvest.self_check import check_content
    from catalogue.validation.cache import ValidationCache
    from catalogue.validation.validator import (
        Validator,
        ValidatorSettings,
        resolve_engine,
    )

    content = generate_document(n)
    changed_content = generate_document(n, changed=frozenset(range(0, n, 100)))
    path = folder / f"offers-{n}.ttl"
    path.write_bytes(content)

    rows = [("baseline: plain pyshacl, whole graph", baseline_seconds(path), 0)]
    cache = ValidationCache(folder / f"cache-{n}.sqlite")
    with Validator(BASE, ValidatorSettings(cache=cache, engine="pyshacl")) as validator:
        validator.start_workers()
        seconds, result = timed(lambda: check_content(validator, content, "offers.ttl"))
        rows.append((f"cold (pyshacl engine): {validator._worker_count()} workers", seconds, sum(not r.cached for r in result.reports)))
        reference = [r.to_cache() for r in result.reports]
        seconds, result = timed(lambda: check_content(validator, content, "offers.ttl"))
        rows.append(("warm: same file again", seconds, sum(not r.cached for r in result.reports)))
        seconds, result = timed(lambda: check_content(validator, changed_content, "offers.ttl"))
        rows.append(("warm: 1% of offers changed", seconds, sum(not r.cached for r in result.reports)))
    try:
        resolve_engine("rudof")
    except ImportError:
        return rows
    with Validator(BASE, ValidatorSettings(cache=ValidationCache(folder / f"cache-rudof-{n}.sqlite"), engine="rudof")) as validator:
        validator.start_workers()
        seconds, result = timed(lambda: check_content(validator, content, "offers.ttl"))
        rows.insert(2, (f"cold (rudof engine): {validator._worker_count()} workers", seconds, sum(not r.cached for r in result.reports)))
        if [r.to_cache() for r in result.reports] != reference:
            raise RuntimeError("the rudof engine's reports differ from pyshacl's")
    return rows


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"Validation benchmark on {os.cpu_count()} cores (offers from benchmarks/generate.py, about 4% invalid)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows = measure(n, Path(tmp))
            base = rows[0][1]
            print(f"\nN = {n:,}")
            print(f"{'run':44} {'seconds':>9} {'offers/s':>10} {'x baseline':>11} {'validated':>10}")
            for name, seconds, validated in rows:
                speed = n / seconds
                print(f"{name:44} {seconds:9.2f} {speed:10,.0f} {base / seconds:11.1f} {validated if validated else '':>10}")


if __name__ == "__main__":
    main()
