"""The embedded backend: an Oxigraph store in this process, with a journal for bulk writes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from catalogue.errors import StoreError
from catalogue.namespaces import LEARNING_OPPORTUNITY, PREFIXES, RDF_TYPE

from .base import (
    BULK_QUADS,
    EXPORT_FORMATS,
    CatalogueStore,
    QuerySolutions,
    StatementCounter,
    export_prefixes,
)
from .graph_versions import GraphVersions
from .journal import Journal, quads_in
from .sparql_text import data_request, drop_request

_TYPE = ox.NamedNode(RDF_TYPE)
_OFFER = ox.NamedNode(LEARNING_OPPORTUNITY)


class OxigraphStore(CatalogueStore):
    """The embedded store: on disk at ``path``, or in memory when ``path`` is None."""

    sole_writer = True  # RocksDB's lock keeps every other writer out

    def __init__(self, store: ox.Store, base: str, path: Path | None = None, read_only: bool = False):
        super().__init__(base)
        self.store = store
        self.path = path
        self.read_only = read_only
        # Changes adding this many quads or more go through the journal and the bulk loader (store_journal.py).
        self.bulk_quads = BULK_QUADS
        if path is not None and not read_only:
            self.versions = GraphVersions.beside(path)

    @classmethod
    def open(cls, path: Path | None, base: str, read_only: bool = False) -> OxigraphStore:
        if path is None:
            return cls(ox.Store(), base)
        try:
            if read_only:
                if not (path / "CURRENT").exists():
                    raise StoreError(
                        f"There is no store at {path} yet. Load or harvest something first "
                        "(catalogue load FILE --source ID, or catalogue harvest)."
                    )
                if Journal.beside(path).committed:
                    raise StoreError(
                        f"The store at {path} is in the middle of a large change: a harvest or load is writing it, or one "
                        "was stopped and the next harvest or load will finish it. Try again when that is done."
                    )
                return cls(ox.Store.read_only(str(path)), base, path, read_only=True)
            path.mkdir(parents=True, exist_ok=True)
            store = ox.Store(str(path))
            Journal.beside(path).recover(store, path)
            opened = cls(store, base, path)
            assert opened.versions is not None
            opened.versions.stamp_unstamped(opened.graphs())  # after the journal: each graph is whole again
            return opened
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreError(
                    f"The store at {path} is open for writing in another process (a harvest or load is running). "
                    "Wait for it to finish, or read from a snapshot."
                ) from None
            raise StoreError(f"The store at {path} cannot be opened: {error}") from None

    def _apply(self, removals: dict[str, set[ox.Triple]], additions: dict[str, set[ox.Triple]], emptied: set[str]) -> None:
        if self.read_only:
            raise StoreError("This store was opened read-only.")
        if self.path is not None and sum(len(t) for t in additions.values()) >= self.bulk_quads:
            journal = Journal.beside(self.path)
            journal.record(removals, additions, emptied)
            journal.apply(self.store)
            return
        if not any(removals.values()):
            # extend() is one transaction and cheaper than parsing an update.
            self.store.extend(quads_in(additions))
            return
        # Oxigraph keeps a named graph after its last triple is deleted; an emptied graph is dropped in the same request.
        parts = (data_request("DELETE", removals), data_request("INSERT", additions), drop_request(emptied))
        self.store.update(" ;\n".join(part for part in parts if part))

    def _apply_files(self, removals: Path, additions: Path, emptied: set[str], removed: int, added: int) -> None:
        if self.read_only:
            raise StoreError("This store was opened read-only.")
        if self.path is None:
            super()._apply_files(removals, additions, emptied, removed, added)
            return
        journal = Journal.beside(self.path)
        journal.record_files(removals, additions, emptied, removed, added)
        journal.apply(self.store)

    def drop_graph(self, graph: str) -> None:
        with self._writing([], [graph]):
            self.store.update(f"DROP SILENT GRAPH <{graph}>")

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        for quad in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield quad.triple

    def subjects_triples(self, graph: str, subjects: list[str]) -> Iterator[ox.Triple]:
        named = ox.NamedNode(graph)
        for subject in subjects:
            for quad in self.store.quads_for_pattern(ox.NamedNode(subject), None, None, named):
                yield quad.triple

    def offers_among(self, graph: str, nodes: list[str]) -> set[str]:
        named = ox.NamedNode(graph)
        return {node for node in nodes if next(self.store.quads_for_pattern(ox.NamedNode(node), _TYPE, _OFFER, named), None)}

    def shared_nodes(self, graph: str, nodes: list[str]) -> set[str]:
        named = ox.NamedNode(graph)
        # Two incoming statements are enough to know; a provider may have a hundred thousand.
        return {node for node in nodes if len(list(itertools.islice(self.store.quads_for_pattern(None, None, ox.NamedNode(node), named), 2))) > 1}

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: bool = True,
    ) -> QuerySolutions:
        graphs = self.public_graphs() if default_graphs is None else default_graphs
        return self.store.query(
            sparql,
            prefixes=PREFIXES if prefixes else None,
            default_graph=[ox.NamedNode(g) for g in graphs] if graphs else ox.DefaultGraph(),
            named_graphs=[ox.NamedNode(g) for g in named_graphs] if named_graphs is not None else None,
        )

    def export(self, output: BinaryIO, format: str, graphs: list[str] | None = None) -> int:
        rdf_format = EXPORT_FORMATS.get(format)
        if rdf_format is None or not rdf_format.supports_datasets:
            return super().export(output, format, graphs)
        # The store's own quads go straight to the serializer: a quarter faster than rebuilding each one.
        selected = [ox.NamedNode(g) for g in (self.public_graphs() if graphs is None else graphs)]
        counter = StatementCounter()
        quads = itertools.chain.from_iterable(self.store.quads_for_pattern(None, None, None, g) for g in selected)
        prefixes = export_prefixes() if rdf_format == ox.RdfFormat.TRIG else None
        ox.serialize(counter.wrap(quads), output, rdf_format, prefixes=prefixes)
        return counter.count

    def write_ntriples(self, graph: str, output: BinaryIO) -> None:
        self.store.dump(output, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def snapshot(self, target: Path) -> None:
        """A consistent copy of the store at ``target`` (hard links where possible; fast)."""
        self.store.flush()
        self.store.backup(str(target))

    def close(self) -> None:
        if not self.read_only:
            self.store.flush()
        del self.store
