"""The guidance site's pages other than the offer and provider pages, with the data each needs.

Pages are produced as (path, content) pairs; the builder decides what to
write. Listings work from the offer summaries of the search index (no store
scan). A catalogue searched in the browser has its summaries in memory
(``Listings``) and a browse page per facet value; a larger one counts its
facets with the published search index (``LiveFacets``) and links each value
to the server's search, so no page needs every offer in memory.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from catalogue.config import Config
from catalogue.publish import search_sets
from catalogue.publish.generations import Generation
from catalogue.publish.offer_data import pick
from catalogue.publish.search_index import SearchIndex
from catalogue.publish.time_relevance import CURRENT
from catalogue.resources import data_dir
from catalogue.templates import is_http
from catalogue.text import display_text
from catalogue.urls import offer_page, provider_page
from catalogue.vocab import load_vocabulary

from . import i18n
from .cards import card, next_deadline
from .environment import common_context, environment
from .manifest import listed
from .providers import provider_view
from .static_search import EVERY_OFFER, Record
from .view import Presenter

PAGE_SIZE = 50
REGISTER_PAGE = 1_000  # providers on one page of the register
SITEMAP_URLS = 40_000  # under the protocol's 50,000 and 50 MB, with room for long addresses
EXAMPLE_QUERY = """PREFIX elm: <http://data.europa.eu/snb/model/elm/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX mcc: <https://w3id.org/mc-catalogue/ns#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?offer ?title WHERE {
  ?offer a elm:LearningOpportunity ;
         dcterms:title ?title ;
         elm:learningAchievementSpecification/elm:educationLevel <http://data.europa.eu/snb/eqf/6> .
  ?record mcc:microCredential true ; foaf:primaryTopic ?offer .
  FILTER(LANGMATCHES(LANG(?title), "en"))
}
ORDER BY ?title"""
ECTS_BANDS = [("0-3", 0, 3), ("3-7.5", 3, 7.5), ("7.5-15", 7.5, 15), ("15-", 15, math.inf)]


@dataclass(frozen=True)
class Deferred:
    """A page rendered only if what it shows (``key``) changed since the last build: listings are most of a site."""

    key: str
    render: Callable[[], str]


def summary_digest(text: str) -> str:
    """A digest of an offer summary's JSON text, as the search index holds it."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class FacetValue:
    key: str  # URL segment
    value: str  # what the search index filters by (IRI, yes/no, band)
    label: str
    count: int
    url: str


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-") or "x"


FACET_NAMES = ("broad_field", "eqf", "mode", "language", "country", "provider", "start", "ects", "price", "microcredential")
# The facets a large catalogue's browse page lists, each value a link to the server's search (which has them as filters).
LIVE_FACETS = ("broad_field", "eqf", "mode", "language", "country", "start", "microcredential")


def _facet_label(name: str, p: Presenter) -> str:
    _ = p._
    return {
        "broad_field": _("Field of education"), "eqf": _("EQF level"), "mode": _("Form of participation"), "language": _("Language"),
        "country": _("Country"), "provider": _("Provider"), "start": _("Start"), "ects": _("Workload (ECTS)"), "price": _("Price"),
        "microcredential": _("Micro-credential"),
    }[name]


def value_label(facet: str, value: str, p: Presenter, provider_names: dict[str, dict[str, str]]) -> str:
    _ = p._
    if facet == "microcredential":
        return _("Complete micro-credential") if value == "yes" else _("Not a complete micro-credential")
    if facet == "provider":
        return pick(provider_names.get(value, {}), p.lang)[0] or value
    if facet == "start":
        return i18n.month(value, p.lang)
    if facet == "ects":
        low, _sep, high = value.partition("-")
        return f"{p.number(float(low))}–{p.number(float(high))} ECTS" if high else f"{p.number(float(low))}+ ECTS"
    if facet == "price":
        return _("Free of charge") if value == "free" else _("With a fee")
    return p.label(value)


class Listings:
    """A catalogue searched in the browser: every listed offer's summary in memory, the facets counted from them,
    a browse page per facet value (so that every offer is reached without JavaScript), the Pagefind records and the
    search page's ranges."""

    live = False

    def __init__(self, summaries: list[dict], digests: dict[str, str], base: str):
        self.base = base
        # Ended and cancelled offers keep their own pages (opened by link) but leave listings and counts.
        self.summaries = [s for s in summaries if listed(s.get("status", CURRENT))]
        self.vocabulary = load_vocabulary()
        self.provider_names: dict[str, dict[str, str]] = {}
        for summary in self.summaries:
            provider = summary.get("provider")
            if provider and provider["iri"] not in self.provider_names:
                self.provider_names[provider["iri"]] = {k: v for k, v in ((k, display_text(n)) for k, n in (provider.get("names") or {}).items()) if v}
        self._cards: dict[tuple[str, str], dict] = {}
        self._facet_lists: dict[str, list[Facet]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._facet_values: dict[str, dict[str, tuple[str, ...]]] = {}
        # What each listed offer's card is made from: the digest of its summary's JSON (``summary_digest``, by IRI)
        # and the next application deadline, the one thing a card shows that changes with the day.
        today = date.today()
        self._card_inputs = {s["iri"]: (digests[s["iri"]], next_deadline(s, today)) for s in self.summaries}

    @property
    def total(self) -> int:
        return len(self.summaries)

    def facets(self, lang: str, p: Presenter) -> list[Facet]:
        """The facets of the search and browse pages, counted once per language (pages and search records share them)."""
        if lang not in self._facet_lists:
            facets = []
            for name in FACET_NAMES:
                facet = Facet(name, _facet_label(name, p))
                for value, count in self._value_counts(name).items():
                    key = self._value_key(name, value)
                    facet.values.append(FacetValue(key, value, value_label(name, value, p, self.provider_names), count,
                                                   f"/{lang}/browse/{name}/{key}/"))
                facet.values.sort(key=_value_order(name))
                facets.append(facet)
            self._facet_lists[lang] = facets
        return self._facet_lists[lang]

    def browse_pages(self, lang: str, p: Presenter, render: Callable[..., str]) -> Iterator[tuple[str, Deferred]]:
        """One page (or pages of ``PAGE_SIZE``) per facet value, each rendered only when what it shows changed."""
        in_listing_order = sorted(self.summaries, key=lambda s: (s.get("start") or "9999", pick(s["titles"], lang)[0]))
        for facet in self.facets(lang, p):
            # One pass per facet groups the offers under their values (a pass per value cost values x offers:
            # 2,500 providers x 100,000 offers), already in listing order, so each page is a slice.
            by_value: dict[str, list[dict]] = {}
            values_of = self._values(facet.name)
            for summary in in_listing_order:
                for facet_value in values_of[summary["iri"]]:
                    by_value.setdefault(facet_value, []).append(summary)
            for value in facet.values:
                members = by_value.get(value.value, [])
                pages = max(1, math.ceil(len(members) / PAGE_SIZE))
                for number in range(1, pages + 1):
                    name = "index.html" if number == 1 else f"{number}.html"
                    chunk = members[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
                    yield f"{lang}/browse/{facet.name}/{value.key}/{name}", Deferred(
                        _key(facet.label, value.label, value.url, number, pages, len(members), self._cards_key(chunk)),
                        lambda facet=facet, value=value, chunk=chunk, number=number, pages=pages, total=len(members), name=name: render(
                            "browse.html",
                            f"browse/{facet.name}/{value.key}/{name if number > 1 else ''}",
                            facet=facet, value=value, offers=[self._card(s, lang, p) for s in chunk], page=number, pages=pages, total=total,
                        ),
                    )

    def _cards_key(self, summaries: list[dict]) -> list[tuple[str, str | None]]:
        """What the cards of ``summaries`` are made from, so that a listing page is known to be unchanged without
        making its cards."""
        return [self._card_inputs[s["iri"]] for s in summaries]

    def _card(self, summary: dict, lang: str, p: Presenter) -> dict:
        """What a listing shows of an offer; made once per offer and language, since every listing reuses it."""
        key = (summary["iri"], lang)
        if key not in self._cards:
            self._cards[key] = card(summary, lang, p, self.base)
        return self._cards[key]

    def _value_counts(self, facet: str) -> Counter[str]:
        """How many listed offers have each value of ``facet``: the same in every language, so counted once."""
        if facet not in self._counts:
            counts: Counter[str] = Counter()
            for values in self._values(facet).values():
                counts.update(values)
            self._counts[facet] = counts
        return self._counts[facet]

    def _values(self, facet: str) -> dict[str, tuple[str, ...]]:
        """Each listed offer's distinct values of ``facet``, by IRI: worked out once for the counts and the listings
        of both languages."""
        if facet not in self._facet_values:
            self._facet_values[facet] = {s["iri"]: tuple(dict.fromkeys(_facet_values(s, facet))) for s in self.summaries}
        return self._facet_values[facet]

    def _value_key(self, facet: str, value: str) -> str:
        if facet == "provider":
            return provider_page(value, "x").rsplit("/", 1)[-1][:-5]
        if value.startswith("http"):
            return _slug(self.vocabulary.notations.get(value) or value.rsplit("/", 1)[-1])
        return _slug(value)

    def search_records(self) -> Iterator[Record]:
        """One Pagefind record per listed offer and language: what a result card shows (meta), the facet value keys
        the search page's checkboxes carry (filters), and the sort keys; words from every title, description,
        provider name and place."""
        for lang in i18n.LANGUAGES:
            p = Presenter(lang, self.vocabulary)
            facets = self.facets(lang, p)
            keys = {(facet.name, value.value): value.key for facet in facets for value in facet.values}
            for summary in self.summaries:
                yield self._record(summary, lang, p, facets, keys)

    def _record(self, summary: dict, lang: str, p: Presenter, facets: list[Facet], keys: dict[tuple[str, str], str]) -> Record:
        card = self._card(summary, lang, p)
        provider = summary.get("provider") or {}
        words = [*summary["titles"].values(), *(summary.get("descriptions") or {}).values(), *(provider.get("names") or {}).values(),
                 *(name for place in summary.get("places") or [] for name in (place.get("names") or {}).values())]
        meta = {
            "title": card["title"], "provider": card["provider"], "iri": summary["iri"], "level": card["level"],
            "level_label": card["level_label"], "eqf": card["eqf"], "national": card["national_level"], "ects": card["ects"],
            "hours": card["hours"], "modes": ", ".join(card["modes"]), "start": card["start"], "deadline": card["deadline"],
            "languages": ", ".join(card["languages"]), "places": json.dumps(card["places"], ensure_ascii=False), "price": card["price"],
        }
        if card["fallback"]:
            meta.update(title_lang=card["title_lang"], title_language=i18n.language_name(card["title_lang"], lang))
        filters = {facet.name: sorted({keys[(facet.name, v)] for v in _facet_values(summary, facet.name) if (facet.name, v) in keys})
                   for facet in facets}
        filters.update({name: [value] for name, value in _range_values(summary).items()})
        # Pagefind leaves out of a sorted result every record without that sort key: offers with no start or no
        # workload get one that sorts them last. Numbers are padded, so they sort as text in their order.
        ects = summary.get("ects")
        sort = {"title": card["title"].casefold(), "start": (summary.get("start") or "9999")[:10],
                "ects": f"{ects:012.3f}" if ects is not None else "99999999.999"}
        return {"url": card["url"], "content": display_text(" ".join(words)) + " " + EVERY_OFFER, "language": lang,
                "meta": {k: v for k, v in meta.items() if v}, "filters": {k: v for k, v in filters.items() if v}, "sort": sort}

    def ranges(self) -> dict[str, list[str]]:
        """Every start day, workload and price the listed offers have, for the search page's "between" fields: the
        script turns "from 2027-03-01" into the days in range, since Pagefind filters match values exactly."""
        found: dict[str, set[str]] = {}
        for summary in self.summaries:
            for name, value in _range_values(summary).items():
                found.setdefault(name, set()).add(value)
        return {name: sorted(values, key=float if name != "start_day" else str) for name, values in found.items()}

class LiveFacets:
    """A catalogue too large to search in the browser: the facets counted by the published search index, among the
    current offers (what the server's search shows), each value a link to that search with the value chosen. No
    browse page per value is written: at a million offers that would be hundreds of thousands of pages."""

    live = True

    def __init__(self, index: SearchIndex, search_action: str):
        self.search_action = search_action
        # Counted as the server's search counts a search for the status "current" and the value (search_index._parts).
        sets = index.sets
        current = sets.any_of("status", [CURRENT])
        self.total = len(current)
        self._counts = {name: dict(sets.counts(name, current)) for name in LIVE_FACETS if name != "start"}
        months = [m for (m,) in index.db.execute("SELECT DISTINCT substr(start_date, 1, 7) FROM offers WHERE start_date IS NOT NULL")]
        self._counts["start"] = {}
        for month in sorted(months):
            first, last = _month_days(month)
            count = current.intersection_cardinality(sets.within("start", search_sets.date_key(first), search_sets.date_key(last)))
            if count:
                self._counts["start"][month] = count
        self._facet_lists: dict[str, list[Facet]] = {}

    def facets(self, lang: str, p: Presenter) -> list[Facet]:
        if lang not in self._facet_lists:
            facets = []
            for name in LIVE_FACETS:
                facet = Facet(name, _facet_label(name, p))
                for value, count in self._counts.get(name, {}).items():
                    if count:
                        facet.values.append(FacetValue(_slug(value), value, value_label(name, value, p, {}), count, self._url(lang, name, value)))
                facet.values.sort(key=_value_order(name))
                facets.append(facet)
            self._facet_lists[lang] = facets
        return self._facet_lists[lang]

    def _url(self, lang: str, facet: str, value: str) -> str:
        if facet == "start":
            first, last = _month_days(value)
            params = [("start_from", first), ("start_to", last)]
        else:
            params = [(facet, value)]
        return f"{self.search_action}{lang}/search.html?{urlencode(params)}"


def _month_days(month: str) -> tuple[str, str]:
    year, number = (int(part) for part in month.split("-"))
    return f"{month}-01", f"{month}-{calendar.monthrange(year, number)[1]:02d}"


class Pages:
    """The pages every build writes afresh when their bytes change: home, search, browse, comparison, about, for
    providers, accessibility, in both languages, and robots.txt; with ``Listings``, the browse pages per value."""

    def __init__(self, config: Config, generation: Generation, facets: Listings | LiveFacets, providers: int,
                 last_harvest: dict[str, str | None], search_action: str | None = None):
        self.config = config
        self.generation = generation
        self.listings = facets
        self.providers = providers
        self.last_harvest = last_harvest
        # Where the site's search forms send a search when the catalogue is too large to search in the browser
        # (the live search of the catalogue's server); None: the search page searches in the browser.
        self.search_action = search_action
        self.vocabulary = load_vocabulary()
        self._renderers: dict[str, tuple[Presenter, Callable[..., str]]] = {}

    def _renderer(self, lang: str) -> tuple[Presenter, Callable[..., str]]:
        """The presenter and page renderer of ``lang``, made once per language (an environment compiles its templates)."""
        if lang not in self._renderers:
            self._renderers[lang] = self._new_renderer(lang)
        return self._renderers[lang]

    def _new_renderer(self, lang: str) -> tuple[Presenter, Callable[..., str]]:
        env = environment(lang)
        p = Presenter(lang, self.vocabulary)
        other = "en" if lang == "sv" else "sv"

        def render(template: str, path: str, **context) -> str:
            return env.get_template(template).render(
                **common_context(self.config, lang, f"/{lang}/{path}", f"/{other}/{path}"), p=p,
                search_action=self.search_action and f"{self.search_action}{lang}/search.html", **context
            )

        return p, render

    def everything(self) -> Iterator[tuple[str, str]]:
        yield "index.html", environment("en").get_template("root.html").render(
            site_title=self.config.title, languages=i18n.LANGUAGES, **{"lang": "en"}
        )
        for lang in i18n.LANGUAGES:
            p, render = self._renderer(lang)
            facets = self.listings.facets(lang, p)
            total = self.listings.total
            yield f"{lang}/index.html", render("home.html", "", offers=total, facets=facets, providers=self.providers)
            ranges = self.listings.ranges() if isinstance(self.listings, Listings) else {}
            yield f"{lang}/search.html", render("search.html", "search.html", facets=facets, ranges=ranges, every=EVERY_OFFER, total=total)
            yield f"{lang}/browse/index.html", render("browse_index.html", "browse/", facets=facets, live=self.listings.live)
            yield f"{lang}/compare.html", render("compare.html", "compare.html")
            yield f"{lang}/about.html", render("about.html", "about.html", sources=self._sources(lang, p), meta=self.generation.meta, licence=self.config.licence if is_http(self.config.licence) else "", example_query=EXAMPLE_QUERY)
            yield f"{lang}/for-providers.html", render(
                "for_providers.html", "for-providers.html", guide=self._annex_guide(lang), example=self._example_offer()
            )
            yield f"{lang}/accessibility.html", render("accessibility.html", "accessibility.html")
        yield "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {self.config.base}sitemap.xml\n"

    def browse_pages(self) -> Iterator[tuple[str, Deferred]]:
        if not isinstance(self.listings, Listings):
            return
        for lang in i18n.LANGUAGES:
            p, render = self._renderer(lang)
            yield from self.listings.browse_pages(lang, p, render)

    def register(self, providers: list[str]) -> Iterator[tuple[str, Deferred]]:
        """The provider register in both languages, from what ``providers.provider_data`` gave for each (as JSON), in
        pages of ``REGISTER_PAGE`` providers by name (25,000 providers at a million offers would be one page of
        several megabytes); each page rendered only when one of its providers or the day of a harvest changed."""
        data = [json.loads(text) for text in providers]
        harvested = {s: (d or "")[:10] for s, d in self.last_harvest.items()}
        for lang in i18n.LANGUAGES:
            p, render = self._renderer(lang)
            in_order = sorted(data, key=lambda entry: (pick(entry["names"], lang)[0].casefold(), entry["iri"]))
            pages = max(1, math.ceil(len(in_order) / REGISTER_PAGE))
            for number in range(1, pages + 1):
                chunk = in_order[(number - 1) * REGISTER_PAGE: number * REGISTER_PAGE]
                name = register_page(number)

                def page(chunk=chunk, number=number, name=name, p=p, render=render, lang=lang, pages=pages) -> str:
                    views = [provider_view(entry, lang, p, self.last_harvest) for entry in chunk]
                    return render("providers.html", name, providers=views, page=number, pages=pages,
                                  page_urls=[f"/{lang}/{register_page(n)}" for n in range(1, pages + 1)])

                yield f"{lang}/{name}", Deferred(_key(chunk, number, pages, harvested), page)

    def _sources(self, lang: str, p: Presenter) -> list[dict]:
        counts = self.generation.meta.get("sources", {})
        return [
            {
                "id": s.id,
                "name": s.name,
                "harvester": s.harvester,
                "offers": counts.get(s.id, {}).get("offers", 0),
                "quarantined": counts.get(s.id, {}).get("quarantined", 0),
                "last_harvest": p.day(self.last_harvest.get(s.id)),
            }
            for s in self.config.sources
        ] or [
            {"id": sid, "name": sid, "harvester": "", "offers": c.get("offers", 0), "quarantined": c.get("quarantined", 0), "last_harvest": ""}
            for sid, c in sorted(counts.items())
        ]

    def _annex_guide(self, lang: str) -> list[dict]:
        """Each Annex I element with what the micro-credential profile asks the provider to give, in the reader's language."""
        import pyoxigraph as ox

        shapes = ox.Store()
        shapes.load(path=str(data_dir("shapes") / "microcredential.ttl"), format=ox.RdfFormat.TURTLE)
        messages: dict[str, dict[str, str]] = {}
        query = (
            "PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX mcc: <https://w3id.org/mc-catalogue/ns#> "
            "SELECT ?element ?message WHERE { ?shape mcc:annexElement ?element ; sh:property/sh:message ?message }"
        )
        for row in shapes.query(query):
            messages.setdefault(row["element"].value, {})[row["message"].language or ""] = row["message"].value
        guide = []
        for element in self.vocabulary.annex_elements():
            texts = messages.get(element.iri, {})
            guide.append({
                "label": element.label(lang),
                "mandatory": element.mandatory,
                "offer_level": element.offer_level,
                "explanation": element.definitions.get(lang) or element.definitions.get("en", ""),
                "how": texts.get(lang) or texts.get("en", ""),
            })
        return guide

    def _example_offer(self) -> dict[str, str]:
        """The examples shown to providers are the files offered for download, so what they copy is what was tested."""
        static = data_dir("site") / "static"
        page = (static / "example-course.html").read_text(encoding="utf-8")
        markup = re.search(r'<script type="application/ld\+json">\s*(.*?)\s*</script>', page, re.DOTALL)
        return {"turtle": (static / "example-offer.ttl").read_text(encoding="utf-8"), "jsonld": markup.group(1) if markup else ""}

def register_page(number: int) -> str:
    """The register's page ``number`` below the language folder (the first is the one the menu links to)."""
    return "providers.html" if number == 1 else f"providers-{number}.html"


def sitemaps(base: str, offers: Iterable[tuple[str, str]], providers: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``sitemap.xml``, a sitemap index, and its sitemaps of at most ``SITEMAP_URLS`` addresses each (the protocol's
    limit is 50,000, which a catalogue passes at about 25,000 offers in two languages): the site's own pages, then
    ``offers`` ((IRI, source) of each listed offer) and ``providers`` (IRIs), written as they come."""
    root = base.rstrip("/")

    def paths() -> Iterator[str]:
        for lang in i18n.LANGUAGES:
            for page in ("", "search.html", "browse/", "providers.html", "about.html", "for-providers.html", "accessibility.html"):
                yield f"/{lang}/{page}"
        for iri, source in offers:
            for lang in i18n.LANGUAGES:
                yield offer_page(iri, source, base, lang)
        count = 0
        for iri in providers:
            count += 1
            for lang in i18n.LANGUAGES:
                yield provider_page(iri, lang)
        for number in range(2, math.ceil(count / REGISTER_PAGE) + 1):
            for lang in i18n.LANGUAGES:
                yield f"/{lang}/{register_page(number)}"

    names: list[str] = []
    entries: list[str] = []

    def part() -> tuple[str, str]:
        names.append(f"sitemaps/sitemap-{len(names) + 1}.xml")
        return names[-1], f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{"".join(entries)}</urlset>\n'

    for path in paths():
        entries.append(f"  <url><loc>{escape(root + path)}</loc></url>\n")
        if len(entries) == SITEMAP_URLS:
            yield part()
            entries = []
    if entries or not names:
        yield part()
    listed_parts = "".join(f"  <sitemap><loc>{escape(f'{root}/{name}')}</loc></sitemap>\n" for name in names)
    yield "sitemap.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{listed_parts}</sitemapindex>\n'


def _facet_values(summary: dict, facet: str) -> list[str]:
    if facet == "broad_field":
        return list(dict.fromkeys(f"http://data.europa.eu/snb/isced-f/{f.rsplit('/', 1)[-1][:2]}" for f in summary.get("fields", [])))
    if facet == "eqf":
        return [summary["eqf"]] if summary.get("eqf") else []
    if facet == "mode":
        return summary.get("modes", [])
    if facet == "language":
        return summary.get("languages", [])
    if facet == "country":
        provider = summary.get("provider") or {}
        countries = [provider.get("country")] + [pl.get("country") for pl in summary.get("places", [])]
        return list(dict.fromkeys(c for c in countries if c))
    if facet == "provider":
        return [summary["provider"]["iri"]] if summary.get("provider") else []
    if facet == "start":
        return [summary["start"][:7]] if summary.get("start") else []
    if facet == "ects":
        ects = summary.get("ects")
        if ects is None:
            return []
        return [f"{low:g}-{'' if high == math.inf else f'{high:g}'}" for key, low, high in ECTS_BANDS if low <= ects < high]
    if facet == "price":
        amounts = [x["amount"] for x in summary.get("prices", []) if x.get("amount") is not None]
        return ["free" if min(amounts) == 0 else "fee"] if amounts else []
    if facet == "microcredential":
        return ["yes" if summary["microcredential"] else "no"]
    return []


def _range_values(summary: dict) -> dict[str, str]:
    """The exact values the search page's ranges filter by: start day, ECTS, lowest price."""
    values = {}
    if summary.get("start"):
        values["start_day"] = summary["start"][:10]
    if summary.get("ects") is not None:
        values["ects_value"] = f"{summary['ects']:g}"
    amounts = [x["amount"] for x in summary.get("prices", []) if x.get("amount") is not None]
    if amounts:
        values["price_value"] = f"{min(amounts):g}"
    return values


def _value_order(facet: str):
    """Levels, months and workload bands in their natural order; everything else by how many offers have it."""
    if facet == "ects":
        return lambda v: (float(v.value.split("-")[0]), v.label)
    if facet in ("start", "eqf"):
        return lambda v: (v.value, v.label)
    return lambda v: (-v.count, v.label)
