"""The N-Triples of the graphs a harvest writes (a source graph, its records and quarantine) as the last write left
them, kept so that neither the dumps nor the next write need read them back from the store.

Reading a graph back from the store costs about 3 µs a statement on disk whatever the API; it was more than half
of writing the dumps after a harvest, and most of writing a source of which a few offers changed (the write
compares the whole new content with the whole current one). The write has the graph's new content in hand
(sorted on disk for a large source, in memory for a small one), so it keeps a copy as N-Triples, named by the
graph and by the published offers it holds: their IRIs and content hashes (``offers_key``). A source graph holds
exactly the statements of its published offers, so the same offers with the same hashes are the same statements:
the dumps find the copy by the key of the published listing, the next write by the key of the records it starts
from, and either reads the store when no copy has that key (one from before a later write, or none). Only the
embedded store is written by the catalogue alone, so only its writes take a copy for the store's content. A copy
stays until the next write of its graph; at 100,000 offers the copies took 0.7 GB beside a 2.1 GB store.

The records and quarantine graphs are not named by their offers (a record says when it was harvested, and a publish
writes each offer's time status into it), so their copies are named by the graph's version stamp
(``graph_versions``): any write of the graph gives it a new stamp, and a copy under an old stamp is never found; the
publish's status writes change the copy as they change the graph (``patch``). They add half as much again (97 MB
beside the source graphs' 195 MB at 28,800 offers).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox


def stamp_key(stamp: str) -> str:
    """The key of a copy of a graph as its version stamp (``graph_versions``) says it is: the records and
    quarantine graphs, which a write leaves with a new stamp, and which nothing names by their offers."""
    return f"stamp-{stamp}"


def offers_key(offers: Iterable[tuple[str, str]]) -> str:
    """The key of a graph holding these published offers: (offer IRI, content hash) pairs, in any order."""
    digest = hashlib.sha256()
    for iri, content_hash in sorted(offers):
        digest.update(f"{iri} {content_hash}\n".encode("utf-8"))
    return digest.hexdigest()[:32]


class GraphTexts:
    """Kept N-Triples copies of graphs in ``folder``, one per graph: ``<graph digest>-<offers key>.nt``."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> GraphTexts:
        """The copies of a catalogue's graphs: the harvest keeps them there, the publish reads them from there."""
        return cls(data_dir / "graph-text")

    def _name(self, graph: str) -> str:
        return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:24]

    def path(self, graph: str, key: str) -> Path:
        return self.folder / f"{self._name(graph)}-{key}.nt"

    def find(self, graph: str, key: str | None) -> Path | None:
        """The copy of ``graph`` holding the offers ``key`` names, if one was kept."""
        if key is None:
            return None
        path = self.path(graph, key)
        return path if path.is_file() else None

    def keep_lines(self, keys: dict[str, str], nquads: Path) -> None:
        """Keep each graph's lines of a sorted, de-duplicated N-Quads file (the staged content) as N-Triples, under
        its key (``keys``: graph -> key), reading the file once."""
        with contextlib.ExitStack() as stack:
            outs = {f" <{graph}> .\n".encode("utf-8"): stack.enter_context(self._writing(graph, key))
                    for graph, key in keys.items()}
            with nquads.open("rb") as lines:
                for line in lines:
                    # N-Quads escapes line breaks in literals, so a line's graph is its last term.
                    suffix = line[line.rfind(b" <", 0, len(line) - 3):]
                    out = outs.get(suffix)
                    if out is not None:
                        out.write(line[: -len(suffix)] + b" .\n")

    def keep_triples(self, contents: dict[str, tuple[str, Iterable[ox.Triple]]]) -> None:
        """Keep each graph's whole new content, held in memory (graph -> (key, triples)), as N-Triples."""
        for graph, (key, triples) in contents.items():
            with self._writing(graph, key) as out:
                ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)

    def patch(self, graph: str, before: dict[str, str] | None, after: dict[str, str] | None,
              removed: Iterable[ox.Triple], added: Iterable[ox.Triple]) -> None:
        """After a change of ``graph`` (statements ``removed`` and ``added``) took its stamp from ``before`` to
        ``after``: the copy kept under the old stamp, changed the same way, under the new one. A publish gives
        every record its time status, and without this the records graphs' copies would not outlive it."""
        old, new = (before or {}).get(graph), (after or {}).get(graph)
        path = self.find(graph, stamp_key(old)) if old and new else None
        if path is None:
            return
        drop = {f"{t.subject} {t.predicate} {t.object} .\n".encode("utf-8") for t in removed}
        add = {f"{t.subject} {t.predicate} {t.object} .\n".encode("utf-8") for t in added}
        try:
            with self._writing(graph, stamp_key(new)) as out, path.open("rb") as lines:
                for line in lines:
                    if line not in drop:
                        add.discard(line)  # already held: the store holds it once
                        out.write(line)
                out.write(b"".join(sorted(add)))
        except OSError:
            self.forget(graph)  # the next write and the dumps read the graph from the store

    def forget(self, graph: str) -> None:
        """Remove every copy of ``graph`` (a new one replaces them, or none could be written)."""
        if self.folder.is_dir():
            for old in self.folder.glob(f"{self._name(graph)}-*.nt"):
                old.unlink(missing_ok=True)

    def keep_only(self, graphs: Iterable[str]) -> None:
        """Remove the copies of every graph but ``graphs`` (the sources the catalogue still has)."""
        names = {self._name(graph) for graph in graphs}
        if self.folder.is_dir():
            for old in self.folder.glob("*.nt"):
                if old.name.split("-", 1)[0] not in names:
                    old.unlink(missing_ok=True)

    @contextmanager
    def _writing(self, graph: str, key: str) -> Iterator[BinaryIO]:
        """A new copy of ``graph``, written beside the others and then put in place of them, so that a copy on disk
        is always whole."""
        target = self.path(graph, key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with tmp.open("wb") as out:
                yield out
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.forget(graph)
        tmp.replace(target)


def line_blocks(path: Path, size: int = 8 << 20) -> Iterator[bytes]:
    """The file at ``path`` in blocks of about ``size`` bytes, each ending with a whole line."""
    with path.open("rb") as lines:
        while block := lines.read(size):
            yield block + lines.readline()


def ntriples_as_nquads(path: Path, graph: str, out: BinaryIO) -> int:
    """Write the lines of an N-Triples file to ``out`` as N-Quads in ``graph``; returns how many."""
    count = 0
    for block in line_blocks(path):
        count += block.count(b"\n")
        out.write(in_graph(block, graph))
    return count


def in_graph(ntriples: bytes, graph: str) -> bytes:
    """Whole lines of N-Triples as the N-Quads lines of ``graph`` that Oxigraph's writer makes of the same quads. A line
    ends with " .\n" and nowhere else (N-Triples escapes line breaks inside literals), so the graph goes before each
    such end: one pass in C, where building each line in Python cost about 2 µs a statement."""
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode("utf-8"))


@dataclass(frozen=True)
class KeptText:
    """Which graph's new content a write keeps a copy of, under which offers key (the write keeps copies of the other
    graphs it writes too, under their stamps: ``CatalogueStore.write_staged``)."""

    texts: GraphTexts
    graph: str
    key: str  # the offers the new content holds
    current_key: str | None = None  # the offers the store holds now: a copy of that content is read instead of the store

    def current(self) -> Path | None:
        """The kept copy of what the store holds now in ``graph``, if there is one."""
        return self.texts.find(self.graph, self.current_key)

    def save(self, write: Callable[[GraphTexts], None], graphs: list[str] | None = None) -> None:
        """Run ``write``, which keeps copies of ``graphs`` (default: this graph)."""
        # The store has the change by now: a copy that cannot be written (a full disk) only means the dumps and
        # the next write read the graph from the store, so it never fails this write.
        try:
            write(self.texts)
        except OSError:
            for graph in graphs or [self.graph]:
                self.texts.forget(graph)
