"""Derivation: what filling in implied values costs a harvest, against the same harvest without it, in the same run.

For N (default 10,000) generated offers, benchmarks/feeds.py writes an XCRI-CAP feed twice:

* **rich**: as generated (fields of education, countries and languages stated), so derivation only
  looks and finds nothing missing: its fixed cost;
* **sparse**: the same feed with every ISCED-F subject replaced by a subject label only, and the
  provider's country left out (its postcode stays), as real UK feeds are: the rules fire for
  every offer (keyword matching of titles and subjects, the country from the postcode).

Each feed is harvested from a server on 127.0.0.1 by the real command in a child process, into a
fresh data folder, once with ``derive = false`` (the baseline) and once with derivation on, one
after the other, twice each (the medians are printed). Printed: the pipeline's own seconds for
the run (``sources --format json``, without process start-up), the ratio derivation / baseline
(the aim is under 1.10), offers published, and how many derived statements the records hold.

    .venv/bin/python benchmarks/derivation.py            # N = 10,000
    .venv/bin/python benchmarks/derivation.py 2000
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feeds import FeedServer, offers, xcri_feed  # noqa: E402
from harvest import BASE, catalogue, last_run  # noqa: E402

ROUNDS = 2


def sparse(feed: bytes) -> bytes:
    text = feed.decode("utf-8")
    text = re.sub(r'<dc:subject xsi:type="bench:ISCED-F-2013" identifier="(\d+)">ISCED-F \d+</dc:subject>', "", text)
    text = re.sub(r"<mlo:address>[^<]*</mlo:address>", "", text)
    return text.encode("utf-8")


def config(folder: Path, url: str, derive: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "catalogue.toml"
    path.write_text(
        f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n\n[store]\npath = "data/store"\n\n[validation]\nworkers = 0\n\n'
        f'[[sources]]\nid = "xcri-cap"\nname = "Benchmark feed"\nharvester = "xcri-cap"\nurl = "{url}"\n'
        f"max_megabytes = 200\nderive = {'true' if derive else 'false'}\n",
        encoding="utf-8",
    )
    return path


def harvest(folder: Path, url: str, derive: bool) -> tuple[float, int, int]:
    path = config(folder, url, derive)
    catalogue(path, "harvest", "xcri-cap")
    run = last_run(path, "xcri-cap")
    derived = catalogue(path, "query", "--format", "json", "SELECT (COUNT(*) AS ?n) WHERE { ?r mcc:derivation ?d }")
    count = int(json.loads(derived.output[derived.output.index("{"):])["results"]["bindings"][0]["n"]["value"])
    return float(run["seconds"]), int(run["published"]), count


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    items = offers(n)
    with tempfile.TemporaryDirectory(prefix="bench-derive-") as tmp:
        root = Path(tmp)
        (root / "feeds").mkdir()
        (root / "feeds" / "rich.xml").write_bytes(xcri_feed(items))
        (root / "feeds" / "sparse.xml").write_bytes(sparse(xcri_feed(items)))
        with FeedServer(root / "feeds") as server:
            print(f"Derivation cost, {n:,} offers in one XCRI-CAP feed, pipeline seconds (median of {ROUNDS}):")
            for variant in ("rich", "sparse"):
                url = f"{server.base_url}{variant}.xml"
                times: dict[bool, list[float]] = {False: [], True: []}
                published: dict[bool, int] = {}
                derived: dict[bool, int] = {}
                for number in range(ROUNDS):
                    for derive in (False, True):
                        seconds, published[derive], derived[derive] = harvest(root / f"{variant}-{derive}-{number}", url, derive)
                        times[derive].append(seconds)
                base, with_rules = statistics.median(times[False]), statistics.median(times[True])
                print(f"  {variant:6}  without {base:7.1f} s   with {with_rules:7.1f} s   ratio {with_rules / base:5.2f}   "
                      f"published {published[False]:,} / {published[True]:,}   derived statements {derived[True]:,}")


if __name__ == "__main__":
    main()
