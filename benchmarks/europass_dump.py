"""A generated Europass QDR dump, harvested: offers per second and peak memory, against Oxigraph's own bulk load
of the same files in the same run.

benchmarks/qdr_dump.py writes N offers (default 250,000) in N/1,000 Turtle files spread over 9 ZIP parts and a
DCAT catalogue listing them; a server on 127.0.0.1 serves them. Then, each in a child process (so its peak
resident memory is its own, read with getrusage):

* the floor: Oxigraph's bulk loader reading every member file of every part straight from the archives
  into a fresh on-disk store;
* the harvest: ``catalogue harvest`` of the dump (download, parse file by file, map, derive, validate, write,
  publish);
* the unchanged re-harvest (every archive answers 304).

Printed: seconds, offers per second, peak memory of each, and the ratios harvest / floor.

    .venv/bin/python benchmarks/europass_dump.py            # 250,000 offers
    .venv/bin/python benchmarks/europass_dump.py 25000
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from feeds import FeedServer  # noqa: E402
from harvest import BASE  # noqa: E402
from qdr_dump import write_dump  # noqa: E402

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


def child(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Seconds, peak resident memory (GiB) and output of a child process run on its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of them so far: a smaller later child does not show, so run the big ones last.
    return seconds, max(peak, before) / 1024 / 1024, done.stdout + done.stderr


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
            floor_s, floor_mem, out = child([sys.executable, "-c", FLOOR, str(root / "floor-store"), *map(str, dump.parts)], root)
            print(f"  floor, Oxigraph bulk load of the same files: {floor_s:7.1f} s, {int(out.split()[-1]):,} quads, peak {floor_mem:.2f} GiB")
            config = root / "catalogue.toml"
            config.write_text(
                f'[catalogue]\nbase = "{BASE}"\ndata_dir = "data"\n\n[store]\npath = "data/store"\n\n[validation]\nworkers = 0\n\n'
                f'[[sources]]\nid = "se"\nname = "Europass open data, Sweden"\nharvester = "europass-dump"\n'
                f'url = "{server.base_url}catalogue.ttl"\n', encoding="utf-8")
            harvest = [sys.executable, "-m", "catalogue", "--config", str(config), "harvest", "se", "--timings"]
            first_s, first_mem, out = child(harvest, root)
            stages = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Timings")]
            stats = json.loads(subprocess.run([sys.executable, "-m", "catalogue", "--config", str(config), "stats", "--format", "json"],
                                              cwd=root, capture_output=True, text=True).stdout)
            published = stats["sources"]["se"]["offers"]
            print(f"  harvest: {first_s:7.1f} s, {published:,} published ({published / first_s:,.0f} offers/s), peak {first_mem:.2f} GiB "
                  f"(process tree so far); {first_s / floor_s:.1f}x the floor's time")
            print("    stages: " + "; ".join(stages))
            again_s, _, out = child(harvest, root)
            print(f"  unchanged re-harvest: {again_s:7.1f} s ({out.strip().splitlines()[0][:100] if out.strip() else ''})")


if __name__ == "__main__":
    main()
