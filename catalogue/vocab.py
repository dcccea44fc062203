"""The catalogue's vocabulary: ELM term labels and the EU concept schemes in ``vocab/``.

Loaded once per process. Everything a learner or counsellor reads as a label
comes from here, and so do the concept memberships that validation adds next
to each offer (``rdf:type skos:Concept`` and ``skos:inScheme``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from .namespaces import (
    ANNEX,
    MCC,
    RDF_TYPE,
    RDFS,
    SKOS,
    SKOS_CONCEPT,
    SKOS_CONCEPT_SCHEME,
    SKOS_IN_SCHEME,
)
from .resources import vocabulary_files

EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
ISCED_SCHEME = "http://data.europa.eu/snb/isced-f/25831c2"
MODE_SCHEME = "http://data.europa.eu/snb/learning-assessment/25831c2"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
CURRENCY_SCHEME = "http://publications.europa.eu/resource/authority/currency"
SCHEDULE_SCHEME = "http://data.europa.eu/snb/learning-schedule/25831c2"
SETTING_SCHEME = "http://data.europa.eu/snb/learning-setting/25831c2"
CREDIT_SCHEME = "http://data.europa.eu/snb/education-credit/25831c2"
ASSESSMENT_SCHEME = "http://data.europa.eu/snb/assessment/25831c2"
ACCREDITATION_SCHEME = "http://data.europa.eu/snb/accreditation/25831c2"
OPPORTUNITY_TYPE_SCHEME = "http://data.europa.eu/snb/learning-opportunity/25831c2"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
# The catalogue's own schemes (vocab/credit-systems.ttl, vocab/cefr.ttl): what the EU lists do not hold.
NATIONAL_CREDIT_SCHEME = "https://w3id.org/mc-catalogue/credit-system/"
YH_POINTS = NATIONAL_CREDIT_SCHEME + "yh"
FOLK_HIGH_SCHOOL_WEEKS = NATIONAL_CREDIT_SCHEME + "folk-high-school-weeks"
CEFR_SCHEME = "https://w3id.org/mc-catalogue/cefr/"
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
ESCO = "http://data.europa.eu/esco/"


@dataclass(frozen=True)
class AnnexElement:
    iri: str
    key: str
    mandatory: bool
    order: int
    offer_level: bool
    labels: dict[str, str]
    definitions: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.key


class Vocabulary:
    def __init__(self, store: ox.Store):
        self.store = store
        self.schemes_of: dict[str, tuple[str, ...]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.notations: dict[str, str] = {}
        self.definitions: dict[str, dict[str, str]] = {}
        self._index_concepts()
        self._index_labels()
        self._lexicon: dict[str, dict[str, list[tuple[str, bool]]]] | None = None
        self._annex: list[AnnexElement] | None = None

    # -- loading ---------------------------------------------------------------

    def _index_concepts(self) -> None:
        schemes: dict[str, list[str]] = {}
        for quad in self.store.quads_for_pattern(None, ox.NamedNode(SKOS_IN_SCHEME), None):
            schemes.setdefault(quad.subject.value, []).append(quad.object.value)
        self.schemes_of = {concept: tuple(sorted(s)) for concept, s in schemes.items()}
        self.scheme_iris = {scheme for found in schemes.values() for scheme in found}

    def _index_labels(self) -> None:
        for predicate, target in (
            # What readers see: the catalogue's plain label where the official one is jargon ("Presential").
            (MCC + "readerLabel", self.labels),
            (SKOS + "prefLabel", self.labels),
            (RDFS + "label", self.labels),
            (SKOS + "definition", self.definitions),
            (RDFS + "comment", self.definitions),
        ):
            for quad in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None):
                literal = quad.object
                if isinstance(literal, ox.Literal) and literal.language:
                    target.setdefault(quad.subject.value, {}).setdefault(literal.language, literal.value)
        for quad in self.store.quads_for_pattern(None, ox.NamedNode(SKOS + "notation"), None):
            self.notations[quad.subject.value] = quad.object.value

    # -- questions -------------------------------------------------------------

    def is_concept(self, iri: str) -> bool:
        return iri in self.schemes_of

    def describes(self, iri: str) -> bool:
        """A concept or scheme of the vocabulary: what the vocabulary says of it, a provider does not."""
        return iri in self.schemes_of or iri in self.scheme_iris

    def in_scheme(self, iri: str, scheme: str) -> bool:
        return scheme in self.schemes_of.get(iri, ())

    def label(self, iri: str, lang: str = "en", fallback: str | None = None) -> str:
        labels = self.labels.get(iri)
        if labels:
            return labels.get(lang) or labels.get("en") or next(iter(labels.values()))
        return fallback if fallback is not None else iri

    def concepts(self, scheme: str) -> list[str]:
        return sorted(c for c, s in self.schemes_of.items() if scheme in s)

    def membership_triples(self, iri: str, with_labels: bool = False) -> list[ox.Triple]:
        """What validation needs to know about a concept: its type, schemes (typed), and optionally labels."""
        node = ox.NamedNode(iri)
        triples = [ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(SKOS_CONCEPT))]
        for scheme in self.schemes_of.get(iri, ()):
            triples.append(ox.Triple(node, ox.NamedNode(SKOS_IN_SCHEME), ox.NamedNode(scheme)))
            triples.append(ox.Triple(ox.NamedNode(scheme), ox.NamedNode(RDF_TYPE), ox.NamedNode(SKOS_CONCEPT_SCHEME)))
        if with_labels:
            for lang, text in self.labels.get(iri, {}).items():
                triples.append(ox.Triple(node, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(text, language=lang)))
        return triples

    def annex_elements(self) -> list[AnnexElement]:
        # Asked for twice per offer when records are written: read from the store once (it cost 2.5 s per 10,000 offers).
        if self._annex is None:
            self._annex = _annex_elements(self)
        return list(self._annex)

    def quads(self, graph: str) -> list[ox.Quad]:
        """The whole vocabulary as quads in ``graph``, for loading into the catalogue store."""
        target = ox.NamedNode(graph)
        return [ox.Quad(q.subject, q.predicate, q.object, target) for q in self.store]

    # -- free text to concepts (harvesters) ------------------------------------

    def match(self, scheme: str, text: str) -> tuple[str, bool] | None:
        """The concept of ``scheme`` whose label or notation is ``text``: (IRI, exact?).

        Exact means a preferred label or notation; alternative and hidden labels
        are synonyms, reported as guesses by the harvesters' mapping reports.
        """
        lexicon = self._build_lexicon()
        hits = lexicon.get(scheme, {}).get(normalise(text))
        if not hits:
            return None
        exact = [h for h in hits if h[1]]
        iri, is_exact = (exact or hits)[0]
        return iri, is_exact

    def _build_lexicon(self) -> dict[str, dict[str, list[tuple[str, bool]]]]:
        if self._lexicon is not None:
            return self._lexicon
        lexicon: dict[str, dict[str, list[tuple[str, bool]]]] = {}
        kinds = ((SKOS + "prefLabel", True), (SKOS + "notation", True), (SKOS + "altLabel", False), (SKOS + "hiddenLabel", False))
        for predicate, exact in kinds:
            for quad in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None):
                concept = quad.subject.value
                for scheme in self.schemes_of.get(concept, ()):
                    entries = lexicon.setdefault(scheme, {}).setdefault(normalise(quad.object.value), [])
                    if (concept, exact) not in entries:
                        entries.append((concept, exact))
        self._lexicon = lexicon
        return lexicon


def esco_kind(iri: str) -> str | None:
    """"skill" or "occupation" for an ESCO concept IRI (by its pillar), else None."""
    for kind in ("skill", "occupation"):
        if iri.startswith(f"{ESCO}{kind}/"):
            return kind
    return None


def esco_page(iri: str, lang: str) -> str | None:
    """The ESCO portal's page about an ESCO skill or occupation, in ``lang``; None for other IRIs."""
    kind = esco_kind(iri)
    if kind is None:
        return None
    return f"https://esco.ec.europa.eu/{lang}/classification/{kind}?uri={quote(iri, safe='')}"


def readable_iri(iri: str, lang: str) -> str:
    """A name for a skill or occupation nobody labelled: "ESCO skill 3a2d5b45" for an ESCO id, else its last part in words."""
    last = iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    kind = esco_kind(iri)
    if kind is not None and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", last):
        words = {("skill", "sv"): "ESCO-färdighet", ("occupation", "sv"): "ESCO-yrke",
                 ("skill", "en"): "ESCO skill", ("occupation", "en"): "ESCO occupation"}
        return f"{words.get((kind, lang), words[(kind, 'en')])} {last[:8]}"
    return re.sub(r"[-_]+", " ", last).strip() or iri


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a label, for matching free text."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-_/.,:;()]+", " ", text).strip()


def _annex_elements(vocabulary: Vocabulary):
    elements = []
    store = vocabulary.store
    for quad in store.quads_for_pattern(None, ox.NamedNode(SKOS_IN_SCHEME), ox.NamedNode(ANNEX)):
        iri = quad.subject.value
        node = quad.subject

        def value(predicate: str) -> str | None:
            for q in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
                return q.object.value
            return None

        elements.append(
            AnnexElement(
                iri=iri,
                key=vocabulary.notations.get(iri, iri.rsplit("/", 1)[-1]),
                mandatory=value(MCC + "mandatory") == "true",
                order=int(value(MCC + "order") or 99),
                offer_level=value(MCC + "appliesTo") == MCC + "Offer",
                labels=vocabulary.labels.get(iri, {}),
                definitions=vocabulary.definitions.get(iri, {}),
            )
        )
    return sorted(elements, key=lambda e: e.order)


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    store = ox.Store()
    for path in vocabulary_files():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return Vocabulary(store)
