"""``schemaorg``: course pages marked up with schema.org (JSON-LD, microdata or RDFa), found through a sitemap.

The source is a sitemap (a ``url`` ending in ``.xml`` or ``.xml.gz``, or option
``sitemap = true``; sitemap index files are followed) or a list of page
addresses (``urls``). Each page is one record, read once with a conditional
request and only where the site's robots.txt allows it; every ``Course``,
``EducationalOccupationalProgram`` or stand-alone ``CourseInstance`` on it
becomes an offer, and a course with instances gives one offer per instance
(when and where it runs). ``http://schema.org/`` and ``https://schema.org/``
are read alike. Relative addresses in a local sitemap are resolved against
its folder, so a bundled example runs offline.

Options: ``sitemap`` (true/false; default: guessed from the address),
``include`` (a regular expression a page address must match, for sitemaps
that list a whole site), ``max_pages`` (default 2000), ``country`` (the
provider's country when the markup gives none), and the HTTP client's
``delay``, ``timeout`` and ``retries``.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import ParseError

import pyoxigraph as ox
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from extruct.utils import parse_xmldom_html
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from lxml.etree import ParserError
from pyRdfa import Options as RdfaOptions
from pyRdfa import pyRdfa as RdfaProcessor
from pyRdfa.host import HostLanguage
from rdflib import RDF, BNode, Graph, Literal

from catalogue.errors import FetchError, InputError
from catalogue.harvest.contract import (
    HarvestContext,
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    SourceUnavailable,
)
from catalogue.harvest.fetch import is_url
from catalogue.harvest.http_cache import LinkRefused
from catalogue.harvest.rdfio import XML_DECLARATION, check_xml_entities, to_utf8
from catalogue.vocab import (
    CREDIT_SCHEME,
    ISCED_SCHEME,
    MODE_SCHEME,
    NATIONAL_CREDIT_SCHEME,
    OPPORTUNITY_TYPE_SCHEME,
    SCHEDULE_SCHEME,
)

from .elm import (
    OfferFields,
    OrganisationFields,
    PlaceFields,
    PriceFields,
    Texts,
    build_offer,
    to_duration,
    to_number,
)

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
XML_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"
COURSE_TYPES = ("Course", "EducationalOccupationalProgram", "WorkBasedProgram", "CourseInstance")
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_DEPTH = 12  # nesting of schema.org items followed; deeper markup is noise or an attack
SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "http://www.schema.org/", "https://www.schema.org/", "schema:")


# -- the three syntaxes read into one model ------------------------------------------------------------


@dataclass
class Text:
    value: str
    lang: str | None = None


@dataclass(eq=False)
class Item:
    """A schema.org item: local type names, its @id if any, property -> values (Text or Item).

    ``used`` records which properties a mapping read, so that every other one is reported as dropped.
    """

    types: list[str]
    id: str | None = None
    props: dict[str, list] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def is_a(self, *types: str) -> bool:
        return any(t in types for t in self.types)

    def values(self, *names: str) -> list:
        self.used.update(names)
        return [v for name in names for v in self.props.get(name, [])]

    def items(self, *names: str) -> list[Item]:
        return [v for v in self.values(*names) if isinstance(v, Item)]

    def texts(self, *names: str) -> list[Text]:
        return [v for v in self.values(*names) if isinstance(v, Text) and v.value.strip()]

    def text(self, *names: str) -> str | None:
        return next((t.value.strip() for t in self.texts(*names)), None)

    def peek(self, name: str) -> str | None:
        """The first text of ``name`` without counting it as read."""
        return next((v.value.strip() for v in self.props.get(name, []) if isinstance(v, Text) and v.value.strip()), None)


def local_name(name: str) -> str:
    """"name" from "https://schema.org/name", "http://schema.org/name" or "schema:name"; other IRIs as they are."""
    for prefix in SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


class SchemaOrgHarvester(Harvester):
    kind = "schemaorg"
    title = "schema.org Course / CourseInstance / EducationalOccupationalProgram in web pages (JSON-LD, microdata, RDFa), via sitemaps"
    mapping = [
        ("page address (from the sitemap or urls)", "record", "robots.txt honoured; conditional requests"),
        ("Course @id / itemid / RDFa resource, else courseCode, else url, else the page address", "offer key", "BASE/offer/SOURCE/KEY"),
        ("CourseInstance @id, else course key + startDate", "offer key of each instance", "one offer per CourseInstance"),
        ("name (per @language / lang attribute / page lang)", "dcterms:title (offer and specification)", "one per language; others dropped"),
        ("description", "dcterms:description", ""),
        ("url (else the page address)", "foaf:homepage", ""),
        ("provider (Organization, CollegeOrUniversity …: name, url, address, email, telephone, identifier)", "elm:providedBy", "key from url, @id or name; addressCountry via vocab"),
        ("courseMode, educationalProgramMode, eventAttendanceMode", "elm:mode / elm:learningSchedule / dcterms:type", "free text via vocab (online, distans, onsite, blended, full-time, MOOC …)"),
        ("courseWorkload, timeToComplete, timeRequired (PTnH, PTnM)", "elm:volumeOfLearning", "hours; other durations go to elm:duration"),
        ("courseSchedule (Schedule: duration, repeatFrequency, repeatCount, byDay, times)", "elm:scheduleInformation", "sentence in sv and en; hours = duration × repeatCount when no workload (guessed)"),
        ("numberOfCredits (number or StructuredValue value + unitText)", "elm:creditPoint",
         "ECTS/hp; no unit: ECTS (guessed); other systems via vocab (EU list; YH points in vocab/credit-systems.ttl)"),
        ("educationalLevel, educationalAlignment (EQF), credential educationalLevel", "elm:educationLevel", "EQF via vocab (\"EQF 4\", \"Nivå 4\")"),
        ("about, educationalAlignment (ISCED-F)", "elm:ISCEDFCode", "only values that are ISCED-F codes or labels"),
        ("teaches (Text, DefinedTerm)", "elm:learningOutcome", "one outcome per value"),
        ("coursePrerequisites, programPrerequisites", "elm:entryRequirement", "joined per language"),
        ("offers (price, priceCurrency, priceSpecification, name/category)", "elm:priceDetail", ""),
        ("offers availabilityEnds / validThrough, applicationDeadline", "elm:applicationDeadline", ""),
        ("startDate, endDate (instance, else course/program)", "dcterms:temporal", ""),
        ("location (Place, PostalAddress, text; VirtualLocation = online)", "elm:location", "country from the address, else the provider's (guessed)"),
        ("inLanguage (instance, else course)", "dcterms:language, elm:defaultLanguage", "codes or names via vocab"),
        ("educationalCredentialAwarded / occupationalCredentialAwarded: provider/publisher/author/creator", "elm:awardingBody", "no issuer: the course provider (guessed)"),
        ("credential recognizedBy", "elm:additionalNote (accreditation and quality assurance)", "\"Erkänd av …\" / \"Recognised by …\""),
        ("courseCode", "adms:identifier", ""),
        ("dateModified", "dcterms:modified", ""),
        ("@type Course / EducationalOccupationalProgram", "dcterms:type", "Course / Educational programme"),
        ("anything else (instructor, syllabusSections, financialAidEligible, image …)", "—", "mapping note \"dropped\""),
    ]

    def __init__(self, context: HarvestContext):
        super().__init__(context)
        self._offer_pages: dict[str, str] = {}  # offer key -> page that gave it, to catch one course on two pages
        self._found_in: dict[str, str] = {}  # page -> the sitemap that listed it (pages given as urls are not links)

    # -- gather: sitemaps and page lists ---------------------------------------------

    def gather(self) -> Iterator[RecordRef]:
        pages: list[str] = []
        problems: list[str] = []
        for location in self.context.source.urls:
            if self._is_sitemap(location):
                self._read_sitemap(location, pages, problems, depth=0)
            else:
                pages.append(location)
        for page in self._selected(pages):
            yield RecordRef(page, page)
        if problems:
            # Raised last so every page found is still read; the pipeline keeps the offers of pages it did not see.
            raise RecordFailed("sitemap-unreadable", " ".join(problems))

    def _is_sitemap(self, location: str) -> bool:
        declared = self.context.option("sitemap")
        if declared is not None:
            return bool(declared)
        return location.split("?")[0].lower().endswith((".xml", ".xml.gz"))

    def _read_sitemap(self, location: str, pages: list[str], problems: list[str], depth: int, found_in: str | None = None) -> None:
        try:
            if is_url(location) and not self.context.http.allowed_by_robots(location, found_in):
                raise InputError("the site's robots.txt does not allow the catalogue to read this sitemap.", location)
            fetched = self.context.http.get(location, accept=XML_ACCEPT, found_in=found_in)
            self.context.fetched.append(fetched)
            kind, locs = parse_sitemap(fetched.content, fetched.charset, location, self._max_bytes())
        except LinkRefused as refused:
            self.context.refused_link(location, str(refused))
            return
        except InputError as error:
            if depth == 0:
                raise SourceUnavailable(f"The sitemap cannot be read: {error}", getattr(error, "status", None)) from None
            problems.append(f"A sitemap listed in the sitemap index cannot be read, so its pages were not harvested: {error}")
            return
        for loc in locs:
            target = resolve_location(loc, location)
            if target is None:
                problems.append(f"{location}: the sitemap lists {loc!r}, which is not an http(s) address; it was skipped.")
            elif kind == "urlset":
                pages.append(target)
                self._found_in.setdefault(target, location)
            elif depth < 3:
                self._read_sitemap(target, pages, problems, depth + 1, found_in=location)
            else:
                problems.append(f"{location}: sitemap indexes nest deeper than 3 levels; {target} was not read.")

    def _selected(self, pages: list[str]) -> list[str]:
        pattern = self.context.option("include")
        chosen = [p for p in dict.fromkeys(pages) if not pattern or re.search(pattern, p)]
        limit = int(self.context.option("max_pages", 2000))
        if len(chosen) > limit:
            self.context.note("(sitemap)", "sitemap", "dropped", f"{len(chosen) - limit} pages", f"more than {limit} pages; raise max_pages or narrow include")
        return chosen[:limit]

    def _max_bytes(self) -> int:
        limits = getattr(self.context.http, "limits", None)
        return getattr(limits, "max_bytes", 50 * 1024 * 1024)

    # -- fetch: one page ---------------------------------------------------------------

    def fetch(self, ref: RecordRef) -> Page:
        found_in = self._found_in.get(ref.location)
        try:
            if is_url(ref.location) and not self.context.http.allowed_by_robots(ref.location, found_in):
                raise RecordFailed(
                    "robots-disallowed",
                    f"{ref.location}: the site's robots.txt does not allow the catalogue to read this page, so it was not read "
                    "and the offers it gave before are kept. Allow the catalogue's user agent (mc-catalogue) in robots.txt, "
                    "or remove the page from the sitemap if the course is withdrawn.",
                )
            fetched = self.context.http.get(ref.location, accept=HTML_ACCEPT, found_in=found_in)
        except LinkRefused as refused:
            raise RecordFailed("link-refused", str(refused)) from None
        except FetchError as error:
            transient = error.status is None or error.status >= 500
            raise RecordFailed("http-status" if error.status else "unreachable", str(error), transient=transient) from None
        except InputError as error:
            raise RecordFailed("unreadable", str(error)) from None
        self.context.fetched.append(fetched)
        text = decode_html(fetched.content, fetched.charset, ref.location)
        try:
            # lxml's HTML parser leaves declared entities unexpanded, but an XHTML page that declares
            # them is refused all the same, like every XML the catalogue reads (catalogue.harvest.rdfio).
            check_xml_entities(text.encode("utf-8"), ref.location, fetched.content)
        except InputError as error:
            raise RecordFailed("xml-entities", str(error), _line(error)) from None
        try:
            tree = parse_xmldom_html(text.encode("utf-8"), "utf-8")
        except ParserError:
            raise RecordFailed("empty-page", f"{ref.location}: the page is empty; it holds no course.") from None
        # Local pages resolve relative references against their file: address (RDFa needs some base).
        base = fetched.url if is_url(ref.location) else Path(ref.location).resolve().as_uri()
        return Page(ref.location, base, tree, tree.get("lang") or tree.get("xml:lang"))

    # -- map: courses on the page to offers -----------------------------------------------

    def map(self, ref: RecordRef, content: Page) -> MappedRecord:
        roots, broken = extract_items(content)
        courses = find_courses(roots)
        if not courses:
            if broken:
                raise RecordFailed(*broken[0])
            found = ", ".join(sorted({t for r in roots for t in r.types})) or "no schema.org markup"
            self.context.note(ref.key, "page", "dropped", found, "no schema.org Course, CourseInstance or EducationalOccupationalProgram on this page; nothing was harvested from it")
            return MappedRecord(ref.key, [], [])
        for code, message, position in broken:
            self.context.note(ref.key, f"script ({position})", "dropped", code, message)
        triples: list[ox.Triple] = []
        offers: list[str] = []
        mapped: dict[int, tuple[str, Item]] = {}
        for course_key, course, key, instance in self._offers(content, courses):
            fields = OfferMapper(self.context, content, key, course, instance).fields()
            iri, offer_triples = build_offer(fields, self.context)
            triples += offer_triples
            offers.append(iri)
            mapped[id(course)] = (course_key, course)
        for course_key, course in mapped.values():
            note_unused(self.context, course_key, course, course.types[0] if course.types else "Course")
        return MappedRecord(ref.key, triples, offers)

    def _offers(self, page: Page, courses: list[Item]) -> Iterator[tuple[str, Item, str, Item | None]]:
        for position, course in enumerate(courses, start=1):
            course_key = course_identifier(course, page, len(courses) == 1)
            if course_key is None:
                raise RecordFailed(
                    "missing-identifier",
                    f"{page.location}: course {position} of {len(courses)} on this page has no identifier. Give every course "
                    "an @id (itemid, resource), a courseCode or a url, so that it keeps its address in the catalogue.",
                    f"course[{position}]",
                )
            for key, instance in instance_keys(course_key, course, page):
                status = instance.text("eventStatus") if instance is not None else None
                if status and local_name(status).endswith("EventCancelled"):
                    self.context.note(key, "hasCourseInstance/eventStatus", "dropped", status, "the course instance is cancelled, so it is not offered")
                    continue
                if key in self._offer_pages:
                    self.context.note(key, "@id", "dropped", page.location, f"the same course was already read from {self._offer_pages[key]}; this copy was left out")
                    continue
                self._offer_pages[key] = page.location
                yield course_key, course, key, instance


# -- reading pages and sitemaps ---------------------------------------------------------------


@dataclass
class Page:
    location: str
    base: str  # the address relative references resolve against (file: for a local page)
    tree: Any  # lxml tree of the page
    lang: str | None


def parse_sitemap(content: bytes, charset: str | None, location: str, max_bytes: int) -> tuple[str, list[str]]:
    """("urlset" or "sitemapindex", the <loc> values) of a sitemap; DTDs and entities are refused."""
    if content[:2] == b"\x1f\x8b":
        content = gunzip(content, location, max_bytes)
    text = to_utf8(content, location, charset, ox.RdfFormat.RDF_XML)
    check_xml_entities(text, location, content)
    try:
        root = parse_xml(text, forbid_dtd=True)
    except DefusedXmlException:
        raise InputError(
            "the sitemap contains a DOCTYPE or entity declaration, which sitemaps never need; it was refused so that "
            "nothing is expanded or fetched. Remove the DOCTYPE.", location) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        message = str(error).split(":")[0]
        raise InputError(f"the sitemap is not well-formed XML ({message}).", location, line, column) from None
    kind = str(root.tag).rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise InputError(f"this is not a sitemap: its root element is <{kind}>, not <urlset> or <sitemapindex>.", location)
    locs = [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "loc" and el.text and el.text.strip()]
    return kind, locs


def _line(error: InputError) -> str | None:
    return f"line {error.line}" if error.line else None


def gunzip(content: bytes, location: str, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, max_bytes + 1)
    except zlib.error as error:
        raise InputError(f"the gzip-compressed sitemap cannot be decompressed ({error}).", location) from None
    if len(data) > max_bytes:
        raise InputError(f"the sitemap is larger than {max_bytes // (1024 * 1024)} MB once decompressed; split it.", location)
    return data


def resolve_location(loc: str, sitemap: str) -> str | None:
    """An absolute page address; relative entries of a local sitemap are files beside it."""
    if is_url(loc):
        return loc
    if is_url(sitemap):
        target = urljoin(sitemap, loc)
        return target if is_url(target) else None
    if re.match(r"^[a-z][a-z0-9+.-]*:", loc, re.IGNORECASE):
        return None
    return str((Path(sitemap).parent / loc).resolve())


def decode_html(content: bytes, charset: str | None, location: str) -> str:
    """The page as text: byte-order mark, else the HTTP charset, else <meta charset>, else UTF-8; never a silent guess."""
    boms = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
    encoding, declared_by = next(((name, "its byte-order mark") for bom, name in boms if content.startswith(bom)), (None, ""))
    if encoding is None and charset:
        encoding, declared_by = charset, "the server's Content-Type header"
    if encoding is None:
        declared = XML_DECLARATION.match(content.lstrip()) or META_CHARSET.search(content[:4096])
        encoding, declared_by = (declared.group(1).decode("ascii"), "its own declaration") if declared else ("utf-8", "")
    try:
        return content.decode(encoding).lstrip("\ufeff")
    except LookupError:
        raise RecordFailed("encoding", f"{location}: {declared_by or 'the page'} names the unknown character encoding {encoding!r}.") from None
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
        claim = f"as {declared_by} says" if declared_by else "(the page declares no encoding, so UTF-8 was expected)"
        raise RecordFailed(
            "encoding",
            f"{location}, line {line}, column {column}: the page is not valid {encoding.upper()} {claim} "
            f"(bytes {content[error.start:error.start + 4].hex(' ')}). Save it as UTF-8 or declare the encoding it really uses.",
            f"line {line}, column {column}",
        ) from None


# -- extracting schema.org items: JSON-LD, microdata, RDFa -----------------------------------------


def extract_items(page: Page) -> tuple[list[Item], list[tuple[str, str, str]]]:
    """Top-level items of all three syntaxes, and (code, message, position) of each unreadable JSON-LD block."""
    roots, broken = jsonld_items(page)
    readers = [("microdata", lambda: [microdata_item(m, 0) for m in _Microdata().extract_items(page.tree, base_url=page.base)])]
    if page.tree.xpath("//*[@typeof]"):
        readers.append(("RDFa", lambda: rdfa_items(page)))
    for syntax, read in readers:
        try:
            roots += read()
        except Exception as error:  # noqa: BLE001 - a third-party parser failing on one page must not stop the harvest
            broken.append((f"{syntax.lower()}-unreadable", f"{page.location}: the {syntax} markup cannot be read ({error.__class__.__name__}: {error}).", syntax))
    return [r for r in roots if isinstance(r, Item)], broken


def jsonld_items(page: Page) -> tuple[list[Item], list[tuple[str, str, str]]]:
    roots: list[Item] = []
    broken: list[tuple[str, str, str]] = []
    scripts = page.tree.xpath("//script[contains(translate(@type, 'JSONLD', 'jsonld'), 'ld+json')]")
    for index, script in enumerate(scripts, start=1):
        raw = re.sub(r"^\s*(<!--|//\s*<!\[CDATA\[)|(-->|//\s*\]\]>)\s*$", "", script.xpath("string()"))
        try:
            data = json.loads(raw, strict=False)
        except json.JSONDecodeError as error:
            line = (script.sourceline or 1) + error.lineno - 1
            broken.append(("jsonld-syntax", f"{page.location}, line {line}: JSON-LD block {index} is not valid JSON "
                           f"({error.msg}, column {error.colno}); the block was not read. Check it with a JSON validator.", f"line {line}"))
            continue
        except (ValueError, RecursionError) as error:  # nesting or numbers beyond what Python reads
            broken.append(("jsonld-unreadable", f"{page.location}: JSON-LD block {index} cannot be read ({error.__class__.__name__}).", f"script[{index}]"))
            continue
        roots += _JsonLd(page).blocks(data)
    return resolve_references(roots, page), broken


@dataclass
class _Ref:
    id: str


class _JsonLd:
    """Compacted JSON-LD as schema.org writers use it: terms, "schema:" prefixes or full schema.org IRIs."""

    def __init__(self, page: Page):
        self.page = page

    def blocks(self, data: Any) -> list[Item]:
        items: list[Item] = []
        for block in data if isinstance(data, list) else [data]:
            if not isinstance(block, dict):
                continue
            prefixes, lang, is_schema = _context(block.get("@context"))
            if not is_schema and not any(local_name(t) != t for t in _as_list(block.get("@type"))):
                continue  # not schema.org (or no context at all): not ours to read
            for node in _as_list(block.get("@graph", block)):
                value = self.value(node, prefixes, lang, 0)
                items += [v for v in value if isinstance(v, Item)]
        return items

    def value(self, node: Any, prefixes: dict[str, str], lang: str | None, depth: int) -> list:
        if depth > MAX_DEPTH or node is None:
            return []
        if isinstance(node, list):
            return [v for n in node for v in self.value(n, prefixes, lang, depth + 1)]
        if isinstance(node, bool):
            return [Text("true" if node else "false")]
        if isinstance(node, (int, float, str)):
            return [Text(str(node), lang if isinstance(node, str) else None)]
        if not isinstance(node, dict):
            return []
        if "@value" in node:
            return [] if node["@value"] is None else [Text(str(node["@value"]), node.get("@language", lang))]
        if "@list" in node or "@set" in node:
            return self.value(node.get("@list", node.get("@set")), prefixes, lang, depth + 1)
        identifier = self._id(node.get("@id"))
        if set(node) <= {"@id"}:
            return [_Ref(identifier)] if identifier else []
        item = Item([local_name(_expand(t, prefixes)) for t in _as_list(node.get("@type")) if isinstance(t, str)], identifier)
        for key, raw in node.items():
            if not key.startswith("@"):
                item.props[local_name(_expand(key, prefixes))] = self.value(raw, prefixes, node.get("@language", lang), depth + 1)
        return [item]

    def _id(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        return value if value.startswith("_:") else urljoin(self.page.base, value)


def _context(context: Any) -> tuple[dict[str, str], str | None, bool]:
    prefixes: dict[str, str] = {}
    lang = None
    is_schema = False
    for entry in _as_list(context):
        if isinstance(entry, str):
            is_schema = is_schema or "schema.org" in entry
        elif isinstance(entry, dict):
            lang = entry.get("@language", lang)
            for key, value in entry.items():
                if isinstance(value, str) and "schema.org" in value:
                    is_schema = True
                    if not key.startswith("@"):
                        prefixes[key] = value
    return prefixes, lang, is_schema


def _expand(term: str, prefixes: dict[str, str]) -> str:
    prefix, _, rest = term.partition(":")
    return prefixes[prefix] + rest if rest and prefix in prefixes else term


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def resolve_references(roots: list[Item], page: Page) -> list[Item]:
    """Replace {"@id": …} references by the node of that @id on the page, or by the address itself."""
    index: dict[str, Item] = {}
    for item in walk(roots):
        if item.id and item.props:
            index.setdefault(item.id, item)
    for item in walk(roots):
        for name, values in item.props.items():
            item.props[name] = [_resolved(v, index) for v in values]
    return roots


def _resolved(value: Any, index: dict[str, Item]) -> Any:
    if isinstance(value, _Ref):
        return index.get(value.id, Text(value.id))
    if isinstance(value, Item) and value.id and not value.props and value.id in index:
        return index[value.id]
    return value


def walk(roots: list[Item]) -> Iterator[Item]:
    """Every item reachable from ``roots``, once, depth-limited."""
    seen: set[int] = set()
    stack = [(r, 0) for r in roots]
    while stack:
        item, depth = stack.pop()
        if id(item) in seen or depth > MAX_DEPTH:
            continue
        seen.add(id(item))
        yield item
        stack += [(v, depth + 1) for values in item.props.values() for v in values if isinstance(v, Item)]


class _LangText(str):
    lang: str | None = None


class _Microdata(LxmlMicrodataExtractor):
    """extruct's microdata, keeping the language (nearest lang attribute) of every text value."""

    def _extract_property_value(self, node, *args, **kwargs):
        value = super()._extract_property_value(node, *args, **kwargs)
        if isinstance(value, str):
            value = _LangText(value)
            value.lang = next(iter(node.xpath("ancestor-or-self::*[@lang][1]/@lang")), None)
        return value


def microdata_item(data: dict, depth: int) -> Item:
    types = _as_list(data.get("type"))
    item = Item([local_name(t) for t in types], data.get("id"))
    for name, raw in (data.get("properties") or {}).items():
        values = []
        for value in _as_list(raw):
            if isinstance(value, dict) and ("type" in value or "properties" in value) and depth < MAX_DEPTH:
                values.append(microdata_item(value, depth + 1))
            elif isinstance(value, str) and value.strip():
                values.append(Text(value.strip(), getattr(value, "lang", None)))
        item.props[local_name(name)] = values
    return item


def rdfa_items(page: Page) -> list[Item]:
    options = RdfaOptions(output_processor_graph=False, embedded_rdf=False, space_preserve=True, vocab_expansion=False, vocab_cache=False)
    options.host_language = HostLanguage.html5  # honours lang attributes and <time datetime>
    graph = RdfaProcessor(options, base=page.base).graph_from_DOM(page.tree, graph=Graph())
    nodes: dict[Any, Item] = {}
    for subject in graph.subjects(unique=True):
        nodes[subject] = Item([], None if isinstance(subject, BNode) else str(subject))
    # Sorted so that repeated values come in the same order on every run (rdflib graphs have none).
    for subject, predicate, obj in sorted(graph, key=lambda t: (str(t[1]), str(t[2]))):
        if str(predicate).startswith("http://www.w3.org/ns/rdfa#"):
            continue  # the RDFa processor's own statements (rdfa:usesVocabulary)
        if predicate == RDF.type:
            nodes[subject].types.append(local_name(str(obj)))
            continue
        value = nodes.get(obj) if not isinstance(obj, Literal) else None
        value = value or Text(str(obj), obj.language if isinstance(obj, Literal) else None)
        nodes[subject].props.setdefault(local_name(str(predicate)), []).append(value)
    objects = set(graph.objects())
    return [item for subject, item in nodes.items() if subject not in objects]


# -- which items are offers, and their keys --------------------------------------------------------------


def find_courses(roots: list[Item]) -> list[Item]:
    """Courses, programmes and stand-alone course instances, wherever on the page (not those inside a course)."""
    found: list[Item] = []
    seen: set[int] = set()

    def visit(item: Item, depth: int) -> None:
        if id(item) in seen or depth > MAX_DEPTH:
            return
        seen.add(id(item))
        if item.is_a(*COURSE_TYPES):
            found.append(item)
            return
        for values in item.props.values():
            for value in values:
                if isinstance(value, Item):
                    visit(value, depth + 1)

    for root in roots:
        visit(root, 0)
    instances = {id(v) for c in found if not c.is_a("CourseInstance") for v in c.props.get("hasCourseInstance", [])}
    return [c for c in found if id(c) not in instances]


def course_identifier(course: Item, page: Page, alone: bool) -> str | None:
    """The provider's own identifier of a course; the page address only for the one course of a page."""
    own_id = course.id if course.id and not course.id.startswith("_:") and course.id != page.base else None
    candidates = [own_id, course.peek("courseCode"), course.peek("url")]
    key = next((c for c in candidates if c), None)
    return key or (page.location if alone else None)


def instance_keys(course_key: str, course: Item, page: Page) -> list[tuple[str, Item | None]]:
    if course.is_a("CourseInstance"):
        return [(course_key, course)]
    instances = [i for i in course.items("hasCourseInstance") if i.props]
    if not instances:
        return [(course_key, None)]
    # Instances without an @id are told apart by start date, then place, then mode: only as much as needed.
    signatures = [((i.peek("startDate") or "")[:10], _place_name(i), "+".join(t.value for t in i.props.get("courseMode", []) if isinstance(t, Text)))
                  for i in instances]
    keys: list[tuple[str, Item | None]] = []
    for instance, signature in zip(instances, signatures):
        if instance.id and not instance.id.startswith("_:"):
            keys.append((instance.id, instance))
            continue
        width = next((w for w in (1, 2, 3) if sum(1 for s in signatures if s[:w] == signature[:w]) == 1), 3)
        keys.append(("/".join([course_key, *(p for p in signature[:width] if p)]), instance))
    if len({k for k, _ in keys}) < len(keys):
        raise RecordFailed("missing-identifier", f"{page.location}: the course {course_key} has several instances that cannot be told apart "
                           "(no @id, and the same start date, place and mode). Give each CourseInstance an @id.", course_key)
    return keys


def _place_name(instance: Item) -> str:
    place = next(iter(instance.props.get("location", [])), None)
    if isinstance(place, Item):
        return (place.peek("name") or place.id or "").strip()
    return place.value.strip() if isinstance(place, Text) else ""


def note_unused(context: HarvestContext, record: str, item: Item, path: str, seen: set[int] | None = None, depth: int = 0) -> None:
    """A "dropped" note for every property with a value that no mapping read."""
    seen = set() if seen is None else seen
    if id(item) in seen or depth > MAX_DEPTH:
        return
    seen.add(id(item))
    for name, values in item.props.items():
        if not values:
            continue
        if name not in item.used:
            context.note(record, f"{path}/{name}", "dropped", "; ".join(_preview(v) for v in values), "the catalogue has no place for this in ELM")
            continue
        for value in values:
            if isinstance(value, Item):
                note_unused(context, record, value, f"{path}/{name}", seen, depth + 1)


def _preview(value: Any) -> str:
    if isinstance(value, Text):
        return value.value
    return "/".join(value.types) or "item"


# -- schema.org fields to OfferFields -------------------------------------------------------------------

ATTENDANCE = {"OnlineEventAttendanceMode": "Online", "OfflineEventAttendanceMode": "Presential", "MixedEventAttendanceMode": "Blended"}
FREQUENCY = {"P1D": ("daily", "varje dag"), "DAILY": ("daily", "varje dag"), "P1W": ("weekly", "varje vecka"), "WEEKLY": ("weekly", "varje vecka"),
             "P2W": ("every other week", "varannan vecka"), "P1M": ("monthly", "varje månad"), "MONTHLY": ("monthly", "varje månad")}
DAYS = {"Monday": "måndag", "Tuesday": "tisdag", "Wednesday": "onsdag", "Thursday": "torsdag", "Friday": "fredag", "Saturday": "lördag", "Sunday": "söndag"}
FREE = re.compile(r"(?i)\b(free|gratis|kostnadsfri|avgiftsfri)\b")


class OfferMapper:
    """One offer: a course (or programme), and the instance it runs as, if any."""

    def __init__(self, context: HarvestContext, page: Page, key: str, course: Item, instance: Item | None):
        self.context = context
        self.page = page
        self.key = key
        self.course = course
        self.instance = instance if instance is not course else None
        self.lang = _tag(page.lang) or _tag(course.peek("inLanguage"))

    def fields(self) -> OfferFields:
        provider = self.provider()
        fields = OfferFields(self.key, self.titles(), provider, homepage=self.homepage())
        fields.descriptions = per_language(self.course.texts("description"), self.lang, join="\n\n")[0]
        fields.opportunity_type = "Educational programme" if self.course.is_a("EducationalOccupationalProgram", "WorkBasedProgram") else "Course"
        fields.languages = [t for t in (_term(v) for v in self.both("inLanguage")) if t]
        fields.course_code = self.course.text("courseCode")
        fields.modified = self.first("dateModified")
        fields.start, fields.end = self.first("startDate"), self.first("endDate")
        fields.application_deadline = self.course.text("applicationDeadline")
        self.modes(fields)
        self.workload(fields)
        fields.schedule_information = self.schedule(fields)
        self.credits(fields)
        self.levels_and_fields(fields)
        fields.learning_outcomes = [o for o in (self.outcome(v) for v in self.course.values("teaches")) if o]
        fields.entry_requirements = per_language(
            [t for v in self.course.values("coursePrerequisites", "programPrerequisites") for t in _named(v)], self.lang, join="; ")[0]
        self.prices(fields)
        fields.place = self.place(fields, provider)
        self.credential(fields, provider)
        return fields

    # -- helpers over the course and its instance

    def both(self, *names: str) -> list:
        """The instance's values if it has any, else the course's (both count as read)."""
        own = self.instance.values(*names) if self.instance is not None else []
        shared = self.course.values(*names)
        return own or shared

    def first(self, *names: str) -> str | None:
        return next((v.value.strip() for v in self.both(*names) if isinstance(v, Text) and v.value.strip()), None)

    def absolute(self, url: str | None) -> str | None:
        return urljoin(self.page.base, url) if url else url

    def note(self, field_name: str, kind: str, value: Any, detail: str) -> None:
        self.context.note(self.key, field_name, kind, value, detail)

    # -- the fields

    def titles(self) -> Texts:
        names = self.course.texts("name") or (self.instance.texts("name") if self.instance is not None else [])
        titles, extra = per_language(names, self.lang)
        for text in extra:
            self.note("name", "dropped", text.value, "a second title in the same language; one title per language is kept")
        return titles

    def homepage(self) -> str | None:
        url = self.absolute(self.first("url"))
        return url or (self.page.location if is_url(self.page.location) else None)

    def provider(self) -> OrganisationFields:
        found = next(iter(self.both("provider")), None)
        if found is None:
            self.note("provider", "guessed", self.context.source.name, "the page names no provider; the source's name was used")
            found = Text(self.context.source.name, self.lang)
        org = self.organisation(found)
        if org.country is None and self.context.option("country"):
            org.country = self.context.option("country")
            self.note("provider/address/addressCountry", "guessed", org.country, "the markup gives no country; the source's country option was used")
        return org

    def organisation(self, value: Item | Text) -> OrganisationFields:
        if isinstance(value, Text):
            return OrganisationFields(value.value, {value.lang or self.lang or "": value.value})
        names = per_language(value.texts("name", "legalName"), self.lang)[0]
        url = self.absolute(value.text("url"))
        key = url or value.id or next(iter(names.values()), "provider")
        address = next(iter(value.values("address")), None)
        street, _, country = self.address(address)
        identifier = next(iter(value.values("identifier")), None)
        scheme = identifier.text("propertyID") if isinstance(identifier, Item) else None
        number = identifier.text("value") if isinstance(identifier, Item) else identifier.value if isinstance(identifier, Text) else None
        email = value.text("email")
        postcode = address.text("postalCode") if isinstance(address, Item) else None
        return OrganisationFields(
            key, names or {self.lang or "": key}, country, url, street,
            email.removeprefix("mailto:") if email else None, value.text("telephone"), number, scheme, postcode=postcode,
        )

    def address(self, value: Item | Text | None) -> tuple[str | None, str | None, str | None]:
        """(full address, city, country) of a PostalAddress or a text."""
        if isinstance(value, Text):
            return value.value, None, None
        if not isinstance(value, Item):
            return None, None, None
        country = next((_term(c) for c in value.values("addressCountry")), None)
        town = " ".join(p for p in (value.text("postalCode"), value.text("addressLocality")) if p)
        parts = [value.text("streetAddress"), town, value.text("addressRegion")]
        return ", ".join(p for p in parts if p) or None, value.peek("addressLocality"), country

    def modes(self, fields: OfferFields) -> None:
        texts = [t.value for t in self.both("courseMode") if isinstance(t, Text)]
        texts += [t.value for t in self.course.texts("educationalProgramMode")]
        holder = self.instance if self.instance is not None else self.course
        texts += [ATTENDANCE.get(local_name(t.value), t.value) for t in holder.texts("eventAttendanceMode")]
        vocabulary = self.context.vocabulary
        for text in texts:
            # courseMode mixes delivery ("online"), pace ("full-time") and kind ("MOOC"): each goes where it belongs.
            if not vocabulary.match(MODE_SCHEME, text) and vocabulary.match(SCHEDULE_SCHEME, text):
                if fields.schedule and fields.schedule != text:
                    self.note("courseMode", "dropped", text, f"an offer has one learning schedule; {fields.schedule!r} came first")
                fields.schedule = fields.schedule or text
            elif not vocabulary.match(MODE_SCHEME, text) and vocabulary.match(OPPORTUNITY_TYPE_SCHEME, text):
                fields.opportunity_type = text
            else:
                fields.modes.append(text)

    def workload(self, fields: OfferFields) -> None:
        for text in self.both("courseWorkload"):
            hours = iso_hours(text.value, self, days=True) if isinstance(text, Text) else None
            if hours:
                fields.hours = fields.hours or hours
            elif isinstance(text, Text):
                self.note("courseWorkload", "dropped", text.value, "not an ISO 8601 duration in days, hours or minutes (such as PT40H)")
        durations = [t.value for t in self.course.texts("timeToComplete", "timeRequired")]
        durations += [t.value for t in self.instance.texts("duration")] if self.instance is not None else []
        for text in durations:
            hours = iso_hours(text, self, "timeToComplete")
            if hours:
                fields.hours = fields.hours or hours
            elif to_duration(text):
                fields.duration = fields.duration or text
            else:
                self.note("timeToComplete", "dropped", text, "not an ISO 8601 duration (such as P10W or PT40H)")

    def schedule(self, fields: OfferFields) -> Texts:
        schedule = next(iter(i for i in self.both("courseSchedule") if isinstance(i, Item)), None)
        if schedule is None:
            return {}
        hours = iso_hours(schedule.text("duration") or "", self, "courseSchedule/duration")
        frequency = schedule.text("repeatFrequency")
        en_freq, sv_freq = FREQUENCY.get((frequency or "").upper(), (frequency, frequency))
        count = to_number(schedule.text("repeatCount"))
        days = [local_name(t.value) for t in schedule.texts("byDay")]
        times = "–".join(t for t in (schedule.text("startTime"), schedule.text("endTime")) if t)
        en = [f"{hours} h" if hours else None, en_freq, f"{count} times" if count else None, ", ".join(days), times]
        sv = [f"{hours} tim" if hours else None, sv_freq, f"{count} gånger" if count else None, ", ".join(DAYS.get(d, d) for d in days), times]
        if hours and count and not fields.hours:
            fields.hours = str(round(float(hours) * float(count)))
            self.note("courseSchedule", "guessed", f"{hours} h × {count}", f"no workload given; {fields.hours} hours of teaching read as the workload")
        return {"en": _sentence(en), "sv": _sentence(sv)}

    def credits(self, fields: OfferFields) -> None:
        value = next(iter(self.course.values("numberOfCredits")), None)
        if value is None:
            return
        raw = value.value if isinstance(value, Text) else value.text("value") or ""
        unit = value.text("unitText", "unitCode") if isinstance(value, Item) else re.sub(r"[\d.,\s]+", " ", raw).strip() or None
        number = to_number(raw)
        if number is None:
            self.note("numberOfCredits", "dropped", raw, "not a number of credits")
        elif unit is None:
            fields.ects = number
            self.note("numberOfCredits", "guessed", raw, "no credit system given; read as ECTS credits (högskolepoäng)")
        elif self.context.vocabulary.match(CREDIT_SCHEME, unit):
            fields.ects, fields.credit_system = number, unit
        elif self.context.vocabulary.match(NATIONAL_CREDIT_SCHEME, unit):
            fields.national_credits.append((number, unit))  # "25 YH-poäng": YH points, never converted to ECTS
        else:
            self.note("numberOfCredits", "dropped", f"{raw} {unit}", "credits in a system neither on the EU list (ECTS, ECVET …) nor a national one the catalogue lists")

    def levels_and_fields(self, fields: OfferFields) -> None:
        levels = [_term(v) for v in self.course.values("educationalLevel")]
        subjects = [_term(v) for v in self.course.values("about")]
        for alignment in self.course.items("educationalAlignment"):
            kind = f"{alignment.text('alignmentType')} {alignment.text('educationalFramework')}".lower()
            target = _term(alignment)
            (levels if "level" in kind or "eqf" in kind else subjects).append(target)
        for credential in self.course.items("educationalCredentialAwarded", "occupationalCredentialAwarded"):
            levels += [_term(v) for v in credential.values("educationalLevel")]
        levels = [t for t in levels if t]
        eqf = [t for t in levels if re.search(r"(?i)eqf|snb/eqf/", t)] or levels
        fields.eqf_level = eqf[0] if eqf else None
        for other in (t for t in levels if t != fields.eqf_level):
            self.note("educationalLevel", "dropped", other, "one level is kept, an EQF level where one is given")
        for subject in (t for t in subjects if t):
            if self.is_isced(subject):
                fields.fields_of_education.append(subject)
            else:
                self.note("about", "dropped", subject, "not an ISCED-F field of education (code or label)")

    def is_isced(self, text: str) -> bool:
        vocabulary = self.context.vocabulary
        code = re.fullmatch(r"(?i)(?:isced(?:-f)?(?:\s*2013)?[\s:-]*)?(\d{2,4})", text.strip())
        iri = text if text.startswith("http") else f"http://data.europa.eu/snb/isced-f/{code.group(1)}" if code else ""
        return bool(vocabulary.match(ISCED_SCHEME, text)) or (bool(iri) and vocabulary.in_scheme(iri, ISCED_SCHEME))

    def outcome(self, value: Item | Text) -> Texts:
        return per_language(_named(value), self.lang, join=" ")[0]

    def prices(self, fields: OfferFields) -> None:
        for offer in (v for v in self.both("offers") if isinstance(v, Item)):
            spec = next(iter(offer.items("priceSpecification")), None)
            amount = offer.text("price", "lowPrice") or (spec.text("price") if spec else None)
            currency = offer.text("priceCurrency") or (spec.text("priceCurrency") if spec else None)
            category = offer.texts("category")
            if amount is None and category and FREE.search(category[0].value):
                amount = "0"
            fields.application_deadline = fields.application_deadline or offer.text("availabilityEnds", "validThrough")
            if amount is None:
                self.note("offers/price", "dropped", offer.text("name") or "Offer", "an offer without a price")
                continue
            label = per_language(offer.texts("name") or category, self.lang)[0]
            if currency is None and re.fullmatch(r"0+(?:[.,]0+)?", amount.strip()):
                # price "0" with no currency: free of charge; an amount only in a currency the source names (option `currency`).
                currency = self.context.option("currency")
                note = f"an amount of 0 in {currency} (source option `currency`)" if currency else "no amount, as no currency is known"
                self.note("offers/price", "guessed", amount, f"a price of 0 without a currency, read as free of charge; {note}")
                fields.prices.append(PriceFields("0" if currency else None, currency, {"en": "Free of charge", "sv": "Avgiftsfri"}, label))
                continue
            fields.prices.append(PriceFields(amount, currency, label))

    def place(self, fields: OfferFields, provider: OrganisationFields) -> PlaceFields | None:
        location = next(iter(self.both("location")), None)
        if isinstance(location, Item) and location.is_a("VirtualLocation"):
            if not fields.modes:
                fields.modes.append("Online")
                self.note("location", "guessed", location.text("url") or "VirtualLocation", "a virtual location: read as online")
            return None
        if location is None:
            return None
        name: Texts = {}
        if isinstance(location, Text):
            name, street, country = {location.lang or self.lang or "": location.value}, None, None
        elif location.is_a("PostalAddress"):
            street, _, country = self.address(location)
        else:
            name = per_language(location.texts("name"), self.lang)[0]
            street, _, country = self.address(next(iter(location.values("address")), None))
        if country is None and provider.country:
            country = provider.country
            self.note("location", "guessed", street or next(iter(name.values()), ""), "no country given; the provider's country was used")
        return PlaceFields(address=street, country=country, name=name)

    def credential(self, fields: OfferFields, provider: OrganisationFields) -> None:
        credentials = self.course.values("educationalCredentialAwarded", "occupationalCredentialAwarded")
        if not credentials:
            return
        issuer, recognisers = None, []
        for credential in credentials:
            if isinstance(credential, Text):
                self.note("educationalCredentialAwarded", "dropped", credential.value, "ELM offers carry no credential name; the awarding body is recorded")
                continue
            issuer = issuer or next(iter(credential.values("provider", "publisher", "author", "creator")), None)
            recognisers += credential.values("recognizedBy")
        if issuer is None:
            fields.awarding_body = provider
            self.note("educationalCredentialAwarded", "guessed", next(iter(provider.names.values()), provider.key), "no issuer given: the course provider is taken as the awarding body")
        else:
            fields.awarding_body = self.organisation(issuer)
        names = [n for r in recognisers for n in ([r.value] if isinstance(r, Text) else [r.text("name") or r.text("url")]) if n]
        if names:
            fields.quality_note = {"sv": f"Erkänd av {', '.join(names)}.", "en": f"Recognised by {', '.join(names)}."}


# -- small value helpers ------------------------------------------------------------------------------


def per_language(texts: list[Text], default: str | None, join: str | None = None) -> tuple[Texts, list[Text]]:
    """Texts by language (the text's own tag, else the page's); repeats are joined or returned apart."""
    found: Texts = {}
    extra: list[Text] = []
    for text in texts:
        value = text.value.strip()
        lang = (text.lang or default or "").strip()
        if not value:
            continue
        if lang not in found:
            found[lang] = value
        elif join is not None:
            found[lang] += join + value
        else:
            extra.append(text)
    return found, extra


def _named(value: Item | Text) -> list[Text]:
    """The texts that name a value: itself, or the name (targetName, description) of an item."""
    if isinstance(value, Text):
        return [value]
    return value.texts("name") or value.texts("targetName") or value.texts("description")


def _term(value: Item | Text) -> str | None:
    """Free text for a Text, DefinedTerm, AlignmentObject, Country or Language."""
    if isinstance(value, Text):
        return value.value.strip() or None
    code = value.text("termCode", "alternateName", "identifier")
    framework = (value.text("inDefinedTermSet", "educationalFramework") or "").lower()
    url = value.text("targetUrl", "url")
    name = value.text("name", "targetName")
    if code and "eqf" in framework:
        return f"http://data.europa.eu/snb/eqf/{code}" if re.fullmatch(r"[1-8]", code) else f"EQF {code}"
    if url and "data.europa.eu/snb/" in url:
        return url
    return code or name or url


def _sentence(parts: list[str | None]) -> str:
    text = ", ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def _tag(value: str | None) -> str | None:
    return value.strip() if value and LANGUAGE_TAG.match(value.strip()) else None


def iso_hours(text: str, mapper: OfferMapper | None = None, field_name: str = "courseWorkload", days: bool = False) -> str | None:
    """Whole hours from an ISO 8601 duration ("PT40H", "PT90M"; with ``days`` also "P8DT8H", a day being 24 hours
    as in xsd:duration, the form Oxigraph and many ELM tools write); None for weeks, months, years."""
    found = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?)?", text.strip().upper())
    if not found or not any(found.groups()) or (found.group(1) and not days and found.group(1) != "0"):
        return None
    hours = 24 * Decimal(found.group(1) or "0") + Decimal((found.group(2) or "0").replace(",", ".")) + Decimal((found.group(3) or "0").replace(",", ".")) / 60
    whole = max(hours.quantize(Decimal(1), rounding=ROUND_HALF_UP), Decimal(1))
    if whole != hours and mapper is not None:
        # xsd:duration allows fractions only of seconds, and ELM states the workload in hours.
        mapper.note(field_name, "guessed", text, f"rounded to {whole} hours")
    return str(whole)
