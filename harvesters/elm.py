"""Building ELM from the fields every course format has in some form.

Non-RDF harvesters read their format into ``OfferFields`` (plain Python values,
free text where the source has free text) and call ``build_offer``, the one
place that writes ELM. It mints stable IRIs under ``BASE/offer/SOURCE/KEY``,
turns free text into EU concepts through the labels in ``vocab/`` ("distans",
"Fernunterricht", "EQF 6", "sv", "Sverige" …) and writes a mapping note for
every value it could not map ("unmapped") or mapped through a synonym or a
guess ("guessed"). What it writes follows the catalogue's publishing profile:
an offer whose source carries the required fields validates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from catalogue.harvest.contract import HarvestContext
from catalogue.namespaces import (
    ADMS,
    DCTERMS,
    ELM,
    FOAF,
    RDF,
    RDF_TYPE,
    ROV,
    SKOS,
    TOPIC,
    XSD,
)
from catalogue.vocab import (
    ACCREDITATION_SCHEME,
    ASSESSMENT_SCHEME,
    COUNTRY_SCHEME,
    CREDIT_SCHEME,
    CURRENCY_SCHEME,
    ECTS,
    EQF_SCHEME,
    ISCED_SCHEME,
    LANGUAGE_SCHEME,
    MODE_SCHEME,
    NATIONAL_CREDIT_SCHEME,
    OPPORTUNITY_TYPE_SCHEME,
    SCHEDULE_SCHEME,
    SETTING_SCHEME,
)

Texts = dict[str, str]  # language tag -> text
QT = "http://data.europa.eu/snb/qualification-topics#"
FLEXIBLE_START_TOPIC = "https://w3id.org/mc-catalogue/note-topic/flexible-start"
PACE_TOPIC = "https://w3id.org/mc-catalogue/note-topic/pace"


@dataclass
class QualityAssurance:
    type: str  # free text or concept IRI from the accreditation list
    title: Texts
    agency: str  # name of the body that carried it out
    agency_country: str | None = None
    report_url: str | None = None


@dataclass
class OrganisationFields:
    key: str
    names: Texts
    country: str | None = None
    homepage: str | None = None
    address: str | None = None
    email: str | None = None
    phone: str | None = None
    identifier: str | None = None
    identifier_scheme: str | None = None
    quality_assurance: QualityAssurance | None = None
    postcode: str | None = None  # kept apart from the address: the catalogue may read the country from it


@dataclass
class PlaceFields:
    address: str | None = None
    city: str | None = None
    country: str | None = None
    name: Texts = field(default_factory=dict)
    at_provider: bool = False  # the provider's own address: the offer points at the provider's location, not a copy of it


@dataclass
class PriceFields:
    amount: str | None  # None: a price with no amount (e.g. free of charge where no currency is known)
    currency: str | None = None
    label: Texts = field(default_factory=dict)  # skos:prefLabel, e.g. the region a price is for
    description: Texts = field(default_factory=dict)  # dcterms:description, e.g. the source's own text for this price


@dataclass
class OfferFields:
    key: str
    titles: Texts
    provider: OrganisationFields
    homepage: str | None = None
    descriptions: Texts = field(default_factory=dict)
    awarding_body: OrganisationFields | None = None
    default_language: str | None = None
    languages: list[str] = field(default_factory=list)
    fields_of_education: list[str] = field(default_factory=list)
    eqf_level: str | None = None
    learning_outcomes: list[Texts] = field(default_factory=list)
    ects: str | None = None
    credit_system: str | None = None
    # Credits in a national system the EU list lacks (points, concept IRI or label of vocab/credit-systems.ttl),
    # e.g. ("200", YH_POINTS): an elm:creditPoint each, beside the ECTS credits (never converted to them).
    national_credits: list[tuple[str, str]] = field(default_factory=list)
    # Pace of study in percent of full-time study (studietakt): a note with the catalogue's pace topic.
    pace: float | None = None
    hours: str | None = None
    modes: list[str] = field(default_factory=list)
    schedule: str | None = None
    setting: str | None = None
    opportunity_type: str | None = None
    start: str | None = None
    end: str | None = None
    application_deadline: str | None = None
    duration: str | None = None
    prices: list[PriceFields] = field(default_factory=list)
    place: PlaceFields | None = None
    entry_requirements: Texts = field(default_factory=dict)
    admission: Texts = field(default_factory=dict)
    schedule_information: Texts = field(default_factory=dict)
    assessment_types: list[str] = field(default_factory=list)
    assessment_title: Texts = field(default_factory=dict)
    grading: Texts = field(default_factory=dict)
    supervision: Texts = field(default_factory=dict)
    quality_note: Texts = field(default_factory=dict)
    stackability: Texts = field(default_factory=dict)
    further_information_url: str | None = None
    documents: list[str] = field(default_factory=list)  # further elm:supplementaryDocument links
    offer_notes: list[Texts] = field(default_factory=list)  # elm:additionalNote of the offer (e.g. an edition's own name)
    # "Start any time" (a placeholder date, continuous admission): a note with the catalogue's
    # flexible-start topic, which keeps the offer from being called ended by its dates.
    flexible_start: Texts = field(default_factory=dict)
    # What the catalogue may derive missing values from (kind, value, scheme): see catalogue.harvest.contract.Hint.
    hints: list[tuple[str, str, str | None]] = field(default_factory=list)
    spec_notes: list[Texts] = field(default_factory=list)  # elm:additionalNote of the specification (e.g. credits in a national scheme)
    course_code: str | None = None
    code_scheme: str | None = None
    modified: str | None = None


class _Writer:
    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | str) -> None:
        value = ox.NamedNode(obj) if isinstance(obj, str) else obj
        self.triples.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value))

    def typed(self, subject: str, cls: str) -> str:
        self.add(subject, RDF_TYPE, cls)
        return subject

    def texts(self, subject: str, predicate: str, texts: Texts) -> None:
        for lang, text in texts.items():
            text = clean_text(text)
            if text:
                self.add(subject, predicate, ox.Literal(text, language=lang or "und"))

    def note(self, owner: str, predicate: str, node: str, texts: Texts, topic: str | None = None) -> None:
        if not any(clean_text(t) for t in texts.values()):
            return
        self.add(owner, predicate, node)
        self.typed(node, ELM + "Note")
        self.texts(node, ELM + "noteLiteral", texts)
        if topic:
            self.add(node, DCTERMS + "subject", topic)

    def web(self, owner: str, predicate: str, node: str, url: str | None) -> bool:
        if not url or not is_http_url(url):
            return False
        self.add(owner, predicate, node)
        self.typed(node, ELM + "WebResource")
        self.add(node, ELM + "contentUrl", ox.Literal(url.strip(), datatype=ox.NamedNode(XSD + "anyURI")))
        return True


class _Resolver:
    """Free text to concepts, with a mapping note for what is unmapped or guessed."""

    def __init__(self, context: HarvestContext, record: str):
        self.context = context
        self.record = record

    def concept(self, scheme: str, value: str | None, field_name: str) -> str | None:
        if value is None or not str(value).strip():
            return None
        text = str(value).strip()
        if text.startswith(("http://", "https://")):
            if self.context.vocabulary.in_scheme(text, scheme):
                return text
            self.context.note(self.record, field_name, "unmapped", text, "not a concept of the expected EU list")
            return None
        match = self.context.vocabulary.match(scheme, text)
        if match is None:
            match = self._fallback(scheme, text)
        if match is None:
            self.context.note(self.record, field_name, "unmapped", text, f"no concept in {scheme} has this label")
            return None
        iri, exact = match
        if not exact:
            label = self.context.vocabulary.label(iri, "en")
            self.context.note(self.record, field_name, "guessed", text, f"read as {label} <{iri}>")
        return iri

    def _fallback(self, scheme: str, text: str) -> tuple[str, bool] | None:
        if scheme == EQF_SCHEME:
            found = re.search(r"\b([1-8])\b", text)
            if found and re.search(r"(eqf|level|nivå|niveau|stufe|taso)", text, re.IGNORECASE):
                return f"http://data.europa.eu/snb/eqf/{found.group(1)}", False
        if scheme == ISCED_SCHEME:
            code = re.sub(r"\D", "", text)
            iri = f"http://data.europa.eu/snb/isced-f/{code}"
            if code and self.context.vocabulary.in_scheme(iri, scheme):
                return iri, True
        return None


def build_offer(fields: OfferFields, context: HarvestContext) -> tuple[str, list[ox.Triple]]:
    """ELM triples for one offer; returns (offer IRI, triples)."""
    w = _Writer()
    r = _Resolver(context, fields.key)
    offer = context.offer_iri(fields.key)
    spec = context.minted("spec", fields.key)
    w.typed(offer, ELM + "LearningOpportunity")
    w.texts(offer, DCTERMS + "title", fields.titles)
    w.texts(offer, DCTERMS + "description", fields.descriptions)
    if not w.web(offer, FOAF + "homepage", f"{offer}/homepage", fields.homepage) and fields.homepage:
        context.note(fields.key, "homepage", "dropped", fields.homepage, "not an http(s) address")
    provider = _organisation(w, r, context, fields.provider, "provider")
    w.add(offer, ELM + "providedBy", provider)
    context.hint(offer, "postcode", fields.provider.postcode)
    context.hint(offer, "country-text", fields.provider.country)
    for kind, value, scheme in fields.hints:
        context.hint(offer, kind, value, scheme)
    languages = [c for c in (r.concept(LANGUAGE_SCHEME, v, "language") for v in fields.languages) if c]
    default = r.concept(LANGUAGE_SCHEME, fields.default_language, "default language") if fields.default_language else None
    default = default or (languages[0] if languages else _language_of_texts(context, fields.titles))
    if default:
        w.add(offer, ELM + "defaultLanguage", default)
    _identifier(w, offer, f"{offer}/identifier", fields.course_code, fields.code_scheme or context.source.name)
    opportunity_type = r.concept(OPPORTUNITY_TYPE_SCHEME, fields.opportunity_type, "type")
    if opportunity_type:
        w.add(offer, DCTERMS + "type", opportunity_type)
    for mode in dict.fromkeys(c for c in (r.concept(MODE_SCHEME, m, "mode") for m in fields.modes) if c):
        w.add(offer, ELM + "mode", mode)
    schedule = r.concept(SCHEDULE_SCHEME, fields.schedule, "schedule")
    if schedule:
        w.add(offer, ELM + "learningSchedule", schedule)
    _period(w, r, offer, fields)
    deadline = to_datetime(fields.application_deadline, r, "application deadline", end_of_day=True)
    if deadline:
        w.add(offer, ELM + "applicationDeadline", deadline)
    duration = to_duration(fields.duration)
    if duration:
        w.add(offer, ELM + "duration", ox.Literal(duration, datatype=ox.NamedNode(XSD + "duration")))
    elif fields.duration:
        context.note(fields.key, "duration", "dropped", fields.duration, "not a duration the catalogue can read")
    for index, price in enumerate(fields.prices, start=1):
        _price(w, r, offer, f"{offer}/price/{index}", price)
    if fields.place and fields.place.at_provider and not fields.place.name:
        w.add(offer, ELM + "location", f"{provider}/location")
    elif fields.place and fields.place.at_provider:
        # A named venue at the provider's own address: its own name, the provider's one elm:Address.
        w.add(offer, ELM + "location", f"{offer}/place")
        w.typed(f"{offer}/place", DCTERMS + "Location")
        w.texts(f"{offer}/place", ELM + "geographicName", fields.place.name)
        w.add(f"{offer}/place", ELM + "address", f"{provider}/address")
    elif fields.place:
        _place(w, r, offer, f"{offer}/place", fields.place)
    w.note(offer, ELM + "admissionProcedure", f"{offer}/admission", fields.admission)
    w.note(offer, ELM + "scheduleInformation", f"{offer}/schedule", fields.schedule_information)
    if fields.further_information_url:
        w.web(offer, ELM + "supplementaryDocument", f"{offer}/more", fields.further_information_url)
    for index, url in enumerate(u for u in dict.fromkeys(fields.documents) if u != fields.further_information_url):
        if not w.web(offer, ELM + "supplementaryDocument", f"{offer}/more/{index + 1}", url):
            context.note(fields.key, "supplementary document", "dropped", url, "not an http(s) address")
    for index, texts in enumerate(fields.offer_notes, start=1):
        w.note(offer, ELM + "additionalNote", f"{offer}/note/{index}", texts)
    w.note(offer, ELM + "additionalNote", f"{offer}/flexible-start", fields.flexible_start, topic=FLEXIBLE_START_TOPIC)
    if fields.pace is not None:
        if 0 < fields.pace <= 100:
            w.note(offer, ELM + "additionalNote", f"{offer}/pace", pace_texts(fields.pace), topic=PACE_TOPIC)
        else:
            context.note(fields.key, "pace", "dropped", f"{fields.pace:g} %", "a pace of study is more than 0 and at most 100 % of full time")
    modified = to_datetime(fields.modified, r, "modified")
    if modified:
        w.add(offer, DCTERMS + "modified", modified)
    w.add(offer, ELM + "learningAchievementSpecification", spec)
    _specification(w, r, context, fields, spec, provider, languages or ([default] if default else []))
    return offer, w.triples


def _specification(w: _Writer, r: _Resolver, context: HarvestContext, fields: OfferFields, spec: str, provider: str, languages: list[str]) -> None:
    w.typed(spec, ELM + "LearningAchievementSpecification")
    w.texts(spec, DCTERMS + "title", fields.titles)
    for field_value in fields.fields_of_education:
        concept = r.concept(ISCED_SCHEME, field_value, "field of education")
        if concept:
            w.add(spec, ELM + "ISCEDFCode", concept)
    for language in languages:
        w.add(spec, DCTERMS + "language", language)
    for index, outcome in enumerate(fields.learning_outcomes, start=1):
        node = f"{spec}/outcome/{index}"
        w.add(spec, ELM + "learningOutcome", node)
        w.typed(node, ELM + "LearningOutcome")
        w.texts(node, DCTERMS + "title", outcome)
    level = r.concept(EQF_SCHEME, fields.eqf_level, "EQF level")
    if level:
        w.add(spec, ELM + "educationLevel", level)
    setting = r.concept(SETTING_SCHEME, fields.setting, "learning setting")
    if setting:
        w.add(spec, ELM + "learningSetting", setting)
    _credits(w, r, context, fields, spec)
    w.note(spec, ELM + "entryRequirement", f"{spec}/entry-requirements", fields.entry_requirements)
    w.note(spec, ELM + "additionalNote", f"{spec}/quality-note", fields.quality_note, QT + "accreditation-and-quality-assurance")
    w.note(spec, ELM + "additionalNote", f"{spec}/pathways", fields.stackability, QT + "pathways")
    for index, texts in enumerate(fields.spec_notes, start=1):
        w.note(spec, ELM + "additionalNote", f"{spec}/note/{index}", texts)
    _assessment(w, r, fields, spec)
    if fields.awarding_body is not None:
        awarding = provider if fields.awarding_body.key == fields.provider.key else _organisation(w, r, context, fields.awarding_body, "awarding body")
        node = f"{spec}/awarding"
        w.add(spec, ELM + "awardingOpportunity", node)
        w.typed(node, ELM + "AwardingOpportunity")
        w.add(node, ELM + "awardingBody", awarding)
        w.add(node, ELM + "learningAchievementSpecification", spec)


def _credits(w: _Writer, r: _Resolver, context: HarvestContext, fields: OfferFields, spec: str) -> None:
    if fields.ects:
        points = to_number(fields.ects)
        if points is None:
            context.note(fields.key, "credits", "dropped", fields.ects, "not a number")
        else:
            system = r.concept(CREDIT_SCHEME, fields.credit_system, "credit system") if fields.credit_system else ECTS
            if system:
                node = f"{spec}/credits"
                w.add(spec, ELM + "creditPoint", node)
                w.typed(node, ELM + "CreditPoint")
                w.add(node, ELM + "framework", system)
                w.add(node, ELM + "point", ox.Literal(points))
    for points_text, system_text in fields.national_credits:
        points = to_number(points_text)
        system = r.concept(NATIONAL_CREDIT_SCHEME, system_text, "credit system")
        if points is None or system is None:
            if points is None:
                context.note(fields.key, "credits", "dropped", points_text, "not a number")
            continue
        node = f"{spec}/credits/{system.rsplit('/', 1)[-1]}"
        w.add(spec, ELM + "creditPoint", node)
        w.typed(node, ELM + "CreditPoint")
        w.add(node, ELM + "framework", system)
        w.add(node, ELM + "point", ox.Literal(points))
    if fields.hours:
        hours = to_number(fields.hours)
        if hours is None:
            context.note(fields.key, "hours", "dropped", fields.hours, "not a number of hours")
        else:
            w.add(spec, ELM + "volumeOfLearning", ox.Literal(f"PT{hours}H", datatype=ox.NamedNode(XSD + "duration")))


def _assessment(w: _Writer, r: _Resolver, fields: OfferFields, spec: str) -> None:
    types = [c for c in (r.concept(ASSESSMENT_SCHEME, t, "assessment type") for t in fields.assessment_types) if c]
    if not (types or fields.grading or fields.supervision):
        return
    node = f"{spec}/assessment"
    w.add(spec, ELM + "provenBy", node)
    w.typed(node, ELM + "LearningAssessmentSpecification")
    title = fields.assessment_title or {lang: f"Assessment: {text}" if lang == "en" else f"Bedömning: {text}" if lang == "sv" else text for lang, text in fields.titles.items()}
    w.texts(node, DCTERMS + "title", title)
    for concept in dict.fromkeys(types):
        w.add(node, DCTERMS + "type", concept)
    if fields.grading:
        grading = f"{node}/grading"
        w.add(node, ELM + "gradingScheme", grading)
        w.typed(grading, ELM + "GradingScheme")
        w.texts(grading, DCTERMS + "title", fields.grading)
    w.note(node, ELM + "additionalNote", f"{node}/supervision", fields.supervision, TOPIC + "supervision-and-identity-verification")


def _organisation(w: _Writer, r: _Resolver, context: HarvestContext, org: OrganisationFields, role: str) -> str:
    iri = context.minted("org", org.key)
    w.typed(iri, ELM + "Organisation")
    w.texts(iri, ROV + "legalName", org.names)
    w.web(iri, FOAF + "homepage", f"{iri}/homepage", org.homepage)
    location = f"{iri}/location"
    address = f"{iri}/address"
    w.add(iri, ELM + "location", location)
    w.typed(location, "http://purl.org/dc/terms/Location")
    w.add(location, ELM + "address", address)
    w.typed(address, ELM + "Address")
    country = r.concept(COUNTRY_SCHEME, org.country, f"{role} country")
    if country:
        w.add(address, ELM + "countryCode", country)
    if org.address:
        w.note(address, ELM + "fullAddress", f"{address}/text", {_lang_guess(org.names): org.address})
    _identifier(w, iri, f"{iri}/identifier", org.identifier, org.identifier_scheme or "")
    if org.email or org.phone:
        contact = f"{iri}/contact"
        w.add(iri, ELM + "contactPoint", contact)
        w.typed(contact, ELM + "ContactPoint")
        if org.email and re.match(r"^[^\s@]+@[^\s@]+\.[^\s@]+$", org.email.strip()):
            mailbox = f"mailto:{org.email.strip()}"
            w.add(contact, ELM + "emailAddress", mailbox)
            w.typed(mailbox, ELM + "Mailbox")
        if org.phone:
            phone = f"{contact}/phone"
            w.add(contact, ELM + "phone", phone)
            w.typed(phone, ELM + "Phone")
            w.add(phone, ELM + "phoneNumber", ox.Literal(org.phone.strip()))
    qa = org.quality_assurance
    if qa is not None:
        qa_type = r.concept(ACCREDITATION_SCHEME, qa.type, f"{role} quality assurance type")
        if qa_type:
            node = f"{iri}/quality-assurance"
            agency = context.minted("org", f"agency-{qa.agency}")
            w.add(iri, ELM + "accreditation", node)
            w.typed(node, ELM + "Accreditation")
            w.add(node, DCTERMS + "type", qa_type)
            w.texts(node, DCTERMS + "title", qa.title or {"en": qa.agency})
            w.add(node, ELM + "organisation", iri)
            w.add(node, ELM + "accreditingAgent", agency)
            w.web(node, ELM + "report", f"{node}/report", qa.report_url)
            _organisation(w, r, context, OrganisationFields(f"agency-{qa.agency}", {"en": qa.agency}, qa.agency_country or org.country), "quality assurance agency")
    return iri


def _identifier(w: _Writer, owner: str, node: str, code: str | None, scheme_name: str) -> None:
    if not code or not str(code).strip():
        return
    w.add(owner, ADMS + "identifier", node)
    w.typed(node, ELM + "Identifier")
    w.add(node, SKOS + "notation", ox.Literal(str(code).strip()))
    if scheme_name:
        w.add(node, ELM + "schemeName", ox.Literal(scheme_name))


def _period(w: _Writer, r: _Resolver, offer: str, fields: OfferFields) -> None:
    start = to_datetime(fields.start, r, "start date")
    end = to_datetime(fields.end, r, "end date", end_of_day=True)
    if start is None and end is None:
        return
    node = f"{offer}/period"
    w.add(offer, DCTERMS + "temporal", node)
    w.typed(node, DCTERMS + "PeriodOfTime")
    if start is not None:
        w.add(node, ELM + "startDate", start)
    if end is not None:
        w.add(node, ELM + "endDate", end)


def _price(w: _Writer, r: _Resolver, offer: str, node: str, price: PriceFields) -> None:
    amount, currency_text = parse_price(price.amount, price.currency) if price.amount is not None else (None, None)
    if amount is None and price.amount is not None:
        r.context.note(r.record, "price", "dropped", price.amount, "not an amount of money")
        return
    currency = r.concept(CURRENCY_SCHEME, currency_text, "currency") if currency_text else None
    w.add(offer, ELM + "priceDetail", node)
    w.typed(node, ELM + "PriceDetail")
    w.texts(node, SKOS + "prefLabel", price.label)
    w.texts(node, DCTERMS + "description", price.description)
    if amount is None:
        return  # the harvester chose to give no amount (and said why in its own note)
    if currency is None:
        r.context.note(r.record, "price", "dropped", price.amount, "no currency, so the amount was left out")
        return
    amount_node = f"{node}/amount"
    w.add(node, ELM + "amount", amount_node)
    w.typed(amount_node, ELM + "Amount")
    w.add(amount_node, ELM + "unit", currency)
    w.add(amount_node, RDF + "value", ox.Literal(amount, datatype=ox.NamedNode(XSD + "decimal")))


def _place(w: _Writer, r: _Resolver, offer: str, node: str, place: PlaceFields) -> None:
    country = r.concept(COUNTRY_SCHEME, place.country, "place country") if place.country else None
    text = ", ".join(p for p in (place.address, place.city) if p)
    if country is None:
        # An elm:Address needs a country; without one the place is still kept, by its name (or its address as a name).
        name = place.name or ({"": text} if text else {})
        if not name:
            return
        if place.name and text:
            r.context.note(r.record, "place", "dropped", text, "an address needs a country (ELM addresses do); the place's name was kept")
        w.add(offer, ELM + "location", node)
        w.typed(node, DCTERMS + "Location")
        w.texts(node, ELM + "geographicName", name)
        return
    address = f"{node}/address"
    w.add(offer, ELM + "location", node)
    w.typed(node, DCTERMS + "Location")
    w.texts(node, ELM + "geographicName", place.name)
    w.add(node, ELM + "address", address)
    w.typed(address, ELM + "Address")
    w.add(address, ELM + "countryCode", country)
    if text:
        w.note(address, ELM + "fullAddress", f"{address}/text", {_lang_guess(place.name) if place.name else "en": text})


def _language_of_texts(context: HarvestContext, texts: Texts) -> str | None:
    for lang in texts:
        if lang:
            match = context.vocabulary.match(LANGUAGE_SCHEME, lang.split("-")[0])
            if match:
                return match[0]
    return None


def _lang_guess(texts: Texts) -> str:
    return next((lang for lang in texts if lang), "en")


# -- values ------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    """Text as a learner should read it: no control characters, no surrounding space."""
    return _CONTROL.sub("", text or "").strip()


def is_http_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^\s/?#@]+(:[0-9]+)?([/?#]\S*)?$", value.strip(), re.IGNORECASE))


def to_number(value: str | float | int | None) -> str | None:
    """A plain decimal string ("7.5") from 7.5, "7,5", "7.5 ECTS", "7,5 hp"; None if there is no number."""
    if value is None:
        return None
    found = re.search(r"\d+(?:[.,]\d+)?", str(value))
    if not found:
        return None
    number = Decimal(found.group(0).replace(",", "."))
    text = format(number.normalize(), "f")
    return text


def pace_texts(percent: float) -> Texts:
    """The pace note's text, the form the catalogue reads the number back from ("Studietakt: 50 %")."""
    return {"sv": f"Studietakt: {percent:g} %", "en": f"Pace of study: {percent:g} %"}


def schedule_for_pace(percent: float) -> str:
    """The EU learning-schedule concept a pace of study falls under: 100 % full time, 50 % or more part time intensive, less part time light."""
    schedule = "http://data.europa.eu/snb/learning-schedule/"
    return schedule + ("72a0ab92fa" if percent >= 100 else "f230bae523" if percent >= 50 else "67395e6b5a")


def pace_in(text: str | None) -> float | None:
    """The percentage a pace-of-study text states ("50 %", "halvfart 50%", "75 procent"), else None."""
    text = text or ""
    found = re.findall(r"(\d{1,3}(?:[.,]\d+)?)\s*(?:%|procent\b|percent\b)", text, re.IGNORECASE)
    if len(found) != 1 or re.search(r"\d\s*[-–]\s*\d{1,3}(?:[.,]\d+)?\s*(?:%|procent\b|percent\b)", text, re.IGNORECASE):
        return None  # none, or a range ("50-100 %") that has no one value
    return float(found[0].replace(",", "."))


def parse_price(amount: str | float | int, currency: str | None) -> tuple[str | None, str | None]:
    """("1500.00", "SEK") from "1 500 kr", "€450", "450,00 EUR", "free"/"kostnadsfri"."""
    text = str(amount).strip()
    if re.fullmatch(r"(?i)(free|gratis|kostnadsfri|avgiftsfri|kostenlos|ilmainen|0)", text):
        return "0", currency
    symbols = {"€": "EUR", "£": "GBP", "$": "USD", "kr": "SEK", "sek": "SEK", "eur": "EUR", "nok": "NOK", "dkk": "DKK"}
    if currency is None:
        code = re.search(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", text)
        if code:
            currency = code.group(1)
        else:
            lowered = text.lower()
            for symbol, code_for_symbol in symbols.items():
                if symbol in lowered:
                    currency = code_for_symbol
                    break
    digits = re.sub(r"(?<=\d)[\s\u00a0'](?=\d{3}\b)", "", text)
    found = re.search(r"\d[\d.,]*", digits)
    if not found:
        return None, currency
    number = found.group(0).rstrip(".,")
    if "," in number and "." in number:
        # The separator that comes last is the decimal one: "1,250.00", "1.250,00".
        decimal_mark = "." if number.rfind(".") > number.rfind(",") else ","
        number = number.replace("," if decimal_mark == "." else ".", "").replace(",", ".")
    elif "," in number:
        # "6,000" is six thousand; "450,50" is four hundred and fifty and a half.
        number = number.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", number) else number.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", number):
        number = number.replace(".", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None, currency
    return format(value.quantize(Decimal("0.01")), "f"), currency


def to_datetime(value: str | date | datetime | None, r: _Resolver | None = None, field_name: str = "date", end_of_day: bool = False) -> ox.Literal | None:
    """xsd:dateTime from ISO dates and date-times (the forms feeds use); other forms are dropped with a note."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        text = value.isoformat() if isinstance(value, date) else str(value).strip()
        moment = _parse_moment(text, end_of_day)
        if moment is None:
            if r is not None:
                r.context.note(r.record, field_name, "dropped", text, "not a date the catalogue can read (use YYYY-MM-DD)")
            return None
    lexical = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + "dateTime"))


def _parse_moment(text: str, end_of_day: bool) -> datetime | None:
    text = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            clock = (23, 59, 59) if end_of_day else (0, 0, 0)
            return datetime(day.year, day.month, day.day, *clock, tzinfo=timezone.utc)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = map(int, text.split("-"))
            if end_of_day:  # "until June 2026" means the end of June
                last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
                return datetime(year, month, last, 23, 59, 59, tzinfo=timezone.utc)
            return datetime(year, month, 1, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def to_duration(value: str | None) -> str | None:
    """An xsd:duration from ISO 8601 ("P6W" becomes "P42D", which XSD allows) or None."""
    if not value:
        return None
    text = value.strip().upper()
    weeks = re.fullmatch(r"P(\d+)W", text)
    if weeks:
        return f"P{int(weeks.group(1)) * 7}D"
    if re.fullmatch(r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", text):
        return text
    return None
