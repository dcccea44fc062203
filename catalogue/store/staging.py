"""The new content of a few graphs, gathered in batches, and its difference from the store in bounded memory.

A source of a few thousand offers is gathered in memory and written as today: the difference between the
store and the new content is computed with sets and applied in one transaction (``CatalogueStore.write``).
A source past ``limit`` quads (a country's Europass dump: millions) spills to an N-Quads file beside the
store instead; at the end the store's current quads of the same graphs are exported next to it, both are
sorted with the system's ``sort`` (which spills to disk itself) and compared line by line with ``comm``. What
comes out is the same difference, as two files, which the store applies through its journal. Memory is
then set by the batch, not by the source.

Both sides are N-Quads written by Oxigraph's serializer, whose output for a quad is always the same line, so
equal quads are equal lines.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from catalogue.errors import StoreError

from .graph_text import in_graph, ntriples_as_nquads

SPILL_QUADS = 400_000
_SORT_ENV = {**os.environ, "LC_ALL": "C"}


class StagedGraphs:
    """What ``graphs`` should hold once a write is switched in; kept in memory until it passes ``limit`` quads."""

    def __init__(self, graphs: list[str], folder: Path | None, limit: int | None = None, name: str = "staged"):
        self.graphs = list(graphs)
        self.folder = folder
        self.name = name
        self.limit = SPILL_QUADS if limit is None else limit
        self.memory: dict[str, list[ox.Triple]] = {g: [] for g in graphs}
        self.lines: dict[str, list[str]] = {g: [] for g in graphs}  # statements given as N-Triples lines (``add_lines``)
        self.counts: Counter[str] = Counter()
        self.workdir: Path | None = None
        self._file = None

    @property
    def spilled(self) -> bool:
        return self.workdir is not None

    @property
    def new_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "new.nq"

    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        self._add(graph, list(triples), self.memory, self._serialize)

    def add_lines(self, graph: str, lines: list[str]) -> None:
        """Add statements given as N-Triples lines ("s p o .", no line break) as Oxigraph writes them (``str`` of
        each term): an offer's statements come so from ``catalogue.validation.offers``. On disk they are written
        as they are, with the graph's name, instead of being parsed into terms and serialized again."""
        self._add(graph, lines, self.lines, self._write_lines)

    def _add(self, graph: str, items: list, held: dict[str, list], write: Callable[[str, list], None]) -> None:
        """Hold ``items`` in ``held`` until the staged content passes the limit, then ``write`` them to disk."""
        self.counts[graph] += len(items)
        if self.workdir is None:
            held[graph].extend(items)
            if self.folder is not None and sum(self.counts.values()) >= self.limit:
                self._spill()
            return
        write(graph, items)

    def triples(self, graph: str) -> list[ox.Triple]:
        """What ``graph`` should hold, as terms (only while nothing spilled to disk)."""
        assert self.workdir is None
        text = "".join(line + "\n" for line in self.lines[graph]).encode("utf-8")
        return self.memory[graph] + [quad.triple for quad in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]

    def _spill(self) -> None:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=self.folder))
        self._file = self.new_path.open("wb")
        for graph, triples in self.memory.items():
            self._serialize(graph, triples)
            self._write_lines(graph, self.lines[graph])
        self.memory = {g: [] for g in self.graphs}
        self.lines = {g: [] for g in self.graphs}

    def _serialize(self, graph: str, triples: list[ox.Triple]) -> None:
        assert self._file is not None
        if triples:
            self._file.write(in_graph(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), graph))

    def _write_lines(self, graph: str, lines: list[str]) -> None:
        # "s p o ." becomes "s p o <graph> .": the line Oxigraph's N-Quads serializer writes for the same quad, so
        # equal statements stay equal lines for the comparison with the store.
        assert self._file is not None
        if lines:
            self._file.write(in_graph(("\n".join(lines) + "\n").encode("utf-8"), graph))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        self.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    @property
    def emptied(self) -> set[str]:
        return {g for g in self.graphs if not self.counts[g]}


def stage_name(source_id: str) -> str:
    """The staged folders' name for a source: one that no other source's is a prefix of."""
    return "staged-" + hashlib.sha256(source_id.encode()).hexdigest()[:16]


def forget_stopped(folder: Path, name: str) -> None:
    """What a stopped run of ``name`` left staged (it may be gigabytes): a run of the same name is starting over."""
    if folder.is_dir():
        for left in folder.glob(f"{name}-*"):
            shutil.rmtree(left, ignore_errors=True)


def sorted_difference(staged: StagedGraphs, current: Iterable[ox.Quad],
                      texts: Iterable[tuple[Path, str]] = ()) -> tuple[Path, Path, int, int]:
    """(removals file, additions file, quads removed, quads added) taking ``current``, and the N-Triples files of
    ``texts`` (file, graph: what a graph holds now, kept by the last write), to the staged content."""
    staged.close()
    work = staged.workdir
    assert work is not None
    old = work / "old.nq"
    with old.open("wb") as file:
        for path, graph in texts:
            ntriples_as_nquads(path, graph, file)
        ox.serialize(current, file, ox.RdfFormat.N_QUADS)
    _sort(old)
    _sort(staged.new_path)
    removals, additions = work / "remove.nq", work / "add.nq"
    removed = _comm("-23", old, staged.new_path, removals)
    added = _comm("-13", old, staged.new_path, additions)
    old.unlink()
    return removals, additions, removed, added


def _sort(path: Path) -> None:
    done = subprocess.run(
        ["sort", "-u", "-S", "256M", "--parallel=2", "-T", str(path.parent), "-o", str(path), str(path)],
        check=False, env=_SORT_ENV, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise StoreError(f"Sorting the staged change in {path.parent} failed (is the disk full?): {done.stderr.strip()}")


def _comm(option: str, old: Path, new: Path, target: Path) -> int:
    with target.open("wb") as output:
        done = subprocess.run(["comm", option, str(old), str(new)], check=False, env=_SORT_ENV, stdout=output, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise StoreError(f"Comparing the staged change with the store in {old.parent} failed: {done.stderr.decode(errors='replace').strip()}")
    with target.open("rb") as file:
        return sum(1 for _ in file)
