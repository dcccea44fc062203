"""``spreadsheet``: offers in a spreadsheet made from the catalogue's template (CSV or XLSX).

For small providers without a course system: one row per offer, one column per
Annex I element or offer field. ``COLUMNS`` below is the single definition of
those columns; the harvester, the template files and their documentation
(``harvesters/spreadsheet_template.py``, ``catalogue template``) are all made from it.

Reading. CSV in UTF-8 (with or without byte-order mark, or UTF-16 with one, as
Excel's "Unicode text" saves), separated by ``;``, ``,`` or tab (whichever the
header row uses most). Text that is not UTF-8 is refused, naming the line,
unless the source option ``encoding`` (e.g. ``"windows-1252"``) or the
server's charset says what it is. XLSX is read with openpyxl in read-only mode
(formulas as the values Excel last computed, dates as dates) from the first
sheet or the one named by the option ``sheet``. The first row that is neither
empty nor a comment (first cell starting with ``#``) is the header; header
names are accepted in Swedish or English, as the machine key, or as the
template's "Svenska / English" pair, in any case and with or without accents.
Text columns take a language suffix: ``Titel (svenska)``, ``Title (English)``,
``title_fi``.

Each following row is one record, keyed by the provider's own course code.
Options: ``encoding``, ``delimiter``, ``sheet``, ``language`` (of text columns
named without a language), ``timezone`` (of times of day without one, e.g.
``"Europe/Stockholm"``; else UTC, with a note), ``max_uncompressed_megabytes``
(XLSX, default 200; a workbook with a DTD is refused as an entity attack).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from catalogue.errors import InputError
from catalogue.harvest.contract import (
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    SourceUnavailable,
)
from catalogue.harvest.fetch import Fetched
from catalogue.vocab import COUNTRY_SCHEME, YH_POINTS, normalise

from .elm import (
    OfferFields,
    OrganisationFields,
    PlaceFields,
    PriceFields,
    Texts,
    build_offer,
    is_http_url,
    pace_in,
    parse_price,
    schedule_for_pace,
    to_number,
)

TEMPLATE_HINT = "The template with every column and its explanation is at examples/template/ (offers-template.xlsx, offers-template.csv)."


@dataclass(frozen=True)
class Column:
    """One column of the template: names, what it means (Swedish, English), allowed values, example, ELM target."""

    key: str  # stable machine key, also accepted as a header
    sv: str
    en: str
    help: tuple[str, str]  # (Swedish, English)
    allowed: tuple[str, str]
    example: str | tuple[str, str]  # multilingual: (Swedish, English)
    target: str
    required: bool = False  # without this column no offer can be published
    multilingual: bool = False
    annex: str = ""  # Annex I element key, if the column carries one
    aliases: tuple[str, ...] = ()


_TEXT = ("Fri text.", "Free text.")
_URL = ("Fullständig adress som börjar med https://", "Full address starting with https://")
_DATE = ("Datum ÅÅÅÅ-MM-DD (eller ett datumformaterat Excel-fält).", "Date YYYY-MM-DD (or an Excel date cell).")
_LIST = ("Flera värden skiljs med radbrytning eller semikolon.", "Separate several values with line breaks or semicolons.")
_SPEC = "elm:learningAchievementSpecification"

COLUMNS: tuple[Column, ...] = (
    Column("offer_id", "Kurskod", "Course code",
           ("Er egen kod för kurstillfället. Den får inte ändras mellan leveranser: katalogen känner igen kursen på den.",
            "Your own code for the offer. Keep it unchanged between deliveries: the catalogue recognises the offer by it."),
           ("Text, unik per rad.", "Text, unique per row."), "EX-ELS-2027",
           "offer IRI BASE/offer/SOURCE/CODE; adms:identifier", True,
           aliases=("kurs-id", "kursid", "offer id", "course id", "id", "kod", "code", "identifier")),
    Column("title", "Titel", "Title",
           ("Kursens namn. Ge gärna både svensk och engelsk titel.", "Name of the course. Give both a Swedish and an English title if you can."),
           _TEXT, ("Elsäkerhet vid arbete med solcellsanläggningar", "Electrical safety in solar power installations"),
           "dcterms:title (offer and specification)", True, True, "title", ("kursnamn", "kurstitel", "course title", "name")),
    Column("description", "Beskrivning", "Description",
           ("Kort beskrivning för den som söker kurs: innehåll, målgrupp, upplägg.", "Short description for learners: content, audience, format."),
           _TEXT, ("Kurs för elektriker som ska installera och underhålla solcellsanläggningar.",
                   "Course for electricians who install and maintain solar power plants."),
           "dcterms:description", multilingual=True, annex="further-information", aliases=("kursbeskrivning", "course description")),
    Column("homepage", "Webbsida", "Web page",
           ("Kurssidan på er webbplats, där man kan läsa mer och anmäla sig.", "The course page on your website, where learners read more and apply."),
           _URL, "https://www.exempelanordnaren.example/kurser/elsakerhet-solceller",
           "foaf:homepage / elm:contentUrl", True, aliases=("hemsida", "homepage", "url", "länk", "link", "webbadress", "web address")),
    Column("provider_name", "Anordnare", "Provider",
           ("Organisationens juridiska namn.", "Legal name of your organisation."), _TEXT, "Exempelanordnaren AB",
           "elm:providedBy / rov:legalName", True, aliases=("utbildningsanordnare", "anordnarens namn", "provider name", "organisation")),
    Column("provider_country", "Anordnarens land", "Provider country",
           ("Landet där organisationen finns.", "Country where your organisation is established."),
           ("Landets namn eller kod: Sverige, SE, SWE …", "Country name or code: Sweden, SE, SWE …"), "Sverige",
           "elm:providedBy / elm:location / elm:address / elm:countryCode", True, annex="provider-country",
           aliases=("provider's country", "country of provider", "anordnarland")),
    Column("provider_id", "Organisationsnummer", "Organisation number",
           ("Organisationens registreringsnummer.", "Registration number of your organisation."), ("Text, t.ex. 556677-8899.", "Text, e.g. 556677-8899."),
           "559999-0001", "elm:providedBy / adms:identifier", aliases=("orgnr", "org nr", "registration number", "company number")),
    Column("awarding_body", "Utfärdare", "Awarding body",
           ("Den organisation som utfärdar intyget. Skriv \"samma som anordnaren\" om det är ni.",
            "The organisation that issues the credential. Write \"same as provider\" if it is you."),
           ("Namn, eller \"samma som anordnaren\".", "Name, or \"same as provider\"."), "samma som anordnaren",
           f"{_SPEC} / elm:awardingOpportunity / elm:awardingBody", annex="awarding-body",
           aliases=("utfärdande organisation", "awarded by", "issuer")),
    Column("field", "Utbildningsområde (ISCED-F)", "Field of education (ISCED-F)",
           ("Ämnesområde enligt ISCED-F 2013.", "Subject area according to ISCED-F 2013."),
           ("Fyrsiffrig ISCED-F-kod (t.ex. 0713) eller dess engelska namn.", "Four-digit ISCED-F code (e.g. 0713) or its name."), "0713",
           f"{_SPEC} / elm:ISCEDFCode", True, aliases=("ISCED-F", "isced", "ämnesområde", "subject area")),
    Column("eqf_level", "EQF-nivå", "EQF level",
           ("Nivå i den europeiska referensramen för kvalifikationer (samma som SeQF-nivån).", "Level in the European Qualifications Framework."),
           ("1–8, t.ex. 5 eller \"Nivå 5\".", "1–8, e.g. 5 or \"Level 5\"."), "Nivå 4",
           f"{_SPEC} / elm:educationLevel", annex="level", aliases=("eqf", "SeQF-nivå", "nivå", "level")),
    Column("languages", "Undervisningsspråk", "Language of instruction",
           ("Språk som kursen ges på.", "Languages the course is taught in."),
           ("Språkets namn eller kod: svenska, engelska, sv, en … " + _LIST[0], "Language name or code: Swedish, English, sv, en … " + _LIST[1]),
           "svenska", "dcterms:language (specification); elm:defaultLanguage", True,
           aliases=("språk", "kursspråk", "language", "languages", "languages of instruction")),
    Column("credits", "Poäng (ECTS)", "Credits (ECTS)",
           ("Kursens omfattning i ECTS-poäng (högskolepoäng är samma sak). YH-poäng visas som YH-poäng och räknas dessutom om: 5 YH-poäng = 1,5 ECTS.",
            "Size of the course in ECTS credits. Swedish YH credits are shown as YH credits and also converted: 5 YH credits = 1.5 ECTS."),
           ("Tal, decimalkomma går bra: 7,5. Enhet får anges: 7,5 hp, 25 YH-poäng.", "Number, decimal comma allowed: 7,5. A unit may follow: 7.5 ECTS."),
           "3", f"{_SPEC} / elm:creditPoint (ECTS; YH-poäng also as YH points)", annex="workload",
           aliases=("poäng", "hp", "högskolepoäng", "ects", "ects credits", "credits", "omfattning")),
    Column("hours", "Arbetsinsats (timmar)", "Workload (hours)",
           ("Hur många timmar en deltagare räknas arbeta totalt.", "Total hours a learner is expected to work."), ("Tal.", "Number."), "80",
           f"{_SPEC} / elm:volumeOfLearning (PTnH)", annex="workload",
           aliases=("timmar", "studietimmar", "hours", "study hours", "workload", "arbetsinsats")),
    Column("mode", "Studieform", "Mode of study",
           ("Hur man deltar.", "How learners take part."),
           ("distans, på plats, kombinerad (blandat), arbetsplatsförlagd … " + _LIST[0],
            "online, on site, blended, work-based … " + _LIST[1]), "på plats",
           "elm:mode", annex="participation-form", aliases=("undervisningsform", "form", "mode", "form of participation", "delivery mode")),
    Column("schedule", "Studietakt", "Schedule",
           ("Studietakt.", "Pace of study."), ("heltid, deltid, kvällskurs, 50 % …", "full time, part time, evenings …"),
           "Deltid, låg studietakt", "elm:learningSchedule; a percentage also elm:additionalNote (pace of study)",
           aliases=("takt", "study pace", "pace", "learning schedule")),
    Column("start", "Startdatum", "Start date", ("Första kursdag.", "First day of the course."), _DATE, "2027-09-06",
           "dcterms:temporal / elm:startDate", aliases=("kursstart", "start", "starts")),
    Column("end", "Slutdatum", "End date", ("Sista kursdag.", "Last day of the course."), _DATE, "2027-10-29",
           "dcterms:temporal / elm:endDate", aliases=("kursslut", "end", "ends")),
    Column("deadline", "Sista ansökningsdag", "Application deadline", ("Sista dag att anmäla sig.", "Last day to apply."), _DATE,
           "2027-08-15", "elm:applicationDeadline", aliases=("sista anmälningsdag", "ansök senast", "deadline")),
    Column("price", "Pris", "Price",
           ("Avgift per deltagare. 0 eller \"avgiftsfri\" om kursen är gratis.", "Fee per participant. 0 or \"free\" if there is no fee."),
           ("Tal (mellanslag och decimalkomma går bra).", "Number (spaces and decimal comma allowed)."), "4500",
           "elm:priceDetail / elm:amount / rdf:value", aliases=("kursavgift", "avgift", "kostnad", "fee", "cost")),
    Column("currency", "Valuta", "Currency", ("Valutan för priset.", "Currency of the price."), ("Valutakod: SEK, EUR, NOK …", "Currency code: SEK, EUR, NOK …"),
           "SEK", "elm:priceDetail / elm:amount / elm:unit"),
    Column("address", "Adress", "Address", ("Gatuadress där kursen ges (om den ges på plats).", "Street address where the course takes place (if on site)."),
           _TEXT, "Exempelgatan 1, 972 31", "elm:location / elm:address / elm:fullAddress",
           aliases=("gatuadress", "besöksadress", "street address")),
    Column("city", "Ort", "City", ("Ort där kursen ges.", "Town or city where the course takes place."), _TEXT, "Luleå",
           "elm:location / elm:address / elm:fullAddress", aliases=("studieort", "kursort", "stad", "town")),
    Column("country", "Land", "Country", ("Land där kursen ges. Tomt: anordnarens land.", "Country where the course takes place. Empty: the provider's country."),
           ("Landets namn eller kod.", "Country name or code."), "Sverige", "elm:location / elm:address / elm:countryCode", aliases=("kursland",)),
    Column("outcomes", "Läranderesultat", "Learning outcomes",
           ("Vad deltagaren kan efter kursen. Ett resultat per rad (Alt+Enter i Excel) eller skilda med semikolon; "
            "svenska och engelska i samma ordning.",
            "What the learner can do after the course. One outcome per line (Alt+Enter in Excel) or separated by semicolons; "
            "Swedish and English in the same order."),
           _LIST, ("Bedöma elrisker vid arbete på solcellsanläggningar.\nArbeta säkert enligt ESA och SS-EN 50110.",
                   "Assess electrical hazards when working on solar power plants.\nWork safely according to ESA and EN 50110."),
           f"{_SPEC} / elm:learningOutcome / dcterms:title", True, True, "learning-outcomes",
           ("lärandemål", "kursmål", "learning outcome", "outcomes")),
    Column("entry_requirements", "Förkunskapskrav", "Entry requirements",
           ("Vad som krävs för att bli antagen.", "What is needed to be admitted."), _TEXT,
           ("Yrkesbevis som elektriker.", "Vocational certificate as an electrician."),
           f"{_SPEC} / elm:entryRequirement", multilingual=True, annex="prerequisites",
           aliases=("behörighet", "behörighetskrav", "förkunskaper", "prerequisites", "requirements")),
    Column("assessment", "Examinationsform", "Type of assessment",
           ("Hur kunskaperna bedöms.", "How learning is assessed."),
           ("praktiskt prov, skriftlig tentamen, muntlig tentamen, projektarbete, inlämningsuppgift, quiz … " + _LIST[0],
            "practical assessment, written examination, oral examination, project work, marked assignment, quiz … " + _LIST[1]),
           "praktiskt prov; skriftlig tentamen", f"{_SPEC} / elm:provenBy / dcterms:type", annex="assessment-type",
           aliases=("examination", "bedömning", "bedömningsform", "assessment", "assessment type")),
    Column("grading", "Betygsskala", "Grading",
           ("Vilka betyg som ges.", "Which grades are given."), _TEXT, ("Godkänd eller ej godkänd", "Pass or fail"),
           f"{_SPEC} / elm:provenBy / elm:gradingScheme", multilingual=True, annex="grade",
           aliases=("betyg", "betygsättning", "grades", "grading scheme")),
    Column("supervision", "Övervakning och identitetskontroll", "Supervision and identity verification",
           ("Hur provet övervakas och hur deltagarens identitet kontrolleras.", "How the assessment is supervised and the learner's identity checked."),
           _TEXT, ("Provet görs på plats; legitimation kontrolleras.", "The test takes place on site; photo ID is checked."),
           f"{_SPEC} / elm:provenBy / elm:additionalNote (supervision)", multilingual=True, annex="supervision-verification",
           aliases=("övervakning", "identitetskontroll", "supervision", "identity verification")),
    Column("quality", "Kvalitetssäkring", "Quality assurance",
           ("Hur kursens kvalitet säkras: tillsynsmyndighet, certifiering, ackreditering.", "How quality is assured: supervising agency, certification, accreditation."),
           _TEXT, ("Kursen ingår i vårt kursutbud som är certifierat enligt ISO 29993.", "The course belongs to our range of courses certified to ISO 29993."),
           f"{_SPEC} / elm:additionalNote (accreditation and quality assurance)", multilingual=True, annex="quality-assurance",
           aliases=("kvalitet", "ackreditering", "quality", "accreditation")),
    Column("stackability", "Integration och stapelbarhet", "Integration and stackability",
           ("Hur kursen kan byggas på eller räknas in i en längre utbildning.", "How the course can be combined with or counted towards other learning."),
           _TEXT, ("Kan tillgodoräknas i vår utbildning Solenergitekniker.", "Can be credited towards our solar energy technician programme."),
           f"{_SPEC} / elm:additionalNote (pathways)", multilingual=True, annex="integration-stackability",
           aliases=("stapelbarhet", "tillgodoräknande", "stackability", "pathways")),
    Column("more_info", "Mer information", "Further information",
           ("Länk till kursplan eller annan information.", "Link to the syllabus or other information."), _URL,
           "https://www.exempelanordnaren.example/kursplaner/EX-ELS-2027.pdf", "elm:supplementaryDocument", annex="further-information",
           aliases=("mer info", "läs mer", "kursplan", "syllabus", "more information", "further information url")),
    Column("email", "E-post", "Contact e-mail",
           ("Adress dit den som söker kurs kan skriva.", "Address learners can write to."), ("E-postadress.", "E-mail address."),
           "kurser@exempelanordnaren.example", "elm:providedBy / elm:contactPoint / elm:emailAddress",
           aliases=("epost", "email", "e-mail", "kontakt", "contact")),
)

# Words that name a language in a header suffix; any two-letter code works too.
LANGUAGE_WORDS = {
    "svenska": "sv", "swedish": "sv", "engelska": "en", "english": "en", "finska": "fi", "finnish": "fi", "suomi": "fi",
    "norska": "no", "norwegian": "no", "danska": "da", "danish": "da", "tyska": "de", "german": "de",
    "meankieli": "fit", "samiska": "se", "sami": "se",
}
TEMPLATE_LANGUAGES = (("sv", "svenska", "Swedish"), ("en", "engelska", "English"))
SAME_AS_PROVIDER = {normalise(t) for t in ("samma som anordnaren", "samma som anordnare", "samma", "anordnaren", "same as provider", "same", "the provider")}


def _strip_parentheses(text: str) -> str:
    return re.sub(r"\([^)]*\)", " ", text)


def _name_index() -> dict[str, tuple[Column, str | None]]:
    """Normalised header name -> (column, language the name is in, for text columns named without one)."""
    index: dict[str, tuple[Column, str | None]] = {}
    for column in COLUMNS:
        for name, lang in ((column.sv, "sv"), (column.en, "en"), (column.key, None), *((a, None) for a in column.aliases)):
            for form in {normalise(name), normalise(_strip_parentheses(name))}:
                if index.setdefault(form, (column, lang))[0] is not column:
                    raise ValueError(f"header name {name!r} is used by two columns")
    return index


NAMES = _name_index()

def resolve_header(text: str) -> tuple[Column, str | None, bool] | None:
    """The column a header names, the language of a text column, and whether that language was explicit."""
    for part in (text, *text.split("/")):
        for form in (normalise(part), normalise(_strip_parentheses(part))):
            if form in NAMES:
                column, lang = NAMES[form]
                return column, lang, False
            suffixed = re.fullmatch(r"(.+?) (\w+)", form)
            if suffixed and suffixed.group(1) in NAMES and NAMES[suffixed.group(1)][0].multilingual:
                word = suffixed.group(2)
                lang = LANGUAGE_WORDS.get(word) or (word if re.fullmatch(r"[a-z]{2}", word) else None)
                if lang:
                    return NAMES[suffixed.group(1)][0], lang, True
    return None


def template_columns() -> list[tuple[str, str, Column, str | None]]:
    """The template's columns in order: (header, machine key, column, language)."""
    result = []
    for column in COLUMNS:
        if not column.multilingual:
            result.append((f"{column.sv} / {column.en}", column.key, column, None))
            continue
        for lang, word_sv, word_en in TEMPLATE_LANGUAGES:
            result.append((f"{column.sv} ({word_sv}) / {column.en} ({word_en})", f"{column.key}_{lang}", column, lang))
    return result


def template_example(column: Column, lang: str | None) -> str:
    if isinstance(column.example, tuple):
        return column.example[0 if lang == "sv" else 1]
    return column.example


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # column key -> value, or key_lang -> text for text columns
    unknown: dict[str, Any]  # header -> value of columns the catalogue does not know


@dataclass
class _Binding:
    column: Column | None
    lang: str | None
    header: str


class SpreadsheetHarvester(Harvester):
    kind = "spreadsheet"
    title = "Spreadsheet from the catalogue's template (CSV or XLSX), one row per offer"
    mapping = [(f"{c.sv} / {c.en} ({c.key}{'_sv, _en …' if c.multilingual else ''})", c.target, c.allowed[1]) for c in COLUMNS] + [
        ("any other column", "not carried", "noted as dropped, per row with a value"),
    ]

    def gather(self) -> Iterator[RecordRef]:
        self._check_options()
        seen: dict[str, int] = {}
        for location in self.context.source.urls:
            rows = self._rows(location)
            bindings, header_number = self._header(rows, location)
            for number, cells in rows:
                if number <= header_number or _is_blank(cells) or _is_comment(cells):
                    continue
                row = _row(number, cells, bindings)
                key = _text(row.values.get("offer_id"))
                if not key or key in seen:
                    # No usable identifier: a record of its own that fails in map, keyed by its place.
                    yield RecordRef(f"{_name(location)} row {number}", location, (row, seen.get(key)))
                    continue
                seen[key] = number
                yield RecordRef(key, f"{location}#row={number}", (row, None))

    def map(self, ref: RecordRef, content: tuple[Row, int | None]) -> MappedRecord:
        row, duplicate_of = content
        where = f"row {row.number}"
        if duplicate_of is not None:
            raise RecordFailed("duplicate-identifier", f"{ref.location}, {where}: the course code {_text(row.values['offer_id'])!r} "
                               f"is already used in row {duplicate_of}; give every row its own code.", where)
        if not _text(row.values.get("offer_id")):
            raise RecordFailed("missing-identifier", f"{ref.location}, {where}: the row has no course code (column Kurskod / Course code); "
                               "the catalogue recognises offers by it, so the row was skipped.", where)
        for header, value in row.unknown.items():
            self.context.note(ref.key, header, "dropped", _text(value), "the catalogue has no column of this name. " + TEMPLATE_HINT)
        offer, triples = build_offer(_RowReader(self, ref.key, row).fields(), self.context)
        return MappedRecord(ref.key, triples, [offer])

    def _check_options(self) -> None:
        zone = self.context.option("timezone")
        try:
            if zone:
                ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SourceUnavailable(f"The source option timezone = {zone!r} is not a time zone name; use e.g. \"Europe/Stockholm\".") from None

    # -- reading ------------------------------------------------------------------

    def _rows(self, location: str) -> list[tuple[int, list[Any]]]:
        try:
            fetched = self.context.http.get(location, accept="text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, */*;q=0.1")
        except InputError as error:
            raise SourceUnavailable(str(error), getattr(error, "status", None)) from None
        self.context.fetched.append(fetched)
        content = fetched.content
        if content.startswith(b"\xd0\xcf\x11\xe0"):
            raise SourceUnavailable(f"{location}: this is an old Excel file (.xls); save it as .xlsx or as CSV UTF-8. {TEMPLATE_HINT}")
        if content.startswith(b"PK\x03\x04"):
            return self._xlsx_rows(content, location)
        if not content.strip():
            raise SourceUnavailable(f"{location}: the file is empty. {TEMPLATE_HINT}")
        return self._csv_rows(self._decode(fetched, location), location)

    def _decode(self, fetched: Fetched, location: str) -> str:
        content = fetched.content
        encoding, declared_by = self.context.option("encoding"), "the source option encoding"
        if not encoding:
            for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
                if content.startswith(bom):
                    encoding, declared_by = name, "its byte-order mark"
                    break
        if not encoding and fetched.charset:
            encoding, declared_by = fetched.charset, "the server's Content-Type header"
        try:
            codec = codecs.lookup(encoding or "utf-8")
        except LookupError:
            raise SourceUnavailable(f"{location}: {declared_by} names the unknown character encoding {encoding!r}.") from None
        if declared_by.startswith("the server") and codec.name in ("latin-1", "iso8859-1", "cp1252", "iso8859-15") and _is_utf8(content):
            # Servers often label every text file Latin-1; real Latin-1 text with å, ä, ö is almost never valid UTF-8.
            self.context.note("(file)", "charset", "guessed", fetched.charset, "the server says Latin-1 but the file is UTF-8; read as UTF-8")
            codec = codecs.lookup("utf-8")
        try:
            return content.decode(codec.name).lstrip("\ufeff")
        except UnicodeDecodeError as error:
            line = content.count(b"\n", 0, error.start) + 1
            column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
            said = f"as {declared_by} says" if encoding else "which a CSV file must be unless the source option encoding says otherwise"
            hint = (" It looks like Windows-1252/Latin-1, which Excel saves as \"CSV (semikolonavgränsad)\": save the sheet as "
                    "\"CSV UTF-8 (kommaavgränsad)\" or .xlsx, or set encoding = \"windows-1252\" for this source.") if codec.name == "utf-8" else ""
            raise SourceUnavailable(str(InputError(
                f"the text is not valid {codec.name.upper()}, {said} (bytes {content[error.start:error.start + 4].hex(' ')}).{hint}",
                location, line, column))) from None

    def _csv_rows(self, text: str, location: str) -> list[tuple[int, list[Any]]]:
        delimiter = _delimiter(text, self.context.option("delimiter"))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            return [(number, cells) for number, cells in enumerate(reader, start=1)]
        except csv.Error as error:
            raise SourceUnavailable(str(InputError(f"the CSV cannot be read ({error}).", location, reader.line_num))) from None

    def _xlsx_rows(self, content: bytes, location: str) -> list[tuple[int, list[Any]]]:
        import openpyxl  # only sources with XLSX files need it

        limit = float(self.context.option("max_uncompressed_megabytes", 200)) * 1024 * 1024
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > limit:
                raise SourceUnavailable(f"{location}: the XLSX file unpacks to {unpacked / 1024 / 1024:.0f} MB, over the "
                                        f"{limit / 1024 / 1024:.0f} MB limit (option max_uncompressed_megabytes); it may be a zip bomb.")
            if "mimetype" in archive.namelist() and b"opendocument" in archive.read("mimetype"):
                raise SourceUnavailable(f"{location}: this is an OpenDocument spreadsheet (.ods); save it as .xlsx or as CSV UTF-8.")
            # Office never writes a DTD; one in a workbook can only be an entity attack (external file, billion laughs).
            for info in archive.infolist():
                with archive.open(info) as part:
                    if _declares_dtd(part):
                        raise SourceUnavailable(f"{location}: the XLSX part {info.filename} declares a DTD (<!DOCTYPE …> or "
                                                "<!ENTITY …>), which spreadsheets never need and which can hide an entity attack; "
                                                "the file was refused.")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError):
            raise SourceUnavailable(f"{location}: the XLSX file is damaged or incomplete (not a readable zip archive); save it again.") from None
        sheet = self.context.option("sheet")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
                book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
                try:
                    if sheet and sheet not in book.sheetnames:
                        raise SourceUnavailable(f"{location}: the workbook has no sheet named {sheet!r} (it has {', '.join(book.sheetnames)}).")
                    worksheet = book[sheet] if sheet else book.worksheets[0]
                    return [(number, list(cells)) for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1)]
                finally:
                    book.close()
        except SourceUnavailable:
            raise
        except Exception as error:  # openpyxl raises many kinds of errors for a damaged workbook
            raise SourceUnavailable(f"{location}: the XLSX file cannot be read ({type(error).__name__}: {error}); "
                                    "open it in Excel and save it again.") from None

    def _header(self, rows: list[tuple[int, list[Any]]], location: str) -> tuple[list[_Binding], int]:
        number, cells = next(((n, c) for n, c in rows if not _is_blank(c) and not _is_comment(c)), (0, []))
        if not number:
            raise SourceUnavailable(f"{location}: the file has no header row and no offers. {TEMPLATE_HINT}")
        bindings: list[_Binding] = []
        for cell in cells:
            header = _text(cell)
            found = resolve_header(header) if header else None
            if found is None:
                bindings.append(_Binding(None, None, header))
                continue
            column, lang, explicit = found
            if column.multilingual and not explicit:
                lang = self.context.option("language") or lang or "sv"
                self.context.note("(header)", header, "guessed", header, f"a text column without a language; read as {lang!r}. "
                                  "Name it e.g. 'Titel (svenska)' / 'Title (English)' or set the source option language.")
            bindings.append(_Binding(column, lang if column.multilingual else None, header))
        self._check_header(bindings, number, location)
        return bindings, number

    def _check_header(self, bindings: list[_Binding], number: int, location: str) -> None:
        slots = [(b.column.key, b.lang) for b in bindings if b.column]
        repeated = sorted({b.header for b in bindings if b.column and slots.count((b.column.key, b.lang)) > 1})
        if repeated:
            raise SourceUnavailable(f"{location}, row {number}: several columns mean the same ({', '.join(repeated)}); keep one of each.")
        if not slots:
            seen = ", ".join(repr(b.header) for b in bindings[:5] if b.header)
            raise SourceUnavailable(f"{location}, row {number}: the header row names no column the catalogue knows (it reads {seen}). "
                                    f"Is this the catalogue's template? {TEMPLATE_HINT}")
        present = {key for key, _ in slots}
        missing = [f"{c.sv} / {c.en}" for c in COLUMNS if c.required and c.key not in present]
        if missing:
            raise SourceUnavailable(f"{location}, row {number}: the header row lacks the required columns {'; '.join(missing)}. "
                                    f"Without them no offer can be published. {TEMPLATE_HINT}")


class _RowReader:
    """One row read into OfferFields, with notes for what it guessed or left out."""

    def __init__(self, harvester: SpreadsheetHarvester, key: str, row: Row):
        self.context = harvester.context
        self.key = key
        self.values = row.values

    def get(self, key: str) -> str:
        return _text(self.values.get(key))

    def texts(self, key: str) -> Texts:
        prefix = key + "_"
        return {k[len(prefix):]: _text(v) for k, v in self.values.items() if k.startswith(prefix) and _text(v)}

    def fields(self) -> OfferFields:
        titles = self.texts("title")
        provider = self._provider(titles)
        return OfferFields(
            key=self.key,
            titles=titles,
            provider=provider,
            homepage=self.get("homepage") or None,
            descriptions=self.texts("description"),
            awarding_body=self._awarding_body(provider),
            default_language=self.context.option("language") or next(iter(titles), None),
            languages=_items(self.get("languages"), commas=True),
            fields_of_education=_items(self.get("field")),
            eqf_level=self.get("eqf_level") or None,
            learning_outcomes=self._outcomes(),
            ects=self._credits(),
            national_credits=self._national_credits(),
            hours=self.get("hours") or None,
            modes=_items(self.get("mode"), commas=True),
            schedule=self._schedule(),
            pace=pace_in(self.get("schedule")),
            start=self._date("start"),
            end=self._date("end"),
            application_deadline=self._date("deadline"),
            prices=self._prices(),
            place=self._place(provider.country),
            entry_requirements=self.texts("entry_requirements"),
            assessment_types=_items(self.get("assessment"), commas=True),
            grading=self.texts("grading"),
            supervision=self.texts("supervision"),
            quality_note=self.texts("quality"),
            stackability=self.texts("stackability"),
            further_information_url=self._url("more_info"),
            course_code=self.key,
        )

    def _provider(self, titles: Texts) -> OrganisationFields:
        name, country, number = self.get("provider_name"), self.get("provider_country"), self.get("provider_id")
        swedish = (self.context.vocabulary.match(COUNTRY_SCHEME, country) or ("",))[0].endswith("/SWE")
        return OrganisationFields(
            key=number or name or "provider",
            names={lang: name for lang in (titles or {"sv": ""})} if name else {},
            country=country or None,
            identifier=number or None,
            identifier_scheme="Organisationsnummer" if swedish else "Organisation number",
            email=self._email(),
        )

    def _awarding_body(self, provider: OrganisationFields) -> OrganisationFields | None:
        name = self.get("awarding_body")
        if not name:
            return None
        if normalise(name) in SAME_AS_PROVIDER or normalise(name) == normalise(next(iter(provider.names.values()), "")):
            return provider
        if provider.country:
            self.context.note(self.key, "awarding_body", "guessed", name, f"the awarding body's country is taken to be the provider's ({provider.country})")
        return OrganisationFields(key=f"awarding-{name}", names={lang: name for lang in provider.names} or {"sv": name}, country=provider.country)

    def _outcomes(self) -> list[Texts]:
        lists = {lang: _items(text) for lang, text in self.texts("outcomes").items()}
        sizes = {len(items) for items in lists.values()}
        if len(sizes) > 1:
            self.context.note(self.key, "outcomes", "guessed", "; ".join(f"{lang}: {len(i)}" for lang, i in lists.items()),
                              "the languages list different numbers of learning outcomes; they were paired in order")
        count = max(sizes, default=0)
        return [{lang: items[i] for lang, items in lists.items() if i < len(items)} for i in range(count)]

    def _credits(self) -> str | None:
        text = self.get("credits")
        if not text:
            return None
        number = to_number(text)
        unit = normalise(re.sub(r"[\d.,\s]+", " ", text, count=1))
        if number is None or unit not in ("", "ects", "hp", "hogskolepoang", "ects credits", "credits", "poang", "sp", "op", "stp", "yh", "yhp", "yh poang"):
            self.context.note(self.key, "credits", "dropped", text, "not a number of ECTS credits (write e.g. 7,5 or 7,5 hp)")
            return None
        if unit.startswith("yh"):
            ects = format((Decimal(number) * Decimal("0.3")).normalize(), "f")
            self.context.note(self.key, "credits", "guessed", text, f"read as {ects} ECTS (5 YH credits = one week of full-time study = 1.5 ECTS)")
            return ects
        return number

    def _national_credits(self) -> list[tuple[str, str]]:
        """YH points as the provider wrote them, beside the ECTS the template converts them to."""
        text = self.get("credits")
        number = to_number(text) if text else None
        if number is None or not normalise(re.sub(r"[\d.,\s]+", " ", text, count=1)).startswith("yh"):
            return []
        return [(number, YH_POINTS)]

    def _schedule(self) -> str | None:
        """Full or part time as written; a percentage alone ("50 %") says it too (100 % full time, 50 % or more part time intensive)."""
        text = self.get("schedule")
        pace = pace_in(text)
        if pace is not None and not re.sub(r"\d{1,3}(?:[.,]\d+)?\s*(?:%|procent|percent)", "", text, flags=re.IGNORECASE).strip(" ,;.-"):
            return schedule_for_pace(pace)
        return text or None

    def _prices(self) -> list[PriceFields]:
        amount, currency = self.get("price"), self.get("currency")
        if not amount:
            return []
        if not currency:
            derived = parse_price(amount, None)[1]
            if derived:
                self.context.note(self.key, "price", "guessed", amount, f"no currency given; read as {derived}")
        return [PriceFields(amount, currency or None)]

    def _place(self, provider_country: str | None) -> PlaceFields | None:
        address, city, country = self.get("address"), self.get("city"), self.get("country")
        if not (address or city or country):
            return None
        if not country and provider_country:
            self.context.note(self.key, "country", "guessed", address or city, f"no country for the place; the provider's ({provider_country}) was used")
        return PlaceFields(address or None, city or None, country or provider_country)

    def _date(self, key: str) -> str | date | None:
        """A day stays a day (so an end date means the end of that day); a time of day is read in the source's time zone."""
        value = self.values.get(key)
        if isinstance(value, datetime) and value.time() == time(0):
            return value.date()
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        text = _text(value)
        if not isinstance(value, datetime) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", text):
            return text or None  # a plain date, a date-time with an offset, or something build_offer notes as unreadable
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(text)
        except ValueError:
            return text
        zone = self.context.option("timezone")
        if zone:
            return moment.replace(tzinfo=ZoneInfo(zone)).isoformat()
        self.context.note(self.key, key, "guessed", text, "a time without a time zone, read as UTC; set the source option timezone (e.g. \"Europe/Stockholm\")")
        return moment.isoformat()

    def _email(self) -> str | None:
        email = self.get("email")
        if email and not re.fullmatch(r"[^\s@]+@[^\s@]+\.[^\s@]+", email.removeprefix("mailto:")):
            self.context.note(self.key, "email", "dropped", email, "not an e-mail address")
            return None
        return email.removeprefix("mailto:") or None

    def _url(self, key: str) -> str | None:
        url = self.get(key)
        if url and not is_http_url(url):
            self.context.note(self.key, key, "dropped", url, "not an http(s) address")
            return None
        return url or None


# -- cells ------------------------------------------------------------------------


def _row(number: int, cells: list[Any], bindings: list[_Binding]) -> Row:
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for index, cell in enumerate(cells):
        if _text(cell) == "":
            continue
        binding = bindings[index] if index < len(bindings) else _Binding(None, None, "")
        if binding.column is None:
            unknown[binding.header or f"column {_column_letter(index)} (no header)"] = cell
        else:
            values[f"{binding.column.key}_{binding.lang}" if binding.lang else binding.column.key] = cell
    return Row(number, values, unknown)


def _text(value: Any) -> str:
    """A cell as text, as the provider sees it: 7.5 not 7.500000001, 4500 not 4500.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def _items(text: str, commas: bool = False) -> list[str]:
    """Several values in one cell: one per line, else separated by ';' (and ',' for short lists of names)."""
    separators = r"\n" if "\n" in text else (r"[;,]" if commas else ";")
    return [item.strip() for item in re.split(separators, text) if item.strip()]


def _is_utf8(content: bytes) -> bool:
    try:
        return not content.isascii() and bool(content.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _is_blank(cells: list[Any]) -> bool:
    return all(_text(c) == "" for c in cells)


def _is_comment(cells: list[Any]) -> bool:
    return bool(cells) and _text(cells[0]).startswith("#")


def _delimiter(text: str, option: str | None) -> str:
    if option:
        return "\t" if option in ("tab", "\\t") else option
    header = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",", "\t")}
    return max(widths, key=lambda d: widths[d])


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _name(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


_DTD_MARKERS = tuple(marker.encode(codec) for marker in ("<!DOCTYPE", "<!ENTITY")
                     for codec in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
_OVERLAP = max(len(marker) for marker in _DTD_MARKERS) - 1


def _declares_dtd(part) -> bool:
    """Whether a workbook part declares a DTD anywhere in it (after any amount of content, in UTF-8 or UTF-16/32).

    Read in pieces with an overlap, so a declaration split between two pieces is still found."""
    tail = b""
    while True:
        piece = part.read(1 << 20)
        if not piece:
            return False
        window = tail + piece.upper()  # XML is case-sensitive, but a lenient parser need not be
        if any(marker in window for marker in _DTD_MARKERS):
            return True
        tail = window[-_OVERLAP:]
