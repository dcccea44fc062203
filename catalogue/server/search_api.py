"""``/api/offers``: search with facets, as JSON for front-end developers.

Answers from the search side index of the published generation (SQLite FTS5),
never from a live SPARQL scan, so it stays fast on large catalogues. Facet
values come with labels in the language asked for (``lang`` or the
``Accept-Language`` header; Swedish and English), from the vocabulary.
Offer titles and provider names are given as shown (``text.display_text``:
without bidirectional controls or zero-width characters), also from an index
made before summaries were cleaned when read.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from catalogue.levels import EUROPASS_READY, LISTED, NEXT_LEVEL, gap_label, level_label
from catalogue.namespaces import curie
from catalogue.publish import gazetteer
from catalogue.publish.offer_data import pick
from catalogue.publish.search_index import (
    FACETS,
    FUNDING_TOPICS,
    SORTS,
    VALUE_LABELS,
    SearchQuery,
    application_window,
)
from catalogue.text import display_text
from catalogue.vocab import (
    CEFR_LEVELS,
    CEFR_SCHEME,
    YH_POINTS,
    esco_page,
    load_vocabulary,
    readable_iri,
)

SUPPORTED = ("sv", "en")


class Concept(BaseModel):
    iri: str
    label: str
    notation: str | None = None


class FacetValue(BaseModel):
    value: str = Field(description="The value to filter by (a concept IRI, provider IRI, or yes/no)")
    label: str
    count: int


class Provider(BaseModel):
    iri: str
    name: str
    country: Concept | None = None


class PlaceOut(BaseModel):
    name: str | None = None
    address: str | None = None
    country: str | None = Field(None, description="Country IRI")
    latitude: float | None = Field(None, description="WGS84, as the data gives it")
    longitude: float | None = None


class PriceOut(BaseModel):
    amount: float | None
    currency: str | None = Field(None, description="ISO 4217 code")
    label: str | None = None


class CreditsOut(BaseModel):
    system: Concept = Field(description="The credit system: YH points, folk high school study weeks, ECVET … (ECTS is the field ects)")
    points: float
    full_time_weeks: float | None = Field(None, description="YH points only: the weeks of full-time study they stand for (5 YH points a week); "
                                                              "no ECTS value is given, as no official conversion exists")


class LanguageRequirementOut(BaseModel):
    text: str = Field(description="The words of the entry requirements that state it, in the language of text_language")
    text_language: str
    level: Concept | None = Field(None, description="The CEFR level (A1 … C2) the words state; none when they name a course or test instead")


class NamedConcept(BaseModel):
    iri: str
    label: str = Field(description="ESCO's label where the catalogue knows it, else the one the data gives, else the IRI's last part")
    url: str | None = Field(None, description="Where to read about it (the ESCO portal for ESCO concepts)")


class DerivedValue(BaseModel):
    property: str = Field(description="The property, as a prefixed name (e.g. elm:ISCEDFCode)")
    property_label: str
    value: str
    value_label: str
    rule: str = Field(description="The rule that inferred it, e.g. isced-f/keywords, country/postcode")
    explanation: str = Field(description="Why, in plain words")


class NextLevel(BaseModel):
    level: str = Field(description="The next level: europass-ready or complete")
    label: str
    needs: list[str] = Field(description="What the offer must give to reach it, in plain words")


class OfferItem(BaseModel):
    iri: str
    title: str
    title_language: str = Field(description="Language of the title shown; it differs from the one asked for when the provider gave none in it")
    description: str | None = None
    homepage: str | None = None
    provider: Provider | None = None
    microcredential: bool
    level: str = Field(description="Level of admission: listed, europass-ready or complete (a complete micro-credential)")
    status: str = Field("current", description="current, ended (its dates have passed) or cancelled (by its provider)")
    level_label: str
    next_level: NextLevel | None = Field(None, description="What would lift the offer to the next level; none at the top")
    derived: list[DerivedValue] = Field([], description="Values inferred by the catalogue, not stated by the provider")
    sources: list[str] = Field([], description="Every source that publishes this offer; the first one's description is shown")
    disagreements: list[dict] = Field([], description="Where those sources say different things: {field, values: {source: value}}")
    missing: list[Concept] = Field(description="Mandatory Annex I elements the offer does not give")
    eqf: Concept | None = None
    fields: list[Concept]
    modes: list[Concept]
    languages: list[Concept]
    schedule: Concept | None = None
    start: str | None = None
    end: str | None = None
    ects: float | None = None
    hours: float | None = None
    prices: list[PriceOut]
    places: list[PlaceOut] = Field([], description="Where it is given")
    application_deadlines: list[str] = Field([], description="Last days to apply, as the data gives them")
    funding: list[str] = Field([], description="Funding the data names: student-aid, no-student-aid, grants")
    pace: float | None = Field(None, description="Pace of study in percent of full time (studietakt), as the offer states it")
    pace_band: str | None = Field(None, description="The pace facet's value: 100, 75, 50, 25 or under-25 (a full-time schedule counts as 100)")
    credits: list[CreditsOut] = Field([], description="Credits in systems other than ECTS (YH points, folk high school study weeks …)")
    language_requirements: list[LanguageRequirementOut] = Field([], description="What language the learner needs, as the entry requirements say")
    skills: list[NamedConcept] = Field([], description="Skills the learning outcomes are linked to (ESCO skills, or another list's)")
    occupations: list[NamedConcept] = Field([], description="Occupations the offer entitles to (ESCO occupations, or a national list's)")
    data: dict[str, str] = Field(description="The offer as RDF (Turtle, JSON-LD)")


class SearchResponse(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
    language: str
    items: list[OfferItem]
    facets: dict[str, list[FacetValue]]
    # How many values each facet has among the offers found: a facet lists at most facet_size of them (the most
    # frequent) besides the values asked for, so a client can tell when there are more.
    facet_values: dict[str, int]
    ranges: dict[str, dict]
    links: dict[str, str | None]


FACET_SIZE = 100


def router(server) -> APIRouter:
    api = APIRouter(tags=["Search"])

    @api.get("/api/offers", response_model=SearchResponse, summary="Search offers with facets",
             responses={400: {"description": "The place given as near is not known", "content": {"application/json": {"schema": {"type": "object"}}}},
                        503: {"description": "Nothing published yet", "content": {"application/json": {"schema": {"type": "object"}}}}})
    def search(
        request: Request,
        q: str = Query("", description="Free text: titles, descriptions, learning outcomes, provider names"),
        field: list[str] = Query([], description="ISCED-F field (detailed or narrow code IRI)"),
        broad_field: list[str] = Query([], description="ISCED-F broad field IRI, e.g. http://data.europa.eu/snb/isced-f/06"),
        eqf: list[str] = Query([], description="EQF level IRI, e.g. http://data.europa.eu/snb/eqf/6"),
        mode: list[str] = Query([], description="Form of participation (mode of learning) IRI"),
        language: list[str] = Query([], description="Language of instruction IRI"),
        country: list[str] = Query([], description="Country IRI (provider or place)"),
        provider: list[str] = Query([], description="Provider IRI"),
        schedule: list[str] = Query([], description="Learning schedule IRI (full time, part time …)"),
        town: list[str] = Query([], description="Town where the offer is given (a place name as the facet lists it)"),
        funding: list[Literal["student-aid", "no-student-aid", "grants"]] = Query(
            [], description="Funding the data names: eligible for student aid (Sweden's CSN), explicitly not eligible, or grants"),
        target_group: list[str] = Query([], description="Target group IRI"),
        prerequisites: list[Literal["none-stated", "stated"]] = Query([], description="none-stated: offers that state no entry requirements"),
        study_time: list[Literal["daytime", "evenings", "weekends", "self-paced"]] = Query([], description="When one studies, as the offer says"),
        pace: list[Literal["100", "75", "50", "25", "under-25"]] = Query(
            [], description="Pace of study (studietakt) in percent of full time: 100 (full time; offers that only say full time count), "
                            "75 (75-99 %), 50 (50-74 %), 25 (25-49 %), under-25"),
        language_requirement: list[Literal["stated", "none-stated", "A1", "A2", "B1", "B2", "C1", "C2"]] = Query(
            [], description="What language the learner needs: stated (the entry requirements name a language requirement), none-stated, "
                            "or a CEFR level the entry requirements state (A1-A2 beginner, B1-B2 independent, C1-C2 advanced). "
                            "Levels are never inferred from a course name such as Svenska 3"),
        skill: list[str] = Query([], description="Skill IRI the learning outcomes are linked to, e.g. an ESCO skill http://data.europa.eu/esco/skill/…"),
        occupation: list[str] = Query([], description="Occupation IRI, e.g. an ESCO occupation http://data.europa.eu/esco/occupation/…"),
        open_now: bool = Query(False, description="Only offers open for application today: a deadline not passed, or no deadline and not started (or a flexible start)"),
        closes_within: int | None = Query(None, ge=0, le=366, description="With open_now: the last application day is within this many days"),
        flexible_start: bool = Query(False, description="Only offers one can start at any time"),
        free: bool = Query(False, description="Only offers free of charge (a price of 0)"),
        near: str | None = Query(None, max_length=200, description="A place's name (e.g. Umeå) or 'latitude, longitude': offers given within within_km of it, and online offers"),
        within_km: float = Query(30, gt=0, le=2000, description="Distance for near, in kilometres"),
        source: list[str] = Query([], description="Source id"),
        microcredential: str | None = Query(None, pattern="^(yes|no)$", description="Only complete micro-credentials (yes) or only the others (no)"),
        status: list[Literal["current", "ended", "cancelled"]] = Query(
            [], description="current (the default), ended or cancelled: ended and cancelled offers are left out unless asked for"),
        level: str | None = Query(None, pattern="^(listed|europass-ready|complete)$",
                                  description="Only offers at this level of admission or above (europass-ready: those Europass can take as they are)"),
        start_from: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
        start_to: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
        ects_min: float | None = Query(None, ge=0),
        ects_max: float | None = Query(None, ge=0),
        price_min: float | None = Query(None, ge=0),
        price_max: float | None = Query(None, ge=0),
        sort: str = Query("relevance", description="How results are ordered", json_schema_extra={"enum": list(SORTS)},
                          pattern="^(" + "|".join(re.escape(name) for name in SORTS) + ")$"),
        page: int = Query(1, ge=1, le=1_000_000, description="Page number, from 1"),
        page_size: int = Query(20, ge=1, le=100),
        facet_size: int = Query(FACET_SIZE, ge=1, le=100_000, description=(
            "At most this many values per facet, the most frequent first, besides the values asked for "
            "(a national catalogue has tens of thousands of providers; facet_values says how many there are)")),
        lang: str | None = Query(None, description="sv or en (default: from Accept-Language)"),
    ) -> SearchResponse:
        published = server.refresh()
        if published.search is None:
            raise HTTPException(503, "Nothing has been published yet: run catalogue harvest, then try again.")
        language_code = lang if lang in SUPPORTED else _accepted_language(request.headers.get("accept-language"))
        filters = {
            "field": field, "broad_field": broad_field, "eqf": eqf, "mode": mode, "language": language,
            "country": country, "provider": provider, "schedule": schedule, "source": source,
            "microcredential": [microcredential] if microcredential else [],
            "level": [level] if level else [],
            "status": _statuses(status),
            "town": town, "funding": list(funding), "target_group": target_group, "prerequisites": list(prerequisites),
            "study_time": list(study_time), "pace": list(pace), "language_requirement": list(language_requirement),
            "skill": skill, "occupation": occupation,
        }
        point = None
        if near:
            point = gazetteer.point(near)
            if point is None:
                raise HTTPException(400, f"The place {near!r} is not known: give a town's name (as in 'Umeå') or 'latitude, longitude'.")
        today = datetime.now(timezone.utc).date()
        query = SearchQuery(
            text=q, filters={k: v for k, v in filters.items() if v}, start_from=start_from, start_to=start_to,
            ects_min=ects_min, ects_max=ects_max, price_min=price_min, price_max=price_max, sort=sort,
            page=page, page_size=page_size,
            **application_window(today, open_now, closes_within),
            flexible=flexible_start, free=free, near=(point[0], point[1], within_km) if point else None,
        )
        result = published.search.search(query)
        pages = max(1, -(-result.total // page_size))
        return SearchResponse(
            total=result.total,
            page=page,
            page_size=page_size,
            pages=pages,
            language=language_code,
            items=[_item(server, summary, language_code) for summary in result.items],
            facets={name: _facet(server, name, _most_frequent(values, filters.get(name, []), facet_size), language_code, result.items)
                    for name, values in result.facets.items()},
            facet_values={name: len(values) for name, values in result.facets.items()},
            ranges=result.ranges,
            links=_links(request, page, pages),
        )

    return api


def _accepted_language(header: str | None) -> str:
    for part in (header or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in SUPPORTED:
            return code
    return "en"


def _concept(iri: str | None, lang: str) -> Concept | None:
    if not iri:
        return None
    vocabulary = load_vocabulary()
    return Concept(iri=iri, label=vocabulary.label(iri, lang), notation=vocabulary.notations.get(iri))


def _item(server, summary: dict, lang: str) -> OfferItem:
    vocabulary = load_vocabulary()
    title, title_language = pick(summary["titles"], lang)
    description = pick(summary.get("descriptions") or {}, lang)[0] or None
    provider = summary.get("provider")
    annex = {e.key: e for e in vocabulary.annex_elements()}
    base = server.config.base
    path = "/" + summary["iri"][len(base):] if summary["iri"].startswith(base) else None
    return OfferItem(
        iri=summary["iri"],
        title=display_text(title),
        title_language=title_language,
        description=description,
        homepage=summary.get("homepage"),
        provider=Provider(
            iri=provider["iri"],
            name=display_text(pick(provider.get("names", {}), lang)[0]),
            country=_concept(provider.get("country"), lang),
        ) if provider else None,
        microcredential=summary["microcredential"],
        level=summary.get("level", LISTED),
        status=summary.get("status", "current"),
        level_label=level_label(summary.get("level", LISTED), lang),
        next_level=_next_level(summary, lang),
        derived=[_derived_value(d, lang) for d in summary.get("derived", [])],
        sources=summary.get("sources") or [summary["source"]],
        disagreements=summary.get("disagreements", []),
        missing=[Concept(iri=annex[k].iri, label=annex[k].label(lang), notation=k) for k in summary["missing"] if k in annex],
        eqf=_concept(summary.get("eqf"), lang),
        fields=[_concept(f, lang) for f in summary.get("fields", [])],
        modes=[_concept(m, lang) for m in summary.get("modes", [])],
        languages=[_concept(x, lang) for x in summary.get("languages", [])],
        schedule=_concept(summary.get("schedule"), lang),
        start=summary.get("start"),
        end=summary.get("end"),
        ects=summary.get("ects"),
        hours=summary.get("hours"),
        prices=[
            PriceOut(
                amount=p.get("amount"),
                currency=vocabulary.notations.get(p["currency"]) if p.get("currency") else None,
                label=pick(p.get("labels") or {}, lang)[0] or None,
            )
            for p in summary.get("prices", [])
        ],
        places=[
            PlaceOut(name=pick(p.get("names") or {}, lang)[0] or None, address=pick(p.get("address") or {}, lang)[0] or None,
                     country=p.get("country"), latitude=p.get("latitude"), longitude=p.get("longitude"))
            for p in summary.get("places", [])
        ],
        application_deadlines=summary.get("deadlines", []),
        funding=[FUNDING_TOPICS[t] for t in summary.get("topics", []) if t in FUNDING_TOPICS],
        pace=summary.get("pace"),
        pace_band=summary.get("pace_band"),
        credits=[_credits(c, lang) for c in summary.get("credits") or []],
        language_requirements=[r for r in (_language_requirement(x, lang) for x in summary.get("language_requirements") or []) if r],
        skills=[_named(iri, lang, summary.get("concept_labels") or {}) for iri in summary.get("skills") or []],
        occupations=[_named(iri, lang, summary.get("concept_labels") or {}) for iri in summary.get("occupations") or []],
        data={"turtle": f"{path}.ttl", "jsonld": f"{path}.jsonld"} if path else {},
    )


def _most_frequent(values: list[tuple[str, int]], asked: list[str], size: int) -> list[tuple[str, int]]:
    """The ``size`` most frequent of ``values`` (most first, as counted) and every value asked for, in count order."""
    chosen, kept, others = set(asked), [], 0
    for value, count in values:
        if value in chosen:
            kept.append((value, count))
        elif others < size:
            kept.append((value, count))
            others += 1
    return kept


def _facet(server, name: str, values: list[tuple[str, int]], lang: str, items: list[dict]) -> list[FacetValue]:
    vocabulary = load_vocabulary()
    out = []
    for value, count in values:
        if name == "microcredential":
            label = {"yes": {"en": "Complete micro-credential", "sv": "Komplett mikromerit"}, "no": {"en": "Not complete", "sv": "Inte komplett"}}[value][lang]
        elif name == "level":
            label = level_label(value, lang)
        elif name == "status":
            label = STATUS_LABELS[value][lang]
        elif name == "provider":
            label = _provider_name(server, value, lang)
        elif name == "source":
            label = next((s.name for s in server.config.sources if s.id == value), value)
        elif name in VALUE_LABELS:
            label = VALUE_LABELS[name].get(value, {}).get(lang, value)
        elif name == "town":
            label = value
        elif name in ("skill", "occupation"):
            labels = next((i["concept_labels"][value] for i in items if value in (i.get("concept_labels") or {})), {})
            label = _named(value, lang, {value: labels}).label
        else:
            label = vocabulary.label(value, lang)
        out.append(FacetValue(value=value, label=label, count=count))
    return out


def _credits(entry: dict, lang: str) -> CreditsOut:
    points = float(entry["points"])
    return CreditsOut(system=_concept(entry["framework"], lang), points=points,
                      full_time_weeks=points / 5 if entry["framework"] == YH_POINTS else None)


def _language_requirement(entry: dict, lang: str) -> LanguageRequirementOut | None:
    text, text_language = pick(entry.get("texts") or {}, lang)
    if not text:
        return None
    level = entry.get("level")
    return LanguageRequirementOut(text=text, text_language=text_language,
                                  level=_concept(CEFR_SCHEME + level, lang) if level in CEFR_LEVELS else None)


def _named(iri: str, lang: str, data_labels: dict[str, dict[str, str]]) -> NamedConcept:
    labels = load_vocabulary().labels.get(iri) or data_labels.get(iri) or {}
    return NamedConcept(iri=iri, label=display_text(pick(labels, lang)[0]) or readable_iri(iri, lang), url=esco_page(iri, lang))


STATUS_LABELS = {
    "current": {"en": "Current", "sv": "Aktuell"},
    "ended": {"en": "Ended", "sv": "Avslutad"},
    "cancelled": {"en": "Cancelled", "sv": "Inställd"},
}


def _statuses(asked: list[str]) -> list[str]:
    return list(asked) or ["current"]


def _derived_value(entry: dict, lang: str) -> DerivedValue:
    vocabulary = load_vocabulary()
    return DerivedValue(
        property=curie(entry["property"]),
        property_label=vocabulary.label(entry["property"], lang, fallback=curie(entry["property"])),
        value=entry["value"],
        value_label=vocabulary.label(entry["value"], lang, fallback=entry["value"]),
        rule=entry["rule"],
        explanation=pick(entry.get("explanation") or {}, lang)[0],
    )


def _next_level(summary: dict, lang: str) -> NextLevel | None:
    level = summary.get("level", LISTED)
    following = NEXT_LEVEL.get(level)
    if following is None:
        return None
    vocabulary = load_vocabulary()
    if following == EUROPASS_READY:
        needs = [gap_label(gap, lang) for gap in summary.get("europass_gaps", [])]
    else:
        annex = {e.key: e for e in vocabulary.annex_elements()}
        needs = [annex[k].label(lang) for k in summary.get("missing", []) if k in annex]
    return NextLevel(level=following, label=level_label(following, lang), needs=needs)


def _provider_name(server, iri: str, lang: str) -> str:
    published = server.refresh()
    if published.search is None:
        return iri
    names = published.search.provider_names([iri]).get(iri, {})
    return display_text(pick(names, lang)[0]) or iri


def _links(request: Request, page: int, pages: int) -> dict[str, str | None]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def at(number: int) -> str:
        return str(request.url.path) + "?" + urlencode(params + [("page", str(number))])

    return {"self": at(page), "next": at(page + 1) if page < pages else None, "prev": at(page - 1) if page > 1 else None}


__all__ = ["router", "FACETS"]
