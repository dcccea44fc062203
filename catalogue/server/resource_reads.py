"""What the catalogue says about one IRI, read by terms: never by SPARQL text built from a request.

The linked-data routes take an IRI from the request path or a parameter. It is
checked as an IRI (pyoxigraph's ``NamedNode`` parses it by RFC 3987 and refuses
``<>"{}|^`\\`` and spaces) and then only ever used as a term: on the embedded
store through ``quads_for_pattern``; on a remote SPARQL server inside a query
whose IRIs are written by pyoxigraph's own serialiser from checked terms. These
reads run in the query workers (``query_pool``), under the same time limit as
``/sparql``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from catalogue.namespaces import ELM, FOAF, RDF_TYPE

PRIMARY_TOPIC = FOAF + "primaryTopic"
LEARNING_OPPORTUNITY = ELM + "LearningOpportunity"


class BadIri(ValueError):
    """The text is not an absolute IRI."""


def checked_iri(text: str) -> ox.NamedNode:
    """``text`` as a term, or BadIri naming what is wrong with it."""
    if not text or len(text) > 4096:
        raise BadIri("an IRI of 1 to 4,096 characters is needed.")
    try:
        return ox.NamedNode(text)
    except ValueError as error:
        raise BadIri(f"{text[:200]!r} is not an absolute IRI ({error}).") from None


class TermReader(Protocol):
    def triples(self, subject: ox.NamedNode, graphs: list[str]) -> list[ox.Triple]: ...

    def subjects(self, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[ox.NamedNode]: ...

    def graphs_with(self, subject: ox.NamedNode, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[str]: ...


class OxigraphReader:
    """Reads from an embedded pyoxigraph store by quad patterns."""

    def __init__(self, store: ox.Store):
        self.store = store

    def triples(self, subject: ox.NamedNode, graphs: list[str]) -> list[ox.Triple]:
        found: dict[ox.Triple, None] = {}
        for graph in graphs:
            for quad in self.store.quads_for_pattern(subject, None, None, ox.NamedNode(graph)):
                found[quad.triple] = None
        return list(found)

    def subjects(self, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[ox.NamedNode]:
        found: dict[ox.NamedNode, None] = {}
        for graph in graphs:
            for quad in self.store.quads_for_pattern(None, predicate, obj, ox.NamedNode(graph)):
                if isinstance(quad.subject, ox.NamedNode):
                    found[quad.subject] = None
        return list(found)

    def graphs_with(self, subject: ox.NamedNode, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[str]:
        return [g for g in graphs if next(iter(self.store.quads_for_pattern(subject, predicate, obj, ox.NamedNode(g))), None) is not None]


class RemoteReader:
    """Reads from a remote SPARQL server; every IRI in the query text is a checked term written by pyoxigraph."""

    def __init__(self, remote_store):
        self.remote = remote_store

    def _select(self, pattern: str, graphs: list[str]) -> Iterable[ox.QuerySolution]:
        values = " ".join(str(ox.NamedNode(g)) for g in graphs)
        return self.remote.query(f"SELECT * WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ {pattern} }} }}", default_graphs=[], prefixes=False)

    def triples(self, subject: ox.NamedNode, graphs: list[str]) -> list[ox.Triple]:
        if not graphs:
            return []
        rows = self._select(f"{subject} ?p ?o", graphs)
        return list(dict.fromkeys(ox.Triple(subject, row["p"], row["o"]) for row in rows))

    def subjects(self, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[ox.NamedNode]:
        if not graphs:
            return []
        rows = self._select(f"?s {predicate} {obj}", graphs)
        return list(dict.fromkeys(row["s"] for row in rows if isinstance(row["s"], ox.NamedNode)))

    def graphs_with(self, subject: ox.NamedNode, predicate: ox.NamedNode, obj: ox.NamedNode, graphs: list[str]) -> list[str]:
        if not graphs:
            return []
        rows = self._select(f"{subject} {predicate} {obj}", graphs)
        return list(dict.fromkeys(row["g"].value for row in rows))


@dataclass(frozen=True)
class Scopes:
    """The graphs a resource may be described in, in the order they are looked at."""

    public: list[str]
    vocabulary: list[str]
    sources: list[str]
    provenance: list[str]
    quarantine: list[str]


def scopes_of(graph_names: Iterable[str]) -> Scopes:
    """The catalogue's graphs (``BASE/graph/KIND[/ID]``) by kind; other graphs (a server's own) are left out."""
    names = sorted(graph_names)

    def kind(k: str) -> list[str]:
        return [g for g in names if f"/graph/{k}/" in g or g.endswith(f"/graph/{k}")]

    sources, vocabulary = kind("source"), kind("vocabulary")
    public = vocabulary + sources + kind("records") + kind("statistics")  # as CatalogueStore.public_graphs
    return Scopes(public, vocabulary, sources, kind("provenance"), kind("quarantine"))


def description(reader: TermReader, iri: ox.NamedNode, graphs: list[str], limit: int) -> list[ox.Triple]:
    """The resource, its own sub-resources (IRIs below it, skolem IRIs) and any catalogue record about it."""
    seen = {iri}
    queue = [iri]
    found: dict[ox.Triple, None] = {}
    for record in reader.subjects(ox.NamedNode(PRIMARY_TOPIC), iri, graphs):
        if record not in seen:
            seen.add(record)
            queue.append(record)
    prefix = iri.value + "/"
    while queue and len(found) <= limit:
        node = queue.pop()
        for triple in reader.triples(node, graphs):
            found[triple] = None
            obj = triple.object
            if isinstance(obj, ox.NamedNode) and obj not in seen and (obj.value.startswith(prefix) or "/.well-known/genid/" in obj.value):
                seen.add(obj)
                queue.append(obj)
    return list(found)


def offer_document(reader: TermReader, iri: ox.NamedNode, scopes: Scopes, limit: int) -> list[ox.Triple]:
    """A published offer as its source gave it (everything it reaches in its source graphs) and its catalogue record."""
    graphs = reader.graphs_with(iri, ox.NamedNode(RDF_TYPE), ox.NamedNode(LEARNING_OPPORTUNITY), scopes.sources)
    if not graphs:
        return []
    found: dict[ox.Triple, None] = {}
    seen = {iri}
    queue = [iri]
    while queue and len(found) <= limit:
        node = queue.pop()
        for triple in reader.triples(node, graphs):
            found[triple] = None
            obj = triple.object
            if isinstance(obj, ox.NamedNode) and obj not in seen:
                seen.add(obj)
                queue.append(obj)
    for record in reader.subjects(ox.NamedNode(PRIMARY_TOPIC), iri, scopes.public):
        for triple in reader.triples(record, scopes.public):
            found[triple] = None
    return list(found)


SKOS = "http://www.w3.org/2004/02/skos/core#"
CONCEPT_FACTS = {RDF_TYPE, SKOS + "inScheme", SKOS + "prefLabel", SKOS + "notation"}


def with_concepts(reader: TermReader, triples: list[ox.Triple], vocabulary: list[str]) -> list[ox.Triple]:
    """``triples`` and what the vocabulary says a concept they use is (type, scheme, labels, notation), and its scheme's type.

    A document of one resource must stand on its own: the Europass LOQ shapes check that a concept is a
    ``skos:Concept`` in a ``skos:ConceptScheme``, and a document that only names the concept fails them.
    """
    found = dict.fromkeys(triples)
    subjects = {t.subject for t in triples}
    concepts = [t.object for t in triples if isinstance(t.object, ox.NamedNode) and t.object not in subjects]
    schemes: dict[ox.NamedNode, None] = {}
    for concept in dict.fromkeys(concepts):
        for triple in reader.triples(concept, vocabulary):
            if triple.predicate.value in CONCEPT_FACTS:
                found[triple] = None
                if triple.predicate.value == SKOS + "inScheme" and isinstance(triple.object, ox.NamedNode):
                    schemes[triple.object] = None
    for scheme in schemes:
        for triple in reader.triples(scheme, vocabulary):
            if triple.predicate.value in (RDF_TYPE, SKOS + "prefLabel"):
                found[triple] = None
    return list(found)
