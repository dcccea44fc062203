"""The default graph's distinct subjects, in all and per class, counted a graph at a time.

``void:entities`` and the class partitions count the distinct subjects of the default graph, the public graphs taken
together; a subject two graphs describe (an organisation two sources share) counts once. Asked of Oxigraph as one
``COUNT(DISTINCT ?s)`` over the whole default graph, the query holds every subject of the catalogue in one set while
it runs: 97 MB more for the 463,000 subjects of 40,000 generated offers, so some 2.4 GB at a million offers, on top of
the publishing process; and the whole catalogue is scanned again after a harvest that changed one source.

Here each graph's distinct subjects, and its subjects per class, are taken as sorted 64-bit hashes and kept under the
graph's version stamp (``KeptWork``): a graph not written since costs a file read. They are read from the N-Triples
copy the harvest kept of the graph (``store.graph_text``), the subject being each line's first term, or else from the
store. The union is counted a slice of the hash range at a time, so no set holds more than a 256th of the catalogue's
subjects. The counts are exact unless two distinct subjects' 64-bit hashes collide: about one chance in 250,000 at
ten million subjects.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from catalogue.namespaces import RDF_TYPE
from catalogue.store.base import CatalogueStore
from catalogue.store.graph_text import line_blocks
from catalogue.worker_watchdog import watch_parent
from catalogue.worker_window import in_order

from .kept_work import KeptWork
from .parallel_reads import worker_count

SLICES = 256  # of the hash range, counted one at a time
PARALLEL_FROM = 4  # graphs to read from their copies: fewer are read here, more by worker processes
_HASH_END = 1 << 64
_TYPED = f" <{RDF_TYPE}> <".encode()


@dataclass
class GraphSubjects:
    """One graph's distinct subjects, and its subjects typed with each class: sorted 64-bit hashes."""

    subjects: array
    classes: dict[str, array]


def subject_hash(subject: bytes) -> int:
    """The hash of a subject as N-Triples writes it (``<iri>``, ``_:id``)."""
    return int.from_bytes(hashlib.blake2b(subject, digest_size=8).digest(), "big")


def graph_subjects(store: CatalogueStore, graph: str) -> GraphSubjects:
    """``graph``'s distinct subjects and class memberships, as the store holds them."""
    return _sorted(*_from_store(store, graph))


def text_subjects(text: Path) -> GraphSubjects:
    """``graph_subjects`` of a graph's N-Triples copy (no store needed: a worker process can do it)."""
    return _sorted(*_from_text(text))


def _sorted(subjects: set[int], members: dict[str, set[int]]) -> GraphSubjects:
    return GraphSubjects(array("Q", sorted(subjects)), {c: array("Q", sorted(typed)) for c, typed in members.items()})


def _from_text(path: Path) -> tuple[set[int], dict[str, set[int]]]:
    """The hashes of the distinct subjects of an N-Triples file (each line's first term), and per class (an IRI) of
    those typed with it. Hashed a block at a time, so the sets hold numbers, not the subjects' text."""
    subjects: set[int] = set()
    members: dict[str, set[int]] = {}
    for block in line_blocks(path):
        lines = block.split(b"\n")
        # A subject's statements mostly come together, so most repeats go before hashing.
        hashes = {subject: subject_hash(subject) for subject in {line[:line.index(b" ")] for line in lines if line}}
        subjects.update(hashes.values())
        for line in lines:
            if _TYPED in line:
                end = line.index(b" ")
                if line.startswith(_TYPED, end):
                    cls = line[end + len(_TYPED):line.rindex(b">")]
                    if not cls.startswith(b"<"):  # an IRI, not a triple term (``<<( ... )>>``)
                        members.setdefault(cls.decode("utf-8"), set()).add(hashes[line[:end]])
    return subjects, members


def _from_store(store: CatalogueStore, graph: str) -> tuple[set[int], dict[str, set[int]]]:
    name = f"<{graph}>"
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}", named_graphs=[graph], prefixes=False)
    subjects = {_term_hash(row["s"]) for row in rows}  # type: ignore[union-attr]
    members: dict[str, set[int]] = {}
    for row in store.query(f"SELECT DISTINCT ?s ?c WHERE {{ GRAPH {name} {{ ?s a ?c }} }}", named_graphs=[graph], prefixes=False):  # type: ignore[union-attr]
        if isinstance(row["c"], ox.NamedNode):
            members.setdefault(row["c"].value, set()).add(_term_hash(row["s"]))
    return subjects, members


def _term_hash(term: ox.NamedNode | ox.BlankNode) -> int:
    return subject_hash(str(term).encode("utf-8"))  # a term's N-Triples form, as a copy's line starts with it


def distinct_in_union(parts: list[array]) -> int:
    """How many distinct values the sorted arrays ``parts`` hold together."""
    parts = [part for part in parts if part]
    if len(parts) <= 1:
        return len(parts[0]) if parts else 0
    total = 0
    starts = [0] * len(parts)
    for index in range(1, SLICES + 1):
        bound = index * _HASH_END // SLICES
        seen: set[int] = set()
        for k, part in enumerate(parts):
            end = len(part) if index == SLICES else bisect_left(part, bound, starts[k])
            seen.update(part[starts[k]:end])
            starts[k] = end
        total += len(seen)
    return total


def default_graph_subjects(store: CatalogueStore, graphs: list[str], kept: KeptWork,
                           texts: dict[str, Path] | None = None) -> tuple[int, dict[str, int]]:
    """(distinct subjects, distinct subjects per class) of ``graphs`` taken together. ``texts``: graph -> the kept
    N-Triples copy of what the store holds in it (``publish.dumps.kept_texts``). The statistics graph, which the
    publish writes itself, is read every time."""
    texts = texts or {}
    keepable = [graph for graph in graphs if graph != store.statistics_graph]
    found = {graph: subjects for graph in keepable if (subjects := kept.get(f"subjects {graph}", [graph])) is not None}
    missing = [graph for graph in keepable if graph not in found]
    read = dict(_read_texts([graph for graph in missing if graph in texts], texts))
    for graph in missing:
        found[graph] = read[graph] if graph in read else graph_subjects(store, graph)
        kept.put(f"subjects {graph}", [graph], found[graph])
    if store.statistics_graph in graphs:
        found[store.statistics_graph] = graph_subjects(store, store.statistics_graph)
    parts = [found[graph] for graph in graphs]
    classes = sorted({c for subjects in parts for c in subjects.classes})
    return (
        distinct_in_union([subjects.subjects for subjects in parts]),
        {c: distinct_in_union([s.classes[c] for s in parts if c in s.classes]) for c in classes},
    )


def _read_texts(graphs: list[str], texts: dict[str, Path]) -> Iterator[tuple[str, GraphSubjects]]:
    """``text_subjects`` of each graph's copy: on every core when there are many (the first publish of a large
    catalogue reads every graph, about 0.7 s for each 10,000 offers)."""
    workers = min(worker_count(), len(graphs))
    if workers < 2 or len(graphs) < PARALLEL_FROM:
        for graph in graphs:
            yield graph, text_subjects(texts[graph])
        return
    # forkserver, not fork: the publishing process holds an open store, whose threads a fork would not carry over.
    context = multiprocessing.get_context("forkserver")
    # A publish killed outright must not leave its workers behind.
    with ProcessPoolExecutor(workers, mp_context=context, initializer=partial(watch_parent, owner=os.getpid())) as pool:
        yield from in_order(pool, text_subjects, graphs, lambda graph: (texts[graph],), workers)
