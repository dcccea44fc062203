"""The full dumps of a published generation, written graph by graph so unchanged graphs are reused.

Two dumps, each one gzip file:

* ``catalogue.nq.gz``: N-Quads, every public graph (vocabulary, source graphs, records graphs)
  with its name; quarantine and provenance are not in it.
* ``catalogue.ttl.gz``: Turtle, the triples of the same graphs without their names, that is the
  endpoint's default graph. A triple held by two public graphs is written twice (once per graph),
  so read as an RDF graph it gives the default graph's distinct triples.

Each graph is compressed on its own into a part (``parts/``), a complete gzip file whose deflate
stream ends with a sync flush and an empty final block. A dump is one gzip member made by joining
the parts' deflate streams (each part byte-aligned and without its final block), with one final
block and a trailer whose CRC-32 is combined from the parts' (``_crc32_combine``, zlib's method).
So every client reads the whole dump: ``curl --compressed`` and some other HTTP clients stop
after the first member of a multi-member gzip stream, and a dump is one member.

A part is named by what its graph holds: a source graph by the IRIs and content hashes of its
offers, a records graph by its offers' record fingerprints, the vocabulary by the rules in force.
When a harvest changed a few sources, the parts of every other graph are taken from the previous
generation (hard links) instead of being serialized and compressed again, so publishing costs
what changed rather than the whole catalogue.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from catalogue.resources import code_fingerprint
from catalogue.store.base import CatalogueStore, export_prefixes
from catalogue.store.graph_text import (
    GraphTexts,
    line_blocks,
    ntriples_as_nquads,
    offers_key,
    stamp_key,
)
from catalogue.worker_watchdog import watch_parent
from catalogue.worker_window import in_order

DUMPS = (("catalogue.nq.gz", "nquads"), ("catalogue.ttl.gz", "turtle"))
MEDIA_TYPES = {"nquads": "application/n-quads", "turtle": "text/turtle", "ntriples": "application/n-triples"}
PARTS = "parts"
LEVEL = 6
# A gzip header without name, time or extra fields (so equal content gives equal bytes), and the end of
# every part's deflate stream: an empty stored block from the sync flush, then an empty final block.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
SYNC_END = b"\x00\x00\xff\xff"
FINAL_BLOCK = b"\x03\x00"
TRAILER = 8


def graph_fingerprints(store: CatalogueStore, listing: Iterable[tuple[str, str, str | None]],
                       in_hand: dict[str, list[ox.Triple]] | None = None) -> dict[str, str]:
    """A fingerprint of each public graph's content, from the offer listing (``offer_data.offer_listing``).

    A source graph holds exactly its published offers' statements, so the offers' content hashes
    name it; a records graph holds one record per offer, named by the record fingerprints; a graph
    with an offer whose record is missing gets no fingerprint and is always written afresh. A graph
    whose statements are ``in_hand`` (the statistics) is named by them."""
    rules = code_fingerprint("catalogue.store.base", "catalogue.store.oxigraph", "catalogue.publish.dumps")  # the export code decides the bytes of every part
    found = {store.vocabulary_graph: _digest(["vocabulary", rules])}
    for source, offers in _recorded_offers(listing).items():
        found[store.source_graph(source)] = _digest(["source", rules] + [f"{iri} {fp.split()[0]}" for iri, fp in offers])
        found[store.records_graph(source)] = _digest(["records", rules] + [f"{iri} {fp}" for iri, fp in offers])
    for graph, triples in (in_hand or {}).items():
        found[graph] = _digest([graph, rules] + sorted(str(t) for t in triples))
    return found


def kept_texts(store: CatalogueStore, listing: Iterable[tuple[str, str, str | None]], texts: GraphTexts,
               stamps: dict[str, str] | None = None) -> dict[str, Path]:
    """The graphs whose N-Triples their last write kept (``store.graph_text``): graph -> the copy, read instead of
    the store. A source graph's copy is the one with the offers the listing publishes; a records graph's, the one
    under the graph's stamp in ``stamps`` (the stamps of the store the publish was made from; none for a store
    that keeps none)."""
    listing = list(listing)
    found = {}
    for source, offers in _recorded_offers(listing).items():
        graph = store.source_graph(source)
        path = texts.find(graph, offers_key((iri, fingerprint.split()[0]) for iri, fingerprint in offers))
        if path is not None:
            found[graph] = path
    for source in {source for _, source, _ in listing}:
        graph = store.records_graph(source)
        if stamps and graph in stamps and (path := texts.find(graph, stamp_key(stamps[graph]))) is not None:
            found[graph] = path
    return found


def _recorded_offers(listing: Iterable[tuple[str, str, str | None]]) -> dict[str, list[tuple[str, str]]]:
    """Per source, its offers' (IRI, record fingerprint), sorted; a source with an offer whose record is missing is
    left out (its graphs cannot be named by their offers)."""
    by_source: dict[str, list[tuple[str, str | None]]] = {}
    for iri, source, fingerprint in listing:
        by_source.setdefault(source, []).append((iri, fingerprint))
    return {source: sorted(offers) for source, offers in by_source.items()  # type: ignore[misc]
            if all(fingerprint is not None for _, fingerprint in offers)}


@dataclass(frozen=True)
class Part:
    """One part of a dump: what it holds (a key naming its content, None when unknown) and how to write it."""

    key: str | None
    write: Callable[[BinaryIO], int]  # serialises the part's statements to a binary file, returns how many


@dataclass(frozen=True)
class GraphPart:
    """A part made from one public graph's N-Triples, the same reading of the store the full dumps' parts of that
    graph are made from (reading the store is the slow part)."""

    key: str | None
    graph: str
    # From the graph's N-Triples file to a binary file, returns how many; a module's function, which a worker process
    # can be handed.
    write: Callable[[Path, BinaryIO], int]


@dataclass(frozen=True)
class ExtraDump:
    """A dump besides the full ones (a subset such as the Europass-ready offers), made of parts."""

    format: str
    parts: list[Part | GraphPart]
    title: str
    holds: str


def write_dumps(
    store: CatalogueStore,
    folder: Path,
    fingerprints: dict[str, str],
    previous: Path | None = None,
    extra: dict[str, ExtraDump] | None = None,
    kept: dict[str, Path] | None = None,
    workers: int = 1,
) -> tuple[dict[str, dict], int]:
    """Write the dumps of ``store``'s public view, and the ``extra`` dumps, into ``folder``, reusing parts of
    ``previous`` (a generation's dumps folder) and reading a graph from its ``kept`` N-Triples (``kept_texts``)
    rather than the store where there is one. Returns what each dump is, and how many parts were reused.

    With ``workers`` of 2 or more, the parts made from graphs are serialized and compressed by that many worker
    processes, a graph at a time, while this process reads the next graphs' N-Triples; the bytes are the same."""
    parts = folder / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    earlier = _manifest(previous / PARTS) if previous is not None else {}
    manifest: dict[str, dict[str, int]] = {}
    written = {}
    reused = 0
    copies = {graph: _GraphText(store, graph, parts, (kept or {}).get(graph)) for graph in store.public_graphs()}
    extras = extra or {}
    formats = dict(DUMPS) | {name: dump.format for name, dump in extras.items()}
    sizes = {name: len(copies) for name in dict(DUMPS)} | {name: len(dump.parts) for name, dump in extras.items()}
    # What each part is made by: a graph's N-Triples (both full dumps' parts, and an extra dump's GraphPart), which
    # is read once for all the parts made from it, or a Part's own writer. (dump, position in the dump, key, maker):
    planned: list[tuple[str, int, str | None, _FromLines | Callable[[BinaryIO], int]]] = []
    for position, graph in enumerate(copies):
        planned.extend((name, position, f"{graph} {fmt} {fingerprints[graph]}" if fingerprints.get(graph) else None,
                        _FromLines(graph, fmt)) for name, fmt in DUMPS)
        planned.extend((name, n, part.key, _FromLines(graph, part.write)) for name, dump in extras.items()
                       for n, part in enumerate(dump.parts) if isinstance(part, GraphPart) and part.graph == graph)
    for name, dump in extras.items():
        for n, part in enumerate(dump.parts):
            if isinstance(part, Part):
                planned.append((name, n, part.key, part.write))
            elif part.graph not in copies:  # not public: read for this part alone
                copies[part.graph] = _GraphText(store, part.graph, parts)
                planned.append((name, n, part.key, _FromLines(part.graph, part.write)))
    chosen: dict[tuple[str, int], str] = {}
    from_graphs: dict[str, list[tuple[str, _FromLines]]] = {}  # graph -> (member, maker) still to write
    by_writer: list[tuple[str, Callable[[BinaryIO], int]]] = []
    to_write: set[str] = set()
    for name, index, key, maker in planned:
        member = f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.gz" if key else None
        if member and member in earlier and _reusable(previous / PARTS / member, earlier[member]) \
                and _link(previous / PARTS / member, parts / member):  # type: ignore[operator]
            manifest[member] = earlier[member]
            reused += 1
        elif member is None or (member not in manifest and member not in to_write):  # the same content twice: written once
            member = member or f"fresh-{len(chosen)}-{formats[name]}.gz"
            to_write.add(member)
            if isinstance(maker, _FromLines):
                from_graphs.setdefault(maker.graph, []).append((member, maker))
            else:
                by_writer.append((member, maker))
        chosen[(name, index)] = member
    try:
        for member, write in by_writer:
            manifest[member] = _write_part(parts / member, write)
        for graph, entries in _graph_parts(from_graphs, copies, parts, workers):
            manifest.update(entries)
            copies[graph].remove()
    finally:
        for copy in copies.values():
            copy.remove()
    members = {name: [chosen[(name, n)] for n in range(size)] for name, size in sizes.items()}
    for name, fmt in formats.items():
        written[name] = _join(folder / name, parts, members[name], manifest)
        written[name]["format"] = fmt
        written[name]["media type"] = MEDIA_TYPES[fmt]
        if name in extras:
            written[name]["title"] = extras[name].title
            written[name]["holds"] = extras[name].holds
    (parts / "manifest.json").write_text(json.dumps({m: n for m, n in manifest.items() if not m.startswith("fresh-")}), encoding="utf-8")
    for stale in (p for p in parts.iterdir() if p.name.startswith("fresh-")):
        stale.unlink()
    return written, reused


@dataclass(frozen=True)
class _FromLines:
    """A part made from a graph's N-Triples: in N-Quads or Turtle, or by a GraphPart's writer (a module's function,
    so that a worker process can be handed it)."""

    graph: str
    make: str | Callable[[Path, BinaryIO], int]

    def write(self, lines: Path, out: BinaryIO) -> int:
        if self.make == "nquads":
            return ntriples_as_nquads(lines, self.graph, out)
        if self.make == "turtle":
            ox.serialize(ox.parse(path=str(lines), format=ox.RdfFormat.N_TRIPLES), out, ox.RdfFormat.TURTLE, prefixes=export_prefixes())
            return _lines_in(lines)
        return self.make(lines, out)  # type: ignore[operator]


def _graph_parts(from_graphs: dict[str, list[tuple[str, _FromLines]]], copies: dict[str, _GraphText], folder: Path,
                 workers: int) -> Iterator[tuple[str, dict[str, dict[str, int]]]]:
    """(graph, manifest entries of its parts) for each graph with parts to write, each graph's N-Triples read here
    (from the store, or the kept copy) as it is handed out; its parts are written here or by ``workers`` processes."""
    def arguments(graph: str) -> tuple[Path, list[tuple[Path, _FromLines]]]:
        return copies[graph].path_of_lines(), [(folder / member, maker) for member, maker in from_graphs[graph]]

    if workers < 2 or len(from_graphs) < 2:
        for graph in from_graphs:
            yield graph, _write_graph_parts(*arguments(graph))
        return
    # forkserver, not fork: the publishing process holds an open store, whose threads a fork would not carry over.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
        # A graph or two waiting per worker: enough to keep them busy while this process reads the store, and each
        # waiting graph's N-Triples are a file on disk.
        yield from in_order(pool, _write_graph_parts, from_graphs, arguments, workers)


def _start_worker(owner: int) -> None:
    watch_parent(owner=owner)  # a publish killed outright must not leave its workers behind


def _write_graph_parts(lines: Path, parts: list[tuple[Path, _FromLines]]) -> dict[str, dict[str, int]]:
    """Write each part made from one graph's N-Triples ``lines``; their manifest entries by member name."""
    return {target.name: _write_part(target, lambda out, maker=maker: maker.write(lines, out)) for target, maker in parts}


def _write_part(target: Path, write: Callable[[BinaryIO], int]) -> dict[str, int]:
    with target.open("wb") as handle:
        part = _PartWriter(handle)
        statements = write(part)
        return {"statements": statements, **part.finish()}


def _lines_in(path: Path) -> int:
    return sum(block.count(b"\n") for block in line_blocks(path))


class _GraphText:
    """One graph's statements as N-Triples in a file beside the parts, read from the store once (on first use) for
    every part made from it: reading the store is the slow part (about 3 µs a statement on disk), and N-Quads,
    Turtle and the Europass subset are all made from the same lines."""

    def __init__(self, store: CatalogueStore, graph: str, folder: Path, kept: Path | None = None):
        self.store, self.graph, self.folder = store, graph, folder
        self.kept = kept  # the graph's N-Triples as its last write left them: read instead of the store
        self.path: Path | None = None

    def path_of_lines(self) -> Path:
        """The N-Triples file, one statement a line (the kept copy, or Oxigraph's own dump of the graph)."""
        if self.path is None and self.kept is not None:
            self.path = self.kept
        if self.path is None:
            handle, name = tempfile.mkstemp(prefix="graph-", suffix=".nt", dir=self.folder)
            self.path = Path(name)
            with os.fdopen(handle, "wb") as out:
                self.store.write_ntriples(self.graph, out)
        return self.path

    def remove(self) -> None:
        if self.path is not None and self.path != self.kept:  # the kept copy is the harvest's: it stays for the next write
            self.path.unlink(missing_ok=True)
        self.path = None


class _PartWriter:
    """A binary file for the serializer: compresses what it is given into one part (a complete gzip file)."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.crc = 0
        self.size = 0
        handle.write(GZIP_HEADER)

    def write(self, data) -> int:
        data = bytes(data)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.handle.write(self.compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        pass

    def finish(self) -> dict[str, int]:
        self.handle.write(self.compressor.flush(zlib.Z_SYNC_FLUSH))
        self.handle.write(self.compressor.flush(zlib.Z_FINISH))  # the empty final block, FINAL_BLOCK
        self.handle.write(struct.pack("<II", self.crc, self.size & 0xFFFFFFFF))
        return {"crc32": self.crc, "size": self.size}


def _join(target: Path, parts: Path, members: list[str], manifest: dict[str, dict[str, int]]) -> dict:
    """One gzip member from the parts' deflate streams; what the dump is (bytes, SHA-256, statements, size)."""
    digest = hashlib.sha256()
    crc = size = 0
    with target.open("wb") as out:

        def emit(block: bytes) -> None:
            digest.update(block)
            out.write(block)

        emit(GZIP_HEADER)
        for member in members:
            info = manifest[member]
            with (parts / member).open("rb") as part:
                remaining = os.fstat(part.fileno()).st_size - len(GZIP_HEADER) - len(FINAL_BLOCK) - TRAILER
                part.seek(len(GZIP_HEADER))
                while remaining > 0:
                    block = part.read(min(remaining, 1 << 20))
                    if not block:
                        raise OSError(f"The dump part {part.name} ended early.")
                    remaining -= len(block)
                    emit(block)
            crc = _crc32_combine(crc, info["crc32"], info["size"])
            size += info["size"]
        emit(FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF))
    return {"bytes": target.stat().st_size, "sha256": digest.hexdigest(), "uncompressed bytes": size,
            "statements": sum(manifest[m]["statements"] for m in members)}


def _reusable(path: Path, info: object) -> bool:
    """Whether an earlier part can be joined as it is: its manifest entry is whole and its end is as written."""
    if not isinstance(info, dict) or not all(isinstance(info.get(k), int) for k in ("statements", "crc32", "size")):
        return False
    try:
        with path.open("rb") as part:
            part.seek(-(len(SYNC_END) + len(FINAL_BLOCK) + TRAILER), os.SEEK_END)
            end = part.read()
    except OSError:
        return False
    return end == SYNC_END + FINAL_BLOCK + struct.pack("<II", info["crc32"], info["size"] & 0xFFFFFFFF)


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from the CRC-32 of A, the CRC-32 of B and the length of B (zlib's crc32_combine)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:
        even = _square(odd)  # apply zeros: one byte at the first pass, then 2, 4, 8... bytes
        if length2 & 1:
            crc1 = _times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _square(even)
        if length2 & 1:
            crc1 = _times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def _times(matrix: list[int], vector: int) -> int:
    total = 0
    row = 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, matrix[n]) for n in range(32)]


def _manifest(parts: Path) -> dict[str, dict[str, int]]:
    try:
        found = json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


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
