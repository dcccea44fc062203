"""What the catalogue shows about an offer: ``OfferSummary``, the one picture of a published offer that the search
index, the JSON API and the guidance site share (made by ``offer_walk`` from the offer's statements), and the small
helpers that read it. Titles, names and labels are kept as they are shown (``text.display_text``: no bidirectional
controls or zero-width characters), so every page and answer made from a summary shows them the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalogue.vocab import ECTS

Texts = dict[str, str]
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
