"""``ooapi``: the Open Education API (OOAPI) v5 of Dutch universities and colleges.

One record is one course (or program) with all its offerings; it yields one
offer per offering (key: ``offeringId``), or one offer made from the course
alone when it has none (key: ``courseId``, with a note). The course or program
says what is learnt (title, outcomes, field, level, study load, assessment);
the offering says when, where, how and for how much.

Requests, in this order: ``/organizations`` (paged), ``/programs`` and
``/programs/{id}/offerings`` (option ``include_programs``, default true),
``/courses`` and ``/courses/{id}/offerings``. Paged with ``pageNumber`` (and
``pageSize``, option ``page_size``, default 100) until ``hasNextPage`` is
false, at most ``max_pages`` (default 500) pages per list.

The source ``url`` is the API's base (``https://host/ooapi/v5/``) or a folder
holding a static copy, read through the same code (``_location``):
``courses`` page 1 -> ``courses.json``, page N -> ``courses.page-N.json``,
``courses/{id}/offerings`` -> ``courses/{id}/offerings.json``, and likewise for
``organizations``, ``programs`` and ``organizations/{id}.json``. Identifiers are
percent-encoded in paths and file names. A missing file (or HTTP 404) for
programs or offerings means "none".

Options: ``token_env`` names an environment variable holding a bearer token
(never the token itself); ``quality_assurance`` (a table: type, agency,
agency_country, title, report_url) declares the provider's quality assurance,
which OOAPI cannot carry.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from catalogue.errors import FetchError, InputError
from catalogue.harvest.contract import (
    Harvester,
    MappedRecord,
    RecordError,
    RecordFailed,
    RecordRef,
    SourceUnavailable,
)
from catalogue.harvest.fetch import is_url
from catalogue.vocab import ASSESSMENT_SCHEME

from .elm import (
    OfferFields,
    OrganisationFields,
    PlaceFields,
    PriceFields,
    QualityAssurance,
    Texts,
    build_offer,
)

LA = "http://data.europa.eu/snb/learning-assessment/"
LO = "http://data.europa.eu/snb/learning-opportunity/"
EQF = "http://data.europa.eu/snb/eqf/"
# OOAPI's modesOfDelivery enumeration, defined in the spec with Dutch equivalents.
MODES = {"online": LA + "920fbb3cbe", "distance-learning": LA + "920fbb3cbe", "on campus": LA + "9191af2ed9",
         "situated": LA + "9191af2ed9", "hybrid": LA + "e92d221e4d"}
# The spec's `level` values and the levelOfQualification (NLQF = EQF for 1-8) each corresponds to.
LEVELS = {"secondary vocational education 1": "1", "secondary vocational education 2": "2",
          "secondary vocational education 3": "3", "secondary vocational education 4": "4",
          "associate degree": "5", "bachelor": "6", "master": "7", "doctoral": "8"}
TYPES = {"course": LO + "05053c1cbe", "program": LO + "79343569f3", "minor": LO + "0f7dac46ca"}
# ISO 639-2/B codes of EU languages; the EU language list uses the /T codes.
BIBLIOGRAPHIC = {"dut": "NLD", "ger": "DEU", "fre": "FRA", "cze": "CES", "gre": "ELL", "rum": "RON", "slo": "SLK",
                 "ice": "ISL", "alb": "SQI", "mac": "MKD", "baq": "EUS", "wel": "CYM", "chi": "ZHO", "per": "FAS"}
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
GRADES = {"pass-or-fail": ("Pass or fail", "Voldaan of niet voldaan"), "1-10": ("Grades 1 to 10", "Cijfers 1 tot en met 10"),
          "0-100": ("Score 0 to 100", "Score 0 tot en met 100"), "US letter": ("US letter grades", "Amerikaanse lettercijfers"),
          "UK letter": ("UK letter grades", "Britse lettercijfers")}
REASONS = {
    "abbreviation": "ELM has no abbreviation", "shortName": "ELM organisations carry the full name; the short name is not carried", "otherCodes": "only the primaryCode is carried as identifier",
    "consumers": "consumer-specific extensions (RIO, eduXchange …) have no ELM equivalent",
    "ext": "non-standard extension", "resources": "reading lists have no place on an ELM offer",
    "qualificationRequirements": "ELM has no property for what it takes to be awarded",
    "coordinators": "persons are not published", "educationSpecification": "RIO registration, not shown to learners",
    "enrollStartDate": "ELM has an application deadline but no opening date",
    "maxNumberStudents": "capacity changes daily", "minNumberStudents": "capacity changes daily",
    "enrolledNumberStudents": "enrolment counts change daily", "pendingNumberStudents": "enrolment counts change daily",
    "geolocation": "the catalogue does not carry coordinates", "parent": "the place in the hierarchy is not shown",
    "description": "an organisation's description is not carried", "sector": "implied by the level",
    "qualificationAwarded": "ELM offers name no degree", "validFrom": "the offerings' dates are used",
    "validTo": "the offerings' dates are used", "firstStartDate": "the offerings' dates are used", "name": "the course or program name is the title",
    "programOffering": "the program is described by its own offers", "academicSession": "the offering's own dates are used",
}


# Where a guest enrols: not in the OOAPI v5 core, but used by APIs and their consumer extensions.
ENROL_FIELDS = ("enrollUrl", "enrollmentUrl", "enrolmentUrl", "guestEnrollmentUrl", "enrollmentLink")
EDITION = {"en": "Edition", "nl": "Uitvoering", "de": "Durchführung", "sv": "Tillfälle"}


class _Absent(Exception):
    """The API has no such list (HTTP 404/410 or no file): for offerings and programs, that means none."""


class JsonSyntaxError(InputError):
    code = "json-syntax"


class EncodingProblem(InputError):
    code = "encoding"


class OoapiHarvester(Harvester):
    kind = "ooapi"
    title = "Open Education API (OOAPI) v5: courses, programs and their offerings (HTTP or a static copy in a folder)"
    mapping = [
        ("offering.offeringId (courseId/programId if no offerings)", "offer IRI BASE/offer/SOURCE/ID", "one offer per offering"),
        ("course|program.name, description (+ offering.description)", "dcterms:title, dcterms:description", "nl-NL -> nl; offering text appended"),
        ("offering.primaryCode (else course.primaryCode)", "adms:identifier", "codeType as scheme name"),
        ("offering.link (else course.link)", "foaf:homepage", "course link as elm:supplementaryDocument"),
        ("organization (offering, course, else root)", "elm:providedBy", "name, addresses[].countryCode, link, primaryCode"),
        ("(the providing organization)", "awardingOpportunity/awardingBody", "assumed; noted as a guess"),
        ("teachingLanguage", "elm:defaultLanguage, dcterms:language", "ISO 639 code -> EU language list"),
        ("modeOfDelivery", "elm:mode", "online, distance-learning -> Online; on campus, situated -> Presential; hybrid -> Blended"),
        ("modeOfStudy", "elm:learningSchedule", "through vocabulary labels"),
        ("studyLoad ects | hour, sbu", "creditPoint (ECTS) | volumeOfLearning", "contacttime, sp dropped"),
        ("levelOfQualification, level", "elm:educationLevel (EQF)", "1-8; 4+ -> 4 (guess); bachelor -> 6, master -> 7 …"),
        ("fieldsOfStudy", "elm:ISCEDFCode", "ISCED-F code"),
        ("learningOutcomes", "elm:learningOutcome", "one per inner array"),
        ("assessment", "provenBy: title; dcterms:type", "text or its parts matched to the EU assessment list"),
        ("resultValueType", "provenBy/gradingScheme", "when resultExpected"),
        ("admissionRequirements | enrollment", "entryRequirement | admissionProcedure", "notes"),
        ("startDate, endDate | enrollEndDate", "dcterms:temporal | applicationDeadline", ""),
        ("flexibleEntryPeriodStart/End", "elm:scheduleInformation", "as a sentence"),
        ("duration", "elm:duration", "ISO 8601"),
        ("priceInformation[]", "elm:priceDetail", "amount, currency, costType as label; € in displayAmount -> EUR (guess)"),
        ("addresses (offering, else course)", "elm:location", "addressType teaching preferred"),
        ("course.programs", "pathways note", "names of the harvested programs"),
        ("offeringType, programType", "dcterms:type", "course, program, minor"),
        ("any other field", "(dropped)", "a mapping note per field"),
    ]

    def __init__(self, context):
        super().__init__(context)
        self.base = context.source.urls[0]
        self.organizations: dict[str, dict] = {}
        self.root: dict | None = None
        self.programs: dict[str, Texts] = {}  # programId -> name, for the courses' pathways notes
        self._seen: set[str] = set()
        self._offerings: set[str] = set()
        self._noted: set[str] = set()
        self.yielded = 0
        self._code_fields: dict[str, str] = {}  # record -> where its code came from, for the note when an offering's replaces it
        self.programs_listed = False  # the API answered /programs, so a missing /courses is not an error

    # -- transport: one path, a URL or a file ----------------------------------

    def _location(self, path: str, params: dict[str, Any]) -> str:
        page = int(params.get("pageNumber", 1))
        if not is_url(self.base):
            return str(Path(self.base) / (path + (f".page-{page}" if page > 1 else "") + ".json"))
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return urljoin(self.base.rstrip("/") + "/", path) + (f"?{query}" if query else "")

    def _get(self, path: str, params: dict[str, Any] | None = None) -> tuple[str, Any]:
        location = self._location(path, params or {})
        if not is_url(location) and not Path(location).is_file():
            raise _Absent(location)
        try:
            fetched = self.context.http.get(location, accept="application/json")
        except FetchError as error:
            if error.status in (404, 410):
                raise _Absent(location) from None
            raise
        self.context.fetched.append(fetched)
        return location, parse_json(fetched.content, location, fetched.charset, fetched.content_type)

    def _pages(self, path: str) -> Iterator[tuple[int, str, list]]:
        limit = int(self.context.option("max_pages", 500))
        for number in range(1, limit + 1):
            try:
                location, body = self._get(path, {"pageNumber": number, "pageSize": self.context.option("page_size", 100)})
            except _Absent as absent:
                if number == 1:
                    raise
                raise InputError(f"page {number} is missing although page {number - 1} said hasNextPage.", str(absent)) from None
            items, more = page_items(body, location)
            yield number, location, items
            if not more:
                return
            if not items:
                raise InputError(f"page {number} is empty but says hasNextPage; paging stopped.", location)
        raise InputError(f"more than {limit} pages; raise the source option max_pages to read them all.", self._location(path, {}))

    def _authorise(self) -> None:
        name = self.context.option("token_env")
        if not name or not is_url(self.base):
            return
        token = os.environ.get(str(name))
        if not token:
            raise SourceUnavailable(f"{self.context.source.name}: the environment variable {name} (named by token_env) is not set.")
        http, host = self.context.http, urlsplit(self.base).netloc
        previous = http.guard

        def same_host(url: str) -> None:  # the token must never follow a redirect to another host
            if urlsplit(url).netloc != host:
                raise FetchError(f"refusing to send the API token to another host ({urlsplit(url).netloc}).", url)
            if previous:
                previous(url)

        http.guard = same_host
        http.session.headers["Authorization"] = f"Bearer {token}"

    # -- gather / fetch ---------------------------------------------------------

    def gather(self) -> Iterator[RecordRef]:
        self._authorise()
        try:
            for _, _, items in self._pages("organizations"):
                for org in items:
                    if isinstance(org, dict) and isinstance(org.get("organizationId"), str):
                        self.organizations[org["organizationId"]] = org
                        if self.root is None or org.get("organizationType") == "root" and self.root.get("organizationType") != "root":
                            self.root = org
        except _Absent:
            self.context.note("(source)", "organizations", "dropped", self._location("organizations", {}), "the API lists no organizations; providers come from the courses' own references")
        except InputError as error:
            raise SourceUnavailable(f"{self.context.source.name}: the organizations could not be read: {error}", getattr(error, "status", None)) from None
        kinds = (["program"] if self.context.option("include_programs", True) else []) + ["course"]
        for kind in kinds:
            yield from self._list(kind)

    def _list(self, kind: str) -> Iterator[RecordRef]:
        number = 0
        try:
            for number, location, items in self._pages(kind + "s"):
                self.programs_listed = self.programs_listed or kind == "program"
                for index, item in enumerate(items):
                    self.yielded += 1
                    yield self._ref(kind, item, location, f"{kind}s page {number}, item {index + 1}")
        except _Absent as absent:
            if kind == "program":
                return
            if self.programs_listed:
                # Many APIs publish programs only: no /courses (404) is then no fault of the source.
                self.context.note("(source)", "courses", "guessed", str(absent), "the API has no list of courses; its programs were read")
                return
            if kind == "course":
                raise SourceUnavailable(f"{self.context.source.name}: the API has no list of courses at {absent}; check the source url (the API's base, e.g. …/ooapi/v5/).", 404) from None
        except InputError as error:
            if not self.yielded:
                raise SourceUnavailable(f"{self.context.source.name}: the list of {kind}s could not be read: {error}", getattr(error, "status", None)) from None
            raise RecordFailed(_code(error), f"The list of {kind}s broke off at page {number + 1}, so {kind}s after it keep their previous offers: {error}",
                               f"{kind}s page {number + 1}", transient=True) from None

    def _ref(self, kind: str, item: Any, location: str, position: str) -> RecordRef:
        ident = item.get(kind + "Id") if isinstance(item, dict) else None
        if not isinstance(ident, (str, int)) or not str(ident).strip():
            return RecordRef(f"({kind} without {kind}Id, {position})", location, RecordFailed(
                "missing-identifier", f"A {kind} has no {kind}Id, so it cannot be kept apart from the others; give every {kind} its id.", position))
        ident = str(ident)
        if ident in self._seen:
            return RecordRef(f"{ident} (again, {position})", location, RecordFailed(
                "duplicate-identifier", f"The {kind}Id {ident} is used twice; only its first {kind} was read.", position))
        self._seen.add(ident)
        if kind == "program":
            self.programs[ident] = texts(item.get("name"))[0]
        return RecordRef(ident, location, (kind, item))

    def fetch(self, ref: RecordRef) -> tuple[str, dict, list]:
        if isinstance(ref.payload, RecordFailed):
            raise ref.payload
        kind, item = ref.payload
        offerings: list = []
        try:
            for number, _, items in self._pages(f"{kind}s/{segment(ref.key)}/offerings"):
                offerings.extend((f"offerings page {number}, item {i + 1}", o) for i, o in enumerate(items))
        except _Absent:
            pass
        except InputError as error:
            raise RecordFailed(_code(error), f"The offerings of {kind} {ref.key} could not be read, so its previous offers were kept: {error}",
                               _position(error), transient=True) from None
        return kind, item, offerings

    # -- map -----------------------------------------------------------------------

    def map(self, ref: RecordRef, content: tuple[str, dict, list]) -> MappedRecord:
        kind, item, offerings = content
        course = _Obj(item)
        course.consume(f"{kind}Id", "programType")
        template = self._template(ref.key, kind, course)
        self._leftovers(ref.key, kind, course)
        triples, offers = [], []
        usable = [(p, o) for p, o in offerings if self._usable(ref.key, p, o)]
        if not offerings or not usable and all(isinstance(o, dict) and o.get("offeringType") == "component" for _, o in offerings):
            self.context.note(ref.key, "offerings", "guessed", ref.key, f"the {kind} has no offerings; one offer was made from the {kind} alone, without dates, price or place")
            iri, built = build_offer(template, self.context)
            return MappedRecord(ref.key, built, [iri])
        for _, offering in usable:
            iri, built = build_offer(self._offer(template, _Obj(offering)), self.context)
            triples.extend(built)
            offers.append(iri)
        return MappedRecord(ref.key, triples, offers)

    def _usable(self, record: str, position: str, offering: Any) -> bool:
        ident = offering.get("offeringId") if isinstance(offering, dict) else None
        problem = None
        if not isinstance(ident, (str, int)) or not str(ident).strip():
            problem = ("missing-identifier", "An offering has no offeringId, so it was left out; give every offering its id.")
        elif str(ident) in self._offerings:
            problem = ("duplicate-identifier", f"The offeringId {ident} is used twice; only its first offering was read.")
        elif offering.get("offeringType") == "component":
            self.context.note(record, "offering", "dropped", str(ident), "a component offering is part of a course, not an offer of its own")
            return False
        if problem:
            self.context.errors.append(RecordError(record, "map", problem[0], problem[1], position))
            return False
        self._offerings.add(str(ident))
        return True

    def _template(self, key: str, kind: str, c: _Obj) -> OfferFields:
        """What the course or program gives every one of its offers."""
        note = self._noter(key, kind)
        titles = texts(c.get("name"), note, "name")[0]
        code = c.get("primaryCode") if isinstance(c.get("primaryCode"), dict) else {}
        if not _str(code.get("code")):
            c.consume("abbreviation")  # the identifier then; else it is noted as dropped
        fields = OfferFields(
            key=key, titles=titles, provider=self._provider(c.get("organization"), key),
            homepage=_str(c.get("link")), descriptions=texts(c.get("description"), note, "description")[0],
            languages=self._language(c.get("teachingLanguage")), fields_of_education=[_str(c.get("fieldsOfStudy"))] if c.get("fieldsOfStudy") else [],
            eqf_level=self._level(key, c), learning_outcomes=outcomes(c.get("learningOutcomes"), note),
            modes=_modes(c.get("modeOfDelivery")), schedule=_str(c.get("modeOfStudy")), duration=_str(c.get("duration")),
            opportunity_type=TYPES.get(str(c.get("programType") or kind), _str(c.get("programType"))),
            entry_requirements=texts(c.get("admissionRequirements") or c.get("requirements"), note, "admissionRequirements")[0],
            admission=texts(c.get("enrollment"), note, "enrollment")[0],
            course_code=_str(code.get("code")) or _str(c.data.get("abbreviation")), code_scheme=self._scheme(code),
            place=self._place(c.get("addresses"), note, kind), stackability=self._pathways(key, c.get("programs")),
        )
        fields.provider = self._located(key, fields.provider, fields.place)
        self._code_fields[key] = f"{kind}/{'primaryCode' if _str(code.get('code')) else 'abbreviation'}"
        fields.awarding_body = fields.provider
        self.context.note(key, "organization", "guessed", fields.provider.key, "OOAPI names no awarding body; the providing organization was assumed to award")
        self._workload(key, fields, c.get("studyLoad"), c.get("ects"))
        assessment = texts(c.get("assessment"), note, "assessment")[0]
        fields.assessment_title, fields.assessment_types = assessment, self._assessment_types(key, assessment)
        return fields

    def _offer(self, template: OfferFields, o: _Obj) -> OfferFields:
        key = str(o.get("offeringId"))
        note = self._noter(key, "offering")
        fields = dataclasses.replace(template, key=key, modes=_modes(o.get("modeOfDelivery")) or template.modes)
        fields.languages = self._language(o.get("teachingLanguage")) or template.languages
        fields.start, fields.end = _str(o.get("startDate")), _str(o.get("endDate"))
        fields.application_deadline = _str(o.get("enrollEndDate"))
        fields.descriptions = dict(template.descriptions)
        for lang, text in texts(o.get("description"), note, "description")[0].items():
            known = fields.descriptions.get(lang)
            fields.descriptions[lang] = text if not known or known == text else f"{known}\n\n{text}"
        if _str(o.get("link")):
            fields.homepage = _str(o["link"])
            fields.documents = [template.homepage] if template.homepage and template.homepage != fields.homepage else []
        apply = self._enrol_link(o)
        if apply:
            # Where to apply, as xcri-cap's applyTo: elm:supplementaryDocument.
            fields.further_information_url = apply
        code = o.get("primaryCode") if isinstance(o.get("primaryCode"), dict) else {}
        if _str(code.get("code")):
            if template.course_code and template.course_code != _str(code.get("code")):
                self.context.note(key, self._code_fields.get(template.key, "primaryCode"), "dropped", template.course_code, "the offering's own primaryCode identifies the offer")
            fields.course_code, fields.code_scheme = _str(code.get("code")), self._scheme(code)
        if o.get("organization"):
            fields.provider = fields.awarding_body = self._provider(o.get("organization"), key)
        fields.prices = self._prices(key, o.get("priceInformation"))
        fields.place = self._place(o.get("addresses"), note, "offering") or template.place
        fields.schedule_information = _flexible(o.get("flexibleEntryPeriodStart"), o.get("flexibleEntryPeriodEnd"))
        grading = GRADES.get(str(o.get("resultValueType")))
        if o.data.get("resultExpected") is not False and grading:
            fields.grading = {"en": grading[0], "nl": grading[1]}
        elif o.get("resultValueType"):
            note("resultValueType", o.get("resultValueType"), "not a grading scale of the OOAPI list, or no result expected")
        name = texts(o.get("name"), note, "name")[0]
        if name and name != template.titles:
            # "semester 1", "Autumn 2026, evening": what tells this edition from the others, kept beside the course title.
            fields.offer_notes = [*template.offer_notes, {lang: f"{EDITION.get(lang, EDITION['en'])}: {text}" for lang, text in name.items()}]
        fields.provider = self._located(key, fields.provider, fields.place)
        o.consume("offeringType", "course", "program", "resultExpected", *(["academicSession"] if fields.start else []))
        self._leftovers(key, "offering", o)
        return fields

    # -- parts -------------------------------------------------------------------

    def _located(self, record: str, provider: OrganisationFields, place: PlaceFields | None) -> OrganisationFields:
        """A provider without a country is taken to be in the country of the offering's (or program's) address."""
        if provider.country or place is None or not place.country:
            return provider
        self.context.note(record, "organization/addresses/countryCode", "guessed", place.country,
                          "the organization names no country; the country of the teaching address was used")
        return dataclasses.replace(provider, country=place.country)

    def _enrol_link(self, o: _Obj) -> str | None:
        """A guest enrolment address: the offering's own field, or one a consumer extension (eduXchange …) gives."""
        for name in ENROL_FIELDS:
            if _str(o.get(name)):
                return _str(o.get(name))
        for consumer in o.data.get("consumers") or []:
            found = next((_str(consumer.get(n)) for n in ENROL_FIELDS if isinstance(consumer, dict) and _str(consumer.get(n))), None)
            if found:
                o.consume("consumers")
                self.context.note(str(o.data.get("offeringId")), "offering/consumers", "dropped", consumer.get("consumerKey") or "consumer",
                                  "only the enrolment address of the consumer extension was read")
                return found
        return None

    def _noter(self, record: str, kind: str):
        return lambda field_name, value, reason: self.context.note(record, f"{kind}/{field_name}", "dropped", value, reason)

    def _leftovers(self, record: str, kind: str, obj: _Obj) -> None:
        for name, value in obj.leftovers():
            self.context.note(record, f"{kind}/{name}", "dropped", value, REASONS.get(name, "not part of the OOAPI v5 mapping"))

    def _language(self, value: Any) -> list[str]:
        """An ISO 639-2/3 code as the EU language concept; anything else as free text for build_offer."""
        text = _str(value)
        if text and re.fullmatch(r"[A-Za-z]{3}", text):
            iri = LANGUAGE + BIBLIOGRAPHIC.get(text.lower(), text.upper())
            if self.context.vocabulary.in_scheme(iri, LANGUAGE.rstrip("/")):
                return [iri]
        return [text] if text else []

    def _scheme(self, code: dict) -> str:
        kind = _str(code.get("codeType"))
        return f"{self.context.source.name} ({kind})" if kind else self.context.source.name

    def _level(self, key: str, c: _Obj) -> str | None:
        qualification, level = _str(c.get("levelOfQualification")), _str(c.get("level"))
        if qualification:
            if qualification == "4+":
                self.context.note(key, "levelOfQualification", "guessed", qualification, "NLQF 4+ has no EQF level of its own; read as EQF 4")
            return EQF + qualification.rstrip("+") if re.fullmatch(r"[1-8]\+?", qualification) else qualification
        if level and level not in LEVELS:
            self.context.note(key, "level", "unmapped", level, "this OOAPI level has no EQF level")
        return EQF + LEVELS[level] if level in LEVELS else None

    def _workload(self, key: str, fields: OfferFields, load: Any, ects: Any) -> None:
        load = load if isinstance(load, dict) else {}
        unit, value = str(load.get("studyLoadUnit", "")).lower(), load.get("value")
        if value is None:
            pass
        elif unit == "ects":
            fields.ects = str(value)
        elif unit in ("hour", "sbu"):
            fields.hours = str(value)
        else:
            self.context.note(key, "studyLoad", "dropped", f"{value} {unit}", "only ECTS and (study load) hours are a notional workload")
        if ects is not None and fields.ects is None:
            fields.ects = str(ects)  # the draft v5 `ects` number

    def _assessment_types(self, key: str, assessment: Texts) -> list[str]:
        """Assessment types named in the text (in any language): the whole text, else each of its parts."""
        vocabulary, exact, guessed = self.context.vocabulary, set(), {}
        for text in assessment.values():
            whole = vocabulary.match(ASSESSMENT_SCHEME, text)
            parts = [text] if whole else [p for p in re.split(r"\s*(?:[,;+/&]|\b(?:and|en|or|of|und|och)\b)\s*", text) if p]
            for part in parts:
                match = vocabulary.match(ASSESSMENT_SCHEME, part)
                if match and match[1] and part == text:
                    exact.add(match[0])
                elif match:
                    guessed.setdefault(match[0], part)
        if set(guessed) - exact:
            labels = ", ".join(vocabulary.label(iri) for iri in guessed if iri not in exact)
            self.context.note(key, "assessment", "guessed", "; ".join(assessment.values()), f"assessment types read from the text: {labels}")
        return list(dict.fromkeys([*exact, *guessed])) or list(assessment.values())[:1]

    def _prices(self, key: str, costs: Any) -> list[PriceFields]:
        prices = []
        for index, raw in enumerate(costs if isinstance(costs, list) else []):
            cost = _Obj(raw)
            amount, currency = cost.get("amount"), _str(cost.get("currency"))
            display = texts(cost.get("displayAmount"))[0]
            if amount is None:
                self.context.note(key, f"priceInformation[{index}]", "dropped", raw, "a cost without an amount")
                continue
            if not currency and any("€" in t for t in display.values()):
                currency = "EUR"
                self.context.note(key, f"priceInformation[{index}]/currency", "guessed", "EUR", "no currency given; € in displayAmount")
            prices.append(PriceFields(str(amount), currency, {"en": _str(cost.get("costType")) or "price"}))
            self._leftovers(key, f"offering/priceInformation[{index}]", cost)
        return prices

    def _place(self, addresses: Any, note, kind: str) -> PlaceFields | None:
        usable = [a for a in (addresses if isinstance(addresses, list) else []) if isinstance(a, dict)]
        if not usable:
            return None
        chosen = next((a for a in usable if a.get("addressType") == "teaching"), usable[0])
        for other in usable:
            if other is not chosen:
                note("addresses", _address_text(other), "ELM offers have one location here; the teaching (or first) address was kept")
        address = _Obj(chosen)
        street = " ".join(p for p in (_str(address.get("street")), _str(address.get("streetNumber"))) if p)
        text = ", ".join(p for p in (street, _str(address.get("postalCode"))) if p)
        place = PlaceFields(text or None, _str(address.get("city")), _str(address.get("countryCode")), texts(address.get("additional"))[0])
        address.consume("addressType", "AddressType")
        for name, value in address.leftovers():
            note(f"addresses/{name}", value, REASONS.get(name, "not part of the OOAPI v5 mapping"))
        return place

    def _pathways(self, key: str, programs: Any) -> Texts:
        listed = programs if isinstance(programs, list) else []
        names = [texts(p.get("name"))[0] if isinstance(p, dict) else self.programs.get(str(p)) for p in listed]
        unknown = [str(p.get("programId") if isinstance(p, dict) else p) for p, n in zip(listed, names) if not n]
        if unknown:
            self.context.note(key, "course/programs", "dropped", ", ".join(unknown), "not among the harvested programs")
        known = [n for n in names if n]
        if not known:
            return {}
        en = "; ".join(n.get("en") or next(iter(n.values())) for n in known)
        nl = "; ".join(n.get("nl") or next(iter(n.values())) for n in known)
        return {"en": f"Counts towards: {en}", "nl": f"Telt mee voor: {nl}"}

    def _provider(self, reference: Any, record: str) -> OrganisationFields:
        org = reference if isinstance(reference, dict) else self._organization(str(reference), record) if reference else None
        org = org or self.root
        if org is None:
            self.context.note(record, "organization", "guessed", self.context.source.name, "no organization given or listed; the source's name was used")
            return OrganisationFields(f"source-{self.context.source.id}", {"en": self.context.source.name})
        obj, ident = _Obj(org), str(org.get("organizationId") or org.get("shortName") or self.context.source.id)
        names = texts(obj.get("name"))[0] or ({"": _str(obj.data.get("shortName"))} if obj.data.get("shortName") else {})
        if names and _str(obj.data.get("shortName")) in names.values():
            obj.consume("shortName")
        addresses = [a for a in (obj.get("addresses") or []) if isinstance(a, dict)]
        located = next((a for a in addresses if a.get("countryCode")), addresses[0] if addresses else {})
        code = obj.get("primaryCode") if isinstance(obj.get("primaryCode"), dict) else {}
        qa = self.context.option("quality_assurance")
        fields = OrganisationFields(
            ident, names, _str(located.get("countryCode")), _str(obj.get("link")), _address_text(located) if located else None,
            identifier=_str(code.get("code")), identifier_scheme=_str(code.get("codeType")),
            postcode=_str(located.get("postalCode")) if located else None,
            quality_assurance=QualityAssurance(qa.get("type", ""), {"en": qa["title"]} if qa.get("title") else {}, qa.get("agency", ""),
                                               qa.get("agency_country"), qa.get("report_url")) if isinstance(qa, dict) else None)
        obj.consume("organizationId", "organizationType")
        if ident not in self._noted:
            self._noted.add(ident)
            self._leftovers(f"organization {ident}", "organization", obj)
        return fields

    def _organization(self, ident: str, record: str) -> dict | None:
        if ident not in self.organizations:
            try:
                _, found = self._get(f"organizations/{segment(ident)}")
                self.organizations[ident] = found if isinstance(found, dict) else None
            except (_Absent, InputError) as error:
                self.organizations[ident] = None
                self.context.note(record, "organization", "unmapped", ident, f"the organization could not be read ({error}); the root organization was used")
        return self.organizations[ident]


# -- JSON and values ------------------------------------------------------------------


class _Obj:
    """A JSON object that remembers which fields were read, so that the rest can be noted as dropped."""

    def __init__(self, data: Any):
        self.data = data if isinstance(data, dict) else {}
        self.used: set[str] = set()

    def get(self, name: str) -> Any:
        self.used.add(name)
        return self.data.get(name)

    __getitem__ = get

    def consume(self, *names: str) -> None:
        self.used.update(names)

    def leftovers(self) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in self.data.items() if k not in self.used and v not in (None, "", [], {})]


def parse_json(content: bytes, location: str, charset: str | None = None, content_type: str | None = None) -> Any:
    """JSON from bytes: BOM, else the declared charset, else UTF-8 (RFC 8259); errors name the place."""
    if content.startswith(codecs.BOM_UTF8):
        content, charset = content[3:], "utf-8"
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        charset = "utf-16"
    encoding = charset or "utf-8"
    try:
        text = content.decode(encoding)
    except LookupError:
        raise EncodingProblem(f"the server declares the unknown charset {charset!r}.", location) from None
    except UnicodeDecodeError as error:
        said = f"declared as {charset}" if charset else "JSON must be UTF-8"
        raise EncodingProblem(f"byte {error.start} is not valid {encoding} ({said}); fix the encoding or the charset header.",
                         location, content[: error.start].count(b"\n") + 1) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        html = " The server sent HTML, not JSON (a login or error page?)." if text.lstrip().startswith("<") else ""
        raise JsonSyntaxError(f"not valid JSON: {error.msg}.{html}", location, error.lineno, error.colno) from None
    except RecursionError:
        raise JsonSyntaxError("the JSON is nested too deeply to read.", location) from None


def page_items(body: Any, location: str) -> tuple[list, bool]:
    """(items, has next page) of an OOAPI list; a bare array is one page."""
    if isinstance(body, list):
        return body, False
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise InputError("not an OOAPI list (an object with pageNumber, hasNextPage and an items array).", location)
    more = body.get("hasNextPage")
    if more is None and isinstance(body.get("totalPages"), int) and isinstance(body.get("pageNumber"), int):
        more = body["pageNumber"] < body["totalPages"]
    return body["items"], more is True


def texts(value: Any, note=None, field_name: str = "") -> tuple[Texts, list[str]]:
    """A LanguageTypedString array as {language: text}; one text per primary language subtag (nl-NL -> nl)."""
    items = value if isinstance(value, list) else [value] if value else []
    found: Texts = {}
    extra: list[str] = []
    for item in items:
        if isinstance(item, str):
            lang, text = "", item
        elif isinstance(item, dict) and isinstance(item.get("value"), str):
            lang, text = str(item.get("language") or "").split("-")[0].lower(), item["value"]
            lang = lang if re.fullmatch(r"[a-z]{2,3}", lang) else ""
        else:
            continue
        if lang in found:
            extra.append(text)
        elif text.strip():
            found[lang] = text
    if extra and note:
        note(field_name, extra[0], "a second text in the same language; the first was kept")
    return found, extra


def outcomes(value: Any, note) -> list[Texts]:
    result = []
    for item in value if isinstance(value, list) else []:
        found = texts(item, note, "learningOutcomes")[0]
        if found:
            result.append(found)
    return result


def segment(ident: str) -> str:
    """An identifier as one path segment or file name: percent-encoded, never '.' or '..'."""
    quoted = quote(ident, safe="-_.~")
    return quoted.replace(".", "%2E") if set(ident) <= {"."} else quoted


def _str(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None




def _modes(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [MODES.get(str(v).strip().lower(), str(v)) for v in values if _str(v)]


def _flexible(start: Any, end: Any) -> Texts:
    if not (_str(start) or _str(end)):
        return {}
    return {"en": f"Flexible start between {start or '…'} and {end or '…'}.", "nl": f"Flexibele instroom tussen {start or '…'} en {end or '…'}."}


def _address_text(address: dict) -> str:
    parts = [" ".join(p for p in (_str(address.get("street")), _str(address.get("streetNumber"))) if p),
             " ".join(p for p in (_str(address.get("postalCode")), _str(address.get("city"))) if p)]
    return ", ".join(p for p in parts if p)


def _code(error: Exception) -> str:
    if isinstance(error, FetchError):
        return "http-status" if error.status else "unreachable"
    return getattr(error, "code", "unreadable")


def _position(error: Exception) -> str | None:
    line = getattr(error, "line", None)
    return f"line {line}, column {getattr(error, 'column', None)}" if line and getattr(error, "column", None) else f"line {line}" if line else None
