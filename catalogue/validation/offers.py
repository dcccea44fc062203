"""Cutting a provider's graph into offers.

An offer is an ``elm:LearningOpportunity`` together with everything it reaches
by following properties outward in the same document: its specification,
learning outcomes, provider, places, prices, notes. Traversal stops at
concepts of the catalogue's vocabulary (the vocabulary describes those) and
at other offers (they are offers of their own; only their type is kept).

Blank nodes get stable IRIs (RDF 1.1 skolem IRIs under ``BASE/.well-known/genid/``)
derived from their content, so the same document read twice gives the same
triples, the same content hash, and a store that can be updated by difference.

Each offer is serialised as sorted N-Triples lines; their SHA-256 is the
offer's content hash, the key of the validation cache and of change detection.
Typed literals are written in the canonical form Oxigraph stores them in
("PT50H" is stored as "P2DT2H", "250.00" as "250"), so that what is hashed and
compared is exactly what the store will hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox

from catalogue.namespaces import DCTERMS, LEARNING_OPPORTUNITY, RDF_TYPE
from catalogue.vocab import Vocabulary

_TYPE = ox.NamedNode(RDF_TYPE)
_OFFER_CLASS = ox.NamedNode(LEARNING_OPPORTUNITY)
_TITLE = DCTERMS + "title"
_PLAIN = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
# RDF 1.2 text with a base direction ("…"@ar--rtl): Oxigraph's Turtle reader takes it, but its N-Triples reader does not
# read back what its writer makes of it, and an offer's statements go through N-Triples (validation, the store).
_DIRECTIONAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_PROBE = ox.NamedNode("urn:mc-catalogue:canonical")


@lru_cache(maxsize=65536)
def canonical_literal(value: str, datatype: str) -> ox.Literal:
    """The literal as Oxigraph stores it (valid numbers, booleans, durations and dates in canonical form)."""
    # A fresh store each time: one long-lived store made Store.clear() slower with every quad it had ever held
    # (85 µs a literal at first, 380 µs after 9,000); a new in-memory store costs 5 µs, whatever came before.
    probe = ox.Store()
    probe.add(ox.Quad(_PROBE, _PROBE, ox.Literal(value, datatype=ox.NamedNode(datatype))))
    return next(iter(probe)).object


@dataclass
class OfferRecord:
    iri: str
    position: int
    lines: list[str]
    content_hash: str
    concepts: list[str]
    titles: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)  # other offers it points to

    def ntriples(self) -> str:
        return "\n".join(self.lines) + "\n"

    def triples(self) -> list[ox.Triple]:
        return [quad.triple for quad in ox.parse(self.ntriples().encode(), format=ox.RdfFormat.N_TRIPLES)]

    def title(self, lang: str = "en") -> str:
        return self.titles.get(lang) or self.titles.get("en") or next(iter(self.titles.values()), "")


@dataclass
class Extraction:
    offers: list[OfferRecord]
    triples_read: int
    triples_unreached: int
    notes: list[str] = field(default_factory=list)
    directional: int = 0  # texts kept without their base direction (see ``_DIRECTIONAL``)
    # Subjects no offer reaches (nor the vocabulary describes): each with its statements, left out of every offer.
    unreached: dict[ox.NamedNode | ox.BlankNode, list[tuple[ox.NamedNode, object]]] = field(default_factory=dict)
    blank_offers: int = 0  # offers without an IRI, given one made from their content


def extract_offers(quads: Iterable[ox.Quad | ox.Triple], vocabulary: Vocabulary, base: str,
                   only: Iterable[ox.NamedNode | ox.BlankNode] | None = None) -> Extraction:
    """Split parsed quads or triples (all graphs merged) into offers, in document order; with ``only``, just those
    offers (the statements given are then their descriptions, read from a document held on disk)."""
    cutter = _Cutter(quads, vocabulary, base)
    if only is not None:
        wanted = set(only)
        cutter.offers = [offer for offer in cutter.offers if offer in wanted]
    return cutter.run()


class _Cutter:
    def __init__(self, quads: Iterable[ox.Quad | ox.Triple], vocabulary: Vocabulary, base: str):
        self.vocabulary = vocabulary
        self.genid = base + ".well-known/genid/"
        self.index: dict[object, list[tuple[ox.NamedNode, object]]] = {}
        self.offers: list[object] = []
        # Each term is taken once: pyoxigraph gives a new object for every term of every statement (with its own copy
        # of the text), and an offer's statements repeat their subjects, predicates and most objects.
        terms: dict = {}
        same = terms.setdefault
        triples = dict.fromkeys((same(s, s), same(p, p), same(o, o)) for s, p, o in ((q.subject, q.predicate, q.object) for q in quads))
        del terms, same
        self.triples_read = len(triples)
        offer_set = set()
        for subject, predicate, obj in triples:
            self.index.setdefault(subject, []).append((predicate, obj))
            if predicate == _TYPE and obj == _OFFER_CLASS and subject not in offer_set:
                offer_set.add(subject)
                self.offers.append(subject)
        self.offer_set = offer_set
        self.text: dict[object, str] = {}
        self.directional = 0  # texts whose base direction was left out
        self.skolem: dict[object, str] = {}
        self.reached: set[object] = set()

    def run(self) -> Extraction:
        records = [self._record(position, offer) for position, offer in enumerate(self.offers)]
        left_out = {
            node: pairs for node, pairs in self.index.items() if node not in self.reached and not self._is_vocabulary(node)
        }
        unreached = sum(len(pairs) for pairs in left_out.values())
        notes = []
        if unreached and records:
            notes.append(
                f"{unreached} triples are not connected to any offer and were left out "
                "(the catalogue keeps offers and what they link to)."
            )
        if self.directional:
            notes.append(
                f"{self.directional} texts had a base direction (RDF 1.2, such as @ar--rtl); they were kept with their "
                "language but without the direction, which the catalogue cannot store yet."
            )
        blank_offers = sum(isinstance(o, ox.BlankNode) for o in self.offers)
        if blank_offers:
            notes.append("Some offers had no IRI (blank nodes); they were given stable IRIs under /.well-known/genid/.")
        return Extraction(records, self.triples_read, unreached, notes, self.directional,
                          left_out if records else {}, blank_offers)

    def _is_vocabulary(self, node) -> bool:
        """Concepts and schemes of the catalogue's vocabulary: the vocabulary describes them, not the provider."""
        if not isinstance(node, ox.NamedNode):
            return False
        return self.vocabulary.describes(node.value)

    def _record(self, position: int, offer) -> OfferRecord:
        lines: list[str] = []
        concepts: set[str] = set()
        references: set[str] = set()
        seen = {offer}
        queue = [offer]
        while queue:
            node = queue.pop()
            self.reached.add(node)
            subject_text = self._term(node)
            for predicate, obj in self.index.get(node, ()):
                lines.append(f"{subject_text} {self._term(predicate)} {self._term(obj)} .")
                if isinstance(obj, ox.Literal) or obj in seen:
                    continue
                if isinstance(obj, ox.NamedNode) and self.vocabulary.is_concept(obj.value):
                    concepts.add(obj.value)
                elif obj in self.offer_set:
                    lines.append(f"{self._term(obj)} <{RDF_TYPE}> <{LEARNING_OPPORTUNITY}> .")
                    references.add(self._term(obj)[1:-1])
                else:
                    seen.add(obj)
                    queue.append(obj)
        lines = sorted(set(lines))
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        titles = {
            o.language or "": o.value
            for p, o in self.index.get(offer, ())
            if p.value == _TITLE and isinstance(o, ox.Literal)
        }
        iri = self._term(offer)[1:-1]
        return OfferRecord(iri, position, lines, digest, sorted(concepts), titles, sorted(references))

    def _term(self, term) -> str:
        text = self.text.get(term)
        if text is None:
            if isinstance(term, ox.BlankNode):
                text = f"<{self._skolemise(term)}>"
            elif isinstance(term, ox.Literal) and term.datatype.value == _DIRECTIONAL:
                self.directional += 1
                text = str(ox.Literal(term.value, language=term.language))
            elif isinstance(term, ox.Literal) and term.datatype.value not in _PLAIN:
                text = str(canonical_literal(term.value, term.datatype.value))
            else:
                text = str(term)
            self.text[term] = text
        return text

    def _skolemise(self, node: ox.BlankNode) -> str:
        """A content-derived IRI: the same blank node structure always gets the same IRI."""
        return self._signature(node, frozenset())[0]

    def _signature(self, node: ox.BlankNode, stack: frozenset) -> tuple[str, bool]:
        if node in self.skolem:
            return self.skolem[node], False
        if node in stack:
            return "cycle", True
        parts = []
        cyclic = False
        for predicate, obj in self.index.get(node, ()):
            if isinstance(obj, ox.BlankNode):
                value, inner_cycle = self._signature(obj, stack | {node})
                cyclic = cyclic or inner_cycle
            else:
                value = str(obj)
            parts.append(f"{predicate.value} {value}")
        digest = hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:32]
        iri = self.genid + digest
        if not cyclic:
            self.skolem[node] = iri
        return iri, cyclic
