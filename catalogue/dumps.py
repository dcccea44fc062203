"""The full dumps of a published generation, written graph by graph so unchanged graphs are reused.

Each dump (N-Quads and Turtle, gzipped) is the concatenation of one gzip member per public graph
(a file of several members is one valid gzip stream: ``gzip -d``, ``zcat``, Python's ``gzip`` and
the usual libraries read it whole). A member is named by what its graph holds: a source graph by
the IRIs and content hashes of its offers, a records graph by its offers' record fingerprints, the
vocabulary by the rules in force. When a harvest changed a few sources, the members of every other
graph are taken from the previous generation (hard links) instead of being serialized and
compressed again, so publishing costs what changed rather than the whole catalogue.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from .resources import code_fingerprint
from .store import CatalogueStore

DUMPS = (("catalogue.nq.gz", "nquads"), ("catalogue.ttl.gz", "turtle"))
PARTS = "parts"


def graph_fingerprints(store: CatalogueStore, listing: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """A fingerprint of each public graph's content, from the offer listing (``offer_data.offer_listing``).

    A source graph holds exactly its published offers' statements, so the offers' content hashes
    name it; a records graph holds one record per offer, named by the record fingerprints; a graph
    with an offer whose record is missing gets no fingerprint and is always written afresh."""
    by_source: dict[str, list[tuple[str, str | None]]] = {}
    for iri, source, fingerprint in listing:
        by_source.setdefault(source, []).append((iri, fingerprint))
    rules = code_fingerprint("store.py", "dumps.py")  # the export code decides the bytes of every member
    found = {store.vocabulary_graph: _digest(["vocabulary", rules])}
    for source, offers in by_source.items():
        if any(fingerprint is None for _, fingerprint in offers):
            continue
        offers.sort()
        found[store.source_graph(source)] = _digest(["source", rules] + [f"{iri} {fp.split()[0]}" for iri, fp in offers])  # type: ignore[union-attr]
        found[store.records_graph(source)] = _digest(["records", rules] + [f"{iri} {fp}" for iri, fp in offers])
    return found


def write_dumps(store: CatalogueStore, folder: Path, fingerprints: dict[str, str], previous: Path | None = None) -> tuple[dict[str, dict], int]:
    """Write the dumps of ``store``'s public view into ``folder``, reusing members of ``previous`` (a
    generation's dumps folder). Returns what each dump is, and how many members were reused."""
    parts = folder / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    earlier = _manifest(previous / PARTS) if previous is not None else {}
    manifest: dict[str, int] = {}
    written = {}
    reused = 0
    graphs = store.public_graphs()
    for name, fmt in DUMPS:
        members = []
        for graph in graphs:
            fingerprint = fingerprints.get(graph)
            member = f"{hashlib.sha256(f'{graph} {fmt} {fingerprint}'.encode()).hexdigest()[:32]}.gz" if fingerprint else None
            if member and member in earlier and _link(previous / PARTS / member, parts / member):  # type: ignore[operator]
                manifest[member] = earlier[member]
                reused += 1
            else:
                member = member or f"fresh-{len(manifest)}-{fmt}.gz"
                with gzip.open(parts / member, "wb", compresslevel=6) as handle:
                    manifest[member] = store.export(handle, fmt, graphs=[graph])
            members.append(member)
        target = folder / name
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for member in members:
                with (parts / member).open("rb") as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        written[name] = {"format": fmt, "bytes": target.stat().st_size, "sha256": digest.hexdigest(),
                         "statements": sum(manifest[m] for m in members)}
    (parts / "manifest.json").write_text(json.dumps({m: n for m, n in manifest.items() if not m.startswith("fresh-")}), encoding="utf-8")
    for stale in (p for p in parts.iterdir() if p.name.startswith("fresh-")):
        stale.unlink()
    return written, reused


def _manifest(parts: Path) -> dict[str, int]:
    try:
        return json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except FileExistsError:
        return True
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError:
            return False
    return True


def _digest(items: list[str]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.encode("utf-8") + b"\n")
    return digest.hexdigest()[:24]

