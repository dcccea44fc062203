"""``elm-xml``: the LOQ XML that Europass' Qualification Dataset Register accepts.

The format (root ``Courses`` in ``http://data.europa.eu/snb/model/ap/loq-constraints/``,
``xsdVersion`` 3.0.0 / 3.1.0, the Commission's ``xsd/loq/loq.xsd``) is ELM written
as XML: one section per kind of thing (``learningOpportunityReferences``,
``learningAchievementSpecificationReferences``, ``agentReferences`` …), records
with an ``id``, links between them as ``idref`` attributes, concepts of the EU
lists as ``uri`` attributes. So this harvester does not go through
``OfferFields``: it maps the XML element by element onto ELM triples with the
table below, keeps the concept IRIs it is given, and mints stable IRIs from the
XML's own ids (``BASE/offer/SOURCE/ID`` for offers, ``BASE/KIND/SOURCE/ID`` for
the rest; nested nodes get ``PARENT/ELEMENT/N``).

One record is one ``learningOpportunity``; its triples are the offer and
everything it reaches through ``idref`` links, so a record is complete on its
own. A concept from an EU list the catalogue does not know is left out with an
"unmapped" note (as ``build_offer`` does); NQF levels and NUTS regions, whose
lists the catalogue does not carry, are kept and described from the element
that names them (the XML schema fixes their list). Every element the catalogue
does not carry gets a "dropped" note.

The document is parsed safely (defusedxml: any DTD is refused, so no external
entities and no entity expansion) and fed to the parser in chunks; a few MB
take well under a second. Options: none.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from xml.etree import ElementTree as ET

import pyoxigraph as ox
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from catalogue import vocab as v
from catalogue.errors import InputError
from catalogue.harvest.contract import (
    HarvestContext,
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    SourceUnavailable,
)
from catalogue.harvest.rdfio import check_xml_entities, escaped, to_utf8
from catalogue.namespaces import (
    ADMS,
    CLV,
    DCTERMS,
    ELM,
    FOAF,
    LOCN,
    ORG,
    RDF,
    RDF_TYPE,
    ROV,
    SKOS,
    XSD,
    curie,
)

from .elm import clean_text, to_duration

LOQ = "http://data.europa.eu/snb/model/ap/loq-constraints/"
XML_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"
KNOWN_VERSIONS = ("3.0.0", "3.1.0")
NQF_SCHEME = "http://data.europa.eu/snb/qdr/25831c2"
NUTS_SCHEME = "http://data.europa.eu/nuts"
# Lists the catalogue's vocabulary does not carry: an IRI under the prefix belongs to the scheme.
IMPLIED_SCHEMES = {"http://data.europa.eu/snb/qdr/c_": NQF_SCHEME, "http://data.europa.eu/nuts/code/": NUTS_SCHEME}
PREFIXES = {SKOS: "skos:", DCTERMS: "dc:", LOCN: "locn:", CLV: "clv:", ADMS: "adms:", FOAF: "foaf:", ROV: "rov:"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class Field:
    predicate: str
    kind: str  # text, string, datetime, duration, decimal, boolean, url, iri, notation, mailbox, concept, esco, ref, node
    arg: tuple[str, ...] | str | None = None  # concept: accepted schemes (None: any concept); node: class


def _f(kind: str):
    return lambda predicate, arg=None: Field(predicate, kind, arg)


TEXT, STRING, DATE, DURATION, URL, REF = _f("text"), _f("string"), _f("datetime"), _f("duration"), _f("url"), _f("ref")
CONCEPT, NODE = _f("concept"), _f("node")
LANG, COUNTRY = (v.LANGUAGE_SCHEME,), (v.COUNTRY_SCHEME,)
PLACE = (v.COUNTRY_SCHEME, NUTS_SCHEME)

IDENTIFIER = {
    "skos:notation": Field(SKOS + "notation", "notation"), "dc:creator": Field(DCTERMS + "creator", "iri"),
    "schemeAgency": TEXT(ADMS + "schemeAgency"), "issued": DATE(DCTERMS + "issued"),
    "schemeName": STRING(ELM + "schemeName"), "schemeVersion": STRING(ELM + "schemeVersion"),
    "schemeId": URL(ELM + "schemeId"), "dc:type": CONCEPT(DCTERMS + "type"),
}
DESCRIBED = {  # what most records share
    "identifier": NODE(ADMS + "identifier", "Identifier"), "title": TEXT(DCTERMS + "title"),
    "description": TEXT(DCTERMS + "description"), "additionalNote": NODE(ELM + "additionalNote", "Note"),
    "homepage": NODE(FOAF + "homepage", "WebResource"), "supplementaryDocument": NODE(ELM + "supplementaryDocument", "WebResource"),
    "status": STRING(ELM + "status"), "modified": DATE(DCTERMS + "modified"), "publisher": REF(DCTERMS + "publisher"),
}
SPECIFICATION = DESCRIBED | {
    "skos:altLabel": TEXT(SKOS + "altLabel"), "category": TEXT(ELM + "category"),
    "hasPart": REF(ELM + "hasPart"), "isPartOf": REF(ELM + "isPartOf"),
    "specialisationOf": REF(ELM + "specialisationOf"), "generalisationOf": REF(ELM + "generalisationOf"),
    "language": CONCEPT(DCTERMS + "language", LANG), "mode": CONCEPT(ELM + "mode", (v.MODE_SCHEME,)),
}
ACHIEVEMENT = SPECIFICATION | {
    "type": CONCEPT(DCTERMS + "type", (v.OPPORTUNITY_TYPE_SCHEME,)), "learningOutcomeSummary": NODE(ELM + "learningOutcomeSummary", "Note"),
    "ISCEDFCode": CONCEPT(ELM + "ISCEDFCode", (v.ISCED_SCHEME,)), "educationSubject": CONCEPT(ELM + "educationSubject"),
    "volumeOfLearning": DURATION(ELM + "volumeOfLearning"), "creditPoint": NODE(ELM + "creditPoint", "CreditPoint"),
    "educationLevel": CONCEPT(ELM + "educationLevel"), "learningSetting": CONCEPT(ELM + "learningSetting", (v.SETTING_SCHEME,)),
    "maximumDuration": DURATION(ELM + "maximumDuration"), "targetGroup": CONCEPT(ELM + "targetGroup", ("http://data.europa.eu/snb/target-group/25831c2",)),
    "entryRequirement": NODE(ELM + "entryRequirement", "Note"), "learningOutcome": REF(ELM + "learningOutcome"),
    "influencedBy": REF(ELM + "influencedBy"), "provenBy": REF(ELM + "provenBy"), "entitlesTo": REF(ELM + "entitlesTo"),
    "awardingOpportunity": NODE(ELM + "awardingOpportunity", "AwardingOpportunity"),
}
CLASSES: dict[str, tuple[str, dict[str, Field]]] = {
    "LearningOpportunity": (ELM + "LearningOpportunity", DESCRIBED | {
        "type": CONCEPT(DCTERMS + "type", (v.OPPORTUNITY_TYPE_SCHEME,)), "temporal": NODE(DCTERMS + "temporal", "PeriodOfTime"),
        "duration": DURATION(ELM + "duration"), "mode": CONCEPT(ELM + "mode", (v.MODE_SCHEME,)), "grant": NODE(ELM + "grant", "Grant"),
        "learningSchedule": CONCEPT(ELM + "learningSchedule", (v.SCHEDULE_SCHEME,)),
        "scheduleInformation": NODE(ELM + "scheduleInformation", "Note"), "admissionProcedure": NODE(ELM + "admissionProcedure", "Note"),
        "applicationDeadline": DATE(ELM + "applicationDeadline"), "priceDetail": NODE(ELM + "priceDetail", "PriceDetail"),
        "providedBy": REF(ELM + "providedBy"), "location": REF(ELM + "location"),
        "learningAchievementSpecification": REF(ELM + "learningAchievementSpecification"),
        "learningActivitySpecification": REF(ELM + "learningActivitySpecification"),
        "hasPart": REF(ELM + "hasPart"), "isPartOf": REF(ELM + "isPartOf"), "defaultLanguage": CONCEPT(ELM + "defaultLanguage", LANG),
    }),
    "LearningAchievementSpecification": (ELM + "LearningAchievementSpecification", ACHIEVEMENT),
    "Qualification": (ELM + "Qualification", ACHIEVEMENT | {
        "isPartialQualification": Field(ELM + "isPartialQualification", "boolean"), "EQFLevel": CONCEPT(ELM + "EQFLevel", (v.EQF_SCHEME,)),
        "NQFLevel": CONCEPT(ELM + "NQFLevel", (NQF_SCHEME,)), "qualificationCode": CONCEPT(ELM + "qualificationCode"),
        "accreditation": REF(ELM + "accreditation"),
    }),
    "QualificationReference": (ELM + "QualificationReference", {"identifier": DESCRIBED["identifier"]}),
    "LearningOutcome": (ELM + "LearningOutcome", {
        "identifier": DESCRIBED["identifier"], "title": TEXT(DCTERMS + "title"), "additionalNote": DESCRIBED["additionalNote"],
        "type": CONCEPT(DCTERMS + "type", ("http://data.europa.eu/snb/skill-type/25831c2",)),
        "reusabilityLevel": CONCEPT(ELM + "reusabilityLevel", ("http://data.europa.eu/snb/skill-reuse-level/25831c2",)),
        "relatedSkill": CONCEPT(ELM + "relatedSkill"), "relatedESCOSkill": Field(ELM + "relatedESCOSkill", "esco"),
    }),
    "LearningActivitySpecification": (ELM + "LearningActivitySpecification", SPECIFICATION | {
        "type": CONCEPT(DCTERMS + "type", ("http://data.europa.eu/snb/learning-activity/25831c2",)),
        "contactHour": STRING(ELM + "contactHour"), "volumeOfLearning": DURATION(ELM + "volumeOfLearning"), "influences": REF(ELM + "influences"),
    }),
    "LearningAssessmentSpecification": (ELM + "LearningAssessmentSpecification", SPECIFICATION | {
        "type": CONCEPT(DCTERMS + "type", (v.ASSESSMENT_SCHEME,)), "gradingScheme": REF(ELM + "gradingScheme"), "proves": REF(ELM + "proves"),
    }),
    "LearningEntitlementSpecification": (ELM + "LearningEntitlementSpecification", SPECIFICATION | {
        "type": CONCEPT(DCTERMS + "type", ("http://data.europa.eu/snb/entitlement/25831c2",)),
        "entitlementStatus": CONCEPT(ELM + "entitlementStatus", ("http://data.europa.eu/snb/entitlement-status/25831c2",)),
        "limitOrganisation": REF(ELM + "limitOrganisation"), "limitJurisdiction": CONCEPT(ELM + "limitJurisdiction"),
        "limitOccupation": CONCEPT(ELM + "limitOccupation"), "limitNationalOccupation": CONCEPT(ELM + "limitNationalOccupation"),
        "entitledBy": REF(ELM + "entitledBy"),
    }),
    "Agent": (ELM + "Agent", {
        k: DESCRIBED[k] for k in ("identifier", "additionalNote", "status", "modified", "publisher")
    } | {"skos:prefLabel": TEXT(SKOS + "prefLabel"), "skos:altLabel": TEXT(SKOS + "altLabel"), "location": REF(ELM + "location"),
         "contactPoint": NODE(ELM + "contactPoint", "ContactPoint")}),
    "Organisation": (ELM + "Organisation", {
        k: DESCRIBED[k] for k in ("identifier", "homepage", "additionalNote", "status", "modified", "publisher")
    } | {"legalName": TEXT(ROV + "legalName"), "skos:altLabel": TEXT(SKOS + "altLabel"), "type": CONCEPT(DCTERMS + "type"),
         "eidasLegalIdentifier": NODE(ELM + "eidasLegalIdentifier", "LegalIdentifier"),
         "registration": NODE(ROV + "registration", "LegalIdentifier"), "vatIdentifier": NODE(ELM + "vatIdentifier", "LegalIdentifier"),
         "taxIdentifier": NODE(ELM + "taxIdentifier", "LegalIdentifier"), "accreditation": REF(ELM + "accreditation"),
         "location": REF(ELM + "location"), "contactPoint": NODE(ELM + "contactPoint", "ContactPoint"),
         "hasSubOrganization": REF(ORG + "hasSubOrganization"), "subOrganizationOf": REF(ORG + "subOrganizationOf")}),
    "Accreditation": (ELM + "Accreditation", {
        k: DESCRIBED[k] for k in ("identifier", "title", "description", "additionalNote", "homepage", "supplementaryDocument", "modified", "publisher")
    } | {"type": CONCEPT(DCTERMS + "type", (v.ACCREDITATION_SCHEME,)), "decision": CONCEPT(ELM + "decision"),
         "report": NODE(ELM + "report", "WebResource"), "organisation": REF(ELM + "organisation"),
         "limitQualification": REF(ELM + "limitQualification"), "limitField": CONCEPT(ELM + "limitField", (v.ISCED_SCHEME,)),
         "limitEQFLevel": CONCEPT(ELM + "limitEQFLevel", (v.EQF_SCHEME,)), "limitJurisdiction": CONCEPT(ELM + "limitJurisdiction"),
         "accreditingAgent": REF(ELM + "accreditingAgent"), "issued": DATE(DCTERMS + "issued"), "reviewDate": DATE(ELM + "reviewDate"),
         "expiryDate": DATE(ELM + "expiryDate"), "valid": DATE(DCTERMS + "valid"), "landingPage": NODE(ELM + "landingPage", "WebResource")}),
    "GradingScheme": (ELM + "GradingScheme", {
        k: DESCRIBED[k] for k in ("identifier", "title", "description", "supplementaryDocument")}),
    "Location": (DCTERMS + "Location", {
        "identifier": DESCRIBED["identifier"], "geographicName": TEXT(ELM + "geographicName"), "description": TEXT(DCTERMS + "description"),
        "spatialCode": CONCEPT(ELM + "spatialCode", PLACE), "address": NODE(ELM + "address", "Address"),
        "locn:geometry": NODE(LOCN + "geometry", "Geometry")}),
    # Nodes without an id of their own.
    "Identifier": (ELM + "Identifier", IDENTIFIER),
    "LegalIdentifier": (ELM + "LegalIdentifier", IDENTIFIER | {"spatial": CONCEPT(DCTERMS + "spatial", PLACE)}),
    "Note": (ELM + "Note", {"dc:subject": CONCEPT(DCTERMS + "subject"), "noteFormat": CONCEPT(ELM + "noteFormat"), "noteLiteral": TEXT(ELM + "noteLiteral")}),
    "WebResource": (ELM + "WebResource", {"title": TEXT(DCTERMS + "title"), "language": CONCEPT(DCTERMS + "language", LANG), "contentUrl": URL(ELM + "contentUrl")}),
    "PeriodOfTime": (DCTERMS + "PeriodOfTime", {"skos:prefLabel": TEXT(SKOS + "prefLabel"), "startDate": DATE(ELM + "startDate"), "endDate": DATE(ELM + "endDate")}),
    "PriceDetail": (ELM + "PriceDetail", {k: DESCRIBED[k] for k in ("identifier", "description", "additionalNote")} | {
        "amount": NODE(ELM + "amount", "Amount"), "skos:prefLabel": TEXT(SKOS + "prefLabel")}),
    "Amount": (ELM + "Amount", {"unit": CONCEPT(ELM + "unit", (v.CURRENCY_SCHEME,)), "value": Field(RDF + "value", "decimal")}),
    "CreditPoint": (ELM + "CreditPoint", {"framework": CONCEPT(ELM + "framework", (v.CREDIT_SCHEME,)), "point": STRING(ELM + "point")}),
    "Grant": (ELM + "Grant", {k: DESCRIBED[k] for k in ("title", "description", "supplementaryDocument")} | {
        "dc:type": CONCEPT(DCTERMS + "type"), "contentUrl": URL(ELM + "contentUrl")}),
    "AwardingOpportunity": (ELM + "AwardingOpportunity", {
        "identifier": DESCRIBED["identifier"], "awardingBody": REF(ELM + "awardingBody"), "location": REF(ELM + "location"),
        "temporal": NODE(DCTERMS + "temporal", "PeriodOfTime"), "learningAchievementSpecification": REF(ELM + "learningAchievementSpecification")}),
    "ContactPoint": (ELM + "ContactPoint", {k: DESCRIBED[k] for k in ("additionalNote", "description")} | {
        "address": NODE(ELM + "address", "Address"), "phone": NODE(ELM + "phone", "Phone"),
        "emailAddress": Field(ELM + "emailAddress", "mailbox"), "contactForm": NODE(ELM + "contactForm", "WebResource")}),
    "Address": (ELM + "Address", {"identifier": DESCRIBED["identifier"], "fullAddress": NODE(ELM + "fullAddress", "Note"),
                                  "countryCode": CONCEPT(ELM + "countryCode", COUNTRY)}),
    "Phone": (ELM + "Phone", {k: STRING(ELM + k) for k in ("phoneNumber", "countryDialing", "areaDialing", "dialNumber")}),
    "Geometry": (LOCN + "Geometry", {"clv:latitude": STRING(CLV + "latitude"), "clv:longitude": STRING(CLV + "longitude")}),
}
# Records with an id: XML element -> (class, segment of the minted IRI).
RECORDS = {
    "learningOpportunity": ("LearningOpportunity", "offer"), "learningAchievementSpecification": ("LearningAchievementSpecification", "spec"),
    "qualification": ("Qualification", "spec"), "qualificationReference": ("QualificationReference", "spec"),
    "learningOutcome": ("LearningOutcome", "outcome"), "learningActivitySpecification": ("LearningActivitySpecification", "activity"),
    "learningAssessmentSpecification": ("LearningAssessmentSpecification", "assessment"),
    "learningEntitlementSpecification": ("LearningEntitlementSpecification", "entitlement"), "agent": ("Agent", "org"),
    "organisation": ("Organisation", "org"), "accreditation": ("Accreditation", "accreditation"),
    "gradingScheme": ("GradingScheme", "grading"), "location": ("Location", "place"),
}
# Elements the format has and the catalogue deliberately leaves out, and why.
DROPPED = {
    "bannerImage": "embedded images are not carried; the offer's homepage is",
    "logo": "embedded images are not carried; the organisation's homepage is",
    "groupMemberOf": "the catalogue's publishing profile does not accept group memberships (elm:Group) yet",
    "Accreditation/status": "LOQ and its vocabulary file disagree on the type of elm:status on an accreditation, so no value passes both",
    "relatedESCOSkill/skos:inScheme": "Europass rejects ESCO skills that carry skos:inScheme, so the scheme is left off",
}
HOW = {
    "text": "text with its language attribute", "string": "plain string", "datetime": "xsd:dateTime (a bare date gets T00:00:00)",
    "duration": "xsd:duration", "decimal": "xsd:decimal", "boolean": "xsd:boolean", "url": "xsd:anyURI", "iri": "IRI",
    "notation": "literal, its type attribute as datatype", "mailbox": "mailto: IRI typed elm:Mailbox",
    "esco": "concept IRI kept, described from the element, without skos:inScheme",
    "ref": "idref -> the minted IRI of that record (followed)", "node": "a node of its own, PARENT/ELEMENT/N",
}


def _mapping_rows() -> list[tuple[str, str, str]]:
    rows = [
        ("learningOpportunity/@id", "elm:LearningOpportunity IRI", "BASE/offer/SOURCE/ID; one record per learningOpportunity"),
        ("other records' @id", "their IRI", "BASE/{spec,outcome,activity,assessment,entitlement,org,accreditation,grading,place}/SOURCE/ID"),
    ]
    elements = {cls: tag for tag, (cls, _) in RECORDS.items() if cls != "LearningAchievementSpecification" or tag.startswith("learning")}
    for name, (cls, fields) in CLASSES.items():
        where = f"<{elements[name]}>" if name in elements else f"{name}Type"
        for element, f in fields.items():
            rows.append((f"{where}/{element}", f"{curie(cls)} {curie(f.predicate)}", _how(f)))
    rows += [(where, "(dropped)", why) for where, why in DROPPED.items()]
    return rows


def _how(f: Field) -> str:
    if f.kind == "concept" and f.arg:
        lists = (s.rsplit("/", 2)[-2] if s.endswith("25831c2") else s.rsplit("/", 1)[-1] for s in f.arg)
        return "concept IRI of the EU list " + " or ".join(lists) + " (a label in the text is matched, and noted)"
    if f.kind == "concept":
        return "concept IRI kept (described from the element if the catalogue does not know it)"
    return HOW[f.kind] + (f" ({f.arg})" if f.kind == "node" else "")


@dataclass
class _Document:
    location: str
    namespace: str
    index: dict[str, ET.Element]  # id -> record element, every section
    offers: list[ET.Element]
    lines: dict[ET.Element, int]


@dataclass(frozen=True)
class _Offer:
    document: _Document
    element: ET.Element
    position: str
    problem: tuple[str, str] | None = None  # (code, message) when the record cannot be mapped


class ElmXmlHarvester(Harvester):
    kind = "elm-xml"
    title = "LOQ XML as accepted by Europass' Qualification Dataset Register (ELM v3, xsdVersion 3.0.0/3.1.0)"
    mapping = _mapping_rows()

    def __init__(self, context: HarvestContext):
        super().__init__(context)
        self._noted: set[tuple[str, str, str]] = set()

    def gather(self) -> Iterator[RecordRef]:
        for number, location in enumerate(self.context.source.urls):
            try:
                document = self._load(location)
            except InputError as error:
                if number == 0:
                    raise SourceUnavailable(str(error), getattr(error, "status", None)) from None
                raise
            yield from self._records(document)

    def fetch(self, ref: RecordRef) -> _Offer:
        offer: _Offer = ref.payload
        if offer.problem:
            raise RecordFailed(offer.problem[0], offer.problem[1], offer.position)
        return offer

    def map(self, ref: RecordRef, content: _Offer) -> MappedRecord:
        iri = self.context.offer_iri(ref.key)
        mapper = _Mapper(self, content.document, ref.key)
        mapper.record(content.element, iri, "LearningOpportunity", "learningOpportunity")
        return MappedRecord(ref.key, mapper.triples, [iri])

    # -- reading -------------------------------------------------------------------

    def _load(self, location: str) -> _Document:
        fetched = self.context.http.get(location, accept=XML_ACCEPT)
        self.context.fetched.append(fetched)
        root, lines = parse_xml(fetched.content, location, fetched.charset)
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if _local(root.tag) != "Courses":
            raise InputError(f"this is not LOQ XML: the root element is <{_local(root.tag)}>, not <Courses> "
                             f"in the namespace {LOQ}. Export the file in the Europass QDR (LOQ) XML format.", location)
        if namespace != LOQ:
            self.context.note("(document)", "Courses", "guessed", namespace or "(no namespace)", f"read as the LOQ namespace {LOQ}")
        version = root.get("xsdVersion", "3.1.0")
        if version not in KNOWN_VERSIONS:
            self.context.note("(document)", "Courses/@xsdVersion", "guessed", version, "read as LOQ XML 3.1.0")
        document = _Document(location, namespace, {}, [], lines)
        for section in root:
            for element in section:
                if _short(element.tag, namespace) == "learningOpportunity":
                    document.offers.append(element)
                element_id = (element.get("id") or "").strip()
                if element_id and element_id not in document.index:
                    document.index[element_id] = element
        self._note_unreached(document)
        return document

    def _records(self, document: _Document) -> Iterator[RecordRef]:
        seen: set[str] = set()
        for number, element in enumerate(document.offers, start=1):
            key = (element.get("id") or "").strip()
            position = f"learningOpportunity[{number}], line {document.lines.get(element, '?')}"
            problem = None
            if not key:
                key = f"learningOpportunity[{number}]"
                problem = ("missing-identifier", f"{document.location}: the learning opportunity at {position} has no id attribute; "
                           "give every learningOpportunity a stable id (an IRI) so the catalogue can follow it from one harvest to the next.")
            elif key in seen:
                problem = ("duplicate-identifier", f"{document.location}: the id {key!r} is used by more than one learningOpportunity "
                           f"(again at {position}); ids must be unique, so this one was skipped.")
                key = f"{key} (learningOpportunity[{number}])"
            seen.add(key)
            yield RecordRef(key, document.location, _Offer(document, element, position, problem))

    def _note_unreached(self, document: _Document) -> None:
        """Records no offer leads to are not carried: say which, once per kind."""
        reached: set[str] = set()
        queue = [e.get("id", "") for e in document.offers]
        while queue:
            element = document.index.get(queue.pop())
            if element is None or element.get("id") in reached:
                continue
            reached.add(element.get("id"))
            queue.extend(d.get("idref") for d in element.iter() if d.get("idref"))
        unreached: dict[str, list[str]] = {}
        for element_id, element in document.index.items():
            if element_id not in reached:
                unreached.setdefault(_short(element.tag, document.namespace), []).append(element_id)
        for tag, ids in unreached.items():
            listed = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            self.context.note("(document)", tag, "dropped", listed, "no learning opportunity refers to it; the catalogue keeps offers and what they link to")

    def note_once(self, record: str, node: str, where: str, kind: str, value: str, detail: str) -> None:
        """Shared records (a provider, a place) are met by many offers; say what was lost about them once."""
        if (node, where, value) not in self._noted:
            self._noted.add((node, where, value))
            self.context.note(record, where, kind, value, detail)


class _Mapper:
    """Writes the triples of one offer and of every record it reaches through idrefs."""

    def __init__(self, harvester: ElmXmlHarvester, document: _Document, record: str):
        self.harvester = harvester
        self.context = harvester.context
        self.vocabulary = harvester.context.vocabulary
        self.document = document
        self.key = record
        self.triples: list[ox.Triple] = []
        self.pending: deque[tuple[ET.Element, str, str, str]] = deque()
        self.queued: set[str] = set()
        self.described: set[str] = set()

    def record(self, element: ET.Element, iri: str, cls: str, path: str) -> None:
        self.queued.add(element.get("id", ""))
        self.pending.append((element, iri, cls, path))
        while self.pending:
            self.node(*self.pending.popleft())

    def add(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | str) -> None:
        value = ox.NamedNode(obj) if isinstance(obj, str) else obj
        self.triples.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value))

    def drop(self, node: str, where: str, value: str, detail: str, kind: str = "dropped") -> None:
        self.harvester.note_once(self.key, node, where, kind, value, detail)

    def node(self, element: ET.Element, iri: str, cls: str, path: str) -> None:
        class_iri, fields = CLASSES[cls]
        self.add(iri, RDF_TYPE, class_iri)
        self.stray_text(element, iri, cls, path)
        counts: Counter[str] = Counter()
        for child in element:
            name = _short(child.tag, self.document.namespace)
            counts[name] += 1
            where = f"{path}/{name}"
            spec = fields.get(name)
            if spec is None or f"{cls}/{name}" in DROPPED:
                reason = DROPPED.get(name) or DROPPED.get(f"{cls}/{name}") or f"LOQ XML has no <{name}> in {cls}; the catalogue does not carry it"
                if _value_of(child):
                    self.drop(iri, where, _value_of(child), reason)
                continue
            if spec.kind == "node":
                node = f"{iri}/{name.split(':')[-1]}/{counts[name]}"
                self.add(iri, spec.predicate, node)
                self.node(child, node, spec.arg, where)
            elif spec.kind == "ref":
                self.reference(iri, spec, child, where)
            elif spec.kind in ("concept", "esco"):
                self.concept(iri, spec, child, where)
            else:
                literal = self.literal(spec.kind, child, iri, where)
                if literal is not None:
                    self.add(iri, spec.predicate, literal)

    def reference(self, subject: str, spec: Field, child: ET.Element, where: str) -> None:
        idref = (child.get("idref") or "").strip()
        if not idref and clean_text(child.text):
            self.drop(subject, where, clean_text(child.text), 'a link to another record is given by its id in the idref attribute (idref="…"), not as text')
            return
        target = self.document.index.get(idref)
        tag = _short(target.tag, self.document.namespace) if target is not None else ""
        if tag not in RECORDS:
            why = f"the file has no record with id {idref!r}" if target is None else f"it points to a <{tag}>, which the catalogue does not carry"
            if idref:
                self.drop(subject, where, idref, why)
            return
        cls, segment = RECORDS[tag]
        iri = self.context.offer_iri(idref) if cls == "LearningOpportunity" else self.context.minted(segment, idref)
        self.add(subject, spec.predicate, iri)
        if cls != "LearningOpportunity" and idref not in self.queued:
            self.queued.add(idref)
            self.pending.append((target, iri, cls, tag))

    def concept(self, subject: str, spec: Field, child: ET.Element, where: str) -> None:
        schemes = spec.arg if spec.kind == "concept" else None
        iri = self.concept_iri(child, schemes, subject, where)
        if iri is None:
            return
        implied = next((s for prefix, s in IMPLIED_SCHEMES.items() if iri.startswith(prefix)), None)
        if self.vocabulary.is_concept(iri):
            if schemes and not any(self.vocabulary.in_scheme(iri, s) for s in schemes):
                self.drop(subject, where, iri, f"not a concept of the EU list {_names(schemes)}", "unmapped")
                return
        elif schemes and implied not in schemes:
            self.drop(subject, where, iri, f"not a concept of the EU list {_names(schemes)} as the catalogue knows it", "unmapped")
            return
        self.add(subject, spec.predicate, iri)
        if not self.vocabulary.is_concept(iri) and iri not in self.described:
            self.describe(iri, child, implied, with_scheme=spec.kind == "concept", where=where)

    def concept_iri(self, child: ET.Element, schemes: tuple[str, ...] | None, subject: str, where: str) -> str | None:
        """The concept's IRI from the uri attribute; text instead of it is read as an IRI or a label, and noted."""
        iri = (child.get("uri") or "").strip()
        if iri:
            if _iri(iri):
                return iri
            self.drop(subject, where, iri, "not an absolute IRI")
            return None
        text = clean_text(child.text)
        if not text:
            return None
        if _iri(text):
            self.drop(subject, where, text, "given as text instead of the uri attribute; read as that IRI", "guessed")
            return text
        for scheme in schemes or ():
            match = self.vocabulary.match(scheme, text)
            if match:
                label = self.vocabulary.label(match[0], "en")
                self.drop(subject, where, text, f"a label instead of the uri attribute; read as {label} <{match[0]}>", "guessed")
                return match[0]
        self.drop(subject, where, text, "a concept is named by its IRI in the uri attribute; no concept has this label", "unmapped")
        return None

    def stray_text(self, element: ET.Element, iri: str, cls: str, path: str) -> None:
        """Text directly inside an element that holds elements: a bare URL for a web page is read, the rest noted."""
        text = clean_text(element.text)
        if not text:
            return
        names = {_short(c.tag, self.document.namespace) for c in element}
        if cls == "WebResource" and "contentUrl" not in names and re.fullmatch(r"https?://\S+", text):
            self.add(iri, ELM + "contentUrl", ox.Literal(text, datatype=ox.NamedNode(XSD + "anyURI")))
            self.drop(iri, path, text, "a bare address instead of <contentUrl>; read as the page's address", "guessed")
        else:
            self.drop(iri, path, text[:200], f"text directly inside <{path.rsplit('/', 1)[-1]}> is not read; LOQ puts it in child elements")

    def describe(self, iri: str, element: ET.Element, implied: str | None, with_scheme: bool, where: str) -> None:
        """A concept the catalogue does not know: its type, labels and scheme as the element gives them."""
        self.described.add(iri)
        self.add(iri, RDF_TYPE, SKOS + "Concept")
        schemes = [implied] if implied else []
        for child in element:
            name = _short(child.tag, self.document.namespace)
            if name in ("skos:prefLabel", "skos:altLabel"):
                literal = self.literal("text", child, iri, f"{where}/{name}")
                if literal is not None:
                    self.add(iri, SKOS + name[5:], literal)
            elif name == "skos:notation" and clean_text(child.text):
                self.add(iri, SKOS + "notation", ox.Literal(clean_text(child.text)))
            elif name == "skos:inScheme" and clean_text(child.text) and not implied:
                schemes.append(clean_text(child.text))
        if schemes and not with_scheme:
            self.drop(iri, f"{where}/skos:inScheme", schemes[0], DROPPED["relatedESCOSkill/skos:inScheme"])
            return
        for scheme in dict.fromkeys(schemes):
            if _iri(scheme):
                self.add(iri, SKOS + "inScheme", scheme)
                self.add(scheme, RDF_TYPE, SKOS + "ConceptScheme")

    def literal(self, kind: str, child: ET.Element, node: str, where: str) -> ox.Literal | None:
        text = clean_text(child.text)
        if not text:
            return None
        if kind == "text":
            lang = (child.get("language") or child.get(XML_LANG) or "").strip().replace("_", "-")
            if not _LANGUAGE_TAG.fullmatch(lang):
                self.drop(node, where, text[:80], f"no usable language attribute ({lang or 'none'}); tagged 'und'", "guessed")
                lang = "und"
            try:
                return ox.Literal(text, language=lang.lower())
            except ValueError:
                self.drop(node, where, text[:80], f"the language tag {lang!r} is not valid; tagged 'und'", "guessed")
                return ox.Literal(text, language="und")
        value, problem = _typed(kind, text, child)
        if problem:
            self.drop(node, where, text, problem, "guessed" if value is not None else "dropped")
        if kind == "mailbox" and value is not None:
            self.add(value.value, RDF_TYPE, ELM + "Mailbox")
        return value


def _typed(kind: str, text: str, child: ET.Element) -> tuple[ox.Literal | ox.NamedNode | None, str | None]:
    """A value of the given kind from element text, and what was wrong with it (None: nothing)."""
    if kind == "string":
        return ox.Literal(text), None
    if kind == "datetime":
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            text, problem = text + "T00:00:00", "a date without a time; read as the start of that day"
        else:
            problem = None
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None, "not an xsd:dateTime (use 2026-09-01T00:00:00Z)"
        if not re.fullmatch(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", text):
            return None, "not an xsd:dateTime (use 2026-09-01T00:00:00Z)"
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "dateTime")), problem
    if kind == "duration":
        duration = to_duration(text)
        if duration is None:
            return None, "not an xsd:duration (use e.g. PT50H or P6W)"
        return ox.Literal(duration, datatype=ox.NamedNode(XSD + "duration")), None
    if kind == "decimal":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            return None, "not a decimal number (use e.g. 450.00)"
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal")), None
    if kind == "boolean":
        if text not in ("true", "false", "1", "0"):
            return None, "not true or false"
        return ox.Literal(text in ("true", "1")), None
    if kind == "url":
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "anyURI")), None
    if kind == "iri":
        return (ox.NamedNode(text), None) if _iri(text) else (None, "not an absolute IRI")
    if kind == "notation":
        datatype = (child.get("type") or "").strip()
        if _iri(datatype):
            return ox.Literal(text, datatype=ox.NamedNode(datatype)), None
        return ox.Literal(text), None
    if kind == "mailbox":
        written = text.lower().startswith("mailto:")
        address = text[7:] if written else text
        if not re.fullmatch(r"[^\s@:/]+@[^\s@/]+\.[^\s@/]+", address) or not _iri("mailto:" + address):
            return None, "not an e-mail address"
        return ox.NamedNode("mailto:" + address), None if written else "written without mailto:; read as a mailto: address"
    raise ValueError(kind)


# -- parsing ---------------------------------------------------------------------------


class _LineTarget:
    """Builds the tree and remembers the line of every record (an element with an id, or an offer)."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrs)
        if "id" in attrs or tag.endswith("learningOpportunity"):
            self.lines[element] = self.parser.parser.CurrentLineNumber if self.parser else 0
        return element

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def parse_xml(content: bytes, source: str, charset: str | None = None) -> tuple[ET.Element, dict[ET.Element, int]]:
    """Parse XML safely (no DTD, so no entities), in chunks; return the root and the lines of records."""
    if not content.strip():
        raise InputError("the document is empty.", source)
    data = to_utf8(content, source, charset, ox.RdfFormat.RDF_XML)
    check_xml_entities(data, source, content)
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.parser = parser
    try:
        for start in range(0, len(data), 1 << 20):
            parser.feed(data[start:start + (1 << 20)])
        return parser.close(), target.lines
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise InputError(
            "the document declares a DTD (<!DOCTYPE …>). LOQ XML does not use one, and the catalogue refuses DTDs because "
            "their entities can read local files or expand without limit; remove the DOCTYPE declaration.",
            source, parser.parser.CurrentLineNumber) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        message = re.sub(r": line \d+, column \d+$", "", str(error))
        lines = data.split(b"\n")
        near = escaped(lines[line - 1].decode("utf-8", "replace").strip()) if line and 0 < line <= len(lines) else ""
        raise InputError(f"this is not well-formed XML ({message}).{' Near: ' + near if near else ''}", source, line, column) from None


@lru_cache(maxsize=4096)
def _short(tag: str, namespace: str) -> str:
    """``title`` for a LOQ element, ``skos:prefLabel`` for one of the other namespaces the format uses."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    if uri == namespace:
        return local
    return PREFIXES.get(uri, "{" + uri + "}") + local


def _iri(text: str) -> bool:
    """An absolute IRI Oxigraph accepts."""
    if not _IRI.match(text):
        return False
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value_of(element: ET.Element) -> str:
    """What to show in a note about an element: its uri or idref, else its text."""
    text = element.get("uri") or element.get("idref") or " ".join(t.strip() for t in element.itertext() if t.strip())
    return text[:200]


def _names(schemes: tuple[str, ...]) -> str:
    return " or ".join(f"<{s}>" for s in schemes)
