"""A redo journal that lets the embedded store write large changes with Oxigraph's bulk loader, atomically.

Oxigraph's transactional writes (``Store.extend``, ``Store.update``) cost about 25 µs a quad on this
machine class: 12 s for the 470,000 quads of 10,000 offers. Its bulk loader writes the same in under
3 s but is not atomic: a crash part-way leaves part of the change in the store. So a large change is

1. written to a journal beside the store (``store.journal/``: the quads to remove and to add as
   N-Quads, then ``commit.json``, each synced to disk; the store is not touched yet);
2. applied: removals in one update, additions with the bulk loader, emptied graphs dropped;
3. forgotten: the journal folder is removed.

Opening the store for writing finishes what a crash interrupted: a committed journal is applied
again (removals and additions are disjoint, so applying twice gives the same store) and an
uncommitted one is discarded (the crash came before step 2). After any crash the store holds the
old state or the new one, never a mix.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from .sparql_text import data_request, drop_request

log = logging.getLogger("catalogue.store.journal")

COMMIT = "commit.json"
REMOVE = "remove.nq"
ADD = "add.nq"
REMOVAL_SLICE = 50_000
LOAD_SLICE = 250_000  # N-Quads lines handed to the bulk loader at once


class Journal:
    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def beside(cls, store_path: Path) -> Journal:
        return cls(store_path.with_name(store_path.name + ".journal"))

    @property
    def committed(self) -> bool:
        return (self.folder / COMMIT).exists()

    def record(self, removals: dict[str, set[ox.Triple]], additions: dict[str, set[ox.Triple]], emptied: set[str]) -> None:
        """Write the change and commit it; nothing in the store changes here."""
        self.discard()
        self.folder.mkdir(parents=True)
        _write_quads(self.folder / REMOVE, quads_in(removals))
        _write_quads(self.folder / ADD, quads_in(additions))
        commit = {
            "removed": sum(len(t) for t in removals.values()),
            "added": sum(len(t) for t in additions.values()),
            "emptied": sorted(emptied),
        }
        self._commit(commit)

    def _commit(self, commit: dict) -> None:
        staged = self.folder / (COMMIT + ".tmp")
        with staged.open("w", encoding="utf-8") as file:
            json.dump(commit, file)
            file.flush()
            os.fsync(file.fileno())
        staged.replace(self.folder / COMMIT)
        _sync_folder(self.folder)

    def record_files(self, removals: Path, additions: Path, emptied: set[str], removed: int, added: int) -> None:
        """As ``record``, for a change already written as two N-Quads files of ``removed`` and ``added`` lines (moved
        into the journal)."""
        self.discard()
        self.folder.mkdir(parents=True)
        for name, path in ((REMOVE, removals), (ADD, additions)):
            with path.open("rb") as file:
                os.fsync(file.fileno())
            shutil.move(str(path), self.folder / name)
        self._commit({"removed": removed, "added": added, "emptied": sorted(emptied)})

    def apply(self, store: ox.Store) -> int:
        """Apply the committed change to ``store`` (safe to repeat), then remove the journal. Returns quads added."""
        commit = json.loads((self.folder / COMMIT).read_text(encoding="utf-8"))
        # Removals go in slices so that a large one never sits in memory whole; applying again is harmless.
        removals: dict[str, list[ox.Triple]] = {}
        size = 0
        for quad in ox.parse(path=self.folder / REMOVE, format=ox.RdfFormat.N_QUADS):
            removals.setdefault(quad.graph_name.value, []).append(quad.triple)
            size += 1
            if size >= REMOVAL_SLICE:
                store.update(data_request("DELETE", removals))
                removals, size = {}, 0
        if removals:
            store.update(data_request("DELETE", removals))
        if commit["added"]:
            self._bulk_load(store)
        if commit["emptied"]:
            store.update(drop_request(commit["emptied"]))
        store.flush()
        self.discard()
        return int(commit["added"])

    def _bulk_load(self, store: ox.Store) -> None:
        """The additions through the bulk loader, a slice of lines at a time: given a whole country's file at once,
        the loader held 2.4 GB; a slice at a time it holds what one slice needs."""
        part = self.folder / "add.part.nq"
        with (self.folder / ADD).open("rb") as lines:
            while True:
                chunk = list(itertools.islice(lines, LOAD_SLICE))
                if not chunk:
                    break
                part.write_bytes(b"".join(chunk))
                store.bulk_load(path=part, format=ox.RdfFormat.N_QUADS)
        part.unlink(missing_ok=True)

    def recover(self, store: ox.Store, where: Path) -> None:
        """Finish a change a crash interrupted, or discard one that never began."""
        if not self.folder.exists():
            return
        if self.committed:
            added = self.apply(store)
            log.warning("The store at %s was stopped while writing a change; the change (%d quads added) was completed from its journal.", where, added)
        else:
            self.discard()
            log.warning("The store at %s was stopped while preparing a change; the store was not touched and the change was discarded.", where)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def quads_in(by_graph: dict[str, set[ox.Triple]]) -> Iterator[ox.Quad]:
    """The triples of each graph as quads in it."""
    for graph, triples in by_graph.items():
        name = ox.NamedNode(graph)
        for triple in triples:
            yield ox.Quad(triple.subject, triple.predicate, triple.object, name)


def _write_quads(path: Path, quads: Iterator[ox.Quad]) -> None:
    with path.open("wb") as file:
        ox.serialize(quads, file, ox.RdfFormat.N_QUADS)
        file.flush()
        os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
