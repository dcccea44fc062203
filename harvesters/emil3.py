"""``emil3``: Skolverket's Susa-navet API, EMIL 3 documents as JSON (Sweden's register of education offers).

Three paged lists make one offer: ``/educationEvents`` (an offer: when, where, how,
for how much), the ``/educationInfos`` an event names in ``education`` (what is
taught: level, credits, subjects, eligibility) and the ``/educationProviders`` it
names in ``providers``. One record is one event (key: its ``identifier``).

Paging: ``page`` from 0 and ``size`` (option ``page_size``, default 1000, at most
2000) until ``page.totalElements`` items (else ``page.totalPages`` pages) are read.
Option ``school_types`` (e.g. ``["YH", "HS"]``) is sent as ``schoolType`` and picks
forms of education; default all.

Incremental reads. The API answers ``updatedSince`` with what is "new, updated or
removed since" then. The pipeline treats every run as the whole source (what a run
does not yield is withdrawn), so the harvester keeps a **mirror**: the raw JSON of
every event, education and provider it has read (gzip, in the source's HTTP-cache
folder). A run asks with ``updatedSince`` = the time the mirror's last complete read
began (minus ``overlap_minutes``, default 60, in Swedish time as the API expects),
applies the answer to the mirror (removed resources leave it) and yields every event
of the mirror: the pipeline sees a full feed, and removed events are withdrawn. The
mirror is replaced only after all three lists were read completely; a run that fails
on the way leaves it, and the published offers, as they were. With no mirror, a mirror
read with other ``school_types`` or another URL, one older than
``full_refresh_days`` (default 7), or ``incremental = false``, the run reads everything.

An item counts as removed when it has no ``content`` or its ``status`` says so
(deleted, removed, inactive, withdrawn; the OpenAPI description does not list the
values). An event past its ``expires`` time is left out (EMIL: the document is no
longer valid), with a note.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from catalogue.errors import FetchError, InputError
from catalogue.harvest.contract import (
    HarvestContext,
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    RecordUnchanged,
    SourceUnavailable,
)
from catalogue.namespaces import ADMS, CLV, DCTERMS, ELM, LOCN, RDF_TYPE, SKOS, TOPIC
from catalogue.vocab import (
    COUNTRY_SCHEME,
    FOLK_HIGH_SCHOOL_WEEKS,
    LANGUAGE_SCHEME,
    YH_POINTS,
)

from .elm import (
    OfferFields,
    OrganisationFields,
    PriceFields,
    Texts,
    build_offer,
    clean_text,
    schedule_for_pace,
    to_number,
)
from .ooapi import parse_json

try:
    from zoneinfo import ZoneInfo

    SWEDEN = ZoneInfo("Europe/Stockholm")
except Exception:  # noqa: BLE001 - no time zone data: UTC is an hour or two off, which the overlap absorbs
    SWEDEN = UTC

LISTS = ("educationProviders", "educationInfos", "educationEvents")
EQF = "http://data.europa.eu/snb/eqf/"
ISCED_F = "http://data.europa.eu/snb/isced-f/"
LO = "http://data.europa.eu/snb/learning-opportunity/"
MODE = "http://data.europa.eu/snb/learning-assessment/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
ONLINE, PRESENTIAL, BLENDED = MODE + "920fbb3cbe", MODE + "9191af2ed9", MODE + "e92d221e4d"
CONFIGURATION = {"kurs": LO + "05053c1cbe", "kurspaket": LO + "74a4a268e8", "program": LO + "79343569f3"}
APPRENTICESHIP = LO + "63f9f6180c"
# Topics of the catalogue's own notes: data the site can filter on that ELM has no property for.
STUDENT_AID_TOPIC = TOPIC + "student-aid"
NO_STUDENT_AID_TOPIC = TOPIC + "no-student-aid"
SCHOOL_TYPE_TOPIC = TOPIC + "school-type"
VOCATIONAL_TOPIC = TOPIC + "vocational"
SCHOOL_TYPES = {
    "AU": ("Annan undervisning", "Other education"), "AUB": ("Arbetsmarknadsutbildning", "Labour market training"),
    "FHS": ("Folkhögskola", "Folk high school"), "FKLASS": ("Förskoleklass", "Preschool class"),
    "FTH": ("Fritidshem", "After-school centre"), "GR": ("Grundskola", "Compulsory school"),
    "GRAN": ("Anpassad grundskola", "Adapted compulsory school"), "GY": ("Gymnasieskola", "Upper secondary school"),
    "GYAN": ("Anpassad gymnasieskola", "Adapted upper secondary school"), "HS": ("Högskola", "Higher education"),
    "KKU": ("Konst- och kulturutbildning", "Arts and culture education"), "KU": ("Kulturskola", "Arts school"),
    "NY": ("Nationell yrkesutbildning", "National vocational education"), "OPPFTH": ("Öppen fritidsverksamhet", "Open leisure activities"),
    "SAM": ("Sameskola", "Sami school"), "SP": ("Specialskola", "Special school"), "STF": ("Studieförbund", "Study association"),
    "VUX": ("Kommunal vuxenutbildning", "Municipal adult education"),
    "VUXGR": ("Kommunal vuxenutbildning på grundläggande nivå", "Municipal adult education, basic level"),
    "VUXGRAN": ("Kommunal vuxenutbildning som anpassad utbildning på grundläggande nivå", "Adapted municipal adult education, basic level"),
    "VUXGY": ("Kommunal vuxenutbildning på gymnasial nivå", "Municipal adult education, upper secondary level"),
    "VUXGYAN": ("Kommunal vuxenutbildning som anpassad utbildning på gymnasial nivå", "Adapted municipal adult education, upper secondary level"),
    "VUXSFI": ("Kommunal vuxenutbildning i svenska för invandrare", "Swedish for immigrants (SFI)"),
    "YH": ("Yrkeshögskola", "Higher vocational education"),
}
CREDIT_NAMES = {"hp": "högskolepoäng", "yh": "yrkeshögskolepoäng", "gy": "gymnasiepoäng"}
# ISO 639-2/3 codes as EMIL writes them, and the language tags RDF texts carry.
TAGS = {"swe": "sv", "eng": "en", "fin": "fi", "nor": "no", "nob": "nb", "nno": "nn", "dan": "da", "deu": "de", "ger": "de",
        "fra": "fr", "fre": "fr", "spa": "es", "ita": "it", "por": "pt", "ara": "ar", "rus": "ru", "pol": "pl", "som": "so",
        "fas": "fa", "per": "fa", "sme": "se", "isl": "is", "ice": "is", "est": "et", "ukr": "uk", "tir": "ti"}
BIBLIOGRAPHIC = {"ger": "DEU", "fre": "FRA", "per": "FAS", "ice": "ISL", "dut": "NLD", "gre": "ELL", "cze": "CES", "rum": "RON", "chi": "ZHO"}
REMOVED = {"deleted", "removed", "inactive", "withdrawn", "borttagen"}
REASONS = {
    "orderers": "the body that ordered (procured) the education has no ELM property",
    "places": "the number of places changes daily",
    "educationBase": "a reference to a base education, not shown to learners",
    "orientation": "EMIL's orientation codes (1-3) have no ELM or EU list equivalent",
    "educationLevels": "ISCED 2011 levels of education are not EQF levels",
    "description": "an organisation's description is not carried",
    "responsibleBody": "the responsible body (huvudman) is not carried on an ELM organisation",
    "years": "school years apply to compulsory schooling, not to offers",
    "owner": "the owner is not carried on an ELM organisation",
    "lastEdited": "the offer's dcterms:modified comes from the event and the education",
    "expires": "the event's own expiry decides whether it is listed",
    "sweref99": "the WGS84 coordinates are kept; SWEREF 99 is the same point in another system",
    "postBox": "a post box is not where learning takes place",
    "min": "ELM credit points have one value; the full number of credits was kept",
    "max": "ELM durations have one value; the usual length was kept",
    "phones": "one phone number is carried",
    "emailAddresses": "one e-mail address is carried",
    "visitAddresses": "an organisation has one address here; the first visiting address was kept",
    "contactAddress": "an organisation has one address here; the visiting address was kept",
    "providers": "an ELM offer has one provider; the first known one was kept",
    "condition": "EMIL's execution condition codes (0-3) are not described by the API; kept for review, not shown as a status",
    "extensions": "a school-type extension (university admission, contractor …) has no ELM property",
}


class Emil3Harvester(Harvester):
    kind = "emil3"
    self_contained_records = True  # each record holds its offer with everything the offer links to
    title = "Susa-navet (Skolverket) EMIL 3 API: education events joined with their education and providers, read incrementally"
    mapping: ClassVar[list[tuple[str, str, str]]] = [
        ("event.identifier", "offer IRI BASE/offer/SOURCE/ID", "one offer per education event"),
        ("event|info.title, description", "dcterms:title, dcterms:description", "per language (swe -> sv); event title first, descriptions joined"),
        ("event.url (else info.url)", "foaf:homepage", "info url as elm:supplementaryDocument"),
        ("event.providers -> provider", "elm:providedBy", "name, url, visiting (else contact) address, e-mail, phone, organisationNumber"),
        ("event.examiningBodies", "awardingOpportunity/awardingBody", "else the provider (noted as a guess)"),
        ("event.execution.start/end", "dcterms:temporal", "condition: note"),
        ("event.isCancelled", "elm:status \"cancelled\"", "time relevance: cancelled"),
        ("event.fees[]", "elm:priceDetail", "totalAmount + currency; condition, firstInstallment as description"),
        ("event.paceOfStudy.percentage", "elm:additionalNote, topic pace (\"Studietakt: 50 %\") + elm:learningSchedule",
         "the percentage as stated (more than 0, at most 100, else noted as dropped); schedule: 100 % full time, >= 50 % part time intensive, else light"),
        ("event.paceOfStudy.individual, note", "elm:scheduleInformation + topic note self-paced", ""),
        ("event.timeOfStudy", "elm:scheduleInformation", "as text"),
        ("event.distance", "elm:mode", "Online, Blended with mandatory on-site sessions; none -> Presential (guess); sessions as scheduleInformation"),
        ("event.application", "applicationDeadline, admissionProcedure, supplementaryDocument", "last; first, code, instruction, e-mail; url; continuous -> flexible-start note"),
        ("event.languageOfInstructions", "elm:defaultLanguage, dcterms:language", "ISO 639 -> EU language list"),
        ("event.locations[]", "elm:location", "address, studyLocation name, areaCode identifier, wgs84 -> locn:geometry clv:latitude/longitude"),
        ("event.isApprenticeship", "dcterms:type Apprenticeship", "else info.configuration"),
        ("event.keywords", "hint subject-label", "for the field of education"),
        ("info.configuration", "dcterms:type", "kurs Course, kurspaket Short learning programme, program Educational programme"),
        ("info.code", "adms:identifier", "scheme: the source's name"),
        ("info.type (school type)", "elm:additionalNote, topic school-type", "'Skolform: Yrkeshögskola (YH)'"),
        ("info.subjects", "elm:ISCEDFCode | hint subject-code", "ISCED 2013 codes; SUN -> sun-2020, ISCED 97 -> isced-97; other lists noted"),
        ("info.qualificationLevel", "elm:educationLevel", "SeQF level n = EQF level n"),
        ("info.credits", "elm:creditPoint (ECTS | YH points) | note + hint credits",
         "hp is ECTS; yh are YH points (vocab/credit-systems.ttl), never converted to ECTS; gy, fup, vp, nyp (not described by the API) kept as a note"),
        ("info.extent", "elm:duration | elm:volumeOfLearning", "hours -> workload; days, weeks, months, years; semesters as 20 weeks (guess)"),
        ("info.extent in weeks of a folk high school (type FHS)", "also elm:creditPoint (folk high school study weeks)", "the weeks as stated"),
        ("info.eligibility", "elm:entryRequirement", ""),
        ("info.recommendedPriorKnowledge, degrees", "specification elm:additionalNote", ""),
        ("info.eligibleForStudentAid", "elm:additionalNote, topic student-aid", "CSN code in the text"),
        ("info.isVocational", "elm:additionalNote, topic vocational", ""),
        ("info.audience", "elm:additionalNote", "target group"),
        ("any other field", "(dropped)", "a mapping note per field"),
    ]

    def __init__(self, context: HarvestContext):
        super().__init__(context)
        self.base = context.source.urls[0].rstrip("/")
        cache = getattr(context.http, "cache_dir", None)
        self.mirror_path = Path(cache) / "emil3-mirror.json.gz" if cache else None
        self._noted: set[str] = set()  # providers (and source-wide facts) already noted once this run

    # -- gather: read the lists, update the mirror, yield every event ------------------

    def gather(self) -> Iterator[RecordRef]:
        previous = self._load_mirror()
        since = self._since(previous)
        asked = datetime.now(UTC)  # before the first request: changes made while we read are asked for next time
        answers = {name: self._read_list(name, since) for name in LISTS}
        mirror = _merge(previous if since else None, answers, asked, since is None, self._scope())
        self._save_mirror(mirror)
        yield from self._refs(mirror)

    def _scope(self) -> dict:
        return {"url": self.base, "school_types": sorted(self._school_types())}

    def _school_types(self) -> list[str]:
        chosen = self.context.option("school_types") or []
        return [chosen] if isinstance(chosen, str) else [str(c) for c in chosen]

    def _since(self, mirror: dict | None) -> datetime | None:
        """When to ask for changes from; None reads everything."""
        if mirror is None or not self.context.option("incremental", True) or mirror.get("scope") != self._scope():
            return None
        full_at = _moment(mirror.get("full_at"))
        refresh = timedelta(days=float(self.context.option("full_refresh_days", 7)))
        if full_at is None or datetime.now(UTC) - full_at > refresh:
            return None  # a periodic full read repairs anything a delta may have missed
        asked = _moment(mirror.get("asked_at"))
        return asked - timedelta(minutes=float(self.context.option("overlap_minutes", 60))) if asked else None

    def _url(self, name: str, page: int, size: int, since: datetime | None) -> str:
        params: list[tuple[str, Any]] = [("page", page), ("size", size)]
        params += [("schoolType", code) for code in self._school_types()]
        if since is not None:
            params.append(("updatedSince", since.astimezone(SWEDEN).strftime("%Y-%m-%dT%H:%M:%S")))
        return f"{self.base}/{name}?{urlencode(params)}"

    def _read_list(self, name: str, since: datetime | None) -> list[dict]:
        size = max(1, min(2000, int(self.context.option("page_size", 1000))))
        limit = int(self.context.option("max_pages", 1000))
        items: list[dict] = []
        for page in range(limit):
            location = self._url(name, page, size, since)
            found, total, pages = _page(self._get(location), name, location)
            items.extend(found)
            if _last_page(page, size, found, len(items), total, pages):
                return items
        raise SourceUnavailable(f"{self.context.source.name}: {name} has more than {limit} pages; raise the source option max_pages.")

    def _get(self, location: str) -> Any:
        """One page; any failure fails the run, so that the mirror and the published offers stay as they were."""
        try:
            fetched = self.context.http.get(location, accept="application/json")
            self.context.fetched.append(fetched)
            return parse_json(fetched.content, location, fetched.charset, fetched.content_type)
        except FetchError as error:
            raise SourceUnavailable(f"{self.context.source.name}: {error}", error.status) from None
        except InputError as error:
            raise SourceUnavailable(f"{self.context.source.name}: {error}") from None

    def _load_mirror(self) -> dict | None:
        if self.mirror_path is None or not self.mirror_path.exists():
            return None
        try:
            mirror = json.loads(gzip.decompress(self.mirror_path.read_bytes()))
            return mirror if isinstance(mirror, dict) and isinstance(mirror.get("resources"), dict) else None
        except (OSError, ValueError, EOFError):
            return None  # a damaged mirror costs one full read, nothing else

    def _save_mirror(self, mirror: dict) -> None:
        if self.mirror_path is None:
            return
        partial = self.mirror_path.with_suffix(".tmp")
        partial.write_bytes(gzip.compress(json.dumps(mirror, ensure_ascii=False).encode("utf-8")))
        partial.replace(self.mirror_path)  # atomic: a crash leaves the old mirror or the new, never half of one

    def _refs(self, mirror: dict) -> Iterator[RecordRef]:
        resources = mirror["resources"]
        infos = _by_identifier(resources.get("educationInfos", {}))
        providers = _by_identifier(resources.get("educationProviders", {}))
        now = datetime.now(UTC)
        for key in sorted(resources.get("educationEvents", {})):
            content = resources["educationEvents"][key].get("content")
            location = f"{self.base}/educationEvents/{quote(key, safe='')}"
            ident = _str(content.get("identifier")) if isinstance(content, dict) else None
            if not ident:
                yield RecordRef(key, location, RecordFailed("missing-identifier", f"The education event {key} has no identifier in its content.", key))
                continue
            expires = _local_moment(content.get("expires"))
            if expires is not None and expires < now:
                self.context.note(ident, "expires", "dropped", content.get("expires"), "the event has expired, so it is not listed")
                continue
            listed = content.get("providers") if isinstance(content.get("providers"), list) else []
            info = (infos.get(_str(content.get("education")) or "") or {}).get("content")
            yield RecordRef(ident, location, (content, info if isinstance(info, dict) else None, [(str(p), providers.get(str(p))) for p in listed]))

    # -- map -------------------------------------------------------------------------------

    def fetch(self, ref: RecordRef) -> Any:
        if isinstance(ref.payload, RecordFailed):
            raise ref.payload
        return ref.payload

    def map(self, ref: RecordRef, content: tuple[dict, dict | None, list]) -> MappedRecord:
        event, info, providers = content
        if self.context.unchanged(ref.key, json.dumps(content, sort_keys=True, ensure_ascii=False)):
            raise RecordUnchanged(ref.key)  # the event, its education and its providers read as they were last published
        ev, nf = _Reader(event), _Reader(info or {})
        ev.consume("identifier", "education", "expires")
        nf.consume("identifier")
        key = ref.key
        provider = self._provider(key, ev.get("providers"), providers)
        own, general = texts(ev.get("title")), texts(nf.get("title"))
        if own and general and own != general:
            self.context.note(key, "info/title", "dropped", next(iter(general.values())), "the event's own title is the offer's title")
        fields = OfferFields(key=key, titles=own or general, provider=provider)
        if info is None:
            if not fields.titles:
                raise RecordFailed("missing-education", f"The education {event.get('education')} of this event is not in the API, and the event has no title of its own.")
            self.context.note(key, "education", "unmapped", event.get("education"), "the education (educationInfo) is not in the API; the offer was made from the event alone")
        self._texts_and_links(fields, ev, nf)
        self._what(fields, nf, ev)
        self._when_and_how(fields, ev)
        self._application(fields, ev.get("application"))
        fields.prices = self._prices(key, ev.get("fees"))
        fields.awarding_body = self._awarding(key, ev.get("examiningBodies"), providers, provider)
        iri, triples = build_offer(fields, self.context)
        triples += self._extras(key, iri, ev, nf)
        self._leftovers(key, "event", ev)
        self._leftovers(key, "info", nf)
        return MappedRecord(key, triples, [iri])

    def _texts_and_links(self, fields: OfferFields, ev: _Reader, nf: _Reader) -> None:
        fields.descriptions = texts(nf.get("description"))
        for lang, text in texts(ev.get("description")).items():
            known = fields.descriptions.get(lang)
            fields.descriptions[lang] = text if not known or known == text else f"{known}\n\n{text}"
        own, general = first_url(ev.get("url")), first_url(nf.get("url"))
        fields.homepage = own or general
        fields.documents = [general] if own and general and general != own else []
        fields.languages = [self._language(code) for code in ev.get("languageOfInstructions") or [] if _str(code)]
        fields.course_code, fields.code_scheme = _str(nf.get("code")), f"{self.context.source.name} (utbildningskod)"
        edited = [m for m in (_local_moment(ev.get("lastEdited")), _local_moment(nf.get("lastEdited"))) if m]
        fields.modified = max(edited).isoformat() if edited else None
        for keywords in ev.get("keywords") or []:
            for lang, word in texts(keywords).items():
                fields.hints.append(("subject-label", word, lang))

    def _what(self, fields: OfferFields, nf: _Reader, ev: _Reader) -> None:
        """What is taught: from the education (info)."""
        configuration = _code(nf.get("configuration"))
        fields.opportunity_type = CONFIGURATION.get(configuration or "")
        if ev.get("isApprenticeship") is True:
            fields.opportunity_type = APPRENTICESHIP
        level = _code(nf.get("qualificationLevel"))
        fields.eqf_level = EQF + level if level and re.fullmatch(r"[1-8]", level) else None
        self._subjects(fields, nf.get("subjects"))
        self._credits(fields, nf.get("credits"))
        self._extent(fields, nf.get("extent"), _code(nf.get("type")))
        fields.entry_requirements = texts(nf.get("eligibility"))
        prior = texts(nf.get("recommendedPriorKnowledge"))
        if prior:
            fields.spec_notes.append(_prefixed(prior, "Rekommenderade förkunskaper", "Recommended prior knowledge"))
        degrees = nf.get("degrees")
        for degree in degrees if isinstance(degrees, list) else [degrees] if degrees else []:
            if texts(degree):
                fields.spec_notes.append(_prefixed(texts(degree), "Examen", "Degree"))
        nf.consume("resultIsDegree")  # says whether degrees are given; the degrees themselves are the note
        audience = _code(nf.get("audience"))
        if audience:
            fields.offer_notes.append({"sv": f"Målgrupp: {audience}", "en": f"Target group: {audience}"})

    def _subjects(self, fields: OfferFields, subjects: Any) -> None:
        for subject in subjects if isinstance(subjects, list) else []:
            kind, code = _str(subject.get("type")) if isinstance(subject, dict) else None, _code(subject)
            if not code:
                continue
            if kind == "C_Subject_ISCED2013" and self.context.vocabulary.in_scheme(ISCED_F + code, ISCED_F + "25831c2"):
                fields.fields_of_education.append(ISCED_F + code)
            elif kind == "C_Subject_SUN":
                fields.hints.append(("subject-code", code, "sun-2020"))
            elif kind == "C_Subject_ISCED97":
                fields.hints.append(("subject-code", code, "isced-97"))
            else:
                self.context.note(fields.key, f"subjects/{kind}", "unmapped", code, "a Swedish subject list with no ISCED-F key the catalogue knows")

    def _credits(self, fields: OfferFields, credits: Any) -> None:
        if not isinstance(credits, dict) or credits.get("credits") is None:
            return
        system, value = _code(credits.get("system")) or "", to_number(credits.get("credits"))
        if credits.get("min") is not None:
            self.context.note(fields.key, "credits/min", "dropped", credits.get("min"), REASONS["min"])
        if system == "hp" and value:
            fields.ects = value  # högskolepoäng are ECTS credits (1 hp = 1 ECTS)
            return
        if system == "yh" and value:
            # YH points have a credit system of their own (5 per week of full-time study), with no official ECTS equivalence.
            fields.national_credits.append((value, YH_POINTS))
            fields.hints.append(("credits", value, system))
            return
        name = CREDIT_NAMES.get(system, system)
        fields.spec_notes.append({"sv": f"Omfattning: {value} {name} ({system})", "en": f"Credits: {value} {name} ({system})"})
        fields.hints.append(("credits", value or str(credits.get("credits")), system))
        self.context.note(fields.key, "credits", "unmapped", f"{value} {system}", "only hp (ECTS) become credit points; kept as a note")

    def _extent(self, fields: OfferFields, extent: Any, school: str | None) -> None:
        if not isinstance(extent, dict) or not isinstance(extent.get("length"), (int, float)):
            return
        length, unit = extent["length"], _code(extent.get("unit"))
        if unit == "weeks" and school == "FHS" and length > 0:
            # A folk high school gives no credits; its weeks of study are what counsellors compare with credits.
            fields.national_credits.append((str(length), FOLK_HIGH_SCHOOL_WEEKS))
        if unit == "hours":
            fields.hours = str(length)
        elif unit in ("days", "weeks", "months", "years"):
            fields.duration = {"days": f"P{length}D", "weeks": f"P{length * 7}D", "months": f"P{length}M", "years": f"P{length}Y"}[unit]
        elif unit == "semesters":
            fields.duration = f"P{length * 140}D"
            self.context.note(fields.key, "extent/unit", "guessed", f"{length} semesters", "a semester (termin) read as 20 weeks")
        else:
            self.context.note(fields.key, "extent", "dropped", f"{length} {unit}", "not a unit of time")
        if extent.get("max") is not None:
            self.context.note(fields.key, "extent/max", "dropped", extent["max"], REASONS["max"])
        if texts(extent.get("note")):
            fields.schedule_information = _joined(fields.schedule_information, texts(extent.get("note")))

    def _when_and_how(self, fields: OfferFields, ev: _Reader) -> None:
        execution = ev.get("execution") if isinstance(ev.get("execution"), dict) else {}
        fields.start, fields.end = _str(execution.get("start")), _str(execution.get("end"))
        if _code(execution.get("condition")) is not None:
            self.context.note(fields.key, "execution/condition", "unmapped", _code(execution.get("condition")), REASONS["condition"])
        pace = ev.get("paceOfStudy") if isinstance(ev.get("paceOfStudy"), dict) else {}
        percentage = pace.get("percentage")
        if isinstance(percentage, (int, float)) and not isinstance(percentage, bool):
            fields.schedule = schedule_for_pace(percentage)
            fields.pace = float(percentage)  # its own note (topic pace): the site filters and shows it
        elif percentage is not None:
            self.context.note(fields.key, "paceOfStudy/percentage", "dropped", percentage, "not a number (the API gives the pace as a number of percent)")
        if pace.get("individual") is True:
            fields.schedule_information = _joined(fields.schedule_information, {"sv": "Individuell studietakt", "en": "Individual pace of study"})
        fields.schedule_information = _joined(fields.schedule_information, texts(pace.get("note")))
        time_of_study = _code(ev.get("timeOfStudy"))
        if time_of_study:
            fields.schedule_information = _joined(fields.schedule_information, {"sv": f"Studietid: {time_of_study}", "en": f"Time of study: {time_of_study}"})
        self._distance(fields, ev.get("distance"))

    def _distance(self, fields: OfferFields, distance: Any) -> None:
        if not isinstance(distance, dict):
            fields.modes = [PRESENTIAL]
            self.context.note(fields.key, "distance", "guessed", "(none)", "no distance education given: taken to be on site")
            return
        on_site = distance.get("noOfMandatorySessions") or 0
        fields.modes = [BLENDED if on_site else ONLINE]
        counts = {name: distance.get(name) for name in ("noOfMandatorySessions", "noOfOptionalSessions", "noOfMandatoryRemoteSessions", "noOfOptionalRemoteSessions")}
        sv = ["Distansutbildning"] + [f"{label}: {counts[name]}" for name, label in (
            ("noOfMandatorySessions", "obligatoriska träffar"), ("noOfOptionalSessions", "frivilliga träffar"),
            ("noOfMandatoryRemoteSessions", "obligatoriska distansträffar"), ("noOfOptionalRemoteSessions", "frivilliga distansträffar")) if counts[name] is not None]
        en = ["Distance education"] + [f"{label}: {counts[name]}" for name, label in (
            ("noOfMandatorySessions", "mandatory sessions"), ("noOfOptionalSessions", "optional sessions"),
            ("noOfMandatoryRemoteSessions", "mandatory remote sessions"), ("noOfOptionalRemoteSessions", "optional remote sessions")) if counts[name] is not None]
        fields.schedule_information = _joined(fields.schedule_information, {"sv": ", ".join(sv), "en": ", ".join(en)})
        fields.schedule_information = _joined(fields.schedule_information, texts(distance.get("description")))

    def _application(self, fields: OfferFields, application: Any) -> None:
        if not isinstance(application, dict):
            return
        fields.application_deadline = _str(application.get("last"))
        fields.further_information_url = first_url(application.get("url"))  # where to apply, as ooapi's enrolment link
        parts: list[Texts] = [texts(application.get("instruction"))]
        for name, sv, en in (("first", "Anmälan öppnar", "Applications open"), ("code", "Anmälningskod", "Application code"),
                             ("email", "Anmälan per e-post", "Apply by e-mail")):
            if _str(application.get(name)):
                parts.append({"sv": f"{sv}: {application[name]}", "en": f"{en}: {application[name]}"})
        address = _address_text(application.get("address")) if isinstance(application.get("address"), dict) else None
        if address:
            parts.append({"sv": f"Anmälan till: {address}", "en": f"Apply to: {address}"})
        for part in parts:
            fields.admission = _joined(fields.admission, part)
        if application.get("continuous") is True:
            fields.flexible_start = {"sv": "Löpande antagning: utbildningen kan börja när som helst.", "en": "Continuous admission: start at any time."}

    def _prices(self, key: str, fees: Any) -> list[PriceFields]:
        prices = []
        for index, fee in enumerate(fees if isinstance(fees, list) else []):
            if not isinstance(fee, dict) or fee.get("totalAmount") is None:
                self.context.note(key, f"fees[{index}]", "dropped", fee, "a fee without totalAmount")
                continue
            currency = _str(fee.get("currency"))
            if not currency:
                currency = str(self.context.option("currency", "SEK"))
                self.context.note(key, f"fees[{index}]/currency", "guessed", currency, "no currency given; Susa-navet's fees are in Swedish kronor")
            description = texts(fee.get("condition"))
            if fee.get("firstInstallment") is not None:
                description = _joined(description, {"sv": f"Första delbetalning: {fee['firstInstallment']:g} {currency}",
                                                    "en": f"First instalment: {fee['firstInstallment']:g} {currency}"})
            prices.append(PriceFields(str(fee["totalAmount"]), currency, {"sv": "Avgift", "en": "Fee"}, description))
        return prices

    # -- organisations -------------------------------------------------------------------

    def _provider(self, key: str, listed: Any, providers: list[tuple[str, dict | None]]) -> OrganisationFields:
        known = [(ident, item) for ident, item in providers if isinstance(item, dict) and isinstance(item.get("content"), dict)]
        if not known:
            named = ", ".join(ident for ident, _ in providers) or "(none)"
            raise RecordFailed("missing-provider", f"None of the event's providers ({named}) is in the API, so the offer cannot name its provider.")
        for ident, _ in providers:
            if ident != known[0][0]:
                self.context.note(key, "providers", "dropped", ident, REASONS["providers"])
        return self._organisation(known[0][1]["content"])

    def _awarding(self, key: str, bodies: Any, providers: list, provider: OrganisationFields) -> OrganisationFields:
        by_id = {ident: item for ident, item in providers if item}
        for body in bodies if isinstance(bodies, list) else []:
            item = by_id.get(str(body))
            if item and isinstance(item.get("content"), dict):
                return self._organisation(item["content"])
            if str(body) == provider.key:
                return provider
            self.context.note(key, "examiningBodies", "unmapped", body, "the examining body is not among the event's providers in the API")
        self.context.note(key, "examiningBodies", "guessed", provider.key, "no examining body given; the provider was assumed to award")
        return provider

    def _organisation(self, org: dict) -> OrganisationFields:
        o = _Reader(org)
        ident = _str(o.get("identifier")) or "unknown"
        visit = [a for a in (o.get("visitAddresses") or []) if isinstance(a, dict)]
        contact = o.get("contactAddress") if isinstance(o.get("contactAddress"), dict) else None
        address = visit[0] if visit else contact
        phones = [p for p in (o.get("phones") or []) if isinstance(p, dict)]
        emails = [e for e in (o.get("emailAddresses") or []) if _str(e)]
        fields = OrganisationFields(
            key=ident, names=texts(o.get("name")), country=self._country(address), homepage=first_url(o.get("url")),
            address=_address_text(address) if address else None, email=emails[0] if emails else None,
            phone=next(iter(texts(phones[0].get("number")).values()), None) if phones else None,
            identifier=_str(o.get("organisationNumber")), identifier_scheme="Organisationsnummer",
            postcode=_str(address.get("postalCode")) if address else None)
        if ident not in self._noted:  # an organisation's dropped fields are noted once, not per offer
            self._noted.add(ident)
            for name, value, kept in (("visitAddresses", visit[1:], visit), ("contactAddress", contact, visit), ("phones", phones[1:], True),
                                      ("emailAddresses", emails[1:], True)):
                if value and kept:
                    self.context.note(f"provider {ident}", f"provider/{name}", "dropped", value, REASONS[name])
            self._leftovers(f"provider {ident}", "provider", o)
        return fields

    def _country(self, address: dict | None) -> str:
        """The address's country, else the option ``country`` (default SE): Susa-navet lists Swedish education."""
        given = _str(address.get("country")) if address else None
        if given:
            return given
        fallback = str(self.context.option("country", "SE"))
        if "country" not in self._noted:
            self._noted.add("country")
            self.context.note("(source)", "country", "guessed", fallback, "addresses without a country are taken to be in this country (option country)")
        return fallback

    def _language(self, code: Any) -> str:
        """An ISO 639-2/3 code as the EU language concept (which uses the /T codes); anything else as text."""
        text = str(code).strip()
        if re.fullmatch(r"[A-Za-z]{3}", text):
            iri = LANGUAGE + BIBLIOGRAPHIC.get(text.lower(), text.upper())
            if self.context.vocabulary.in_scheme(iri, LANGUAGE_SCHEME):
                return iri
        return text  # a two-letter code or a name: build_offer matches it to the EU list, or notes it

    # -- what build_offer has no field for ------------------------------------------------

    def _study_time(self, offer: str, ev: _Reader) -> list[ox.Triple]:
        """When one studies, as topic notes a counsellor can filter on: daytime, evenings, weekends, at one's own pace."""
        out: list[ox.Triple] = []
        pace = ev.get("paceOfStudy") if isinstance(ev.get("paceOfStudy"), dict) else {}
        if pace.get("individual") is True:
            out += _topic_note(f"{offer}/self-paced", offer, {"sv": "Individuell studietakt", "en": "At your own pace"}, TOPIC + "self-paced")
        code = (_code(ev.get("timeOfStudy")) or "").casefold()
        for part, topic, texts_ in (("dag", "daytime", {"sv": "Studier dagtid", "en": "Daytime study"}),
                                    ("kv", "evenings", {"sv": "Studier kvällstid", "en": "Evening study"}),
                                    ("helg", "weekends", {"sv": "Studier på helger", "en": "Weekend study"})):
            if part in code.replace("ä", "a"):
                out += _topic_note(f"{offer}/{topic}", offer, texts_, TOPIC + topic)
        return out

    def _extras(self, key: str, offer: str, ev: _Reader, nf: _Reader) -> list[ox.Triple]:
        out: list[ox.Triple] = []
        if ev.get("isCancelled") is True:
            out.append(_triple(offer, ELM + "status", ox.Literal("cancelled")))  # what time relevance reads as cancelled
        for index, address in enumerate(a for a in ev.get("locations") or [] if isinstance(a, dict)):
            out += self._location(key, offer, f"{offer}/location/{index + 1}", address)
        out += self._study_time(offer, ev)
        school = _code(nf.get("type"))
        if school:
            sv, en = SCHOOL_TYPES.get(school, (school, school))
            out += _topic_note(f"{offer}/school-type", offer, {"sv": f"Skolform: {sv} ({school})", "en": f"Form of education: {en} ({school})"}, SCHOOL_TYPE_TOPIC)
        aid = _code(nf.get("eligibleForStudentAid"))
        if aid and aid != "saknas":
            # "nej" is an answer too: a counsellor filters on both, so it has its own topic.
            out += _topic_note(f"{offer}/student-aid", offer, _student_aid(aid), NO_STUDENT_AID_TOPIC if aid.casefold() == "nej" else STUDENT_AID_TOPIC)
        elif aid:
            self.context.note(key, "info/eligibleForStudentAid", "dropped", aid, "'saknas': the provider did not say")
        vocational = nf.get("isVocational")
        if isinstance(vocational, bool):
            words = ({"sv": "Yrkesinriktad utbildning", "en": "Vocational education"} if vocational else
                     {"sv": "Inte yrkesinriktad utbildning", "en": "Not vocational education"})
            out += _topic_note(f"{offer}/vocational", offer, words, VOCATIONAL_TOPIC)
        return out

    def _location(self, key: str, offer: str, node: str, address: dict) -> list[ox.Triple]:
        a = _Reader(address)
        out = [_triple(offer, ELM + "location", ox.NamedNode(node)), _triple(node, RDF_TYPE, ox.NamedNode(DCTERMS + "Location"))]
        name = texts(a.get("studyLocation")) or texts(a.get("organization"))
        department = texts(a.get("department"))
        for lang, text in (name or department).items():
            extra = department.get(lang) if name else None
            out.append(_triple(node, ELM + "geographicName", ox.Literal(f"{text}, {extra}" if extra else text, language=lang)))
        country = self.context.vocabulary.match(COUNTRY_SCHEME, self._country(address))
        if country:
            holder = f"{node}/address"
            out += [_triple(node, ELM + "address", ox.NamedNode(holder)), _triple(holder, RDF_TYPE, ox.NamedNode(ELM + "Address")),
                    _triple(holder, ELM + "countryCode", ox.NamedNode(country[0]))]
            text = _address_text(address)
            if text:
                out += _note_triples(holder, ELM + "fullAddress", f"{holder}/text", {"sv": text})
        else:
            self.context.note(key, "locations/country", "unmapped", a.get("country"), "not a country of the EU list; the place's name was kept")
        code = _str(a.get("areaCode"))
        if code:  # the municipality (kommunkod): lets the site filter offers by municipality
            ident = f"{node}/municipality"
            out += [_triple(node, ADMS + "identifier", ox.NamedNode(ident)), _triple(ident, RDF_TYPE, ox.NamedNode(ELM + "Identifier")),
                    _triple(ident, SKOS + "notation", ox.Literal(code)), _triple(ident, ELM + "schemeName", ox.Literal("SCB kommunkod"))]
        out += self._geometry(key, node, a.get("wgs84"))
        a.consume("streetAddress", "postalCode", "town", "country", "postBox")
        if _str(address.get("postBox")):
            self.context.note(key, "locations/postBox", "dropped", address["postBox"], REASONS["postBox"])
        self._leftovers(key, "locations", a)
        return out

    def _geometry(self, key: str, node: str, value: Any) -> list[ox.Triple]:
        if not _str(value):
            return []
        point = wgs84(str(value))
        if point is None:
            self.context.note(key, "locations/wgs84", "unmapped", value, "not two decimal coordinates (latitude, longitude)")
            return []
        geometry = f"{node}/geometry"
        # Plain strings, as the publishing profile's GeometryShape and LOQ want clv:latitude and clv:longitude.
        return [_triple(node, LOCN + "geometry", ox.NamedNode(geometry)), _triple(geometry, RDF_TYPE, ox.NamedNode(LOCN + "Geometry")),
                _triple(geometry, CLV + "latitude", ox.Literal(point[0])), _triple(geometry, CLV + "longitude", ox.Literal(point[1]))]

    def _leftovers(self, record: str, kind: str, reader: _Reader) -> None:
        for name, value in reader.leftovers():
            self.context.note(record, f"{kind}/{name}", "dropped", value, REASONS.get(name, "not part of the EMIL 3 mapping"))


# -- the mirror ------------------------------------------------------------------------------


def _merge(previous: dict | None, answers: dict[str, list[dict]], asked: datetime, full: bool, scope: dict) -> dict:
    """The mirror after this run: a full read replaces it, a delta is applied to it (removed items leave)."""
    resources: dict[str, dict[str, dict]] = {name: {} if full or previous is None else dict(previous["resources"].get(name, {})) for name in LISTS}
    for name, items in answers.items():
        for item in items:
            ident = _item_id(item)
            if ident is None:
                continue
            if _removed(item):
                resources[name].pop(ident, None)
            else:
                resources[name][ident] = item
    stamp = asked.isoformat()
    return {"asked_at": stamp, "full_at": stamp if full else (previous or {}).get("full_at", stamp), "scope": scope, "resources": resources}


def _last_page(page: int, size: int, found: list, read: int, total: int | None, pages: int | None) -> bool:
    """totalElements decides, else totalPages, else a page shorter than asked for."""
    if not found:
        return True
    if total is not None:
        return read >= total
    return page + 1 >= pages if pages is not None else len(found) < size


def _item_id(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    content = item.get("content") if isinstance(item.get("content"), dict) else {}
    return _str(item.get("id")) or _str(content.get("identifier"))


def _removed(item: dict) -> bool:
    return not isinstance(item.get("content"), dict) or str(item.get("status") or "").strip().lower() in REMOVED


def _by_identifier(items: dict[str, dict]) -> dict[str, dict]:
    """Events name infos and providers by their identifier; the list answers key them by ``id``: index by both."""
    index = dict(items)
    for item in items.values():
        ident = _str(item.get("content", {}).get("identifier")) if isinstance(item.get("content"), dict) else None
        if ident:
            index.setdefault(ident, item)
    return index


def _page(body: Any, name: str, location: str) -> tuple[list[dict], int | None, int | None]:
    """(items, totalElements, totalPages) of one list answer."""
    if not isinstance(body, dict) or not isinstance(body.get(name, []), list):
        raise SourceUnavailable(f"{location}: not an EMIL 3 list (an object with {name} and page).")
    meta = body.get("page") if isinstance(body.get("page"), dict) else {}
    total, pages = meta.get("totalElements"), meta.get("totalPages")
    return ([i for i in body.get(name) or [] if isinstance(i, dict)], total if isinstance(total, int) else None,
            pages if isinstance(pages, int) else None)


# -- values ------------------------------------------------------------------------------------


class _Reader:
    """A JSON object that remembers which fields were read, so that the rest can be noted as dropped."""

    def __init__(self, data: dict):
        self.data, self.read = data, set()

    def get(self, name: str) -> Any:
        self.read.add(name)
        return self.data.get(name)

    def consume(self, *names: str) -> None:
        self.read.update(names)

    def leftovers(self) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in self.data.items() if k not in self.read and v not in (None, "", [], {})]


def texts(value: Any) -> Texts:
    """An EMIL LangString ({"strings": [{"lang", "value"}]}) as {language tag: text}; HTML is read as text."""
    found: Texts = {}
    for node in value.get("strings") or [] if isinstance(value, dict) else []:
        text = _str(node.get("value")) or _str(node.get("content")) if isinstance(node, dict) else None
        if not text:
            continue
        lang = str(node.get("lang") or "sv").strip().lower()
        lang = TAGS.get(lang, lang if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", lang) else "sv")
        found.setdefault(lang, _plain(text))
    return found


def first_url(value: Any) -> str | None:
    """The first address of an EMIL LangUrl, Swedish first."""
    urls = [u for u in (value.get("urls") or [] if isinstance(value, dict) else []) if isinstance(u, dict) and _str(u.get("value"))]
    urls.sort(key=lambda u: TAGS.get(str(u.get("lang") or "swe").lower(), str(u.get("lang")).lower()) != "sv")
    return _str(urls[0]["value"]) if urls else None


def wgs84(value: str) -> tuple[str, str] | None:
    """("62.3908", "17.3069") from "62.3908, 17.3069", "62,3908 17,3069" or "N 62.3908 E 17.3069" (latitude first)."""
    numbers = re.findall(r"-?\d+(?:[.,]\d+)?", value)
    if len(numbers) != 2:
        return None
    lat, lon = (n.replace(",", ".") for n in numbers)
    if abs(float(lat)) > 90 >= abs(float(lon)):
        lat, lon = lon, lat  # longitude first: only detectable when the latitude cannot be one
    return (lat, lon) if abs(float(lat)) <= 90 and abs(float(lon)) <= 180 else None


def _student_aid(code: str) -> Texts:
    if code == "nej":
        return {"sv": "Berättigar inte till studiestöd från CSN (CSN-kod: nej)", "en": "Not eligible for student aid from CSN (CSN code: nej)"}
    return {"sv": f"Berättigar till studiestöd från CSN (CSN-kod: {code})", "en": f"Eligible for student aid from CSN (CSN code: {code})"}


def _code(value: Any) -> str | None:
    """The code of an EMIL coded value ({"type": "C_…", "code": "…"})."""
    return _str(value.get("code")) if isinstance(value, dict) else None


def _prefixed(found: Texts, sv: str, en: str) -> Texts:
    return {lang: f"{sv if lang == 'sv' else en}: {text}" for lang, text in found.items()}


def _joined(first: Texts, second: Texts) -> Texts:
    joined = dict(first)
    for lang, text in second.items():
        joined[lang] = f"{joined[lang]}\n{text}" if joined.get(lang) else text
    return joined


def _address_text(address: dict) -> str:
    town = " ".join(p for p in (_str(address.get("postalCode")), _str(address.get("town"))) if p)
    return ", ".join(p for p in (_str(address.get("streetAddress")), town) if p)


def _plain(text: str) -> str:
    """EMIL texts may carry HTML: paragraphs and breaks become new lines, other tags go."""
    if "<" not in text:
        return clean_text(html.unescape(text))
    text = re.sub(r"(?i)<\s*(br|/p|/li|/h\d)\s*/?>", "\n", text)
    return clean_text(re.sub(r"\n{3,}", "\n\n", html.unescape(re.sub(r"<[^>]+>", "", text))))


def _str(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_moment(value: Any) -> datetime | None:
    """EMIL's date-time-local values are Swedish time."""
    try:
        moment = datetime.fromisoformat(str(value)) if _str(value) else None
    except ValueError:
        return None
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=SWEDEN)


def _triple(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)


def _note_triples(owner: str, predicate: str, node: str, found: Texts, topic: str | None = None) -> list[ox.Triple]:
    out = [_triple(owner, predicate, ox.NamedNode(node)), _triple(node, RDF_TYPE, ox.NamedNode(ELM + "Note"))]
    out += [_triple(node, ELM + "noteLiteral", ox.Literal(text, language=lang)) for lang, text in found.items()]
    return out + ([_triple(node, DCTERMS + "subject", ox.NamedNode(topic))] if topic else [])


def _topic_note(node: str, offer: str, found: Texts, topic: str) -> list[ox.Triple]:
    return _note_triples(offer, ELM + "additionalNote", node, found, topic)

