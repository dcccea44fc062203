"""Filling in what a record's offers imply but do not state, with provenance; never over a provider's value.

Runs on each mapped record, before offers are cut and validated, so derived values count
for the levels of admission and are published with the offer. For each offer it looks at
what is missing and asks the rules in this package, with what the data holds and the
hints the harvester gave (``HarvestContext.hint``):

* field of education (``elm:ISCEDFCode`` on the specification) from subject codes and labels,
  titles;
* the provider's country (``elm:countryCode`` on its address) from a stated country, a
  postcode, the web domain, or the source's ``country`` option;
* language of instruction (``dcterms:language``) and the offer's default language from the
  language tags or the text of titles and descriptions;
* ECTS credit points from credits in a system with an official equivalence;
* form of participation (``elm:mode``) and schedule from how the source words them;
* learning outcomes from a description section titled as such;
* the pace of study (a note with the catalogue's pace topic) from a percentage the schedule text ties to the pace;
* the language a learner needs (a note on the specification with the words of the entry requirements that
  state it), and the CEFR level where those words state one (the note's subject).

Each derived statement becomes a ``Derivation`` (recorded in the offer's catalogue record:
rule, evidence, confidence and a sentence in English and Swedish) and a mapping note of
kind "derived" the provider sees. Offers and nodes without an IRI (blank nodes) are left as
they are: a derivation must name what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pyoxigraph as ox

from catalogue.namespaces import DCTERMS, ELM, FOAF, LEARNING_OPPORTUNITY, RDF_TYPE
from catalogue.vocab import CEFR_SCHEME

from ..contract import HarvestContext, Hint
from .country import derive_country
from .credits import derive_ects
from .field_of_education import derive_field
from .language import derive_language
from .language_requirement import (
    LANGUAGE_REQUIREMENT_TOPIC,
    derive_language_requirements,
)
from .outcomes import derive_outcomes
from .pace import derive_pace
from .participation import derive_modes
from .result import Derived

ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
PACE_TOPIC = "https://w3id.org/mc-catalogue/note-topic/pace"
SCHEDULE_SCHEME_PREFIX = "http://data.europa.eu/snb/learning-schedule/"
_TYPE = ox.NamedNode(RDF_TYPE)


@dataclass(frozen=True)
class Derivation:
    """One statement the catalogue added for an offer, and why."""

    offer: str
    subject: str
    predicate: str
    object: ox.NamedNode | ox.Literal
    derived: Derived


class _Graph:
    """A record's triples, indexed by subject, growing as values are derived."""

    def __init__(self, triples: Iterable[ox.Triple]):
        self.triples = list(triples)
        self.index: dict[object, list[tuple[str, object]]] = {}
        # Each predicate's name and each object are held once: pyoxigraph gives a new object, with its own copy of the
        # text, for every term of every statement (170 MiB against 85 MiB for a document of 10,000 offers).
        names: dict[str, str] = {}
        objects: dict = {}
        for triple in self.triples:
            predicate, obj = triple.predicate.value, triple.object
            self.index.setdefault(triple.subject, []).append((names.setdefault(predicate, predicate), objects.setdefault(obj, obj)))
        del names, objects
        # In a fixed order, not the document's: which of two notes (a Swedish and an English one) a value is derived
        # from and quoted as evidence must not depend on how the statements were written or read back.
        for pairs in self.index.values():
            if len(pairs) > 1:
                pairs.sort(key=lambda pair: (pair[0], str(pair[1])))
        self.added: list[ox.Triple] = []
        # Nodes several offers share (a provider, an address): what was derived on them for one offer
        # is recorded for every offer that uses it.
        self.derived: dict[tuple[str, str], list[Derivation]] = {}

    def objects(self, subject, predicate: str) -> list:
        return [o for p, o in self.index.get(subject, ()) if p == predicate]

    def first(self, subject, predicate: str):
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def add(self, subject: ox.NamedNode, predicate: str, obj) -> None:
        triple = ox.Triple(subject, ox.NamedNode(predicate), obj)
        self.triples.append(triple)
        self.added.append(triple)
        self.index.setdefault(subject, []).append((predicate, obj))

    def texts(self, subject, *predicates: str) -> list[tuple[str, str | None]]:
        return [(o.value, o.language) for p in predicates for o in self.objects(subject, p) if isinstance(o, ox.Literal)]

    def url(self, subject) -> str | None:
        page = self.first(subject, FOAF + "homepage")
        address = self.first(page, ELM + "contentUrl") if page is not None else None
        return address.value if isinstance(address, ox.Literal) else None


def derive_record(triples: list[ox.Triple], context: HarvestContext, record_key: str,
                  only: Iterable[ox.NamedNode | ox.BlankNode] | None = None) -> tuple[list[ox.Triple], list[Derivation]]:
    """``triples`` with the derived statements added, and what was derived (empty when nothing was missing); with
    ``only``, for those offers alone (the others in ``triples`` are offers they point to, given by their type)."""
    graph = _Graph(triples)
    derivations: list[Derivation] = []
    offers = [s for s, pairs in graph.index.items() if (RDF_TYPE, ox.NamedNode(LEARNING_OPPORTUNITY)) in pairs]
    if only is not None:
        wanted = set(only)
        offers = [offer for offer in offers if offer in wanted]
    for offer in offers:
        if isinstance(offer, ox.NamedNode):
            derivations += _Offer(graph, offer, context, context.hints.get(offer.value, [])).derive()
    for item in derivations:
        shown = item.object.value
        context.note(record_key, item.predicate.rsplit("/", 1)[-1], "derived", shown, item.derived.explanation["en"])
    return graph.triples, derivations


class _Offer:
    def __init__(self, graph: _Graph, offer: ox.NamedNode, context: HarvestContext, hints: list[Hint]):
        self.graph = graph
        self.offer = offer
        self.context = context
        self.hints = hints
        self.spec = graph.first(offer, ELM + "learningAchievementSpecification")
        self.provider = graph.first(offer, ELM + "providedBy")
        self.found: list[Derivation] = []

    def hinted(self, kind: str) -> list[Hint]:
        return [h for h in self.hints if h.kind == kind]

    def record(self, subject: ox.NamedNode, predicate: str, obj, derived: Derived) -> None:
        self.graph.add(subject, predicate, obj)
        item = Derivation(self.offer.value, subject.value, predicate, obj, derived)
        self.found.append(item)
        self.graph.derived.setdefault((subject.value, predicate), []).append(item)

    def given(self, subject, predicate: str) -> bool:
        """Whether ``subject`` has a value for ``predicate``; one derived for another offer is recorded for this one too."""
        if not self.graph.objects(subject, predicate):
            return False
        if isinstance(subject, ox.NamedNode):
            shared = [replace(d, offer=self.offer.value) for d in self.graph.derived.get((subject.value, predicate), [])]
            self.found += [d for d in shared if d not in self.found]
        return True

    def derive(self) -> list[Derivation]:
        spec = self.spec if isinstance(self.spec, ox.NamedNode) else None
        if spec is not None:
            self.field(spec)
            self.language(spec)
            self.credits(spec)
            self.outcomes(spec)
            self.language_requirements(spec)
        self.modes(spec)
        self.pace()
        if isinstance(self.provider, ox.NamedNode):
            self.country(self.provider)
        return self.found

    def titles(self) -> list[tuple[str, str | None]]:
        subjects = [self.offer] + ([self.spec] if self.spec is not None else [])
        return [t for s in subjects for t in self.graph.texts(s, DCTERMS + "title")]

    def field(self, spec: ox.NamedNode) -> None:
        if self.given(spec, ELM + "ISCEDFCode"):
            return
        codes = [(h.scheme or "", h.value) for h in self.hinted("subject-code")]
        labels = [(h.value, h.scheme) for h in self.hinted("subject-label")]
        derived = derive_field(codes, labels + self.titles())
        if derived is not None:
            self.record(spec, ELM + "ISCEDFCode", ox.NamedNode(derived.value), derived)

    def language(self, spec: ox.NamedNode) -> None:
        stated = self.graph.objects(spec, DCTERMS + "language")
        has_default = bool(self.graph.objects(self.offer, ELM + "defaultLanguage"))
        if stated and has_default:
            return
        texts = self.titles() + [t for s in (self.offer, spec) for t in self.graph.texts(s, DCTERMS + "description")]
        derived = derive_language(texts)
        if derived is None:
            return
        if not stated:
            self.record(spec, DCTERMS + "language", ox.NamedNode(derived.value), derived)
        if not has_default:
            # The language the offer is described in; with nothing else said, that of its texts.
            self.record(self.offer, ELM + "defaultLanguage", ox.NamedNode(stated[0].value if stated else derived.value), derived)

    def credits(self, spec: ox.NamedNode) -> None:
        for point in self.graph.objects(spec, ELM + "creditPoint"):
            if self.graph.first(point, ELM + "framework") == ox.NamedNode(ECTS):
                return
        for hint in self.hinted("credits"):
            derived = derive_ects(hint.value, hint.scheme or "")
            if derived is None:
                continue
            node = ox.NamedNode(spec.value + "/derived-ects")
            self.graph.add(spec, ELM + "creditPoint", node)
            self.graph.add(node, RDF_TYPE, ox.NamedNode(ELM + "CreditPoint"))
            self.graph.add(node, ELM + "framework", ox.NamedNode(ECTS))
            self.record(node, ELM + "point", ox.Literal(derived.value), derived)
            return

    def outcomes(self, spec: ox.NamedNode) -> None:
        if self.graph.objects(spec, ELM + "learningOutcome"):
            return
        for subject in (spec, self.offer):
            for text, lang in self.graph.texts(subject, DCTERMS + "description"):
                items, derived = derive_outcomes(text, lang)
                if derived is None or not items:
                    continue
                for number, item in enumerate(items, start=1):
                    node = ox.NamedNode(f"{spec.value}/derived-outcome/{number}")
                    self.graph.add(spec, ELM + "learningOutcome", node)
                    self.graph.add(node, RDF_TYPE, ox.NamedNode(ELM + "LearningOutcome"))
                    self.record(node, DCTERMS + "title", ox.Literal(item, language=lang or "und"), derived)
                return

    def language_requirements(self, spec: ox.NamedNode) -> None:
        for note in self.graph.objects(spec, ELM + "additionalNote"):
            for subject in self.graph.objects(note, DCTERMS + "subject"):
                if subject.value == LANGUAGE_REQUIREMENT_TOPIC or subject.value.startswith(CEFR_SCHEME):
                    return  # the provider states its language requirements itself
        texts = [t for note in self.graph.objects(spec, ELM + "entryRequirement") for t in self.graph.texts(note, ELM + "noteLiteral")]
        for requirement in derive_language_requirements(texts):
            node = ox.NamedNode(f"{spec.value}/language-requirement/{requirement.level or 'stated'}")
            self.graph.add(spec, ELM + "additionalNote", node)
            self.graph.add(node, RDF_TYPE, ox.NamedNode(ELM + "Note"))
            for lang, text in requirement.texts.items():
                self.graph.add(node, ELM + "noteLiteral", ox.Literal(text, language=lang or "und"))
            self.record(node, DCTERMS + "subject", ox.NamedNode(requirement.derived.value), requirement.derived)

    def pace(self) -> None:
        for note in self.graph.objects(self.offer, ELM + "additionalNote"):
            if ox.NamedNode(PACE_TOPIC) in self.graph.objects(note, DCTERMS + "subject"):
                return  # stated as a pace note already
        texts = [text for note in self.graph.objects(self.offer, ELM + "scheduleInformation") for text, _ in self.graph.texts(note, ELM + "noteLiteral")]
        derived = derive_pace(texts)
        if derived is None:
            return
        node = ox.NamedNode(self.offer.value + "/derived-pace")
        self.graph.add(self.offer, ELM + "additionalNote", node)
        self.graph.add(node, RDF_TYPE, ox.NamedNode(ELM + "Note"))
        self.graph.add(node, DCTERMS + "subject", ox.NamedNode(PACE_TOPIC))
        sentences = {"sv": f"Studietakt: {derived.value.replace('.', ',')} %", "en": f"Pace of study: {derived.value} %"}
        self.graph.add(node, ELM + "noteLiteral", ox.Literal(sentences["en"], language="en"))
        self.record(node, ELM + "noteLiteral", ox.Literal(sentences["sv"], language="sv"), derived)

    def modes(self, spec: ox.NamedNode | None) -> None:
        has_mode = bool(self.graph.objects(self.offer, ELM + "mode")) or (spec is not None and bool(self.graph.objects(spec, ELM + "mode")))
        has_schedule = bool(self.graph.objects(self.offer, ELM + "learningSchedule"))
        if has_mode and has_schedule:
            return
        texts = [h.value for h in self.hinted("mode-text")]
        note = self.graph.first(self.offer, ELM + "scheduleInformation")
        if note is not None:
            texts += [text for text, _ in self.graph.texts(note, ELM + "noteLiteral")]
        if not texts:
            return
        for derived in derive_modes(texts):
            schedule = derived.value.startswith(SCHEDULE_SCHEME_PREFIX)
            if schedule and not has_schedule:
                self.record(self.offer, ELM + "learningSchedule", ox.NamedNode(derived.value), derived)
                has_schedule = True  # at most one schedule
            elif not schedule and not has_mode:
                self.record(self.offer, ELM + "mode", ox.NamedNode(derived.value), derived)

    def country(self, provider: ox.NamedNode) -> None:
        locations = self.graph.objects(provider, ELM + "location")
        addresses = [a for loc in locations for a in self.graph.objects(loc, ELM + "address")]
        if [a for a in addresses if self.given(a, ELM + "countryCode")]:
            return
        stated = next((h.value for h in self.hinted("country-text")), None)
        postcode = next((h.value for h in self.hinted("postcode")), None)
        urls = [u for u in (self.graph.url(provider), self.graph.url(self.offer)) if u]
        derived = derive_country(stated, postcode, urls, self.context.option("country"))
        if derived is None:
            return
        address = next((a for a in addresses if isinstance(a, ox.NamedNode)), None)
        if address is None:
            location = next((loc for loc in locations if isinstance(loc, ox.NamedNode)), None)
            if location is None:
                location = ox.NamedNode(provider.value + "/derived-location")
                self.graph.add(provider, ELM + "location", location)
                self.graph.add(location, RDF_TYPE, ox.NamedNode(DCTERMS + "Location"))
            address = ox.NamedNode(location.value + "/derived-address")
            self.graph.add(location, ELM + "address", address)
            self.graph.add(address, RDF_TYPE, ox.NamedNode(ELM + "Address"))
        self.record(address, ELM + "countryCode", ox.NamedNode(derived.value), derived)
