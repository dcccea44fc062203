"""The catalogue store: one interface over pyoxigraph (embedded) or a remote SPARQL server.

Graphs (``BASE`` is the configured base IRI):

* ``BASE/graph/vocabulary``: the ELM terms and EU concept schemes of ``vocab/``;
* ``BASE/graph/source/ID``: the published offers of source ID (one graph per source);
* ``BASE/graph/records/ID``: the catalogue's record of each of those offers
  (micro-credential status, missing Annex I elements, when it was first seen);
* ``BASE/graph/quarantine/ID``: offers of source ID that failed the publishing
  profile, with their reports;
* ``BASE/graph/provenance``: harvest runs.

The public view (the default graph of queries) is the union of the vocabulary,
source and record graphs; quarantine and provenance are named graphs only.

Writing a source is one atomic change: the difference between what the store
holds and what it should hold is applied in a single SPARQL Update request,
which Oxigraph runs as one transaction; a crash mid-write leaves the old
state. A large difference (``BULK_QUADS`` quads added or more, a new source
of a few hundred offers) goes through a redo journal and Oxigraph's bulk
loader instead, four times faster, and a crash leaves the old or the new
state (``store_journal.py``); while the bulk loader runs, a reader of the
live store could see part of the change, which is why the server and the
site read published snapshots, never the live store (see below). Because
only differences are written, re-publishing an unchanged source writes
nothing, and one changed offer rewrites only its own triples.

Readers in other processes (the HTTP server while a harvest runs): RocksDB
lets only one process open a store for writing. A reader opens a read-only
view (``OxigraphStore.open(path, read_only=True)``), which sees the store as it
was when opened; ``snapshot()`` makes a consistent hard-link copy in a few
milliseconds. The server serves from the newest snapshot and switches when a
harvest publishes a new one (see ``catalogue.snapshots``).
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from catalogue.errors import StoreError
from catalogue.iris import graph_iri, graph_prefix
from catalogue.namespaces import LEARNING_OPPORTUNITY, PREFIXES
from catalogue.vocab import Vocabulary

from .graph_text import GraphTexts, KeptText, stamp_key
from .graph_versions import GraphVersions
from .staging import StagedGraphs, sorted_difference

BULK_QUADS = 20_000
CLOSURE_SLICE = 200
_ANY = "urn:mc-catalogue:any-predicate"  # (<x>|!<x>)* is "any path": SPARQL has no wildcard predicate in paths

EXPORT_FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}
QuerySolutions = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
Measured = Callable[[str, str, Callable[[], int]], int]  # (graph, what is counted, how to count it) -> the count


@dataclass(frozen=True)
class Change:
    """What a write did: triples removed and added per graph."""

    removed: int
    added: int
    seconds: float

    @property
    def empty(self) -> bool:
        return self.removed == 0 and self.added == 0


@dataclass(frozen=True)
class GraphWrite:
    """The new content of one graph, or changes to it, as part of one atomic write."""

    graph: str
    triples: list[ox.Triple] | None = None  # replace the graph with these
    remove: list[ox.Triple] | None = None  # or: remove these ...
    add: list[ox.Triple] | None = None  # ... and add these
    current_text: Path | None = None  # what the graph holds now, as N-Triples (``graph_text``): read instead of the store


class CatalogueStore(ABC):
    # Whether nothing but the catalogue writes the store, so that a graph's kept copy (``graph_text``) can stand for
    # what the store holds; a shared SPARQL server may be written by others.
    sole_writer = False

    def __init__(self, base: str):
        self.base = base
        self.versions: GraphVersions | None = None  # kept only where the catalogue is the sole writer (``graph_versions``)

    def graph_stamps(self) -> dict[str, str] | None:
        """Each graph's version stamp (``graph_versions``); None where the store keeps none, and then nothing may be
        taken from a stamp."""
        return self.versions.stamps() if self.versions is not None else None

    def _writing(self, graphs: Iterable[str], dropped: Iterable[str] = ()) -> contextlib.AbstractContextManager:
        return self.versions.writing(graphs, dropped) if self.versions is not None else contextlib.nullcontext()

    # -- graph names -------------------------------------------------------------

    @property
    def vocabulary_graph(self) -> str:
        return graph_iri(self.base, "vocabulary")

    @property
    def provenance_graph(self) -> str:
        return graph_iri(self.base, "provenance")

    @property
    def statistics_graph(self) -> str:
        """Offers per facet value, written by each published generation (``catalogue.publish.statistics``)."""
        return graph_iri(self.base, "statistics")

    def source_graph(self, source_id: str) -> str:
        return graph_iri(self.base, "source", source_id)

    def records_graph(self, source_id: str) -> str:
        return graph_iri(self.base, "records", source_id)

    def quarantine_graph(self, source_id: str) -> str:
        return graph_iri(self.base, "quarantine", source_id)

    def source_ids(self) -> list[str]:
        prefix = graph_prefix(self.base, "source")
        return sorted(g[len(prefix):] for g in self.graphs() if g.startswith(prefix))

    def public_graphs(self) -> list[str]:
        graphs = set(self.graphs())
        public = [self.vocabulary_graph] if self.vocabulary_graph in graphs else []
        for source in self.source_ids():
            public.append(self.source_graph(source))
            if self.records_graph(source) in graphs:
                public.append(self.records_graph(source))
        if self.statistics_graph in graphs:
            public.append(self.statistics_graph)
        return public

    # -- writing -----------------------------------------------------------------

    def write(self, writes: list[GraphWrite]) -> Change:
        """Apply every write in ``writes`` as one atomic change."""
        start = time.perf_counter()
        removals: dict[str, set[ox.Triple]] = {}
        additions: dict[str, set[ox.Triple]] = {}
        emptied: set[str] = set()
        for item in writes:
            if item.triples is not None:
                new = set(item.triples)
                if item.current_text is not None:
                    old = {quad.triple for quad in ox.parse(path=str(item.current_text), format=ox.RdfFormat.N_TRIPLES)}
                else:
                    old = set(self.triples(item.graph))
                removals[item.graph] = old - new
                additions[item.graph] = new - old
                if not new:
                    emptied.add(item.graph)
            else:
                removals[item.graph] = set(item.remove or ())
                additions[item.graph] = set(item.add or ())
        removed = sum(len(v) for v in removals.values())
        added = sum(len(v) for v in additions.values())
        if removed or added:
            with self._writing({g for g, t in removals.items() if t} | {g for g, t in additions.items() if t}, emptied):
                self._apply(removals, additions, emptied)
        return Change(removed, added, time.perf_counter() - start)

    def write_staged(self, staged: StagedGraphs, extra: list[GraphWrite] | None = None, keep: KeptText | None = None) -> Change:
        """Replace the staged graphs with their staged content, and apply ``extra`` (changes, not replacements),
        as one atomic change. Content that spilled to disk is compared with the store on disk (``staging.py``).
        With ``keep``, where the store is written by nothing else, each staged graph is read from the copy its last
        write kept, and once the change is in, its new content is kept as N-Triples for the dumps and the next write
        (``graph_text``): ``keep``'s graph under its offers, the others (records, quarantine) under their stamps."""
        copies = self._kept_copies(staged, keep) if keep is not None and self.sole_writer else {}
        if not staged.spilled:
            content = {g: staged.triples(g) for g in staged.graphs}
            change = self.write([GraphWrite(g, triples=content[g], current_text=copies.get(g)) for g in staged.graphs] + list(extra or []))
            if keep is not None:
                self._keep_copies(staged, keep, lambda texts, keys: texts.keep_triples({g: (key, set(content[g])) for g, key in keys.items()}))
            return change
        start = time.perf_counter()
        current = (ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g in staged.graphs if g not in copies for t in self.triples(g))
        removals, additions, removed, added = sorted_difference(staged, current, [(path, g) for g, path in copies.items()])
        extra_removed = extra_added = 0
        for item in extra or []:
            if item.triples is not None:
                raise StoreError("A staged write takes changes to other graphs, not replacements.")
            for path, triples in ((removals, item.remove), (additions, item.add)):
                with path.open("ab") as file:
                    ox.serialize((ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(item.graph)) for t in triples or ()),
                                 file, ox.RdfFormat.N_QUADS)
            extra_removed += len(item.remove or ())
            extra_added += len(item.add or ())
        try:
            with self._writing([*staged.graphs, *(item.graph for item in extra or [])], staged.emptied):
                self._apply_files(removals, additions, staged.emptied, removed + extra_removed, added + extra_added)
            if keep is not None:
                self._keep_copies(staged, keep, lambda texts, keys: texts.keep_lines(keys, staged.new_path))  # sorted and unique by now
        finally:
            staged.discard()
        return Change(removed, added, time.perf_counter() - start)

    def _kept_copies(self, staged: StagedGraphs, keep: KeptText) -> dict[str, Path]:
        """The staged graphs whose present content a write kept a copy of: graph -> the copy."""
        found = {}
        if (current := keep.current()) is not None:
            found[keep.graph] = current
        stamps = self.graph_stamps() or {}
        for graph in staged.graphs:
            if graph != keep.graph and graph in stamps and (copy := keep.texts.find(graph, stamp_key(stamps[graph]))) is not None:
                found[graph] = copy
        return found

    def _keep_copies(self, staged: StagedGraphs, keep: KeptText, write: Callable[[GraphTexts, dict[str, str]], None]) -> None:
        """Once the write is in: ``write`` the copies of the staged graphs, each under its key (graph -> key), and
        drop the copies of a graph left empty, which has none."""
        stamps = self.graph_stamps() or {}
        keys = {keep.graph: keep.key}
        keys.update((graph, stamp_key(stamps[graph])) for graph in staged.graphs
                    if graph != keep.graph and staged.counts[graph] and graph in stamps)
        for graph in staged.graphs:
            if graph not in keys:
                keep.texts.forget(graph)
        keep.save(lambda texts: write(texts, keys), list(keys))

    def _apply_files(self, removals: Path, additions: Path, emptied: set[str], removed: int, added: int) -> None:
        """Apply a difference held in two N-Quads files of ``removed`` and ``added`` lines. This default applies it in slices, each atomic on its own;
        the embedded store overrides it with its journal, which makes the whole change atomic."""
        for kind, path in (("remove", removals), ("add", additions)):
            chunk: dict[str, set[ox.Triple]] = {}
            size = 0
            for quad in ox.parse(path=path, format=ox.RdfFormat.N_QUADS):
                chunk.setdefault(quad.graph_name.value, set()).add(quad.triple)
                size += 1
                if size >= BULK_QUADS:
                    self._apply(chunk if kind == "remove" else {}, chunk if kind == "add" else {}, set())
                    chunk, size = {}, 0
            if chunk:
                self._apply(chunk if kind == "remove" else {}, chunk if kind == "add" else {}, set())
        for graph in emptied:
            self.drop_graph(graph)

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> Change:
        return self.write([GraphWrite(graph, triples=list(triples))])

    def ensure_vocabulary(self, vocabulary: Vocabulary) -> Change:
        """Load or update the vocabulary graph (a no-op when it is current)."""
        return self.replace_graph(self.vocabulary_graph, (q.triple for q in vocabulary.quads(self.vocabulary_graph)))

    @abstractmethod
    def _apply(self, removals: dict[str, set[ox.Triple]], additions: dict[str, set[ox.Triple]], emptied: set[str]) -> None:
        """Apply the difference atomically; ``emptied`` names the graphs left with no triples."""

    @abstractmethod
    def drop_graph(self, graph: str) -> None: ...

    # -- reading -----------------------------------------------------------------

    @abstractmethod
    def graphs(self) -> list[str]: ...

    @abstractmethod
    def triples(self, graph: str) -> Iterator[ox.Triple]: ...

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: bool = True,
    ) -> QuerySolutions:
        """Run a SPARQL query. The default graph is the public view unless ``default_graphs`` is given."""

    def every_row(self, variables: str, pattern: str) -> Iterator[ox.QuerySolution]:
        """Every row of ``SELECT variables WHERE { pattern }`` (the catalogue's prefixes declared; the first
        variable unique per row; the pattern names its graphs), however many: a server's row cap is paged under."""
        yield from self.query(f"SELECT {variables} WHERE {{ {pattern} }}", default_graphs=[])  # type: ignore[misc]

    def subject_triples(self, graph: str, subject: str) -> list[ox.Triple]:
        return [
            ox.Triple(ox.NamedNode(subject), row["p"], row["o"])
            for row in self.query(f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ <{subject}> ?p ?o }} }}", default_graphs=[], prefixes=False)
        ]

    def subjects_triples(self, graph: str, subjects: list[str]) -> Iterator[ox.Triple]:
        """Every statement in ``graph`` about each of ``subjects`` (IRIs): index lookups a slice at a time."""
        for row in self._rows_per_slice(subjects, lambda values: f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
            yield ox.Triple(row["s"], row["p"], row["o"])

    def offers_among(self, graph: str, nodes: list[str]) -> set[str]:
        """Which of ``nodes`` are offers (typed elm:LearningOpportunity) in ``graph``."""
        return {row["n"].value for row in self._rows_per_slice(
            nodes, lambda values: f"SELECT ?n WHERE {{ VALUES ?n {{ {values} }} GRAPH <{graph}> {{ ?n a <{LEARNING_OPPORTUNITY}> }} }}")}

    def shared_nodes(self, graph: str, nodes: list[str]) -> set[str]:
        """Which of ``nodes`` two or more statements in ``graph`` point to."""
        return {row["n"].value for row in self._rows_per_slice(
            nodes, lambda values: f"SELECT ?n WHERE {{ VALUES ?n {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?n }} }} GROUP BY ?n HAVING (COUNT(*) > 1)")}

    def _rows_per_slice(self, iris: list[str], sparql: Callable[[str], str]) -> Iterator[ox.QuerySolution]:
        """The rows of ``sparql(values)`` for each slice of ``iris`` (``values``: the slice written for a VALUES clause)."""
        for start in range(0, len(iris), CLOSURE_SLICE):
            values = " ".join(f"<{iri}>" for iri in iris[start:start + CLOSURE_SLICE])
            yield from self.query(sparql(values), default_graphs=[], prefixes=False)  # type: ignore[misc]

    def closure(self, graphs: list[str], iri: str) -> list[ox.Triple]:
        """An offer and everything it reaches in ``graphs``, as the offer cutter would see it."""
        found: list[ox.Triple] = []
        seen = {iri}
        queue = [iri]
        while queue:
            node = queue.pop()
            for graph in graphs:
                for triple in self.subject_triples(graph, node):
                    found.append(triple)
                    obj = triple.object
                    if isinstance(obj, ox.NamedNode) and obj.value not in seen:
                        seen.add(obj.value)
                        queue.append(obj.value)
        return list(dict.fromkeys(found))

    def closures(self, graphs: list[str], iris: list[str]) -> dict[str, list[ox.Triple]]:
        """``closure`` of many offers at once: one query per slice of offers instead of one per node reached."""
        found: dict[str, list[ox.Triple]] = {}
        for start in range(0, len(iris), CLOSURE_SLICE):
            part = iris[start:start + CLOSURE_SLICE]
            values = " ".join(f"<{iri}>" for iri in part)
            rows = self.query(
                f"SELECT ?offer ?s ?p ?o WHERE {{ VALUES ?offer {{ {values} }} ?offer (<{_ANY}>|!<{_ANY}>)* ?s . ?s ?p ?o "
                "FILTER(isIRI(?s)) }",
                default_graphs=graphs, prefixes=False,
            )
            for row in rows:  # type: ignore[union-attr]
                found.setdefault(row["offer"].value, []).append(ox.Triple(row["s"], row["p"], row["o"]))
        return {iri: list(dict.fromkeys(triples)) for iri, triples in found.items()}

    def count(self, graph: str) -> int:
        result = self.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", default_graphs=[], prefixes=False
        )
        for row in result:  # type: ignore[union-attr]
            return int(row["n"].value)
        return 0

    def offer_count(self, graph: str) -> int:
        result = self.query(
            "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH <%s> { ?o a elm:LearningOpportunity } }" % graph,
            default_graphs=[],
        )
        for row in result:  # type: ignore[union-attr]
            return int(row["n"].value)
        return 0

    def distinct_offer_count(self) -> int:
        """Published offers, each counted once however many sources publish it."""
        prefix = graph_prefix(self.base, "source")
        graphs = [g for g in self.graphs() if g.startswith(prefix)]
        if not graphs:
            return 0
        result = self.query("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a elm:LearningOpportunity }", default_graphs=graphs)
        for row in result:  # type: ignore[union-attr]
            return int(row["n"].value)
        return 0

    def source_counts(self, measured: Measured | None = None) -> dict[str, dict[str, int]]:
        """Offers and statements of each source, and its quarantined offers. ``measured(graph, what, count)`` may
        answer a count without ``count()`` (a publish keeps them per graph stamp)."""
        measure = measured or (lambda graph, what, count: count())
        counts: dict[str, dict[str, int]] = {}
        graphs = set(self.graphs())
        for source in sorted(set(self.source_ids()) | self._quarantined_sources(graphs)):
            graph, quarantine = self.source_graph(source), self.quarantine_graph(source)
            counts[source] = {
                "offers": measure(graph, "offers", lambda: self.offer_count(graph)),
                "triples": measure(graph, "triples", lambda: self.count(graph)),
                "quarantined": measure(quarantine, "offers", lambda: self.offer_count(quarantine)) if quarantine in graphs else 0,
            }
        return counts

    def _quarantined_sources(self, graphs: set[str]) -> set[str]:
        prefix = graph_prefix(self.base, "quarantine")
        return {g[len(prefix):] for g in graphs if g.startswith(prefix)}

    def export(self, output: BinaryIO, format: str, graphs: list[str] | None = None) -> int:
        """Write ``graphs`` (default: the public view) to ``output``; returns the number of statements."""
        rdf_format = EXPORT_FORMATS.get(format)
        if rdf_format is None:
            raise StoreError(f"Unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}.")
        selected = self.public_graphs() if graphs is None else graphs
        counter = StatementCounter()
        if rdf_format.supports_datasets:
            statements: Iterable = counter.wrap(
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g in selected for t in self.triples(g)
            )
        else:
            statements = counter.wrap(t for g in selected for t in self.triples(g))
        ox.serialize(statements, output, rdf_format, prefixes=export_prefixes() if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None)
        return counter.count

    def write_ntriples(self, graph: str, output: BinaryIO) -> None:
        """The statements of ``graph`` as N-Triples, one statement per line."""
        self.export(output, "ntriples", graphs=[graph])

    @abstractmethod
    def close(self) -> None: ...


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def wrap(self, items: Iterable) -> Iterator:
        for item in items:
            self.count += 1
            yield item


def export_prefixes() -> dict[str, str]:
    return {p: ns for p, ns in PREFIXES.items() if p not in ("sh", "pub", "mcp", "hydra", "tree", "ldes", "sd", "void")}
