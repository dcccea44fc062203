"""A generated Europass QDR dump, harvested: offers per second and peak memory, against Oxigraph's own bulk load
of the same files in the same run.

benchmarks/qdr_dump.py writes N offers (default 250,000) in N/1,000 Turtle files spread over 9 ZIP parts and a
DCAT catalogue listing them; a server on 127.0.0.1 serves them. Then, each in a child process whose peak is the
resident memory of its whole process tree (validation workers included), sampled every 0.2 s:

* the floor: Oxigraph's bulk loader reading every member file of every part straight from the archives
  into a fresh on-disk store;
* the harvest: ``catalogue harvest --no-publish`` of the dump (download, parse file by file, map, derive,
  validate, write), the part whose memory the batched pipeline bounds;
* the publish: ``catalogue publish`` (snapshot, dumps, search index), which still reads the whole store;
* the unchanged re-harvest (every archive answers 304).

Printed: seconds, offers per second, peak memory of each, and the ratios harvest / floor.

    .venv/bin/python benchmarks/europass_dump.py            # 250,000 offers
    .venv/bin/python benchmarks/europass_dump.py 25000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from feeds import FeedServer  # noqa: E402
from harvest import BASE  # noqa: E402
from qdr_dump import write_dump  # noqa: E402
from scale import catalogue, measure, timings  # noqa: E402

FLOOR = """
import sys, zipfile, pyoxigraph as ox
store = ox.Store(sys.argv[1])
for part in sys.argv[2:]:
    with zipfile.ZipFile(part) as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                store.bulk_load(member, format=ox.RdfFormat.TURTLE)
print(len(store))
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
    with tempfile.TemporaryDirectory(prefix="bench-qdr-") as tmp:
        root = Path(tmp)
        with FeedServer(root / "served") as server:
            (root / "served").mkdir(exist_ok=True)
            dump = write_dump(root / "served", n, files=max(1, n // 1000), parts=9, base_url=server.base_url)
            size = sum(p.stat().st_size for p in dump.parts) / 1024 / 1024
            print(f"Europass dump: {dump.released:,} released offers, {dump.drafts:,} drafts, {dump.qualification_offers:,} "
                  f"filed as qualifications, in {max(1, n // 1000)} files, {len(dump.parts)} ZIP parts, {size:.0f} MB")
            floor = measure([sys.executable, "-c", FLOOR, str(root / "floor-store"), *map(str, dump.parts)], cwd=root)
            print(f"  floor, Oxigraph bulk load of the same files: {floor.seconds:7.1f} s, {int(floor.output.split()[-1]):,} quads, "
                  f"peak {gib(floor.peak_bytes):.2f} GiB")
            config = root / "catalogue.toml"
            config.write_text(
                f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n\n[store]\npath = "data/store"\n\n[validation]\nworkers = 0\n\n'
                f'[[sources]]\nid = "se"\nname = "Europass open data, Sweden"\nharvester = "europass-dump"\n'
                f'url = "{server.base_url}catalogue.ttl"\n', encoding="utf-8")
            harvest = catalogue(config, "harvest", "se", "--timings", "--no-publish")
            stats = json.loads(subprocess.run([sys.executable, "-m", "catalogue", "--config", str(config), "stats", "--format", "json"],
                                              cwd=root, capture_output=True, text=True).stdout)
            published = stats["sources"]["se"]["offers"]
            print(f"  harvest (download, parse, map, derive, validate, write): {harvest.seconds:7.1f} s, {published:,} published "
                  f"({published / harvest.seconds:,.0f} offers/s), peak {gib(harvest.peak_bytes):.2f} GiB (process tree); "
                  f"{harvest.seconds / floor.seconds:.1f}x the floor's time")
            print("    stages: " + timings(harvest.output))
            publish = catalogue(config, "publish", "--timings")
            print(f"  publish (snapshot, dumps, search index): {publish.seconds:7.1f} s, peak {gib(publish.peak_bytes):.2f} GiB")
            print("    stages: " + timings(publish.output).replace("publish: ", ""))
            again = catalogue(config, "harvest", "se")
            print(f"  unchanged re-harvest: {again.seconds:7.1f} s, peak {gib(again.peak_bytes):.2f} GiB")


def gib(size: int) -> float:
    return size / 1024 ** 3


if __name__ == "__main__":
    main()
