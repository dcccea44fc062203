"""Pages the catalogue's server renders when asked: the search (plain HTML, no JavaScript needed) and error pages.

The static site's search page loads an index into the browser; when the catalogue itself serves the site,
``/{lang}/search.html`` is answered here instead, from the published search index: a form sent with GET,
facets as checkboxes with their counts, results as the same cards as the listings, pages as links. The
whole state of a search is in its address, so it can be bookmarked, shared and sent to a client, and the
language switch keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from urllib.parse import urlencode

from catalogue.config import Config
from catalogue.levels import LEVELS, level_label
from catalogue.publish import gazetteer
from catalogue.publish.offer_data import pick
from catalogue.publish.search_index import (
    FACETS,
    SORTS,
    VALUE_LABELS,
    SearchIndex,
    SearchQuery,
    application_window,
)
from catalogue.text import display_text
from catalogue.vocab import load_vocabulary

from . import i18n
from .cards import card
from .environment import common_context, environment
from .view import Presenter

PAGE_SIZE = 20
PROVIDERS_SHOWN = 30  # the provider, town, skill and occupation facets list the most frequent; the others are reached by words
# Facets a reader picks from, in this order; "status" and "source" stay in the API.
SHOWN = ("broad_field", "eqf", "mode", "schedule", "pace", "study_time", "town", "funding", "prerequisites", "language_requirement",
         "target_group", "language", "skill", "occupation", "country", "provider", "level", "microcredential")
ORDERED = {"pace": ("100", "75", "50", "25", "under-25"), "language_requirement": ("stated", "none-stated", "A1", "A2", "B1", "B2", "C1", "C2")}
FLAGS = ("open_now", "flexible_start", "free")
KM_CHOICES = (10, 30, 50, 100, 200)
DAY_CHOICES = (7, 14, 30, 60, 90)
NUMBERS = ("ects_min", "ects_max", "price_min", "price_max")
DATES = ("start_from", "start_to")


@dataclass
class Choice:
    value: str
    label: str
    count: int
    chosen: bool


@dataclass
class Group:
    name: str
    label: str
    help: str
    choices: list[Choice] = field(default_factory=list)

    @property
    def chosen(self) -> int:
        return sum(1 for c in self.choices if c.chosen)


@dataclass
class Asked:
    """A search as its address states it, checked: unknown parameters and malformed values are left out."""

    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    flags: set[str] = field(default_factory=set)
    closes_within: int | None = None
    near: str = ""
    within_km: int = 30

    @classmethod
    def parse(cls, params: Iterable[tuple[str, str]]) -> Asked:
        asked = cls()
        for name, value in params:
            value = value.strip()
            if not value:
                continue
            if name == "q":
                asked.text = value[:200]
            elif name in FACETS and name not in ("status",):
                asked.filters.setdefault(name, [])
                if value not in asked.filters[name]:
                    asked.filters[name].append(value[:300])
            elif name in NUMBERS:
                try:
                    number = float(value.replace(",", "."))
                except ValueError:
                    continue
                if 0 <= number < 1e9:
                    asked.numbers[name] = number
            elif name in DATES and _is_day(value):
                asked.dates[name] = value
            elif name in FLAGS and value in ("1", "yes", "true", "on"):
                asked.flags.add(name)
            elif name == "closes_within" and value.isdigit() and int(value) <= 366:
                asked.closes_within = int(value)
            elif name == "near":
                asked.near = value[:200]
            elif name == "within_km" and value.isdigit() and 0 < int(value) <= 2000:
                asked.within_km = int(value)
            elif name == "sort" and value in SORTS:
                asked.sort = value
            elif name == "page" and value.isdigit():
                asked.page = max(1, min(int(value), 100_000))
        return asked

    def query(self, today: date, point: tuple[float, float, str] | None) -> SearchQuery:
        open_now = "open_now" in self.flags or self.closes_within is not None
        return SearchQuery(
            text=self.text, filters={**self.filters, "status": ["current"]},
            start_from=self.dates.get("start_from"), start_to=self.dates.get("start_to"),
            ects_min=self.numbers.get("ects_min"), ects_max=self.numbers.get("ects_max"),
            price_min=self.numbers.get("price_min"), price_max=self.numbers.get("price_max"),
            sort=self.sort, page=self.page, page_size=PAGE_SIZE,
            **application_window(today, open_now, self.closes_within),
            flexible="flexible_start" in self.flags, free="free" in self.flags,
            near=(point[0], point[1], float(self.within_km)) if point else None,
            facets=SHOWN,
        )

    def params(self, **changes) -> list[tuple[str, str]]:
        """The address parameters of this search, with ``changes`` (None removes a parameter)."""
        items: list[tuple[str, str]] = []
        if self.text:
            items.append(("q", self.text))
        for name, values in self.filters.items():
            items += [(name, v) for v in values]
        items += [(k, _plain(v)) for k, v in self.numbers.items()]
        items += list(self.dates.items())
        items += [(flag, "1") for flag in FLAGS if flag in self.flags]
        if self.closes_within is not None:
            items.append(("closes_within", str(self.closes_within)))
        if self.near:
            items += [("near", self.near), ("within_km", str(self.within_km))]
        if self.sort != "relevance":
            items.append(("sort", self.sort))
        if self.page > 1:
            items.append(("page", str(self.page)))
        for name, value in changes.items():
            items = [(k, v) for k, v in items if k != name]
            if value is not None:
                items.append((name, str(value)))
        return items

    def without(self, name: str, value: str | None = None) -> str:
        gone = {name, "within_km"} if name == "near" else {name}
        items = [(k, v) for k, v in self.params(page=None) if not (k in gone and (value is None or v == value))]
        return "?" + urlencode(items) if items else "?"

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.filters or self.numbers or self.dates or self.flags or self.near or self.closes_within is not None)


class LivePages:
    def __init__(self, config: Config):
        self.config = config
        self.vocabulary = load_vocabulary()

    def search(self, lang: str, params: Iterable[tuple[str, str]], index: SearchIndex, today: date | None = None) -> str:
        asked = Asked.parse(params)
        p = Presenter(lang, self.vocabulary)
        today = today or datetime.now(timezone.utc).date()
        point = gazetteer.point(asked.near) if asked.near else None
        result = index.search(asked.query(today, point))
        pages = max(1, -(-result.total // PAGE_SIZE))
        named = _concept_labels(result.items)
        groups = self._groups(result.facets, asked, p, index, named)
        query_string = urlencode(asked.params())
        other = "en" if lang == "sv" else "sv"
        path = f"/{lang}/search.html"
        context = common_context(self.config, lang, path + (f"?{query_string}" if query_string else ""),
                                 f"/{other}/search.html" + (f"?{query_string}" if query_string else ""))
        context["path"] = path
        active = self._active(asked, groups, p, named)
        return environment(lang).get_template("search_live.html").render(
            **context, p=p, asked=asked, groups=groups, total=result.total, page=asked.page, pages=pages,
            offers=[card(s, lang, p, self.config.base, today) for s in result.items],
            previous=("?" + urlencode(asked.params(page=asked.page - 1 if asked.page > 2 else None))) if asked.page > 1 else None,
            next=("?" + urlencode(asked.params(page=asked.page + 1))) if asked.page < pages else None,
            active=active, sorts=self._sorts(p), unknown_place=bool(asked.near and point is None),
            place=point[2] if point else "", km_choices=KM_CHOICES, day_choices=DAY_CHOICES,
        )

    def error(self, lang: str, status: int, path: str, withdrawn_on: str | None = None) -> str:
        other = "en" if lang == "sv" else "sv"
        context = common_context(self.config, lang, path, f"/{other}/")
        return environment(lang).get_template("error.html").render(
            **context, p=Presenter(lang, self.vocabulary), status=status, asked_path=path,
            withdrawn_on=i18n.day(withdrawn_on, lang) if withdrawn_on else None,
        )

    # -- parts ---------------------------------------------------------------------------------

    def _groups(self, facets: dict[str, list[tuple[str, int]]], asked: Asked, p: Presenter, index: SearchIndex,
                named: dict[str, dict[str, str]]) -> list[Group]:
        _ = p._
        names = {
            "broad_field": (_("Field of education"), ""),
            "eqf": (_("EQF level"), _("The European Qualifications Framework: 1 is the most basic, 8 a doctorate. Swedish SeQF levels are the same numbers.")),
            "mode": (_("Form of participation"), _("On site, online, or a mix of both.")),
            "schedule": (_("Full or part time"), ""),
            "language": (_("Language"), _("The language the teaching is given in.")),
            "country": (_("Country"), ""),
            "provider": (_("Provider"), ""),
            "level": (_("Level in the catalogue"), _("Listed: a learner can find and judge it. Europass-ready: Europass can take it as it is. Complete: it states everything the EU recommendation on micro-credentials asks for.")),
            "microcredential": (_("Micro-credential"), ""),
            "study_time": (_("When in the day or week"), _("Daytime, evenings, weekends, or at your own pace, as the offer says.")),
            "town": (_("Town"), _("Where the teaching is given, as the offer names the place.")),
            "funding": (_("Student aid and funding"), _("What the offer's data says about student aid from CSN, or about grants.")),
            "prerequisites": (_("Entry requirements"), _("Whether the offer states what you need to know or have done before you start.")),
            "target_group": (_("For whom"), _("Who the offer is meant for, as its provider says.")),
            "pace": (_("Pace of study"), _("How much of full-time study the offer takes: 100 % is full time, 50 % half time. Offers that only say full time count as 100 %.")),
            "language_requirement": (_("Language requirements"), _(
                "What language, and how well, you need to know before you start, as the entry requirements say. "
                "A level such as B1 or B2 is shown only where the provider states it on the European scale (CEFR): "
                "A1 and A2 are beginners, B1 and B2 independent users, C1 and C2 advanced.")),
            "skill": (_("Skills (ESCO)"), _("Skills the learning outcomes are linked to in ESCO, the European classification of skills and occupations.")),
            "occupation": (_("Occupations (ESCO)"), _("Occupations the offer leads to, as its provider links them to ESCO.")),
        }
        groups = []
        for name in SHOWN:
            values = facets.get(name, [])
            if name in ("provider", "town", "skill", "occupation"):
                chosen = set(asked.filters.get(name, []))
                values = [v for v in values if v[0] in chosen] + [v for v in values if v[0] not in chosen][:PROVIDERS_SHOWN]
            if name == "level":
                values = sorted(values, key=lambda v: LEVELS.index(v[0]) if v[0] in LEVELS else 99)
            if name in ORDERED:
                values = sorted(values, key=lambda v: ORDERED[name].index(v[0]) if v[0] in ORDERED[name] else 99)
            label, help_text = names[name]
            group = Group(name, label, help_text)
            labels = self._provider_names([v for v, _n in values], index, p.lang) if name == "provider" else {}
            for value, count in values:
                group.choices.append(Choice(value, labels.get(value) or self._label(name, value, p, named), count, value in asked.filters.get(name, [])))
            if group.choices:
                groups.append(group)
        return groups

    def _label(self, facet: str, value: str, p: Presenter, named: dict[str, dict[str, str]] | None = None) -> str:
        _ = p._
        if facet in ("skill", "occupation"):
            return p.named(value, (named or {}).get(value)).text.text
        if facet == "microcredential":
            return _("Complete micro-credential") if value == "yes" else _("Not a complete micro-credential")
        if facet == "level":
            return level_label(value, p.lang)
        if facet in VALUE_LABELS:
            return VALUE_LABELS[facet].get(value, {}).get(p.lang, value)
        return p.label(value) if value.startswith("http") else value

    def _provider_names(self, iris: list[str], index: SearchIndex, lang: str) -> dict[str, str]:
        return {iri: display_text(pick(names, lang)[0]) for iri, names in index.provider_names(iris).items()}

    def _active(self, asked: Asked, groups: list[Group], p: Presenter, named: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
        """(what is asked, address without it): what the reader can take away when nothing or little is found."""
        _ = p._
        labels = {(g.name, c.value): c.label for g in groups for c in g.choices}
        active = []
        if asked.text:
            active.append((_("the words “%(words)s”") % {"words": asked.text}, asked.without("q")))
        for name, values in asked.filters.items():
            for value in values:
                active.append((labels.get((name, value)) or self._label(name, value, p, named), asked.without(name, value)))
        said = {
            "ects_min": _("at least %(value)s ECTS credits"), "ects_max": _("at most %(value)s ECTS credits"),
            "price_min": _("a price of at least %(value)s"), "price_max": _("a price of at most %(value)s"),
            "start_from": _("starting on %(value)s or later"), "start_to": _("starting on %(value)s or earlier"),
        }
        flags = {"open_now": _("open for application now"), "flexible_start": _("flexible start"), "free": _("free of charge")}
        for flag in FLAGS:
            if flag in asked.flags:
                active.append((flags[flag], asked.without(flag)))
        if asked.closes_within is not None:
            active.append((_("applications closing within %(days)s days") % {"days": asked.closes_within}, asked.without("closes_within")))
        if asked.near:
            active.append((_("within %(km)s km of %(place)s") % {"km": asked.within_km, "place": asked.near}, asked.without("near")))
        for name, number in asked.numbers.items():
            active.append((said[name] % {"value": p.number(number)}, asked.without(name)))
        for name, day in asked.dates.items():
            active.append((said[name] % {"value": p.day(day)}, asked.without(name)))
        return active

    def _sorts(self, p: Presenter) -> list[tuple[str, str]]:
        _ = p._
        return [("relevance", _("Best match, then soonest start")), ("start", _("Soonest start")), ("title", _("Title")),
                ("ects", _("Smallest workload")), ("price", _("Lowest price"))]


def _concept_labels(items: list[dict]) -> dict[str, dict[str, str]]:
    """The labels the results' data give their skills and occupations (used where the catalogue's vocabulary has none)."""
    found: dict[str, dict[str, str]] = {}
    for item in items:
        for iri, labels in (item.get("concept_labels") or {}).items():
            found.setdefault(iri, labels)
    return found


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)
