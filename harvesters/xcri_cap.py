"""``xcri-cap``: XCRI-CAP 1.2 course feeds, the UK and Irish binding of EN 15982 (Metadata for Learning Opportunities).

A feed is one XML document: ``catalog`` > ``provider`` > ``course`` > ``presentation``
(a presentation is one run of a course: its dates, place, mode and price).
Each presentation becomes one offer, keyed by the provider's, the course's and
the presentation's own ``dc:identifier``; a course without presentations
becomes one offer keyed by the course. Inheritable elements (descriptions,
subjects, the descriptive elements) follow the XCRI-CAP 1.2 rule: what a
presentation says replaces what its course says.

Parsing is defused: any entity declaration (billion laughs, external
entities) makes the feed unreadable, nothing is fetched. The encoding comes
from a byte-order mark, the HTTP charset or the XML declaration, and a wrong
declaration is an error naming the line.

Options: ``country`` (provider country when the feed's addresses name none),
``currency`` (when a cost names none), ``language`` (for texts without
``xml:lang``, default ``en``), ``level_framework`` (``eqf`` or ``nfq-ie``: how to
read a bare "Level 6"), ``assume_defaults`` (default true: the XCRI-CAP
defaults Full time / Campus when a presentation gives no study or attendance
mode), ``objectives_as_outcomes`` (default false).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import pyoxigraph as ox
from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

from catalogue.errors import InputError
from catalogue.harvest.contract import (
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    SourceUnavailable,
)
from catalogue.harvest.rdfio import _declared_encoding, check_xml_entities, to_utf8
from catalogue.namespaces import SKOS
from catalogue.vocab import (
    ASSESSMENT_SCHEME,
    COUNTRY_SCHEME,
    CURRENCY_SCHEME,
    MODE_SCHEME,
    SCHEDULE_SCHEME,
    normalise,
)

from .elm import (
    OfferFields,
    OrganisationFields,
    PlaceFields,
    PriceFields,
    Texts,
    build_offer,
    parse_price,
    to_duration,
)

XCRI, XCRI_11 = "http://xcri.org/profiles/1.2/catalog", "http://xcri.org/profiles/catalog"
TERMS = ("http://xcri.org/profiles/1.2/catalog/terms", "http://xcri.org/profiles/catalog/terms")  # feeds use both
MLO, CM = "http://purl.org/net/mlo", "http://purl.org/net/cm"
DC = ("http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/")
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"

# The XCRI-CAP 1.2 recommended values: two-letter code -> label (the labels are what vocab matching reads).
STUDY_MODES = {"FL": "Flexible", "FT": "Full time", "PF": "Part of a full time programme", "PT": "Part time", "NK": ""}
ATTENDANCE_MODES = {"CM": "Campus", "DA": "Distance with attendance", "DS": "Distance without attendance",
                    "NC": "Face-to-face non-campus", "MM": "Mixed mode", "ON": "Online (no attendance)", "WB": "Work-based", "NK": ""}
ATTENDANCE_PATTERNS = {"DT": "Daytime", "EV": "Evening", "TW": "Twilight", "DR": "Day/Block release", "WE": "Weekend", "CS": "Customised", "NK": ""}
# Irish NFQ level -> EQF level, from the referencing of the NFQ to the EQF (NQAI, 2009); used only for levels that name the NFQ.
NFQ_TO_EQF = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 6, 9: 7, 10: 8}
# Descriptive elements and xcriTerms description types -> what they become; None: not carried.
DESCRIPTIVE = {"abstract": "abstract", "applicationProcedure": "admission", "assessment": "assessment",
               "learningOutcome": "outcomes", "objective": "objective", "prerequisite": "prerequisite", "regulations": None}
TERM_KINDS = {"aim": "objective", "objective": "objective", "learningOutcome": "outcomes", "assessmentStrategy": "assessment",
              "prerequisite": "prerequisite", "entryProfile": "prerequisite", "applicationProcedure": "admission",
              "studyHours": "hours", "contactHours": "schedule", "contactPattern": "schedule", "leadsTo": "pathways"}
HANDLED = {
    "course": {"dc:identifier", "dc:title", "dc:description", "dc:subject", "dc:type", "url", "qualification", "credit",
               "presentation", "level", *DESCRIPTIVE},
    "presentation": {"dc:identifier", "dc:title", "dc:description", "dc:subject", "url", "start", "end", "duration",
                     "applyUntil", "applyTo", "studyMode", "attendanceMode", "attendancePattern", "languageOfInstruction",
                     "cost", "venue", *DESCRIPTIVE},
    "provider": {"dc:identifier", "dc:title", "url", "location", "course"},
    "catalog": {"provider"},
}
WHY_DROPPED = {
    "places": "ELM has no number of places", "age": "ELM has no age range", "applyFrom": "ELM has only an application deadline",
    "languageOfAssessment": "ELM offers have no language of assessment", "image": "images are not carried",
    "dc:date": "XCRI-CAP says to use start and end instead", "engagement": "only studyMode and attendanceMode are read",
    "hasPart": "organisational parts are not learning opportunities", "isPartOf": "organisational parts are not learning opportunities",
    "fax": "ELM contact points have no fax", "regulations": "ELM has no property for regulations",
}
# What a learner reads for a placeholder start date, in the feed's language (English when another).
# Subject schemes UK feeds name in xsi:type, as the catalogue's derivation tables call them.
SUBJECT_SCHEMES = ("hecos", "jacs", "ldcs", "cip")
FLEXIBLE_START = {"en": "Flexible start: you can start at any time.", "ga": "Tosú solúbtha: is féidir tosú am ar bith.",
                  "cy": "Dechrau hyblyg: gallwch ddechrau unrhyw bryd."}
BLOCKS = {"p", "div", "li", "br", "ul", "ol", "dd", "dt", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
DTF = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?")


class XcriCapHarvester(Harvester):
    kind = "xcri-cap"
    title = "XCRI-CAP 1.2 course feeds (UK/Irish XML binding of EN 15982 Metadata for Learning Opportunities)"
    mapping = [
        ("catalog/provider/course/presentation", "elm:LearningOpportunity", "one offer per presentation; key = provider + course + presentation dc:identifier"),
        ("course without presentation", "elm:LearningOpportunity", "one offer keyed by provider + course"),
        ("dc:title (xml:lang), presentation over course", "dcterms:title", "one per language; untagged texts in option `language` (default en)"),
        ("dc:description (no xsi:type), else abstract; objective, xcriTerms:aim/objective", "dcterms:description", "XHTML read as text"),
        ("learningOutcome, xcriTerms:learningOutcome", "spec elm:learningOutcome", "one outcome per XHTML list item"),
        ("mlo:assessment, xcriTerms:assessmentStrategy", "spec elm:provenBy (title, dcterms:type)", "type only where an EU assessment label occurs in the text (guessed)"),
        ("mlo:prerequisite, xcriTerms:prerequisite/entryProfile", "spec elm:entryRequirement", "note"),
        ("applicationProcedure, xcriTerms:applicationProcedure", "elm:admissionProcedure", "note"),
        ("xcriTerms:contactHours/contactPattern, attendancePattern, text-only dates", "elm:scheduleInformation", "note"),
        ("xcriTerms:leadsTo", "spec elm:additionalNote (qt:pathways)", "note"),
        ("xcriTerms:studyHours", "spec elm:volumeOfLearning", "'N hours' only (guessed)"),
        ("dc:subject (untyped, or xsi:type naming ISCED)", "spec elm:ISCEDFCode", "vocab match; JACS/LDCS/HECoS codes dropped"),
        ("dc:type (untyped)", "dcterms:type", "vocab match"),
        ("qualification/dcterms:educationLevel, mlo:level", "spec elm:educationLevel", "EQF when it says EQF; Irish NFQ via NFQ_TO_EQF (guessed); other national levels unmapped"),
        ("qualification/awardedBy", "spec elm:awardingOpportunity/elm:awardingBody", "absent: the provider (XCRI-CAP 1.2)"),
        ("qualification/accreditedBy", "spec elm:additionalNote (qt:accreditation-and-quality-assurance)", "generated English sentence"),
        ("credit (credit:scheme ECTS or ECVET, credit:value)", "spec elm:creditPoint", "other schemes unmapped"),
        ("presentation/studyMode (@identifier or text)", "elm:learningSchedule", "vocab match; absent: Full time (guessed)"),
        ("presentation/attendanceMode (@identifier or text)", "elm:mode", "vocab match; absent: Presential (guessed)"),
        ("mlo:start, end, applyUntil (@dtf, else ISO text)", "dcterms:temporal, elm:applicationDeadline", "other text to scheduleInformation"),
        ("mlo:duration (@interval, else 'N weeks')", "elm:duration", "xsd:duration"),
        ("mlo:cost", "elm:priceDetail", "first amount; currency from code or symbol, else option `currency` (guessed)"),
        ("mlo:languageOfInstruction", "dcterms:language, elm:defaultLanguage", "vocab match"),
        ("presentation url, else course url, else course dc:identifier URL", "foaf:homepage", ""),
        ("applyTo", "elm:supplementaryDocument", "where to apply"),
        ("venue/provider (title, location)", "elm:location", "country from the venue, else the provider's (guessed)"),
        ("provider (dc:title, mlo:url, location, phone, email)", "elm:providedBy (elm:Organisation)", "country from an address line, else option `country` (guessed)"),
        ("everything else (places, age, applyFrom, languageOfAssessment, image, …)", "—", "mapping note 'dropped'"),
    ]

    def gather(self) -> Iterator[RecordRef]:
        for index, location in enumerate(self.context.source.urls):
            try:
                feed = self._read(location)
            except InputError as error:
                if index == 0:
                    raise SourceUnavailable(str(error), getattr(error, "status", None)) from None
                raise
            yield from self._records(feed)

    def map(self, ref: RecordRef, item: _Item) -> MappedRecord:
        if item.problem:
            raise RecordFailed(item.problem[0], item.problem[1], item.position)
        iri, triples = build_offer(_Mapper(self.context, ref.key, item).fields(), self.context)
        return MappedRecord(ref.key, triples, [iri])

    # -- reading -------------------------------------------------------------------

    def _read(self, location: str) -> _Feed:
        fetched = self.context.http.get(location, accept=ACCEPT)
        self.context.fetched.append(fetched)
        content = fetched.content
        head = content[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
        if not head:
            raise InputError("the feed is empty.", location)
        if head.startswith((b"<!doctype html", b"<html")):
            said = f" (the server said {fetched.content_type})" if fetched.content_type else ""
            raise InputError(f"this is an HTML web page{said}, not an XCRI-CAP feed. Check the feed address in the configuration.", location)
        feed = parse_feed(content, location, fetched.charset)
        _check_root(feed)
        if fetched.content_type and "xml" not in fetched.content_type:
            self.context.note(location, "Content-Type", "guessed", fetched.content_type,
                              "the body is XML and was read as XCRI-CAP; serve the feed as application/xml")
        return feed

    def _records(self, feed: _Feed) -> Iterator[RecordRef]:
        if _name(feed.root) == "catalog":
            _drop_unhandled(self.context, feed.location, feed.root, "catalog")
        providers = _children(feed.root, "provider") if _name(feed.root) == "catalog" else [feed.root]
        seen: set[str] = set()
        for p_index, provider in enumerate(providers, start=1):
            provider_id = _identifier(provider) or _text(_first(provider, "url"))
            _drop_unhandled(self.context, provider_id or feed.location, provider, "provider")
            for c_index, course in enumerate(_children(provider, "course"), start=1):
                where = (f"provider[{p_index}]/" if len(providers) > 1 else "") + f"course[{c_index}]"
                presentations = _children(course, "presentation") or [None]
                for r_index, presentation in enumerate(presentations, start=1):
                    place = where + (f"/presentation[{r_index}]" if presentation is not None else "")
                    if any(e is not None and e.get("recstatus") == "3" for e in (course, presentation)):
                        continue  # the delta-update pattern's "deleted": no offer
                    yield self._ref(feed, provider, provider_id, course, presentation, place, seen)

    def _ref(self, feed: _Feed, provider: Element, provider_id: str, course: Element, presentation: Element | None,
             place: str, seen: set[str]) -> RecordRef:
        parts = [("provider", provider, provider_id), ("course", course, _identifier(course))]
        if presentation is not None:
            parts.append(("presentation", presentation, _identifier(presentation)))
        item = _Item(feed, provider, course, presentation, place)
        missing = next(((label, el) for label, el, value in parts if not value), None)
        key = " ".join(value for _, _, value in parts)
        if missing:
            item.problem = ("missing-identifier", f"{feed.location}: the {missing[0]} at {place} has no dc:identifier, so its offer "
                            "cannot be kept apart from others; give every provider, course and presentation a dc:identifier.")
            item.line = feed.lines.get(missing[1])
            key = f"{feed.location}#{place}"
        elif key in seen:
            item.problem = ("duplicate-identifier", f"{feed.location}: the {parts[-1][0]} at {place} repeats the identifier "
                            f"{parts[-1][2]!r} of an earlier one; identifiers must be unique.")
            item.line = feed.lines.get(parts[-1][1])
            key = f"{key} ({place})"
        seen.add(key)
        return RecordRef(key, f"{feed.location}#{place}", item)


def _check_root(feed: _Feed) -> None:
    """XCRI-CAP 1.2 allows catalog and provider as the top element (and course, which names no provider: not read)."""
    root = feed.root
    if _name(root) in ("catalog", "provider"):
        return
    if root.tag.rpartition("}")[2].lower() == "html":
        raise InputError("this is an HTML web page, not an XCRI-CAP feed. Check the feed address in the configuration.", feed.location)
    hint = " (XCRI-CAP 1.1; publish XCRI-CAP 1.2)" if root.tag.startswith("{" + XCRI_11 + "}") else ""
    if _name(root) == "course":
        hint = " (a single course names no provider; publish the catalog)"
    raise InputError(f"the document is not an XCRI-CAP 1.2 catalog: its top element is {root.tag}{hint}.", feed.location, feed.lines.get(root))


# -- the document ----------------------------------------------------------------------


@dataclass
class _Feed:
    location: str
    root: Element
    lines: dict
    scopes: dict  # element -> in-scope namespace prefixes, to read xsi:type QNames
    langs: dict  # element -> inherited xml:lang
    heads: dict = field(default_factory=dict)

    def head(self, provider: Element) -> list[Element]:
        """A provider's own elements without its courses (a feed may hold thousands of courses)."""
        if provider not in self.heads:
            self.heads[provider] = [child for child in provider if _name(child) != "course"]
        return self.heads[provider]

    def xsi_type(self, element: Element) -> tuple[str, str] | None:
        value = (element.get(XSI_TYPE) or "").strip()
        if not value:
            return None
        prefix, _, local = value.rpartition(":")
        return self.scopes.get(element, {}).get(prefix, prefix), local


@dataclass
class _Item:
    feed: _Feed
    provider: Element
    course: Element
    presentation: Element | None
    where: str
    problem: tuple[str, str] | None = None
    line: int | None = None

    @property
    def position(self) -> str:
        line = self.line or self.feed.lines.get(self.presentation if self.presentation is not None else self.course)
        return f"{self.where}, line {line}" if line else self.where


class _Builder(TreeBuilder):
    """An ElementTree builder that remembers each element's line, namespace prefixes and xml:lang."""

    def __init__(self) -> None:
        super().__init__()
        self.parser = None
        self.lines: dict = {}
        self.scopes: dict = {}
        self.langs: dict = {}
        self._stack: list[tuple[dict, str | None]] = [({}, None)]
        self._pending: dict = {}

    def start_ns(self, prefix: str, uri: str) -> None:
        self._pending[prefix] = uri

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        scope, lang = self._stack[-1]
        if self._pending:
            scope, self._pending = {**scope, **self._pending}, {}
        lang = attrs.get(XML_LANG, lang)
        self._stack.append((scope, lang))
        self.scopes[element], self.langs[element] = scope, lang
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag):
        self._stack.pop()
        return super().end(tag)


def parse_feed(content: bytes, location: str, charset: str | None = None) -> _Feed:
    """Decode and parse an XCRI-CAP document safely; InputError names the place when it cannot be read."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    data = _decode(content, location, charset)
    check_xml_entities(data, location, content)
    try:
        parser.feed(data)
        root = parser.close()
    except EntitiesForbidden as error:
        raise InputError(f"the feed declares the XML entity '{error.name}'. Entity declarations are refused because they are used "
                         "for attacks (entity expansion, reading files); remove the DOCTYPE's entities.", location) from None
    except DefusedXmlException as error:
        raise InputError(f"the feed refers to an external document ({error}), which the catalogue never fetches.", location) from None
    except ParseError as error:
        line, column = error.position
        message = re.sub(r": line \d+, column \d+$", "", str(error))
        if message == "no element found":
            message = "the document ends before its XML is complete (it may have been cut off)"
        raise InputError(f"this is not well-formed XML: {message}.", location, line, column + 1) from None
    return _Feed(location, root, builder.lines, builder.scopes, builder.langs)


def _decode(content: bytes, location: str, charset: str | None) -> bytes:
    """UTF-8 bytes, or InputError when the declared encoding is wrong (also UTF-8 declared as Latin-1, which never fails to decode)."""
    encoding, declared_by = _declared_encoding(content, charset, ox.RdfFormat.RDF_XML)
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name in ("iso8859-1", "cp1252", "iso8859-15") and not content.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            start = next(i for i, byte in enumerate(content) if byte >= 0x80)
            line = content.count(b"\n", 0, start) + 1
            sample = content[start:start + 2].decode("utf-8", "replace")
            raise InputError(f"{declared_by} says {encoding}, but the bytes are UTF-8 (for example {content[start:start + 2].hex(' ')}, "
                             f"'{sample}'). Declare encoding=\"UTF-8\" or save the file as {encoding}.", location, line)
    return to_utf8(content, location, charset, ox.RdfFormat.RDF_XML)


# -- element helpers ------------------------------------------------------------------


def _name(element: Element) -> str:
    """XCRI-CAP's name for an element: 'dc:title', 'credit:value', or the local name for the xcri and mlo families."""
    namespace, _, local = element.tag[1:].rpartition("}") if element.tag.startswith("{") else ("", "", element.tag)
    if namespace in DC:
        return "dc:" + local
    if namespace == CM:
        return "credit:" + local
    return local if namespace in (XCRI, MLO) else element.tag


def _children(element: Element | list[Element] | None, name: str) -> list[Element]:
    return [child for child in element if _name(child) == name] if element is not None else []


def _first(element: Element | list[Element] | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element | None) -> str:
    """The text of an element as a learner reads it: XHTML blocks and blank lines become line breaks, list items bullets."""
    if element is None:
        return ""
    parts: list[str] = []
    breaks = re.compile(r"\n\s*\n")  # a blank line in plain text is a paragraph break; "\0" marks breaks (XML text has none)

    def walk(node: Element) -> None:
        parts.append(breaks.sub("\0", node.text or ""))
        for child in node:
            local = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
            block = local in BLOCKS
            parts.append("\0• " if local == "li" else "\0" if block else "")
            walk(child)
            parts.append(("\0" if block else "") + breaks.sub("\0", child.tail or ""))

    walk(element)
    lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(parts).split("\0"))
    return "\n".join(line for line in lines if line and line != "•")


def _items(element: Element) -> list[str]:
    """List items of an XHTML list, or the whole text as one item."""
    items = [_text(li) for li in element.iter() if isinstance(li.tag, str) and li.tag.rpartition("}")[2] == "li"]
    return [i for i in items if i] or [_text(element)]


def _identifier(element: Element) -> str:
    """The default identifier: the first dc:identifier without xsi:type (the one XCRI-CAP says is a URI), else the first."""
    identifiers = [i for i in _children(element, "dc:identifier") if _text(i)]
    untyped = [i for i in identifiers if not i.get(XSI_TYPE)]
    return _text((untyped or identifiers)[0]) if identifiers else ""


def _drop_unhandled(context, record: str, element: Element, level: str) -> None:
    """A 'dropped' note for every child of a known XCRI-CAP element that the catalogue does not read."""
    for child in element:
        name = _name(child)
        if name == "location" and level == "provider":
            for part in child:
                if _name(part) not in ("street", "address", "town", "postcode", "phone", "email", "country") and _text(part):
                    why = WHY_DROPPED.get(_name(part), "ELM addresses have no such part")
                    context.note(record, f"provider/location/{_name(part)}", "dropped", _text(part), why)
        if name in HANDLED[level]:
            continue
        value = _text(child) or " ".join(f"{k.rpartition('}')[2]}={v}" for k, v in child.attrib.items())
        if value:
            context.note(record, f"{level}/{name}", "dropped", value, WHY_DROPPED.get(name, "ELM has no place for this XCRI-CAP element"))


# -- mapping one record --------------------------------------------------------------


class _Mapper:
    """Fills OfferFields from one presentation (or course), writing a mapping note for every guess and every dropped value."""

    def __init__(self, context, key: str, item: _Item):
        self.context, self.key, self.item, self.feed = context, key, item, item.feed
        self.course, self.presentation = item.course, item.presentation
        self.default_lang = str(context.option("language", "en"))
        self.schedule_lines: dict[str, list[str]] = {}
        self.flexible_start: dict[str, str] = {}
        self.lang_noted = False

    def note(self, field_name: str, kind: str, value, detail: str = "") -> None:
        self.context.note(self.key, field_name, kind, value, detail)

    def lang(self, element: Element) -> str:
        lang = self.feed.langs.get(element)
        if not lang and self.context.option("language") is None and not self.lang_noted:
            self.lang_noted = True
            self.note("xml:lang", "guessed", self.default_lang,
                      "the feed gives no xml:lang; its texts were read as English (set the source option `language`)")
        return lang or self.default_lang

    def texts(self, elements: list[Element], field_name: str, join: bool = True) -> Texts:
        out: Texts = {}
        for element in elements:
            text = _text(element)
            if not text:
                continue
            lang = self.lang(element)
            if lang in out and not join:
                self.note(field_name, "dropped", text, f"a second {field_name} in the same language ({lang})")
            out[lang] = f"{out[lang]}\n\n{text}" if lang in out and join else out.get(lang, text)
        return out

    # -- the whole offer -----------------------------------------------------------

    def fields(self) -> OfferFields:
        pres = self.presentation
        for element, level in ((self.course, "course"), (pres, "presentation")):
            if element is not None:
                _drop_unhandled(self.context, self.key, element, level)
        provider = _organisation(self, self.item.provider)
        titles = {**self.texts(_children(self.course, "dc:title"), "title", join=False),
                  **self.texts(_children(pres, "dc:title"), "title", join=False)}
        fields = OfferFields(key=self.key, titles=titles, provider=provider)
        self.descriptive(fields)
        self.qualification(fields, provider)
        self.credits(fields)
        self.subjects(fields)
        fields.homepage, fields.further_information_url = self.homepage()
        fields.course_code = _identifier(pres) if pres is not None else _identifier(self.course)
        types = [t for t in _children(self.course, "dc:type") if _text(t)]
        fields.opportunity_type = _text(types[0]) if types and not types[0].get(XSI_TYPE) else None
        for extra in types[0 if fields.opportunity_type is None else 1:]:
            self.note("course/dc:type", "dropped", _text(extra), "only one untyped dc:type is read as the opportunity type")
        if pres is not None:
            self.engagement(fields)
            self.dates(fields)
            self.cost(fields)
            fields.languages = [_text(e) for e in _children(pres, "languageOfInstruction") if _text(e)]
            fields.place = self.venue(provider)
        fields.schedule_information = {lang: "\n".join(lines) for lang, lines in self.schedule_lines.items()}
        fields.flexible_start = dict(self.flexible_start)
        return fields

    def schedule(self, element: Element, text: str) -> None:
        self.schedule_lines.setdefault(self.lang(element), []).append(text)

    # -- descriptions ----------------------------------------------------------------

    def collect(self, owner: Element | None, level: str, quiet: bool = False) -> dict[str, list[Element]]:
        found: dict[str, list[Element]] = {}
        note = (lambda *args: None) if quiet else self.note  # a second reading of the same elements notes nothing twice
        for child in owner if owner is not None else []:
            name = _name(child)
            if name == "dc:description":
                typed = self.feed.xsi_type(child)
                kind = "description" if typed is None else TERM_KINDS.get(typed[1]) if typed[0] in (*TERMS, "xcriTerms") else None
                label = f"{level}/dc:description" + (f"[{typed[1]}]" if typed else "")
            elif name in DESCRIPTIVE:
                kind, label = DESCRIPTIVE[name], f"{level}/{name}"
            else:
                continue
            text = _text(child)
            if not text and child.get("href"):
                note(label, "dropped", child.get("href"), "a link instead of text; the catalogue carries the text itself")
            elif text and kind is None:
                note(label, "dropped", text, WHY_DROPPED.get(name, "no ELM property for this kind of description"))
            elif text:
                found.setdefault(kind, []).append(child)
        return found

    def descriptive(self, fields: OfferFields) -> None:
        own = self.collect(self.presentation, "presentation")
        found = {**self.collect(self.course, "course"), **own}
        # A presentation's description is usually a short line about one run ("Evening class in Ennis"): it must not
        # replace the course's full description, so the course's stays the description and the run's becomes a note.
        course_text = self.texts(self.collect(self.course, "course", quiet=True).get("description", []), "description")
        run_text = self.texts(own.get("description", []), "description")
        fields.descriptions = course_text or run_text
        if course_text and run_text:
            fields.offer_notes.append({lang: text for lang, text in run_text.items() if text not in course_text.values()})
            found["description"] = []
        if found.get("abstract"):
            if fields.descriptions:
                self.note("abstract", "dropped", _text(found["abstract"][0]), "the full description was used")
            else:
                fields.descriptions = self.texts(found["abstract"], "abstract")
        outcomes = found.get("outcomes", [])
        if not outcomes and found.get("objective") and self.context.option("objectives_as_outcomes", False):
            outcomes = found.pop("objective")
            self.note("objective", "guessed", _text(outcomes[0]), "read as learning outcomes (source option objectives_as_outcomes)")
        for lang, text in self.texts(found.get("objective", []), "objective").items():
            fields.descriptions[lang] = f"{fields.descriptions[lang]}\n\n{text}" if lang in fields.descriptions else text
        fields.learning_outcomes = [{self.lang(e): item} for e in outcomes for item in _items(e)]
        fields.entry_requirements = self.texts(found.get("prerequisite", []), "prerequisite")
        fields.admission = self.texts(found.get("admission", []), "applicationProcedure")
        fields.stackability = self.texts(found.get("pathways", []), "leadsTo")
        for element in found.get("schedule", []):
            self.schedule(element, _text(element))
        for element in found.get("hours", []):
            hours = re.search(r"(\d+(?:[.,]\d+)?)\s*(?:hours|hrs|h)\b", _text(element), re.IGNORECASE)
            if hours and not fields.hours:
                fields.hours = hours.group(1)
                self.note("xcriTerms:studyHours", "guessed", _text(element), f"read as a workload of {hours.group(1)} hours")
            else:
                why = "a second study-hours text; the first was used" if hours else "no number of hours in it"
                self.note("xcriTerms:studyHours", "dropped", _text(element), why)
        if found.get("assessment"):
            self.assessment(fields, found["assessment"])

    def assessment(self, fields: OfferFields, elements: list[Element]) -> None:
        texts = self.texts(elements, "assessment")
        words = " " + " ".join(normalise(t) for t in texts.values()) + " "
        for concept, label in _assessment_labels(self.context.vocabulary):
            if (f" {label} " in words or f" {label}s " in words) and concept not in fields.assessment_types:
                fields.assessment_types.append(concept)
                read_as = f"{self.context.vocabulary.label(concept)} <{concept}>"
                self.note("assessment", "guessed", label, f"found in the assessment text; read as {read_as}")
        if fields.assessment_types:
            fields.assessment_title = texts
        else:
            self.note("assessment", "unmapped", next(iter(texts.values())), "no EU assessment type is named in the text, so it was not carried")

    # -- level, awarding body, quality assurance, credits ---------------------------------------

    def qualification(self, fields: OfferFields, provider: OrganisationFields) -> None:
        qualifications = _children(self.course, "qualification")
        for extra in qualifications[1:]:
            self.note("course/qualification", "dropped", _text(_first(extra, "dc:title")) or "(untitled)", "only the first qualification is read")
        levels = [(e, "qualification/educationLevel") for q in qualifications[:1] for e in _children(q, "dc:educationLevel") + _children(q, "level")]
        levels += [(e, "course/level") for e in _children(self.course, "level")]
        for element, field_name in levels:
            if _text(element) and not fields.eqf_level:
                fields.eqf_level = self.eqf(_text(element), field_name)
                if not fields.eqf_level:
                    self.keep_level(fields, element)
            elif _text(element):
                self.note(field_name, "dropped", _text(element), "a level was already taken from an earlier element; kept as a note")
                self.keep_level(fields, element)
        if not qualifications:
            return
        qualification = qualifications[0]
        title = _text(_first(qualification, "dc:title"))
        awarded_by = _text(_first(qualification, "awardedBy"))
        if not awarded_by or awarded_by in provider.names.values():
            fields.awarding_body = provider
        else:
            fields.awarding_body = self.body(_first(qualification, "awardedBy"), provider)
        accredited_by = _text(_first(qualification, "accreditedBy"))
        if accredited_by:
            named = f' "{title}"' if title else ""
            fields.quality_note = {"en": f"The qualification{named} is accredited by {accredited_by}."}
        for child in qualification:
            if _name(child) not in ("dc:title", "dc:educationLevel", "level", "awardedBy", "accreditedBy") and _text(child):
                self.note(f"qualification/{_name(child)}", "dropped", _text(child),
                          "ELM offers carry the awarding body, level and quality assurance of a qualification only")
        if title and not accredited_by:
            self.note("qualification/dc:title", "dropped", title, "ELM offers have no place for the name of the award")

    def body(self, element: Element, provider: OrganisationFields) -> OrganisationFields:
        name = _text(element)
        if provider.country:
            self.note("qualification/awardedBy", "guessed", name, "the awarding body's country was taken to be the provider's")
        return OrganisationFields(key=f"awarding-body {name}", names={self.lang(element): name}, country=provider.country)

    def eqf(self, text: str, field_name: str) -> str | None:
        eqf = re.search(r"\beqf\D{0,12}?\b([1-8])\b", text, re.IGNORECASE)
        nfq = re.search(r"\b(?:nfq|qqi|fetac|hetac)\b\D{0,20}?\b(\d{1,2})\b|\b(\d{1,2})\b\D{0,20}?\b(?:nfq|qqi|fetac|hetac)\b", text, re.IGNORECASE)
        bare = re.fullmatch(r"(?:level\s*)?(\d{1,2})", text.strip(), re.IGNORECASE)
        framework = str(self.context.option("level_framework", "")).lower()
        if eqf or (bare and framework == "eqf" and 1 <= int(bare.group(1)) <= 8):
            return f"http://data.europa.eu/snb/eqf/{int((eqf or bare).group(1))}"
        number = int(next(g for g in nfq.groups() if g)) if nfq else int(bare.group(1)) if bare and framework == "nfq-ie" else None
        if number in NFQ_TO_EQF:
            level = NFQ_TO_EQF[number]
            self.note(field_name, "guessed", text, f"Irish NFQ level {number} read as EQF level {level} (NFQ–EQF referencing, NQAI 2009)")
            return f"http://data.europa.eu/snb/eqf/{level}"
        self.note(field_name, "unmapped", text, "not an EQF level (national and provider levels are not EQF levels); say e.g. 'EQF 5'")
        return None

    def keep_level(self, fields: OfferFields, element: Element) -> None:
        """A level that is not an EQF level (SCQF 7, RQF 3 …) stays readable as a note of the specification."""
        note = {self.lang(element): f"Level: {_text(element)}"}
        if note not in fields.spec_notes:
            fields.spec_notes.append(note)

    def credits(self, fields: OfferFields) -> None:
        """ECTS credits become an elm:CreditPoint; any other scheme (CATS, SCQF, ECVET, QQI …) is kept as a note, unconverted."""
        for credit in _children(self.course, "credit"):
            scheme, level, value = (_text(_first(credit, f"credit:{n}")) for n in ("scheme", "level", "value"))
            described = f"{value} credits, scheme {scheme or '(none)'}" + (f", level {level}" if level else "")
            ects = bool(re.search(r"\bects\b", scheme, re.IGNORECASE))
            if level and ects and re.search(r"\beqf\b", level, re.IGNORECASE) and not fields.eqf_level:
                fields.eqf_level = self.eqf(level, "credit/credit:level")
                level = ""  # carried as the EQF level
            kept = {self.lang(credit): f"Credits: {value or '(no value)'} ({scheme or 'no scheme given'})" + (f", level {level}" if level else "")}
            if not value or not scheme:
                self.note("credit", "dropped", described, "XCRI-CAP says a credit without scheme or value is in error; kept as a note")
            elif not ects:
                self.note("credit", "unmapped", described, "only ECTS credits become credit points; kept as a note (the catalogue converts "
                          "CATS and SCQF credits, 2 = 1 ECTS)")
                fields.hints.append(("credits", value, scheme))
            elif fields.ects:
                self.note("credit", "dropped", described, "a second ECTS value; the first became the credit points, this one a note")
            else:
                fields.ects = value
                if not level:
                    continue
                self.note("credit/credit:level", "unmapped", level, "ELM credit points have no level and this is not an EQF level; kept as a note")
            fields.spec_notes.append(kept)

    # -- subjects, homepage ---------------------------------------------------------

    def subjects(self, fields: OfferFields) -> None:
        for subject in _children(self.course, "dc:subject") + _children(self.presentation, "dc:subject"):
            text, typed = _text(subject), self.feed.xsi_type(subject)
            if typed and "isced" in typed[1].lower():
                fields.fields_of_education.append(subject.get("identifier") or text)
            elif typed:
                value = f"{typed[1]} {subject.get('identifier') or ''} {text}".strip()
                self.note("dc:subject", "unmapped", value, "a subject code of another scheme; the catalogue may derive ISCED-F from it")
                scheme = next((name for name in SUBJECT_SCHEMES if name in typed[1].lower()), None)
                if scheme and subject.get("identifier"):
                    fields.hints.append(("subject-code", subject.get("identifier"), scheme))
                if text:
                    fields.hints.append(("subject-label", text, self.lang(subject)))
            elif text:
                fields.fields_of_education.append(text)
                fields.hints.append(("subject-label", text, self.lang(subject)))

    def homepage(self) -> tuple[str | None, str | None]:
        url = _text(_first(self.presentation, "url")) or _text(_first(self.course, "url"))
        apply_to = _text(_first(self.presentation, "applyTo"))
        if not url and _identifier(self.course).startswith(("http://", "https://")):
            url = _identifier(self.course)
            self.note("course/dc:identifier", "guessed", url, "no mlo:url; the course identifier was used as its web page")
        if not url and apply_to:
            self.note("presentation/applyTo", "guessed", apply_to, "no mlo:url; the application page was used as the offer's web page")
            return apply_to, None
        return url or None, (apply_to if apply_to != url else None) or None

    # -- presentation details -----------------------------------------------------

    def engagement(self, fields: OfferFields) -> None:
        pres, defaults = self.presentation, self.context.option("assume_defaults", True)
        study = _first(pres, "studyMode")
        if study is not None:
            fields.schedule = _coded(study, STUDY_MODES) or None
            fields.hints.append(("mode-text", _text(study) or _coded(study, STUDY_MODES), None))
        elif defaults:
            fields.schedule = self.context.vocabulary.match(SCHEDULE_SCHEME, "Full time")[0]
            self.note("presentation/studyMode", "guessed", "Full time", "no studyMode; XCRI-CAP 1.2 says to assume Full time")
        attendance = _first(pres, "attendanceMode")
        if attendance is not None:
            fields.modes = [m for m in [_coded(attendance, ATTENDANCE_MODES)] if m]
            fields.hints.append(("mode-text", _text(attendance) or _coded(attendance, ATTENDANCE_MODES), None))
        elif defaults:
            fields.modes = [self.context.vocabulary.match(MODE_SCHEME, "Presential")[0]]
            self.note("presentation/attendanceMode", "guessed", "Campus", "no attendanceMode; XCRI-CAP 1.2 says to assume Campus (read as Presential)")
        pattern = _first(pres, "attendancePattern")
        if pattern is not None and _coded(pattern, ATTENDANCE_PATTERNS):
            self.schedule(pattern, _coded(pattern, ATTENDANCE_PATTERNS))

    def dates(self, fields: OfferFields) -> None:
        fields.start = self.date("start", "Start")
        fields.end = self.date("end", "End")
        fields.application_deadline = self.date("applyUntil", "Apply by")
        duration = _first(self.presentation, "duration")
        if duration is not None:
            fields.duration = to_duration(duration.get("interval")) or self.spelt_duration(_text(duration))

    def date(self, name: str, label: str) -> str | None:
        element = _first(self.presentation, name)
        if element is None:
            return None
        dtf, text = (element.get("dtf") or "").strip(), _text(element)
        value = dtf if dtf and DTF.fullmatch(dtf) else text if not dtf and DTF.fullmatch(text) else None
        if value and _placeholder(value):
            return self.placeholder(element, name, value)
        if value:
            return value
        if dtf:
            self.note(f"presentation/{name}/@dtf", "dropped", dtf, "not a W3C-DTF date; XCRI-CAP says to ignore such a date")
        if text:
            self.schedule(element, f"{label}: {text}")
            self.note(f"presentation/{name}", "unmapped", text, "no machine-readable date (@dtf); the text was carried as schedule information")
        return None

    def placeholder(self, element: Element, name: str, value: str) -> None:
        """Feeds write 1900-01-01 (or 2099-12-31, 9999) for "start any time": never a date, a flexible start."""
        if name == "start":
            lang = self.lang(element).split("-")[0].lower()
            lang = lang if lang in FLEXIBLE_START else "en"
            self.flexible_start[lang] = FLEXIBLE_START[lang]
            self.note(f"presentation/{name}", "guessed", value, "a placeholder date, read as a flexible start (start any time); no start date was published")
        else:
            self.note(f"presentation/{name}", "guessed", value, "a placeholder date, not a real one; no date was published")
        return None

    def spelt_duration(self, text: str) -> str | None:
        found = re.fullmatch(r"\s*(\d+)\s*(day|week|month|year|hour)s?\s*", text, re.IGNORECASE)
        if found:
            number, unit = found.group(1), found.group(2).lower()
            duration = f"PT{number}H" if unit == "hour" else f"P{number}{unit[0].upper()}"
            self.note("presentation/duration", "guessed", text, f"read as {duration}")
            return to_duration(duration)
        if text:
            self.note("presentation/duration", "dropped", text, "no machine-readable duration (@interval)")
        return None

    def cost(self, fields: OfferFields) -> None:
        element = _first(self.presentation, "cost")
        text = _text(element)
        if not text:
            return
        lang = self.lang(element)
        regional = regional_prices(text)
        if len(regional) > 1:
            # "£9,250 (UK), £14,500 (International)": one price detail per region, each named by its region.
            fields.prices = [PriceFields(*self.money(amount, text), {lang: region}, {lang: part}) for amount, region, part in regional]
            self.note("presentation/cost", "guessed", text, f"read as {len(regional)} prices: " + "; ".join(f"{r}: {a}" for a, r, _ in regional))
            return
        fields.prices = [PriceFields(*self.money(text, text), {lang: text})]

    def money(self, amount_text: str, whole: str) -> tuple[str, str | None]:
        """(amount text, currency) of one amount; the currency from a code, a symbol, else the option `currency` (noted)."""
        amount_text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", amount_text)  # "6,000" is six thousand in UK and Irish feeds
        code = next((c for c in re.findall(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", amount_text) if self.context.vocabulary.match(CURRENCY_SCHEME, c)), None)
        amount, currency = parse_price(amount_text, code)
        if amount is not None and currency is None and self.context.option("currency"):
            currency = str(self.context.option("currency"))
            self.note("presentation/cost", "guessed", whole, f"no currency in the text; read as {currency} (source option `currency`)")
        return amount_text, currency

    def venue(self, provider: OrganisationFields) -> PlaceFields | None:
        venues = [_first(v, "provider") for v in _children(self.presentation, "venue")]
        venues = [v for v in venues if v is not None]
        for extra in venues[1:]:
            self.note("presentation/venue", "dropped", _text(_first(extra, "dc:title")) or "(untitled)", "only the first venue is carried")
        if not venues:
            return None
        location = _first(venues[0], "location")
        country = _country(self, location)
        if country is None and provider.country:
            country = provider.country
            title = _text(_first(venues[0], "dc:title")) or "(untitled)"
            self.note("presentation/venue", "guessed", title, "the venue's country was taken to be the provider's")
        if _identifier(venues[0]) and _identifier(venues[0]) != provider.key:
            self.note("presentation/venue/provider/dc:identifier", "dropped", _identifier(venues[0]), "an ELM location carries no identifier; the venue is named by its title")
        names = self.texts(_children(venues[0], "dc:title"), "venue title", join=False)
        names = {lang: name for lang, name in names.items() if name not in provider.names.values()}
        address = _address(location)
        if _identifier(venues[0]) == provider.key or (country == provider.country and _same_address(address, provider.address)):
            # Venues often repeat the provider's own address: one elm:Address for it, not a copy per offer.
            return PlaceFields(country=country, name=names, at_provider=True)
        return PlaceFields(address=address, country=country, name=names)


MONEY = re.compile(r"(?:[£€$]\s?|\b(?:GBP|EUR|USD)\s?)\d(?:[\d,]*\d)?(?:\.\d{1,2})?(?:\s?(?:GBP|EUR|USD)\b)?"
                   r"|\b\d(?:[\d,]*\d)?(?:\.\d{1,2})?\s?(?:GBP|EUR|USD)\b")


def regional_prices(text: str) -> list[tuple[str, str, str]]:
    """(amount, region, its part of the text) for each amount with a currency in a cost text naming several.

    The region is the parenthesis right after the amount ("£9,250 (UK)"), else the words before it
    ("Home: £1,200; EU: £2,000"); an amount with neither is called "Price 2" and so on, never dropped.
    """
    found = list(MONEY.finditer(text))
    result, start = [], 0
    for index, match in enumerate(found):
        after = re.match(r"\s*\(([^)]*)\)", text[match.end():])
        before = text[start:match.start()]
        region = after.group(1).strip() if after else re.sub(r"^[\s,;/|–-]*(?:and|or)?\s*|[\s:=–-]*$", "", before).strip()
        end = len(text) if index == len(found) - 1 else match.end() + (after.end() if after else 0)
        part = (text[start:end] if not after else text[match.start():end]).strip(" ,;/|")
        result.append((match.group(0), region or f"Price {index + 1}", part))
        start = end
    return result


def _placeholder(value: str) -> bool:
    """1900-01-01, 0001-01-01, 2099-12-31, 9999-12-31 …: dates no real presentation has, used by feeds for "any time"."""
    year = int(value[:4])
    return year <= 1900 or year >= 2099


def _same_address(venue: str | None, provider: str | None) -> bool:
    """The venue's address lines are all among the provider's (a venue often leaves out the county)."""
    if not venue or not provider:
        return False
    lines = lambda text: {re.sub(r"\W+", " ", part).strip().lower() for part in text.split(",") if part.strip()}  # noqa: E731
    return lines(venue) <= lines(provider)


def _coded(element: Element, table: dict[str, str]) -> str:
    """The recommended label for a recommended two-letter @identifier, else the element's text."""
    code = (element.get("identifier") or "").strip().upper()
    return table[code] if code in table else _text(element)


def _address(location: Element | None) -> str | None:
    lines = [_text(e) for e in location if _name(e) in ("street", "address", "town", "postcode")] if location is not None else []
    return ", ".join(line for line in lines if line) or None


def _country(mapper: _Mapper, location: Element | None) -> str | None:
    """A country named by the location: a 'country' element (an extension), else the last address line that is a country."""
    if location is None:
        return None
    explicit = [_text(e) for e in location if e.tag.rpartition("}")[2] in ("country", "countryCode") and _text(e)]
    if explicit:
        return explicit[0]
    for element in reversed([e for e in location if _name(e) in ("address", "town", "street")]):
        for part in reversed(_text(element).split(",")):
            if part.strip() and mapper.context.vocabulary.match(COUNTRY_SCHEME, part.strip()):
                return part.strip()
    return None


def _organisation(mapper: _Mapper, provider_element: Element) -> OrganisationFields:
    provider = mapper.feed.head(provider_element)
    location = _first(provider, "location")
    for extra in _children(provider, "location")[1:]:
        if not _same_address(_address(extra), _address(location)):  # a repeat of the same address is no loss
            mapper.note("provider/location", "dropped", _address(extra) or _text(extra), "ELM organisations have one address here; the first location was kept")
    names = mapper.texts(_children(provider, "dc:title"), "provider title", join=False)
    country = _country(mapper, location)
    if country is None and mapper.context.option("country"):
        country = str(mapper.context.option("country"))
        mapper.note("provider/location", "guessed", country, "the feed names no country; taken from the source option `country`")
    email = _text(_first(location, "email"))
    if email and not re.fullmatch(r"[^\s@]+@[^\s@]+\.[^\s@]+", email):
        mapper.note("provider/location/email", "dropped", email, "not an e-mail address")
    typed = [i for i in _children(provider, "dc:identifier") if i.get(XSI_TYPE) and _text(i)]
    scheme = mapper.feed.xsi_type(typed[0])[1] if typed else "XCRI-CAP provider identifier"
    return OrganisationFields(
        key=_identifier(provider) or _text(_first(provider, "url")) or mapper.context.source.id,
        names=names,
        country=country,
        homepage=_text(_first(provider, "url")) or None,
        address=_address(location),
        email=email or None,
        phone=_text(_first(location, "phone")) or None,
        identifier=_text(typed[0]) if typed else _identifier(provider) or None,
        identifier_scheme=scheme,
        postcode=_text(_first(location, "postcode")) or None,
    )


@lru_cache(maxsize=4)
def _assessment_labels(vocabulary) -> list[tuple[str, str]]:
    """(concept, normalised label) for every label of the EU assessment types of 4 characters or more, longest first."""
    pairs = set()
    for concept in vocabulary.concepts(ASSESSMENT_SCHEME):
        for predicate in ("prefLabel", "altLabel", "hiddenLabel"):
            for quad in vocabulary.store.quads_for_pattern(ox.NamedNode(concept), ox.NamedNode(SKOS + predicate), None):
                label = normalise(quad.object.value)
                if len(label) >= 4:
                    pairs.add((concept, label))
    return sorted(pairs, key=lambda pair: (-len(pair[1]), pair))
