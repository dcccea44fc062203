"""One large RDF document, loaded into a temporary store on disk instead of being held as terms.

A feed of a quarter of a million offers in one Turtle file is ten million statements. Held as Python terms (parsed,
indexed to cut it into offers, indexed again to derive values) it took about 50 KB an offer, some 12 GiB, whatever
the harvest did in batches afterwards. Above ``in_memory_megabytes`` (32 MB by default) the ``rdf`` harvester
therefore hands the bytes to Oxigraph's bulk loader, which keeps them on disk, and the pipeline takes the document's
offers a slice at a time: each slice's descriptions are read back by following statements outward from its offers,
exactly as ``catalogue.validation.offers`` cuts a document held in memory (stopping at the vocabulary's concepts and
at other offers), then derived, cut, validated and staged before the next slice is read. Memory is set by the
slice; the result is the same as for the document held whole (tested on every bundled example).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from catalogue.namespaces import ELM, ELM_33, LEARNING_OPPORTUNITY, RDF_TYPE
from catalogue.rdf_document import ELM33_NOTE
from catalogue.vocab import Vocabulary

_TYPE = ox.NamedNode(RDF_TYPE)
_OFFER = ox.NamedNode(LEARNING_OPPORTUNITY)
# Which subjects an offer's description has reached, kept beside the document in its own store: ``<s> _READ _READ``
# in the graph ``_READ``.
_READ = ox.NamedNode("urn:mc-catalogue:read")


class StoredDocument:
    """A parsed document of triples (not of named graphs) in a temporary on-disk store."""

    def __init__(self, source: str, folder: Path, store: ox.Store, notes: list[str]):
        self.source = source
        self.folder = folder
        self.store = store
        self.notes = notes
        self.fetched = None  # what it was loaded from (``catalogue.harvest.fetch.Fetched``), to parse it in memory after all

    @classmethod
    def load(cls, text: bytes, source: str, rdf_format: ox.RdfFormat, scratch: Path | None, name: str,
             base_iri: str | None = None) -> StoredDocument:
        """Bulk-load ``text`` (UTF-8, in a format of triples) into a new store under ``scratch``. The parser's
        SyntaxError, ValueError or OSError is raised as it is (``rdfio.store_fetched`` words it for the provider)."""
        if rdf_format.supports_datasets:
            raise ValueError("a document of named graphs is read in memory, where its graphs are merged")
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
        try:
            store = ox.Store(str(folder))
            store.bulk_load(input=text, format=rdf_format, base_iri=base_iri)
            notes = []
            if store.query(f"ASK {{ {{ ?s ?p ?o FILTER(STRSTARTS(STR(?p), \"{ELM_33}\")) }} "
                           f"UNION {{ ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), \"{ELM_33}\")) }} }}"):
                _elm33_to_elm(store)
                notes.append(ELM33_NOTE)
            return cls(source, folder, store, notes)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def subjects(self) -> int:
        return int(next(iter(self.store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)

    def offers(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Every ``elm:LearningOpportunity`` of the document, in the order of their IRIs (the store keeps no other)."""
        found = {quad.subject for quad in self.store.quads_for_pattern(None, _TYPE, _OFFER, ox.DefaultGraph())}
        return sorted(found, key=str)

    def statements(self, predicates: Iterable[ox.NamedNode]) -> list[ox.Quad]:
        """Every statement with one of ``predicates`` (the few a harvester looks at without cutting the document)."""
        return [quad for predicate in predicates for quad in self.store.quads_for_pattern(None, predicate, None, ox.DefaultGraph())]

    def types(self) -> dict[str, int]:
        """Each type used in the document and how many resources have it (to say what a document without offers holds)."""
        return {row["t"].value: int(row["n"].value) for row in self.store.query(
            "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t") if isinstance(row["t"], ox.NamedNode)}

    def descriptions(self, offers: list[ox.NamedNode | ox.BlankNode], vocabulary: Vocabulary) -> list[ox.Triple]:
        """The statements of ``offers``' descriptions: everything reached from them by following statements outward,
        not past the vocabulary's concepts nor past other offers (of which only their type is given), as
        ``catalogue.validation.offers`` cuts them."""
        found: dict[ox.Triple, None] = {}
        seen: set = set(offers)
        queue = list(offers)
        store, graph = self.store, ox.DefaultGraph()
        read: list[ox.Quad] = []
        while queue:
            node = queue.pop()
            read.append(ox.Quad(node, _READ, _READ, _READ))
            for quad in store.quads_for_pattern(node, None, None, graph):
                found[quad.triple] = None
                obj = quad.object
                if isinstance(obj, ox.Literal) or obj in seen:
                    continue
                seen.add(obj)
                if isinstance(obj, ox.NamedNode) and vocabulary.is_concept(obj.value):
                    continue
                if next(store.quads_for_pattern(obj, _TYPE, _OFFER, graph), None) is not None:
                    found[ox.Triple(obj, _TYPE, _OFFER)] = None  # another offer: an offer of its own
                    continue
                queue.append(obj)
        store.bulk_extend(read)  # remembered on disk, not in memory: a large document has millions of nodes
        return list(found)

    def left_out(self, vocabulary: Vocabulary) -> tuple[dict[ox.NamedNode | ox.BlankNode, int], dict[ox.NamedNode | ox.BlankNode, list[str]]]:
        """Once every offer's description has been read: the subjects none of them reached (nor the vocabulary
        describes), with how many statements each has and its types."""
        counts: dict[ox.NamedNode | ox.BlankNode, int] = {}
        types: dict[ox.NamedNode | ox.BlankNode, list[str]] = {}
        # MINUS, not FILTER NOT EXISTS: one pass over the document against the read subjects (0.3 s for 10,000
        # offers, against 3.5 s looking each statement up).
        rows = self.store.query(f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o MINUS {{ GRAPH {_READ} {{ ?s {_READ} {_READ} }} }} }}")
        graph = ox.DefaultGraph()
        for row in rows:
            subject = row["s"]
            if isinstance(subject, ox.NamedNode) and vocabulary.describes(subject.value):
                continue
            statements = list(self.store.quads_for_pattern(subject, None, None, graph))
            counts[subject] = len(statements)
            types[subject] = sorted({quad.object.value for quad in statements
                                     if quad.predicate == _TYPE and isinstance(quad.object, ox.NamedNode)})
        return counts, types

    def close(self) -> None:
        del self.store
        shutil.rmtree(self.folder, ignore_errors=True)


def _elm33_to_elm(store: ox.Store) -> None:
    """Read ELM 3.3 terms as ELM 3.2, in every position (as ``rdfio`` does for a document in memory)."""
    for position in ("?s", "?p", "?o"):
        store.update(
            f"DELETE {{ ?s ?p ?o }} INSERT {{ {_renamed(position, '?s')} {_renamed(position, '?p')} {_renamed(position, '?o')} }} "
            f"WHERE {{ ?s ?p ?o FILTER(isIRI({position}) && STRSTARTS(STR({position}), \"{ELM_33}\")) "
            f"BIND(IRI(CONCAT(\"{ELM}\", STRAFTER(STR({position}), \"{ELM_33}\"))) AS ?renamed) }}"
        )


def _renamed(position: str, variable: str) -> str:
    return "?renamed" if position == variable else variable
