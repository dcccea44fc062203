"""Everything the catalogue shows about an offer, read from the store in chunks.

The search index, the JSON API and the guidance site all need the same
picture of each published offer: its titles, provider, every Annex I element,
dates, place, price, and the catalogue record (micro-credential or not, what
is missing, when it was harvested). ``read_offers`` builds ``OfferSummary``
objects from a handful of simple SPARQL queries per chunk of offers (a VALUES
list first, so each query starts from the offers it needs), which keeps
memory bounded and stays fast on large stores. Titles, names and labels are
kept as they are shown (``text.display_text``: no bidirectional controls or
zero-width characters), so every page and answer made from a summary shows
them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from catalogue.iris import graph_prefix
from catalogue.levels import LEVEL_KEYS
from catalogue.namespaces import MCC, PREFIXES
from catalogue.store.base import CatalogueStore
from catalogue.text import display_text
from catalogue.vocab import CEFR_SCHEME, ECTS, EQF_SCHEME, load_vocabulary

from .kept_work import KeptWork
from .time_relevance import STATUS_KEYS

Texts = dict[str, str]
CHUNK = 1000
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
PACE_TOPIC = TOPIC + "pace"
LANGUAGE_REQUIREMENT_TOPIC = TOPIC + "language-requirement"
FULL_TIME = "http://data.europa.eu/snb/learning-schedule/72a0ab92fa"
# Pace of study in bands a counsellor asks for: full time, three quarters, half, a quarter, less.
PACE_BANDS = (("100", 100.0), ("75", 75.0), ("50", 50.0), ("25", 25.0), ("under-25", 0.0))


@dataclass
class Price:
    amount: float | None
    currency: str | None  # concept IRI
    labels: Texts = field(default_factory=dict)


@dataclass
class Place:
    names: Texts
    address: Texts
    country: str | None
    latitude: float | None = None  # WGS84, as the data gives it (locn:geometry with clv:latitude/longitude)
    longitude: float | None = None


@dataclass
class Organisation:
    iri: str
    names: Texts = field(default_factory=dict)
    country: str | None = None
    homepage: str | None = None
    accreditations: list[dict] = field(default_factory=list)  # type, titles, agent names, report


@dataclass
class OfferSummary:
    iri: str
    source: str = ""
    titles: Texts = field(default_factory=dict)
    descriptions: Texts = field(default_factory=dict)
    homepage: str | None = None
    types: list[str] = field(default_factory=list)
    default_language: str | None = None
    provider: Organisation | None = None
    awarding_bodies: list[Organisation] = field(default_factory=list)
    spec: str | None = None
    fields: list[str] = field(default_factory=list)  # ISCED-F concepts
    languages: list[str] = field(default_factory=list)
    outcomes: list[Texts] = field(default_factory=list)
    eqf: str | None = None
    other_levels: list[str] = field(default_factory=list)
    credits: list[tuple[str, str]] = field(default_factory=list)  # (framework concept, points)
    volume: str | None = None  # xsd:duration
    entry_requirements: Texts = field(default_factory=dict)
    target_groups: list[str] = field(default_factory=list)
    assessment_types: list[str] = field(default_factory=list)
    assessment_titles: Texts = field(default_factory=dict)
    grading: Texts = field(default_factory=dict)
    supervision: list[Texts] = field(default_factory=list)
    quality_notes: list[Texts] = field(default_factory=list)
    pathways: list[Texts] = field(default_factory=list)
    part_of: list[str] = field(default_factory=list)
    setting: str | None = None
    modes: list[str] = field(default_factory=list)
    schedule: str | None = None
    start: str | None = None
    end: str | None = None
    deadlines: list[str] = field(default_factory=list)
    duration: str | None = None
    prices: list[Price] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    admission: Texts = field(default_factory=dict)
    schedule_information: Texts = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)  # subjects of the offer's notes (student aid, grants, flexible start …)
    pace: float | None = None  # pace of study in percent of full time, as a note with the pace topic states it
    # What language a learner needs: {"level": CEFR code or None, "texts": the words that state it}, per note.
    language_requirements: list[dict] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)  # skill concepts of the learning outcomes (ESCO or another list)
    occupations: list[str] = field(default_factory=list)  # occupations the learning entitles to (ESCO, national)
    concept_labels: dict[str, Texts] = field(default_factory=dict)  # labels the data gives those skills and occupations
    documents: list[str] = field(default_factory=list)
    modified: str | None = None
    microcredential: bool = False
    level: str = "listed"  # "listed", "europass-ready" or "complete" (catalogue.harvest.records.LEVEL_IRIS)
    europass_gaps: list[str] = field(default_factory=list)  # properties Europass still needs, as prefixed names
    status: str = "current"  # "current", "ended" or "cancelled" at the last publish (catalogue.publish.time_relevance)
    # Values the catalogue inferred (catalogue.harvest.derivation): property, value, rule, explanation per language.
    derived: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # every source that publishes this offer (the first describes it)
    disagreements: list[dict] = field(default_factory=list)  # {"field", "values": {source: value}} where they differ
    missing: list[str] = field(default_factory=list)  # Annex I keys
    missing_optional: list[str] = field(default_factory=list)
    warnings: int = 0
    first_seen: str | None = None
    changed: str | None = None
    run: str | None = None
    content_hash: str | None = None

    def title(self, lang: str) -> tuple[str, str]:
        """The title in ``lang``, else a fallback; returns (text, language of the text)."""
        return pick(self.titles, lang)

    @property
    def ects(self) -> float | None:
        for framework, points in self.credits:
            if framework == ECTS:
                try:
                    return float(points)
                except ValueError:
                    return None
        return None

    @property
    def hours(self) -> float | None:
        return duration_hours(self.volume) if self.volume else None

    @property
    def national_credits(self) -> list[tuple[str, str]]:
        """(framework, points) of the credits in systems other than ECTS (YH points, ECVET, folk high school weeks …)."""
        return [(framework, points) for framework, points in self.credits if framework != ECTS]

    @property
    def cefr_levels(self) -> list[str]:
        return sorted({r["level"] for r in self.language_requirements if r.get("level")})

    @property
    def pace_band(self) -> str | None:
        """The band of ``PACE_BANDS`` the pace falls in; a full-time schedule with no percentage is full time by definition."""
        if self.pace is None:
            return "100" if self.schedule == FULL_TIME else None
        return next(name for name, low in PACE_BANDS if self.pace >= low)


def pick(texts: Texts, lang: str, order: tuple[str, ...] = ("en", "sv")) -> tuple[str, str]:
    """Text in the reader's language, or the first of ``order``, or any; with its language."""
    if not texts:
        return "", ""
    for candidate in (lang, *order):
        for key, value in texts.items():
            if key == candidate or key.split("-")[0] == candidate:
                return value, key
    key = sorted(texts)[0]
    return texts[key], key


def duration_hours(value: str) -> float | None:
    """Hours in an xsd:duration of days and hours ("P2DT2H" is 50 hours); None for months or years."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?", value or "")
    if not match or value in ("P", "PT"):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 24 + hours + minutes / 60 + seconds / 3600


def offer_iris(store: CatalogueStore, sources: list[str] | None = None) -> list[tuple[str, str]]:
    """(offer IRI, source id) of every published offer, sorted."""
    prefix = graph_prefix(store.base, "source")
    graphs = [store.source_graph(s) for s in sources] if sources else [g for g in store.graphs() if g.startswith(prefix)]
    found = []
    for graph in graphs:
        rows = store.every_row("?o", f"GRAPH <{graph}> {{ ?o a elm:LearningOpportunity }}")
        found.extend((row["o"].value, graph[len(prefix):]) for row in rows)
    return sorted(found)


def offer_listing(store: CatalogueStore, kept: KeptWork | None = None) -> list[tuple[str, str, str | None]]:
    """(offer IRI, source id, fingerprint) of every published offer, in ``offer_iris`` order. The
    fingerprint changes whenever what ``read_offers`` gives for the offer may have changed: its
    content hash (which covers its provider) and its catalogue record. With ``kept``, a source whose
    graphs were not written since the last publish is not read again."""
    found = []
    for source in store.source_ids():
        graphs = [store.source_graph(source), store.records_graph(source)]
        if kept is None:
            rows = _source_listing(store, source)
        else:
            rows = kept.remember(source, graphs, lambda: _source_listing(store, source))
        found.extend((iri, source, fingerprint) for iri, fingerprint in rows)
    found.sort(key=lambda row: (row[0], row[1]))
    return found


def _source_listing(store: CatalogueStore, source: str) -> list[tuple[str, str | None]]:
    fingerprints: dict[str, str] = {}
    rows = store.every_row(
        "?o ?hash ?issued ?modified ?mc ?w ?status ?level",
        f"GRAPH <{store.records_graph(source)}> {{ ?r foaf:primaryTopic ?o ; mcc:contentHash ?hash ; "
        "dcterms:issued ?issued ; dcterms:modified ?modified ; mcc:microCredential ?mc ; mcc:warningCount ?w ; "
        "mcc:admissionLevel ?level OPTIONAL { ?r mcc:timeStatus ?status } }",
    )
    for row in rows:
        # The level stays last: the Europass subset reads it from there.
        fingerprints[row["o"].value] = " ".join(
            row[v].value if row[v] is not None else "-" for v in ("hash", "issued", "modified", "mc", "w", "status", "level"))
    return [(iri, fingerprints.get(iri)) for iri, _ in offer_iris(store, [source])]


def read_offers(store: CatalogueStore, iris: list[tuple[str, str]] | None = None, chunk: int = CHUNK) -> Iterator[OfferSummary]:
    """Summaries of ``iris`` (default: every published offer), in the given order, one per distinct offer.

    Each source's description is read from that source's graphs alone. An offer several sources publish
    (listed one after another, as ``offer_iris`` lists them) is described by the first, names every source
    that published it, and says where the others disagree (``disagreements``)."""
    pairs = offer_iris(store) if iris is None else iris
    return merged_sources(_each_source(store, pairs, chunk))


def merged_sources(summaries: Iterable[OfferSummary]) -> Iterator[OfferSummary]:
    """One summary per offer from per-source summaries in ``offer_iris`` order (see ``read_offers``)."""
    group: list[OfferSummary] = []
    for summary in summaries:
        if group and summary.iri != group[0].iri:
            yield _merged(group)
            group = []
        group.append(summary)
    if group:
        yield _merged(group)


def read_chunk(store: CatalogueStore, pairs: list[tuple[str, str]]) -> list[OfferSummary]:
    """Per-source summaries of ``pairs`` (one chunk), before sources are merged."""
    return list(_each_source(store, pairs, len(pairs) or 1))


def _each_source(store: CatalogueStore, pairs: list[tuple[str, str]], chunk: int) -> Iterator[OfferSummary]:
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        by_source: dict[str, dict[str, OfferSummary]] = {}
        for iri, source in part:
            by_source.setdefault(source, {})[iri] = OfferSummary(iri, source)
        for source, summaries in by_source.items():
            _Reader(store, summaries, source).read()
        yield from (by_source[source][iri] for iri, source in part)


# What is compared between sources that publish the same offer, and how each is shown.
_COMPARED: dict[str, Callable[[OfferSummary], object]] = {
    "title": lambda o: dict(sorted(o.titles.items())),
    "homepage": lambda o: o.homepage,
    "provider": lambda o: o.provider.iri if o.provider else None,
    "start": lambda o: o.start,
    "end": lambda o: o.end,
    "deadlines": lambda o: sorted(o.deadlines),
    "prices": lambda o: sorted((p.amount, p.currency) for p in o.prices if p.amount is not None),
    "ects": lambda o: o.ects,
    "workload": lambda o: o.volume,
    "level": lambda o: o.eqf,
    "modes": lambda o: sorted(o.modes),
    "languages": lambda o: sorted(o.languages),
    "fields": lambda o: sorted(o.fields),
}


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if -limit <= value <= limit else None


def _merged(group: list[OfferSummary]) -> OfferSummary:
    first = group[0]
    first.sources = list(dict.fromkeys(s.source for s in group))
    for name, value in _COMPARED.items():
        values = {s.source: value(s) for s in group}
        if len({repr(v) for v in values.values()}) > 1:
            first.disagreements.append({"field": name, "values": {source: _shown(v) for source, v in values.items()}})
    return first


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return " / ".join(f"{text} ({lang})" if lang else text for lang, text in value.items())
    if isinstance(value, list):
        return ", ".join(" ".join(str(x) for x in v if x is not None) if isinstance(v, tuple) else str(v) for v in value)
    return "" if value is None else str(value)


def rows_within_graphs(store: CatalogueStore, graphs: list[str], variables: str, pattern: str, values: str = ""):
    """Distinct answers to ``pattern``, each matched within one of ``graphs`` (``values``: a VALUES clause).

    A description lives whole in one graph. Matched as GRAPH ?g with ?g among ``graphs``, Oxigraph looks each
    bound subject up once; against a default graph listing the graphs it looks it up once per graph, so reading all
    offers grew with offers x sources (0.30 s instead of 0.03 s per 1,000 offers at 100,000 offers in 10 sources),
    and the provider register's questions took 6 s instead of 0.2 s for 2,500 providers."""
    listed = ", ".join(f"<{graph}>" for graph in graphs)
    return store.query(
        f"SELECT DISTINCT {variables} WHERE {{ {values} GRAPH ?inGraph {{ {pattern} }} FILTER(?inGraph IN ({listed})) }}",
        default_graphs=[], named_graphs=None,
    )


_OFFER_VALUES = frozenset(PREFIXES[name.split(":")[0]] + name.split(":")[1] for name in (
    "dcterms:title", "dcterms:description", "dcterms:type", "elm:defaultLanguage", "elm:mode", "elm:learningSchedule",
    "elm:applicationDeadline", "elm:duration", "dcterms:modified", "elm:learningAchievementSpecification", "elm:providedBy",
    "elm:isPartOf"))
_SPEC_VALUES = frozenset(PREFIXES[name.split(":")[0]] + name.split(":")[1] for name in (
    "elm:ISCEDFCode", "dcterms:language", "elm:educationLevel", "elm:EQFLevel", "elm:volumeOfLearning", "elm:targetGroup",
    "elm:learningSetting", "elm:isPartOf"))

# Record properties with many values: the summary's list for each, and whether the value is kept whole (else its key).
_RECORD_LISTS = {MCC + "missingElement": ("missing", False), MCC + "missingOptionalElement": ("missing_optional", False),
                 MCC + "europassGap": ("europass_gaps", True)}


class _Reader:
    def __init__(self, store: CatalogueStore, summaries: dict[str, OfferSummary], source: str):
        self.store = store
        self.summaries = summaries
        self.source_graph = store.source_graph(source)
        self.values = "VALUES ?o { " + " ".join(f"<{iri}>" for iri in summaries) + " }"
        # One source's description: its statements and its catalogue records, nothing another source said.
        self.graphs = [self.source_graph, store.records_graph(source)]
        self.organisations: dict[str, Organisation] = {}

    def rows(self, pattern: str, variables: str):
        # Each pattern reads one offer's description, which lives whole in one graph (its source's,
        # or its records graph).
        return rows_within_graphs(self.store, self.graphs, variables, pattern, self.values)

    def read(self) -> None:
        s = self.summaries
        # Every statement about the offers first: the values an offer holds itself, and which of the parts asked
        # about below (places, prices, notes …) any offer of the chunk has. A question about a part no offer has is
        # not asked: each costs about as much per offer as the answers it finds (25 µs an offer at 100,000 offers).
        self.offer_predicates: set[str] = set()
        for row in self.rows("?o ?p ?v", "?o ?p ?v"):
            predicate = row["p"].value
            self.offer_predicates.add(predicate)
            if predicate in _OFFER_VALUES:
                self._offer_value(s[row["o"].value], predicate, row["v"])
        self._spec_values()
        if self.has("foaf:homepage"):
            for row in self.rows("?o foaf:homepage/elm:contentUrl ?u", "?o ?u"):
                s[row["o"].value].homepage = row["u"].value
        if self.has("elm:supplementaryDocument"):
            for row in self.rows("?o elm:supplementaryDocument/elm:contentUrl ?u", "?o ?u"):
                s[row["o"].value].documents.append(row["u"].value)
        if self.has("dcterms:temporal"):
            for row in self.rows("?o dcterms:temporal ?t . OPTIONAL { ?t elm:startDate ?start } OPTIONAL { ?t elm:endDate ?end }", "?o ?start ?end"):
                offer = s[row["o"].value]
                offer.start = row["start"].value if row["start"] else offer.start
                offer.end = row["end"].value if row["end"] else offer.end
        if self.has("elm:priceDetail"):
            self._prices()
        if self.has("elm:location"):
            self._places()
        self._topics()
        if self.has("elm:additionalNote"):
            self._pace()
        if self.has("elm:admissionProcedure"):
            self._notes("?o elm:admissionProcedure ?n", "admission")
        if self.has("elm:scheduleInformation"):
            self._notes("?o elm:scheduleInformation ?n", "schedule_information")
        self._spec()
        self._organisations()
        self._record()

    def has(self, name: str, predicates: set[str] | None = None) -> bool:
        """Whether any offer of the chunk (or, with ``predicates``, any node they name) has a statement with ``name``."""
        prefix, local = name.split(":")
        return PREFIXES[prefix] + local in (self.offer_predicates if predicates is None else predicates)

    def _offer_value(self, offer: OfferSummary, predicate: str, value) -> None:
        name = predicate.rsplit("/", 1)[-1]
        if name == "title":
            _add_name(offer.titles, value)
        elif name == "description":
            offer.descriptions[value.language or ""] = value.value
        elif name == "type":
            offer.types.append(value.value)
        elif name == "defaultLanguage":
            offer.default_language = value.value
        elif name == "mode":
            offer.modes.append(value.value)
        elif name == "learningSchedule":
            offer.schedule = value.value
        elif name == "applicationDeadline":
            offer.deadlines.append(value.value)
        elif name == "duration":
            offer.duration = value.value
        elif name == "modified":
            offer.modified = value.value
        elif name == "learningAchievementSpecification":
            offer.spec = value.value
        elif name == "providedBy":
            offer.provider = self._organisation(value.value)
        elif name == "isPartOf":
            offer.part_of.append(value.value)

    def _prices(self) -> None:
        # Two queries: an OPTIONAL of two joined triples inside GRAPH makes Oxigraph scan every amount.
        amounts = {
            (row["o"].value, row["p"].value): (float(row["v"].value), row["c"].value)
            for row in self.rows("?o elm:priceDetail ?p . ?p elm:amount ?a . ?a rdf:value ?v ; elm:unit ?c", "?o ?p ?v ?c")
        }
        rows = self.rows("?o elm:priceDetail ?p . OPTIONAL { ?p skos:prefLabel ?l }", "?o ?p ?l")
        prices: dict[tuple[str, str], Price] = {}
        for row in rows:
            key = (row["o"].value, row["p"].value)
            price = prices.get(key)
            if price is None:
                amount, currency = amounts.get(key, (None, None))
                price = prices[key] = Price(amount, currency)
                self.summaries[key[0]].prices.append(price)
            if row["l"] is not None:
                _add_name(price.labels, row["l"])

    def _places(self) -> None:
        # One query per part of a place, each a plain join from the offer: as one query with nested OPTIONALs
        # of joined triples, Oxigraph scanned every address and geometry of the graph for each chunk of offers
        # (10.7 s per 1,000 offers at 20,000 offers in one source, growing with the source: publishing a
        # 250,000-offer source did not finish).
        location = "?o elm:location ?l"
        via = location + " . "
        places: dict[tuple[str, str], Place] = {}
        for row in self.rows(location, "?o ?l"):
            key = (row["o"].value, row["l"].value)
            if key not in places:
                places[key] = Place({}, {}, None)
                self.summaries[key[0]].places.append(places[key])
        for row in self.rows(via + "?l elm:address ?a . ?a elm:countryCode ?c", "?o ?l ?a ?c"):
            place = places[(row["o"].value, row["l"].value)]
            place.country = place.country or row["c"].value
        for row in self.rows(via + "?l elm:address ?a . ?a elm:fullAddress ?f . ?f elm:noteLiteral ?t", "?o ?l ?a ?f ?t"):
            places[(row["o"].value, row["l"].value)].address[row["t"].language or ""] = row["t"].value
        for row in self.rows(via + "?l elm:geographicName ?n", "?o ?l ?n"):
            _add_name(places[(row["o"].value, row["l"].value)].names, row["n"])
        for row in self.rows(via + "?l locn:geometry ?g . ?g clv:latitude ?lat ; clv:longitude ?lon", "?o ?l ?g ?lat ?lon"):
            place = places[(row["o"].value, row["l"].value)]
            if place.latitude is None:
                place.latitude, place.longitude = _coordinate(row["lat"].value, 90), _coordinate(row["lon"].value, 180)
                if place.latitude is None or place.longitude is None:
                    place.latitude = place.longitude = None
        # A place with neither address nor name nor coordinates tells a reader nothing.
        for summary in self.summaries.values():
            summary.places = [p for p in summary.places if p.names or p.address or p.country or p.latitude is not None]

    def _topics(self) -> None:
        if not self.has("elm:additionalNote") and not self.spec_has("elm:additionalNote"):
            return
        rows = self.rows(
            "{ ?o elm:additionalNote ?n } UNION { ?o elm:learningAchievementSpecification/elm:additionalNote ?n } "
            "?n dcterms:subject ?t",
            "?o ?t",
        )
        for row in rows:
            topics = self.summaries[row["o"].value].topics
            if row["t"].value not in topics:
                topics.append(row["t"].value)
        for summary in self.summaries.values():
            summary.topics.sort()  # the same summary however many offers a read takes at once

    def _pace(self) -> None:
        for row in self.rows(f"?o elm:additionalNote ?n . ?n dcterms:subject <{PACE_TOPIC}> ; elm:noteLiteral ?t", "?o ?t"):
            offer = self.summaries[row["o"].value]
            percent = _percent(row["t"].value)
            if percent is not None and offer.pace is None:
                offer.pace = percent

    def _notes(self, pattern: str, attribute: str, topic: str | None = None, many: bool = False, via_spec: bool = False) -> None:
        base = "?o elm:learningAchievementSpecification ?s . " if via_spec else ""
        topic_filter = f" ?n dcterms:subject <{topic}> ." if topic else ""
        rows = self.rows(f"{base}{pattern} .{topic_filter} ?n elm:noteLiteral ?text", "?o ?n ?text")
        grouped: dict[tuple[str, str], Texts] = {}
        for row in rows:
            grouped.setdefault((row["o"].value, row["n"].value), {})[row["text"].language or ""] = row["text"].value
        for (offer, _), texts in sorted(grouped.items()):
            summary = self.summaries[offer]
            if many:
                getattr(summary, attribute).append(texts)
            else:
                getattr(summary, attribute).update(texts)

    def _spec_values(self) -> None:
        """The values the offers' specifications hold themselves, and which parts they have (see ``read``)."""
        self.spec_predicates: set[str] = set()
        if not self.has("elm:learningAchievementSpecification"):
            return
        s = self.summaries
        vocabulary = load_vocabulary()
        for row in self.rows("?o elm:learningAchievementSpecification ?s . ?s ?p ?v", "?o ?p ?v"):
            predicate = row["p"].value
            self.spec_predicates.add(predicate)
            if predicate not in _SPEC_VALUES:
                continue
            offer = s[row["o"].value]
            name = predicate.rsplit("/", 1)[-1]
            value = row["v"].value
            if name == "ISCEDFCode":
                offer.fields.append(value)
            elif name == "language":
                offer.languages.append(value)
            elif name in ("educationLevel", "EQFLevel"):
                if vocabulary.in_scheme(value, EQF_SCHEME):
                    offer.eqf = value
                else:
                    offer.other_levels.append(value)
            elif name == "volumeOfLearning":
                offer.volume = value
            elif name == "targetGroup":
                offer.target_groups.append(value)
            elif name == "learningSetting":
                offer.setting = value
            elif name == "isPartOf":
                offer.part_of.append(value)

    def spec_has(self, name: str) -> bool:
        return self.has(name, self.spec_predicates)

    def _spec(self) -> None:
        s = self.summaries
        spec = "?o elm:learningAchievementSpecification ?s . "
        if self.spec_has("elm:creditPoint"):
            for row in self.rows(spec + "?s elm:creditPoint ?c . ?c elm:framework ?f ; elm:point ?p", "?o ?f ?p"):
                s[row["o"].value].credits.append((row["f"].value, row["p"].value))
        if self.spec_has("elm:learningActivitySpecification"):
            for row in self.rows(spec + "?s elm:learningActivitySpecification ?a . ?a elm:volumeOfLearning ?v", "?o ?v"):
                s[row["o"].value].volume = s[row["o"].value].volume or row["v"].value
        if self.has("elm:learningActivitySpecification"):
            for row in self.rows("?o elm:learningActivitySpecification/elm:volumeOfLearning ?v", "?o ?v"):
                s[row["o"].value].volume = s[row["o"].value].volume or row["v"].value
        if self.spec_has("elm:learningOutcome"):
            outcomes: dict[tuple[str, str], Texts] = {}
            for row in self.rows(spec + "?s elm:learningOutcome ?lo . ?lo dcterms:title ?t", "?o ?lo ?t"):
                _add_name(outcomes.setdefault((row["o"].value, row["lo"].value), {}), row["t"])
            for (offer, _), texts in sorted(outcomes.items()):
                s[offer].outcomes.append(texts)
        if self.spec_has("elm:additionalNote"):
            self._language_requirements()
        self._skills_and_occupations()
        if self.spec_has("elm:provenBy"):
            for row in self.rows(spec + "?s elm:provenBy ?a . OPTIONAL { ?a dcterms:type ?t } OPTIONAL { ?a dcterms:title ?title } OPTIONAL { ?a elm:gradingScheme/dcterms:title ?g }", "?o ?t ?title ?g"):
                offer = s[row["o"].value]
                if row["t"] is not None and row["t"].value not in offer.assessment_types:
                    offer.assessment_types.append(row["t"].value)
                if row["title"] is not None:
                    _add_name(offer.assessment_titles, row["title"])
                if row["g"] is not None:
                    _add_name(offer.grading, row["g"])
        if self.spec_has("elm:entryRequirement"):
            self._notes("?s elm:entryRequirement ?n", "entry_requirements", via_spec=True)
        qt = "http://data.europa.eu/snb/qualification-topics#"
        spec_notes, offer_notes = self.spec_has("elm:additionalNote"), self.has("elm:additionalNote")
        if spec_notes:
            self._notes("?s elm:additionalNote ?n", "quality_notes", qt + "accreditation-and-quality-assurance", many=True, via_spec=True)
        if offer_notes:
            self._notes("?o elm:additionalNote ?n", "quality_notes", qt + "accreditation-and-quality-assurance", many=True)
        if spec_notes:
            self._notes("?s elm:additionalNote ?n", "pathways", qt + "pathways", many=True, via_spec=True)
        if offer_notes:
            self._notes("?o elm:additionalNote ?n", "pathways", qt + "pathways", many=True)
        if self.spec_has("elm:provenBy"):
            self._notes("?s elm:provenBy/elm:additionalNote ?n", "supervision", "https://w3id.org/mc-catalogue/note-topic/supervision-and-identity-verification", many=True, via_spec=True)
        if self.spec_has("elm:awardingOpportunity"):
            for row in self.rows(spec + "?s elm:awardingOpportunity/elm:awardingBody ?b", "?o ?b"):
                body = self._organisation(row["b"].value)
                if body not in s[row["o"].value].awarding_bodies:
                    s[row["o"].value].awarding_bodies.append(body)

    def _language_requirements(self) -> None:
        rows = self.rows(
            "?o elm:learningAchievementSpecification ?s . ?s elm:additionalNote ?n . ?n dcterms:subject ?t ; elm:noteLiteral ?text . "
            f"FILTER(?t = <{LANGUAGE_REQUIREMENT_TOPIC}> || STRSTARTS(STR(?t), \"{CEFR_SCHEME}\"))",
            "?o ?n ?t ?text",
        )
        found: dict[tuple[str, str], dict] = {}
        for row in rows:
            subject = row["t"].value
            level = subject[len(CEFR_SCHEME):] if subject.startswith(CEFR_SCHEME) else None
            entry = found.setdefault((row["o"].value, row["n"].value), {"level": level, "texts": {}})
            entry["texts"][row["text"].language or ""] = display_text(row["text"].value)
        for (offer, _note), entry in sorted(found.items(), key=lambda item: (item[0], item[1]["level"] is None, item[1]["level"] or "")):
            self.summaries[offer].language_requirements.append(entry)

    def _skills_and_occupations(self) -> None:
        spec = "?o elm:learningAchievementSpecification ?s . "
        for attribute, pattern in (
            ("skills", spec + "?s elm:learningOutcome ?lo . ?lo ?p ?k . FILTER(?p IN (elm:relatedESCOSkill, elm:relatedSkill))"),
            ("occupations", spec + "?s elm:entitlesTo ?e . ?e ?p ?k . FILTER(?p IN (elm:limitOccupation, elm:limitNationalOccupation))"),
        ):
            if not self.spec_has("elm:learningOutcome" if attribute == "skills" else "elm:entitlesTo"):
                continue
            for row in self.rows(pattern + " OPTIONAL { ?k skos:prefLabel ?l }", "?o ?k ?l"):
                if not isinstance(row["k"], NamedNode):
                    continue  # a skill with no IRI cannot be filtered on or linked to
                offer, iri = self.summaries[row["o"].value], row["k"].value
                if iri not in getattr(offer, attribute):
                    getattr(offer, attribute).append(iri)
                if row["l"] is not None:
                    _add_name(offer.concept_labels.setdefault(iri, {}), row["l"])
        for summary in self.summaries.values():
            summary.skills.sort()
            summary.occupations.sort()

    def _organisation(self, iri: str) -> Organisation:
        return self.organisations.setdefault(iri, Organisation(iri))

    def _organisations(self) -> None:
        if not self.organisations:
            return
        values = "VALUES ?org { " + " ".join(f"<{i}>" for i in self.organisations) + " }"
        rows = self.store.query(
            f"SELECT ?org ?name ?country ?home WHERE {{ {values} OPTIONAL {{ ?org rov:legalName ?name }} "
            "OPTIONAL { ?org elm:location/elm:address/elm:countryCode ?country } "
            "OPTIONAL { ?org foaf:homepage/elm:contentUrl ?home } }",
            default_graphs=[self.source_graph],
        )
        for row in rows:
            org = self.organisations[row["org"].value]
            if row["name"] is not None:
                _add_name(org.names, row["name"])
            if row["country"] is not None:
                org.country = row["country"].value
            if row["home"] is not None:
                org.homepage = row["home"].value
        accreditations: dict[tuple[str, str], dict] = {}
        rows = self.store.query(
            f"SELECT ?org ?a ?type ?title ?agent ?agentName ?report WHERE {{ {values} ?org elm:accreditation ?a . "
            "OPTIONAL { ?a dcterms:type ?type } OPTIONAL { ?a dcterms:title ?title } "
            "OPTIONAL { ?a elm:accreditingAgent ?agent . OPTIONAL { ?agent rov:legalName ?agentName } } "
            "OPTIONAL { ?a elm:report/elm:contentUrl ?report } }",
            default_graphs=[self.source_graph],
        )
        for row in rows:
            key = (row["org"].value, row["a"].value)
            entry = accreditations.get(key)
            if entry is None:
                entry = accreditations[key] = {"type": None, "titles": {}, "agent": {}, "report": None}
                self.organisations[key[0]].accreditations.append(entry)
            if row["type"] is not None:
                entry["type"] = row["type"].value
            if row["title"] is not None:
                _add_name(entry["titles"], row["title"])
            if row["agentName"] is not None:
                _add_name(entry["agent"], row["agentName"])
            if row["report"] is not None:
                entry["report"] = row["report"].value

    def _record(self) -> None:
        rows = self.rows(
            "?r foaf:primaryTopic ?o ; mcc:microCredential ?mc ; mcc:warningCount ?w ; dcterms:issued ?i ; dcterms:modified ?m ; "
            "mcc:contentHash ?hash . "
            "OPTIONAL { ?r prov:wasGeneratedBy ?run } OPTIONAL { ?r mcc:admissionLevel ?level } OPTIONAL { ?r mcc:timeStatus ?status }",
            "?o ?mc ?w ?i ?m ?hash ?run ?level ?status",
        )
        for row in rows:
            offer = self.summaries[row["o"].value]
            offer.microcredential = row["mc"].value == "true"
            if row["level"] is not None:
                offer.level = LEVEL_KEYS.get(row["level"].value, offer.level)
            if row["status"] is not None:
                offer.status = STATUS_KEYS.get(row["status"].value, offer.status)
            offer.warnings = int(row["w"].value)
            offer.first_seen, offer.changed = row["i"].value, row["m"].value
            offer.run = row["run"].value if row["run"] is not None else None
            offer.content_hash = row["hash"].value
        # The many-valued parts as (property, value) rows: asked as variables of their own, a record's missing
        # elements, missing optional elements and Europass gaps came back as every combination of them.
        for row in self.rows("?r foaf:primaryTopic ?o ; ?p ?v . FILTER(?p IN (mcc:missingElement, mcc:missingOptionalElement, mcc:europassGap))",
                             "?o ?p ?v"):
            attribute, whole = _RECORD_LISTS[row["p"].value]
            values = getattr(self.summaries[row["o"].value], attribute)
            value = row["v"].value if whole else row["v"].value.rsplit("/", 1)[-1]
            if value not in values:
                values.append(value)
        self._derived()
        order = {e.key: e.order for e in load_vocabulary().annex_elements()}
        for offer in self.summaries.values():
            offer.missing.sort(key=lambda k: order.get(k, 99))
            offer.missing_optional.sort(key=lambda k: order.get(k, 99))
            offer.europass_gaps.sort()
            offer.modes = list(dict.fromkeys(offer.modes))
            offer.languages = list(dict.fromkeys(offer.languages))
            offer.fields = list(dict.fromkeys(offer.fields))


    def _derived(self) -> None:
        rows = self.rows(
            "?r foaf:primaryTopic ?o ; mcc:derivation ?d . ?d rdf:predicate ?p ; rdf:object ?v ; mcc:rule ?rule ; rdfs:comment ?c",
            "?o ?d ?p ?v ?rule ?c",
        )
        found: dict[tuple[str, str], dict] = {}
        for row in rows:
            key = (row["o"].value, row["d"].value)
            entry = found.setdefault(key, {"property": row["p"].value, "value": row["v"].value, "rule": row["rule"].value, "explanation": {}})
            entry["explanation"][row["c"].language or "en"] = row["c"].value
        for (offer, _node), entry in sorted(found.items()):
            self.summaries[offer].derived.append(entry)


def _percent(text: str) -> float | None:
    """The percentage a pace note states ("Studietakt: 50 %"); None when it states none, or more than one."""
    found = re.findall(r"(\d{1,3}(?:[.,]\d+)?)\s*%", text)
    if len(found) != 1:
        return None
    value = float(found[0].replace(",", "."))
    return value if 0 < value <= 100 else None


def _add_name(texts: Texts, literal) -> None:
    """A title, name or label as it is shown (``display_text``); one that is nothing but invisible characters is left out."""
    value = display_text(literal.value)
    if value:
        texts[literal.language or ""] = value


