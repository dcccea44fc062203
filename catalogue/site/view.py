"""What the guidance site's pages show, computed in Python and handed to the templates.

Templates stay simple and safe: they receive dataclasses whose fields are
plain text (escaped by jinja2), http(s) URLs only (anything else is dropped
here), and language-tagged text with a flag saying whether it is in the
reader's language (``Text.fallback``), so a page can say so visibly.
Provider text is never glued to the catalogue's own words in one string: a value
made of several pieces (a place and its country, a price and its label) is a
``Joined`` whose pieces the templates isolate one by one (``<bdi>``), so a
right-to-left name cannot reorder the label or number beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from catalogue.levels import (
    EUROPASS_READY,
    LEVEL_IRIS,
    LISTED,
    NEXT_LEVEL,
    gap_label,
    level_label,
)
from catalogue.publish.offer_data import (
    OfferSummary,
    Organisation,
    duration_hours,
    pick,
)
from catalogue.urls import offer_page, provider_page
from catalogue.vocab import (
    CEFR_SCHEME,
    ECTS,
    FOLK_HIGH_SCHOOL_WEEKS,
    YH_POINTS,
    Vocabulary,
    esco_page,
    load_vocabulary,
    readable_iri,
)

from . import i18n


@dataclass(frozen=True)
class Text:
    text: str
    lang: str  # BCP 47 tag of the text, "" if unknown
    fallback: bool  # True when the text is not in the page's language


@dataclass(frozen=True)
class Joined:
    """Pieces shown one after another (``separator`` between them, ``suffix`` after), each isolated on the page."""

    parts: tuple[Text, ...]
    separator: str
    suffix: str = ""

    @property
    def text(self) -> str:
        return self.separator.join(part.text for part in self.parts) + self.suffix


@dataclass
class AnnexRow:
    key: str
    label: str
    explanation: str
    mandatory: bool
    present: bool
    values: list[Text | Joined] = field(default_factory=list)
    items: list[Text] = field(default_factory=list)  # shown as a list (learning outcomes)


@dataclass
class Link:
    url: str
    text: str


@dataclass
class Named:
    """A skill or occupation: its name (``Text``: in the page's language or marked as another) and where to read about it."""

    text: Text
    url: str | None


@dataclass
class OfferView:
    iri: str
    url: str
    other_language_url: str
    title: Text
    titles_other: list[Text]
    description: Text | None
    microcredential: bool
    status: str
    level: str
    level_label: str
    level_explanation: str
    next_level_label: str | None
    next_level_needs: list[str]
    derived: list[tuple[str, str, str]]  # (property label, value label, explanation): what the catalogue inferred
    sources: list[str]  # names of every source that publishes the offer
    disagreements: list[tuple[str, list[tuple[str, str]]]]  # (what, [(source name, what it says)])
    missing: list[str]
    annex: list[AnnexRow]
    provider: Link | None
    provider_name: Text | None
    homepage: str | None
    facts: list[tuple[str, list[Text | Joined]]]
    apply: list[tuple[str, list[Text]]]
    harvest: list[tuple[str, str]]
    data_links: list[Link]
    documents: list[str]
    source: str
    skills: list[Named] = field(default_factory=list)
    occupations: list[Named] = field(default_factory=list)


class Presenter:
    """Formatting and labels for one page language."""

    def __init__(self, lang: str, vocabulary: Vocabulary | None = None):
        self.lang = lang
        self.vocabulary = vocabulary or load_vocabulary()
        self._ = i18n.translations(lang).gettext

    def label(self, iri: str | None) -> str:
        return self.vocabulary.label(iri, self.lang) if iri else ""

    def explain(self, iri: str | None) -> str:
        if not iri:
            return ""
        definitions = self.vocabulary.definitions.get(iri, {})
        return definitions.get(self.lang) or definitions.get("en", "")

    def text(self, texts: dict[str, str]) -> Text | None:
        value, lang = pick(texts, self.lang)
        if not value:
            return None
        return Text(value, lang, bool(lang) and lang.split("-")[0] != self.lang)

    def plain(self, value: str) -> Text:
        return Text(value, self.lang, False)

    def day(self, value: str | None) -> str:
        return i18n.day(value, self.lang)

    def number(self, value: float | None) -> str:
        return i18n.number(value, self.lang)

    def money(self, amount: float | None, currency_iri: str | None) -> str:
        code = self.vocabulary.notations.get(currency_iri) if currency_iri else None
        if amount == 0:
            return self._("Free of charge")
        return i18n.money(amount, code, self.lang)

    def hours(self, duration: str | None) -> str:
        hours = duration_hours(duration) if duration else None
        if hours is None:
            return duration or ""
        return self._("%(hours)s hours") % {"hours": self.number(hours)}

    def pace(self, percent: float | None) -> str:
        """"50 % (half time)": a pace of study, with the name readers use for the common ones."""
        if percent is None:
            return ""
        _ = self._
        shown = f"{self.number(percent)} %"
        name = {100.0: _("full time"), 75.0: _("three-quarter time"), 50.0: _("half time"), 25.0: _("quarter time")}.get(float(percent))
        return _("%(percent)s (%(name)s)") % {"percent": shown, "name": name} if name else shown

    def credits(self, framework: str, points: str) -> str:
        """Credits as readers count them: "7.5 ECTS", "200 YH points (40 weeks of full-time study)", "34 study weeks (folk high school)"."""
        _ = self._
        try:
            number = float(points)
        except ValueError:
            return f"{points} {self.vocabulary.notations.get(framework) or self.label(framework)}"
        if framework == ECTS:
            return f"{self.number(number)} ECTS"
        if framework == YH_POINTS:
            # 5 YH points are one week of full-time study (Förordning (2009:130) om yrkeshögskolan); no ECTS equivalence exists.
            return _("%(points)s YH points (%(weeks)s weeks of full-time study)") % {"points": self.number(number), "weeks": self.number(number / 5)}
        if framework == FOLK_HIGH_SCHOOL_WEEKS:
            return _("%(weeks)s study weeks (folk high school)") % {"weeks": self.number(number)}
        return f"{self.number(number)} {self.vocabulary.notations.get(framework) or self.label(framework)}"

    def named(self, iri: str, labels: dict[str, str] | None = None) -> Named:
        """A skill or occupation by the catalogue's label (ESCO's), else the data's, else its address in words; linked to ESCO."""
        known = self.vocabulary.labels.get(iri) or labels or {}
        text = self.text(known) or self.plain(readable_iri(iri, self.lang))
        return Named(text, esco_page(iri, self.lang) or http_only(iri))

    def offer_url(self, iri: str, source: str, base: str) -> str:
        return offer_page(iri, source, base, self.lang)

    def provider_url(self, iri: str) -> str:
        return provider_page(iri, self.lang)


def http_only(url: str | None) -> str | None:
    """Provider data may carry javascript: or data: URLs; only http(s) addresses become links."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def offer_view(offer: OfferSummary, p: Presenter, base: str, source_name: str, last_harvest: str | None,
               source_names: dict[str, str] | None = None) -> OfferView:
    _ = p._
    title = p.text(offer.titles) or p.plain(offer.iri)
    other_lang = "en" if p.lang == "sv" else "sv"
    annex = _annex(offer, p)
    provider = offer.provider
    path = "/" + offer.iri[len(base):] if offer.iri.startswith(base) else None
    return OfferView(
        iri=offer.iri,
        url=p.offer_url(offer.iri, offer.source, base),
        other_language_url=offer_page(offer.iri, offer.source, base, other_lang),
        title=title,
        titles_other=[Text(t, lang, True) for lang, t in sorted(offer.titles.items()) if t != title.text],
        description=p.text(offer.descriptions),
        microcredential=offer.microcredential,
        status=offer.status,
        level=offer.level,
        level_label=level_label(offer.level, p.lang),
        level_explanation=p.explain(LEVEL_IRIS.get(offer.level)),
        next_level_label=level_label(NEXT_LEVEL[offer.level], p.lang) if offer.level in NEXT_LEVEL else None,
        next_level_needs=_next_level_needs(offer, p),
        sources=[(source_names or {}).get(s, s) for s in offer.sources] or [source_name],
        disagreements=[(_disagreement_label(d["field"], p), [((source_names or {}).get(s, s), _shown(v, p)) for s, v in d["values"].items()])
                       for d in offer.disagreements],
        derived=[_derived(offer, p, d) for d in offer.derived],
        # From the offer's record, as validation found it (not recomputed from what the page shows).
        missing=_annex_labels(offer.missing, p),
        annex=annex,
        provider=Link(p.provider_url(provider.iri), (p.text(provider.names) or p.plain(provider.iri)).text) if provider else None,
        provider_name=p.text(provider.names) if provider else None,
        homepage=http_only(offer.homepage),
        facts=_facts(offer, p),
        apply=_apply(offer, p),
        harvest=[
            (_("Source"), source_name),
            (_("First seen by the catalogue"), p.day(offer.first_seen)),
            (_("Last changed"), p.day(offer.changed)),
            (_("Last harvested"), p.day(last_harvest)),
        ],
        data_links=_data_links(offer.iri, path),
        documents=[u for u in (http_only(d) for d in offer.documents) if u],
        source=offer.source,
        skills=[p.named(iri, offer.concept_labels.get(iri)) for iri in offer.skills],
        occupations=[p.named(iri, offer.concept_labels.get(iri)) for iri in offer.occupations],
    )


def _annex_labels(keys: list[str], p: Presenter) -> list[str]:
    labels = {e.key: e.label(p.lang) for e in p.vocabulary.annex_elements()}
    return [labels.get(key, key) for key in keys]


def _next_level_needs(offer: OfferSummary, p: Presenter) -> list[str]:
    if offer.level == LISTED:
        return [gap_label(gap, p.lang) for gap in offer.europass_gaps]
    if offer.level == EUROPASS_READY:
        return _annex_labels(offer.missing, p)
    return []


def _data_links(iri: str, path: str | None) -> list[Link]:
    """The offer as data: its own dereferenceable address when the catalogue minted it, else by IRI."""
    formats = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))
    if path:
        return [Link(f"{path}.{ext}", name) for ext, name in formats]
    return [Link(f"/data/offer.{ext}?{urlencode({'iri': iri})}", name) for ext, name in formats]


def _annex(offer: OfferSummary, p: Presenter) -> list[AnnexRow]:
    _ = p._
    values: dict[str, list[Text]] = {
        "title": [p.text(offer.titles) or p.plain(offer.iri)],
        "provider-country": [p.plain(p.label(o.country)) for o in ([offer.provider] if offer.provider else []) if o.country],
        "awarding-body": [t for t in (p.text(b.names) for b in offer.awarding_bodies) if t],
        "workload": _workload(offer, p),
        "level": [p.plain(p.label(offer.eqf))] if offer.eqf else [],
        "assessment-type": [p.plain(p.label(t)) for t in offer.assessment_types] + ([p.text(offer.assessment_titles)] if offer.assessment_titles else []),
        "participation-form": [p.plain(p.label(m)) for m in offer.modes] + ([p.plain(p.label(offer.schedule))] if offer.schedule else []),
        "quality-assurance": _quality(offer, p),
        "prerequisites": ([p.text(offer.entry_requirements)] if offer.entry_requirements else []) + [p.plain(p.label(t)) for t in offer.target_groups],
        "supervision-verification": [t for t in (p.text(n) for n in offer.supervision) if t],
        "grade": [p.text(offer.grading)] if offer.grading else [],
        "integration-stackability": [t for t in (p.text(n) for n in offer.pathways) if t],
        "further-information": ([p.text(offer.descriptions)] if offer.descriptions else []),
    }
    items = {"learning-outcomes": [t for t in (p.text(o) for o in offer.outcomes) if t]}
    explanations = {"level": p.explain(offer.eqf)}
    rows = []
    for element in p.vocabulary.annex_elements():
        if not element.offer_level:
            continue
        found = [v for v in values.get(element.key, []) if v and v.text]
        listed = items.get(element.key, [])
        rows.append(
            AnnexRow(
                key=element.key,
                label=element.label(p.lang),
                explanation=explanations.get(element.key) or element.definitions.get(p.lang) or element.definitions.get("en", ""),
                mandatory=element.mandatory,
                present=bool(found or listed),
                values=found,
                items=listed,
            )
        )
    return rows


def _workload(offer: OfferSummary, p: Presenter) -> list[Text]:
    _ = p._
    shown = [p.plain(p.credits(framework, points)) for framework, points in offer.credits]
    hours = duration_hours(offer.volume) if offer.volume else None
    if hours is not None:
        shown.append(p.plain(_("%(hours)s hours of work") % {"hours": p.number(hours)}))
    elif offer.ects:
        low, high = offer.ects * 25, offer.ects * 30
        shown.append(p.plain(_("about %(low)s to %(high)s hours of work") % {"low": p.number(low), "high": p.number(high)}))
    return shown


def _quality(offer: OfferSummary, p: Presenter) -> list[Text | Joined]:
    shown: list[Text | Joined] = []
    organisations: list[Organisation] = ([offer.provider] if offer.provider else []) + list(offer.awarding_bodies)
    for organisation in organisations:
        for accreditation in organisation.accreditations:
            parts = [p.plain(p.label(accreditation["type"]))] if accreditation.get("type") else []
            parts += [t for t in (p.text(accreditation.get("titles", {})), p.text(accreditation.get("agent", {}))) if t]
            joined = Joined(tuple(parts), " – ")
            if joined.text and joined.text not in [s.text for s in shown]:
                shown.append(joined)
    shown += [t for t in (p.text(n) for n in offer.quality_notes) if t]
    return shown


def _facts(offer: OfferSummary, p: Presenter) -> list[tuple[str, list[Text | Joined]]]:
    _ = p._
    dates = []
    if offer.start:
        dates.append(p.plain(_("Starts %(date)s") % {"date": p.day(offer.start)}))
    if offer.end:
        dates.append(p.plain(_("Ends %(date)s") % {"date": p.day(offer.end)}))
    places: list[Text | Joined] = []
    for place in offer.places:
        parts = [x for x in (p.text(place.names), p.text(place.address)) if x] + ([p.plain(p.label(place.country))] if place.country else [])
        places.append(Joined(tuple(parts), ", "))
    prices: list[Text | Joined] = []
    for price in offer.prices:
        label = p.text(price.labels)
        amount = p.money(price.amount, price.currency) if price.amount is not None else ""
        if label and amount and label.text.casefold() != amount.casefold():
            prices.append(Joined((p.plain(amount), label), " (", ")"))
        elif amount or not label:
            prices.append(p.plain(amount))
        else:
            prices.append(label)
    facts = [
        (_("Dates"), dates),
        (_("Place"), places),
        (_("Price"), prices),
        (_("Language of instruction"), [_inferred(offer, p, x) for x in offer.languages]),
        (_("Field of education"), [_inferred(offer, p, x) for x in offer.fields]),
        (_("Type"), [p.plain(p.label(x)) for x in offer.types]),
        (_("Schedule"), [t for t in [p.text(offer.schedule_information)] if t]),
        (_("Pace of study"), [_pace(offer, p)] if offer.pace is not None else []),
        (_("Credits"), [p.plain(p.credits(framework, points)) for framework, points in offer.credits]),
        (_("Language requirements"), [_language_requirement(offer, p, r) for r in offer.language_requirements]),
    ]
    return [(name, [v for v in values if v and v.text]) for name, values in facts if any(v and v.text for v in values)]


def _pace(offer: OfferSummary, p: Presenter) -> Text | Joined:
    shown = p.plain(p.pace(offer.pace))
    if any(d["rule"].startswith("pace/") for d in offer.derived):
        return Joined((shown,), "", " " + p._("(inferred by the catalogue)"))
    return shown


def _derived(offer: OfferSummary, p: Presenter, entry: dict) -> tuple[str, str, str]:
    """(what, value, why) of a value the catalogue inferred; a pace or a language requirement is named as such, not by
    the property of the note that holds it."""
    _ = p._
    why = pick(entry.get("explanation") or {}, p.lang)[0]
    if entry["rule"].startswith("pace/") and offer.pace is not None:
        return _("Pace of study"), p.pace(offer.pace), why
    value = p.vocabulary.label(entry["value"], p.lang, fallback=entry["value"])
    if entry["rule"] == "language-requirement/stated":
        return _("Language requirements"), _("stated, with no CEFR level"), why
    if entry["rule"].startswith("language-requirement/"):
        return _("Language requirements"), value, why
    return p.vocabulary.label(entry["property"], p.lang, fallback=entry["property"]), value, why


def _language_requirement(offer: OfferSummary, p: Presenter, requirement: dict) -> Text | Joined | None:
    """The provider's words that state it, with the CEFR level they name; marked when the catalogue found them."""
    words = p.text(requirement.get("texts") or {})
    if words is None:
        return None
    level = requirement.get("level")
    parts = (words, p.plain(p._("CEFR level %(level)s") % {"level": level})) if level else (words,)
    subject = CEFR_SCHEME + level if level else "https://w3id.org/mc-catalogue/note-topic/language-requirement"
    found = any(d["value"] == subject and d["rule"].startswith("language-requirement/") for d in offer.derived)
    return Joined(parts, " – ", " " + p._("(found by the catalogue in the entry requirements)") if found else "")


def _disagreement_label(name: str, p: Presenter) -> str:
    _ = p._
    return {
        "title": _("Title"), "homepage": _("Web page"), "provider": _("Provider"), "start": _("Start"), "end": _("End"),
        "deadlines": _("Apply by"), "prices": _("Price"), "ects": "ECTS", "workload": _("Workload"), "level": _("EQF level"),
        "modes": _("Form of participation"), "languages": _("Language of instruction"), "fields": _("Field of education"),
    }.get(name, name)


def _shown(value: str, p: Presenter) -> str:
    """A compared value as a reader reads it: concept labels instead of addresses."""
    parts = [part.strip() for part in value.split(", ")] if value else []
    return ", ".join(p.vocabulary.label(part, p.lang, fallback=part) if part.startswith("http") else part for part in parts) or "–"


def _inferred(offer: OfferSummary, p: Presenter, iri: str) -> Text | Joined:
    """A concept's label, marked when the catalogue inferred it rather than the provider stating it."""
    label = p.plain(p.label(iri))
    if any(d["value"] == iri for d in offer.derived):
        return Joined((label,), "", " " + p._("(inferred by the catalogue)"))
    return label


def _apply(offer: OfferSummary, p: Presenter) -> list[tuple[str, list[Text]]]:
    _ = p._
    items = []
    if offer.deadlines:
        items.append((_("Apply by"), [p.plain(p.day(d)) for d in sorted(offer.deadlines)]))
    if offer.admission:
        admission = p.text(offer.admission)
        if admission:
            items.append((_("How to apply"), [admission]))
    return items
