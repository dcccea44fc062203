"""An offer's summary made from its statements: a walk along the paths the catalogue shows, in Python.

One walk serves every way an offer's statements arrive: read from the store a chunk of offers at a time
(``offer_data.read_offers``), or in hand at harvest time, as the N-Triples lines extraction made of the offer and
the statements of its catalogue record (``kept_summaries``). The walk reads each subject's values in the order of
their N-Triples text, so where a summary keeps one value of several (a title in one language given twice, two
start dates) it keeps the same one however the statements were read.

An offer's description is what extraction cut for it (``validation.offers``): the offer and every node it reaches,
stopping at the vocabulary's concepts and at other offers. Its record (in the records graph) names it with
``foaf:primaryTopic``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox

from catalogue.levels import LEVEL_KEYS
from catalogue.namespaces import PREFIXES
from catalogue.text import display_text
from catalogue.vocab import CEFR_SCHEME, EQF_SCHEME, Vocabulary, load_vocabulary

from .offer_summary import OfferSummary, Organisation, Place, Price, Texts
from .time_relevance import STATUS_KEYS

TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
PACE_TOPIC = TOPIC + "pace"
LANGUAGE_REQUIREMENT_TOPIC = TOPIC + "language-requirement"
SUPERVISION_TOPIC = TOPIC + "supervision-and-identity-verification"
_QUALIFICATION_TOPICS = "http://data.europa.eu/snb/qualification-topics#"
QUALITY_TOPIC = _QUALIFICATION_TOPICS + "accreditation-and-quality-assurance"
PATHWAYS_TOPIC = _QUALIFICATION_TOPICS + "pathways"


def _iri(name: str) -> str:
    prefix, local = name.split(":")
    return PREFIXES[prefix] + local


class _P:
    """The properties the walk follows, as IRIs."""
    title, description, type, subject, modified, issued = (_iri("dcterms:" + n) for n in ("title", "description", "type", "subject", "modified", "issued"))
    language, temporal = _iri("dcterms:language"), _iri("dcterms:temporal")
    default_language, mode, schedule, deadline, duration = (_iri("elm:" + n) for n in ("defaultLanguage", "mode", "learningSchedule", "applicationDeadline", "duration"))
    spec, provided_by, part_of = _iri("elm:learningAchievementSpecification"), _iri("elm:providedBy"), _iri("elm:isPartOf")
    homepage, content_url, document = _iri("foaf:homepage"), _iri("elm:contentUrl"), _iri("elm:supplementaryDocument")
    start, end = _iri("elm:startDate"), _iri("elm:endDate")
    price, amount, value, unit, label = _iri("elm:priceDetail"), _iri("elm:amount"), _iri("rdf:value"), _iri("elm:unit"), _iri("skos:prefLabel")
    location, address, country, full_address, note_literal = (_iri("elm:" + n) for n in ("location", "address", "countryCode", "fullAddress", "noteLiteral"))
    geographic_name, geometry, latitude, longitude = _iri("elm:geographicName"), _iri("locn:geometry"), _iri("clv:latitude"), _iri("clv:longitude")
    note, admission, schedule_information = _iri("elm:additionalNote"), _iri("elm:admissionProcedure"), _iri("elm:scheduleInformation")
    isced, education_level, eqf_level, volume = _iri("elm:ISCEDFCode"), _iri("elm:educationLevel"), _iri("elm:EQFLevel"), _iri("elm:volumeOfLearning")
    target_group, setting = _iri("elm:targetGroup"), _iri("elm:learningSetting")
    credit, framework, point = _iri("elm:creditPoint"), _iri("elm:framework"), _iri("elm:point")
    activity, outcome = _iri("elm:learningActivitySpecification"), _iri("elm:learningOutcome")
    esco_skill, skill, entitles, occupation, national_occupation = (_iri("elm:" + n) for n in ("relatedESCOSkill", "relatedSkill", "entitlesTo", "limitOccupation", "limitNationalOccupation"))
    proven_by, grading, entry, awarding, awarding_body = (_iri("elm:" + n) for n in ("provenBy", "gradingScheme", "entryRequirement", "awardingOpportunity", "awardingBody"))
    legal_name, accreditation, agent, report = _iri("rov:legalName"), _iri("elm:accreditation"), _iri("elm:accreditingAgent"), _iri("elm:report")
    topic = _iri("foaf:primaryTopic")
    microcredential, warnings, content_hash, level, status = (_iri("mcc:" + n) for n in ("microCredential", "warningCount", "contentHash", "admissionLevel", "timeStatus"))
    generated_by = _iri("prov:wasGeneratedBy")
    missing, missing_optional, gap = _iri("mcc:missingElement"), _iri("mcc:missingOptionalElement"), _iri("mcc:europassGap")
    derivation, predicate, object, rule, comment = _iri("mcc:derivation"), _iri("rdf:predicate"), _iri("rdf:object"), _iri("mcc:rule"), _iri("rdfs:comment")


# What a specification holds itself that a summary shows.
_SPEC_VALUES = frozenset((_P.isced, _P.language, _P.education_level, _P.eqf_level, _P.volume, _P.target_group, _P.setting, _P.part_of))
# The links the walk follows from one node to another: a store read need not fetch what lies beyond any other.
FOLLOWED = frozenset((
    _P.spec, _P.provided_by, _P.homepage, _P.document, _P.temporal, _P.price, _P.amount, _P.location, _P.address,
    _P.full_address, _P.geometry, _P.note, _P.admission, _P.schedule_information, _P.activity, _P.credit, _P.outcome,
    _P.esco_skill, _P.skill, _P.entitles, _P.occupation, _P.national_occupation, _P.proven_by, _P.grading, _P.entry,
    _P.awarding, _P.awarding_body, _P.accreditation, _P.agent, _P.report,
))
_EMPTY: tuple = ()
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class Term:
    """An object as the walk reads it, from its N-Triples text: an IRI (or blank node) or a literal with its value
    and language."""

    __slots__ = ("value", "language", "literal")

    def __init__(self, value: str, language: str | None, literal: bool):
        self.value, self.language, self.literal = value, language, literal


def term(text: str) -> Term:
    """The term an N-Triples object text writes (``<iri>``, ``_:b``, ``"v"``, ``"v"@lang``, ``"v"^^<type>``)."""
    if text.startswith("<"):
        return Term(text[1:-1], None, False)
    if text.startswith("_:"):
        return Term(text, None, False)
    end = text.rindex('"')
    value = text[1:end]
    if "\\" in value:
        value = _ESCAPE.sub(_unescaped, value)
    rest = text[end + 1:]
    return Term(value, rest[1:] if rest.startswith("@") else None, True)


def _unescaped(match: re.Match) -> str:
    code = match.group(1) or match.group(2)
    return chr(int(code, 16)) if code else _ESCAPED.get(match.group(3), match.group(0))


def node_key(node: ox.NamedNode | ox.BlankNode) -> str:
    """How a subject is named in ``Statements``: an IRI as itself, a blank node as ``_:id``."""
    return node.value if isinstance(node, ox.NamedNode) else str(node)


class Statements:
    """Statements by subject and property, each object kept as its N-Triples text (what extraction made of an offer
    is such text already; only the values the walk reads are decoded). ``ready`` puts each property's objects in
    text order, which is what makes the walk's choices independent of the order statements were added in."""

    def __init__(self) -> None:
        self.by_subject: dict[str, dict[str, list[str]]] = {}
        self.records: dict[str, list[str]] = {}  # offer -> the records naming it (foaf:primaryTopic)

    def add(self, subject: str, predicate: str, obj: str) -> None:
        """One statement: ``subject`` and ``predicate`` as IRIs (or ``_:id``), ``obj`` as N-Triples text."""
        properties = self.by_subject.get(subject)
        if properties is None:
            properties = self.by_subject[subject] = {}
        values = properties.get(predicate)
        if values is None:
            properties[predicate] = [obj]
        else:
            values.append(obj)
        if predicate == _P.topic and obj[0] != '"':
            self.records.setdefault(term(obj).value, []).append(subject)

    def add_all(self, statements: Iterable[ox.Triple | ox.Quad]) -> Statements:
        """Statements as terms (read from a store, or made by the harvest)."""
        add = self.add
        for statement in statements:
            add(node_key(statement.subject), statement.predicate.value, str(statement.object))
        return self

    def add_lines(self, lines: Iterable[str]) -> Statements:
        """Statements as N-Triples lines of IRIs (``<s> <p> object .``), as extraction writes an offer's."""
        add = self.add
        for line in lines:
            subject_end = line.index("> <")
            predicate_end = line.index("> ", subject_end + 3)
            add(line[1:subject_end], line[subject_end + 3:predicate_end], line[predicate_end + 2:-2])
        return self

    def ready(self) -> Statements:
        for properties in self.by_subject.values():
            for predicate, values in properties.items():
                if len(values) > 1:
                    # The same statement read twice (from two graphs' reads) counts once.
                    properties[predicate] = sorted(set(values))
        for records in self.records.values():
            records.sort()
        return self

    def values(self, subject: str, predicate: str) -> list[Term] | tuple:
        properties = self.by_subject.get(subject)
        texts = properties.get(predicate) if properties else None
        return [term(text) for text in texts] if texts else _EMPTY

    def nodes(self, subject: str, predicate: str) -> list[str]:
        properties = self.by_subject.get(subject)
        texts = properties.get(predicate) if properties else None
        return [text[1:-1] if text[0] == "<" else text for text in texts if text[0] != '"'] if texts else []

    def predicates(self, subject: str) -> dict[str, list[str]]:
        return self.by_subject.get(subject, {})

    def last(self, subject: str, predicate: str) -> str | None:
        found = self.by_subject.get(subject, {}).get(predicate)
        return term(found[-1]).value if found else None


def summarise(statements: Statements, offer: str, source: str, vocabulary: Vocabulary | None = None) -> OfferSummary:
    """The summary of ``offer`` as ``source`` describes it, from ``statements`` holding its description and record
    (and perhaps other offers'); ``statements.ready()`` must have been called."""
    summary = describe(statements, offer, source, vocabulary)
    add_record(summary, statements)
    return summary


def describe(statements: Statements, offer: str, source: str, vocabulary: Vocabulary | None = None) -> OfferSummary:
    """``summarise`` without the catalogue record: what the offer's description alone says."""
    return _Walk(statements, offer, source, vocabulary or load_vocabulary()).summary


class _Walk:
    def __init__(self, statements: Statements, offer: str, source: str, vocabulary: Vocabulary):
        self.s, self.vocabulary = statements, vocabulary
        self.organisations: dict[str, Organisation] = {}
        summary = self.summary = OfferSummary(offer, source)
        specs = statements.nodes(offer, _P.spec)
        self._offer(offer, summary)
        for spec in specs:
            self._spec_values(spec, summary)
        self._homepage_and_documents(offer, summary)
        self._places(offer, summary)
        summary.topics = sorted({t.value for n in [*self.s.nodes(offer, _P.note), *(n for s in specs for n in self.s.nodes(s, _P.note))]
                                 for t in self.s.values(n, _P.subject)})
        summary.pace = next((p for n in self._notes_about(offer, PACE_TOPIC) for t in self.s.values(n, _P.note_literal)
                             if (p := _percent(t.value)) is not None), None)
        summary.admission = self._note_texts(offer, _P.admission)
        summary.schedule_information = self._note_texts(offer, _P.schedule_information)
        self._spec(offer, specs, summary)
        for organisation in self.organisations.values():
            self._organisation_details(organisation)

    # -- the offer's own values ------------------------------------------------------------------

    def _offer(self, offer: str, summary: OfferSummary) -> None:
        s = self.s
        for value in s.values(offer, _P.title):
            _add_name(summary.titles, value)
        for value in s.values(offer, _P.description):
            if value.literal:
                summary.descriptions[value.language or ""] = value.value
        summary.types = [v.value for v in s.values(offer, _P.type)]
        summary.default_language = s.last(offer, _P.default_language)
        summary.modes = list(dict.fromkeys(v.value for v in s.values(offer, _P.mode)))
        summary.schedule = s.last(offer, _P.schedule)
        summary.deadlines = [v.value for v in s.values(offer, _P.deadline)]
        summary.duration = s.last(offer, _P.duration)
        summary.modified = s.last(offer, _P.modified)
        summary.spec = s.last(offer, _P.spec)
        providers = s.nodes(offer, _P.provided_by)
        summary.provider = self._organisation(providers[-1]) if providers else None
        summary.part_of = [v.value for v in s.values(offer, _P.part_of)]
        for temporal in s.nodes(offer, _P.temporal):
            summary.start = s.last(temporal, _P.start) or summary.start
            summary.end = s.last(temporal, _P.end) or summary.end

    def _spec_values(self, spec: str, summary: OfferSummary) -> None:
        s = self.s
        for predicate, values in s.predicates(spec).items():
            if predicate not in _SPEC_VALUES:
                continue
            for text in (term(v).value for v in values):
                if predicate == _P.isced:
                    summary.fields.append(text)
                elif predicate == _P.language:
                    summary.languages.append(text)
                elif predicate in (_P.education_level, _P.eqf_level):
                    if self.vocabulary.in_scheme(text, EQF_SCHEME):
                        summary.eqf = text
                    else:
                        summary.other_levels.append(text)
                elif predicate == _P.volume:
                    summary.volume = text
                elif predicate == _P.target_group:
                    summary.target_groups.append(text)
                elif predicate == _P.setting:
                    summary.setting = text
                elif predicate == _P.part_of:
                    summary.part_of.append(text)
        summary.fields = list(dict.fromkeys(summary.fields))
        summary.languages = list(dict.fromkeys(summary.languages))

    def _homepage_and_documents(self, offer: str, summary: OfferSummary) -> None:
        s = self.s
        for page in s.nodes(offer, _P.homepage):
            summary.homepage = s.last(page, _P.content_url) or summary.homepage
        summary.documents = list(dict.fromkeys(u.value for d in s.nodes(offer, _P.document) for u in s.values(d, _P.content_url)))
        for detail in s.nodes(offer, _P.price):
            amount = currency = None
            for node in s.nodes(detail, _P.amount):
                for value in s.values(node, _P.value):
                    for unit in s.values(node, _P.unit):
                        try:
                            amount, currency = float(value.value), unit.value
                        except ValueError:
                            continue  # not a number: the price's labels still say it
            price = Price(amount, currency)
            for label in s.values(detail, _P.label):
                _add_name(price.labels, label)
            summary.prices.append(price)

    def _places(self, offer: str, summary: OfferSummary) -> None:
        s = self.s
        for location in s.nodes(offer, _P.location):
            place = Place({}, {}, None)
            for address in s.nodes(location, _P.address):
                place.country = place.country or s.last(address, _P.country)
                for full in s.nodes(address, _P.full_address):
                    for text in s.values(full, _P.note_literal):
                        place.address[text.language or ""] = text.value
            for name in s.values(location, _P.geographic_name):
                _add_name(place.names, name)
            for geometry in s.nodes(location, _P.geometry):
                for latitude in s.values(geometry, _P.latitude):
                    for longitude in s.values(geometry, _P.longitude):
                        if place.latitude is None:
                            place.latitude, place.longitude = _coordinate(latitude.value, 90), _coordinate(longitude.value, 180)
                            if place.latitude is None or place.longitude is None:
                                place.latitude = place.longitude = None
            # A place with neither address nor name nor coordinates tells a reader nothing.
            if place.names or place.address or place.country or place.latitude is not None:
                summary.places.append(place)

    # -- notes ---------------------------------------------------------------------------------

    def _notes_about(self, node: str, topic: str, via: str = _P.note) -> list[str]:
        return [n for n in self.s.nodes(node, via) if any(t.value == topic for t in self.s.values(n, _P.subject))]

    def _texts(self, note: str) -> Texts:
        return {t.language or "": t.value for t in self.s.values(note, _P.note_literal)}

    def _note_texts(self, node: str, via: str) -> Texts:
        texts: Texts = {}
        for note in self.s.nodes(node, via):
            texts.update(self._texts(note))
        return texts

    def _topic_notes(self, nodes: list[str], topic: str) -> list[Texts]:
        notes = dict.fromkeys(note for node in nodes for note in self._notes_about(node, topic))
        return [texts for note in notes if (texts := self._texts(note))]

    # -- the specification -----------------------------------------------------------------------

    def _spec(self, offer: str, specs: list[str], summary: OfferSummary) -> None:
        s = self.s
        summary.credits = list(dict.fromkeys((f.value, p.value) for spec in specs for credit in s.nodes(spec, _P.credit)
                                             for f in s.values(credit, _P.framework) for p in s.values(credit, _P.point)))
        activities = [a for spec in specs for a in s.nodes(spec, _P.activity)] + s.nodes(offer, _P.activity)
        for activity in activities:
            summary.volume = summary.volume or s.last(activity, _P.volume)
        outcomes = list(dict.fromkeys(o for spec in specs for o in s.nodes(spec, _P.outcome)))
        for outcome in outcomes:
            texts: Texts = {}
            for title in s.values(outcome, _P.title):
                _add_name(texts, title)
            if s.values(outcome, _P.title):
                summary.outcomes.append(texts)
        summary.language_requirements = self._language_requirements(specs)
        self._concepts(summary, "skills", outcomes, (_P.esco_skill, _P.skill))
        self._concepts(summary, "occupations", [e for spec in specs for e in s.nodes(spec, _P.entitles)], (_P.occupation, _P.national_occupation))
        assessments = [a for spec in specs for a in s.nodes(spec, _P.proven_by)]
        for assessment in assessments:
            for kind in s.values(assessment, _P.type):
                if kind.value not in summary.assessment_types:
                    summary.assessment_types.append(kind.value)
            for title in s.values(assessment, _P.title):
                _add_name(summary.assessment_titles, title)
            for scheme in s.nodes(assessment, _P.grading):
                for title in s.values(scheme, _P.title):
                    _add_name(summary.grading, title)
        for spec in specs:
            summary.entry_requirements.update(self._note_texts(spec, _P.entry))
        summary.quality_notes = self._topic_notes(specs, QUALITY_TOPIC) + self._topic_notes([offer], QUALITY_TOPIC)
        summary.pathways = self._topic_notes(specs, PATHWAYS_TOPIC) + self._topic_notes([offer], PATHWAYS_TOPIC)
        summary.supervision = self._topic_notes(assessments, SUPERVISION_TOPIC)
        for spec in specs:
            for opportunity in s.nodes(spec, _P.awarding):
                for body in s.nodes(opportunity, _P.awarding_body):
                    organisation = self._organisation(body)
                    if organisation not in summary.awarding_bodies:
                        summary.awarding_bodies.append(organisation)

    def _language_requirements(self, specs: list[str]) -> list[dict]:
        found = []
        for note in dict.fromkeys(n for spec in specs for n in self.s.nodes(spec, _P.note)):
            subjects = [t.value for t in self.s.values(note, _P.subject)]
            levels = [t[len(CEFR_SCHEME):] for t in subjects if t.startswith(CEFR_SCHEME)]
            texts = {t.language or "": display_text(t.value) for t in self.s.values(note, _P.note_literal)}
            if texts and (levels or LANGUAGE_REQUIREMENT_TOPIC in subjects):
                found.append({"level": levels[0] if levels else None, "texts": texts})
        return found

    def _concepts(self, summary: OfferSummary, attribute: str, nodes: list[str], properties: tuple[str, ...]) -> None:
        found: list[str] = getattr(summary, attribute)
        for node in nodes:
            for predicate in properties:
                for concept in self.s.values(node, predicate):
                    if concept.literal or concept.value.startswith("_:"):
                        continue  # a skill with no IRI cannot be filtered on or linked to
                    if concept.value not in found:
                        found.append(concept.value)
                    for label in self.s.values(concept.value, _P.label):
                        _add_name(summary.concept_labels.setdefault(concept.value, {}), label)
        found.sort()

    # -- organisations -------------------------------------------------------------------------

    def _organisation(self, iri: str) -> Organisation:
        return self.organisations.setdefault(iri, Organisation(iri))

    def _organisation_details(self, organisation: Organisation) -> None:
        s, iri = self.s, organisation.iri
        for name in s.values(iri, _P.legal_name):
            _add_name(organisation.names, name)
        for location in s.nodes(iri, _P.location):
            for address in s.nodes(location, _P.address):
                organisation.country = s.last(address, _P.country) or organisation.country
        for page in s.nodes(iri, _P.homepage):
            organisation.homepage = s.last(page, _P.content_url) or organisation.homepage
        for accreditation in s.nodes(iri, _P.accreditation):
            entry: dict = {"type": s.last(accreditation, _P.type), "titles": {}, "agent": {}, "report": None}
            for title in s.values(accreditation, _P.title):
                _add_name(entry["titles"], title)
            for agent in s.nodes(accreditation, _P.agent):
                for name in s.values(agent, _P.legal_name):
                    _add_name(entry["agent"], name)
            for report in s.nodes(accreditation, _P.report):
                entry["report"] = s.last(report, _P.content_url) or entry["report"]
            organisation.accreditations.append(entry)


# What ``add_record`` gives a summary: all of it comes from the catalogue record.
RECORD_FIELDS = ("microcredential", "level", "status", "warnings", "first_seen", "changed", "run", "content_hash",
                 "missing", "missing_optional", "europass_gaps", "derived")
_DEFAULTS = {f.name: f for f in dataclasses.fields(OfferSummary) if f.name in RECORD_FIELDS}


def without_record(summary: OfferSummary) -> OfferSummary:
    """``summary`` as ``describe`` made it: what its record said is taken out (to be added again from a new record)."""
    for name, spec in _DEFAULTS.items():
        setattr(summary, name, spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default)
    return summary


def add_record(summary: OfferSummary, statements: Statements) -> None:
    """What the catalogue record of ``summary``'s offer in ``statements`` says: level, time status, when it was first
    seen and changed, what is missing, what was derived."""
    s = statements
    for record in s.records.get(summary.iri, _EMPTY):
        values = s.predicates(record)
        if all(values.get(p) for p in (_P.microcredential, _P.warnings, _P.issued, _P.modified, _P.content_hash)):
            summary.microcredential = s.last(record, _P.microcredential) == "true"
            summary.level = LEVEL_KEYS.get(s.last(record, _P.level) or "", summary.level)
            summary.status = STATUS_KEYS.get(s.last(record, _P.status) or "", summary.status)
            summary.warnings = int(s.last(record, _P.warnings) or 0)
            summary.first_seen, summary.changed = s.last(record, _P.issued), s.last(record, _P.modified)
            summary.run = s.last(record, _P.generated_by)
            summary.content_hash = s.last(record, _P.content_hash)
        for attribute, predicate, whole in (("missing", _P.missing, False), ("missing_optional", _P.missing_optional, False),
                                            ("europass_gaps", _P.gap, True)):
            found: list[str] = getattr(summary, attribute)
            for value in s.values(record, predicate):
                text = value.value if whole else value.value.rsplit("/", 1)[-1]
                if text not in found:
                    found.append(text)
        for derivation in s.nodes(record, _P.derivation):
            d = s.predicates(derivation)
            if not all(d.get(p) for p in (_P.predicate, _P.object, _P.rule, _P.comment)):
                continue
            summary.derived.append({
                "property": s.last(derivation, _P.predicate), "value": s.last(derivation, _P.object), "rule": s.last(derivation, _P.rule),
                "explanation": {c.language or "en": c.value for c in s.values(derivation, _P.comment)},
            })
    order = _annex_order()
    summary.missing.sort(key=lambda k: order.get(k, 99))
    summary.missing_optional.sort(key=lambda k: order.get(k, 99))
    summary.europass_gaps.sort()


# The record's values an offer's listed fingerprint is made of (``offer_data.LISTED``), by their names there.
_LISTED_PROPERTIES = {"hash": _P.content_hash, "issued": _P.issued, "modified": _P.modified, "mc": _P.microcredential,
                      "w": _P.warnings, "status": _P.status, "level": _P.level}


def record_values(statements: Statements, offer: str) -> dict[str, str | None]:
    """What the record of ``offer`` in ``statements`` says of the values its listed fingerprint is made of."""
    records = statements.records.get(offer, _EMPTY)
    return {name: next((v for r in records if (v := statements.last(r, p)) is not None), None) for name, p in _LISTED_PROPERTIES.items()}


@lru_cache(maxsize=1)
def _annex_order() -> dict[str, int]:
    return {e.key: e.order for e in load_vocabulary().annex_elements()}


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if -limit <= value <= limit else None


def _percent(text: str) -> float | None:
    """The percentage a pace note states ("Studietakt: 50 %"); None when it states none, or more than one."""
    found = re.findall(r"(\d{1,3}(?:[.,]\d+)?)\s*%", text)
    if len(found) != 1:
        return None
    value = float(found[0].replace(",", "."))
    return value if 0 < value <= 100 else None


def _add_name(texts: Texts, literal: Term) -> None:
    """A title, name or label as it is shown (``display_text``); one that is nothing but invisible characters is left out."""
    if not literal.literal:
        return
    value = display_text(literal.value)
    if value:
        texts[literal.language or ""] = value
