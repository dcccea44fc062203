"""Every page of the guidance site except the offer pages, with the data each needs.

Pages are produced as (path, content) pairs; the builder decides what to
write. Listing pages work from the offer summaries of the search index (no
store scan); provider pages add what only the store knows (quality assurance,
identifiers) with one small query per provider.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from catalogue.config import Config
from catalogue.publish.generations import Generation
from catalogue.publish.offer_data import pick, rows_within_graphs
from catalogue.publish.time_relevance import CURRENT, HIDDEN
from catalogue.resources import data_dir
from catalogue.store.base import CatalogueStore
from catalogue.templates import is_http
from catalogue.text import display_text
from catalogue.urls import offer_page, provider_page
from catalogue.vocab import load_vocabulary

from . import i18n
from .cards import card, next_deadline
from .environment import common_context, environment
from .static_search import EVERY_OFFER, Record
from .view import Presenter, http_only

PAGE_SIZE = 50
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
QUALITY_TOPIC = "http://data.europa.eu/snb/qualification-topics#accreditation-and-quality-assurance"
ECTS_BANDS = [("0-3", 0, 3), ("3-7.5", 3, 7.5), ("7.5-15", 7.5, 15), ("15-", 15, math.inf)]


@dataclass(frozen=True)
class Deferred:
    """A page rendered only if what it shows (``key``) changed since the last build: listings are most of a site."""

    key: str
    render: Callable[[], str]


def summary_digest(text: str) -> str:
    """A digest of an offer summary's JSON text, as the search index holds it."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


PROVIDER_SLICE = 500  # providers whose details one query asks for
QUALITY_NOTES_READ = 200  # notes on quality assurance read per provider, of which the register shows ten distinct


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


class Pages:
    def __init__(self, config: Config, summaries: list[dict], store: CatalogueStore, last_harvest: dict[str, str | None], generation: Generation,
                 digests: dict[str, str], search_action: str | None = None):
        self.config = config
        # Where the site's search forms send a search when the catalogue is too large to search in the browser
        # (the live search of the catalogue's server); None: the search page searches in the browser.
        self.search_action = search_action
        # Ended and cancelled offers keep their own pages (opened by link) but leave listings and counts.
        self.summaries = [s for s in summaries if s.get("status", CURRENT) not in HIDDEN]
        self.store = store
        self.last_harvest = last_harvest
        self.generation = generation
        self.vocabulary = load_vocabulary()
        self.providers = self._providers()
        self._cards: dict[tuple[str, str], dict] = {}
        self._facet_lists: dict[str, list[Facet]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._facet_values: dict[str, dict[str, tuple[str, ...]]] = {}
        # What each listed offer's card is made from: the digest of its summary's JSON (``summary_digest``, by IRI)
        # and the next application deadline, the one thing a card shows that changes with the day.
        today = date.today()
        self._card_inputs = {s["iri"]: (digests[s["iri"]], next_deadline(s, today)) for s in self.summaries}

    def everything(self) -> Iterator[tuple[str, str | Deferred]]:
        yield "index.html", environment("en").get_template("root.html").render(
            site_title=self.config.title, languages=i18n.LANGUAGES, **{"lang": "en"}
        )
        for lang in i18n.LANGUAGES:
            env = environment(lang)
            p = Presenter(lang, self.vocabulary)
            other = "en" if lang == "sv" else "sv"

            def render(template: str, path: str, **context) -> str:
                return env.get_template(template).render(
                    **common_context(self.config, lang, f"/{lang}/{path}", f"/{other}/{path}"), p=p,
                    search_action=self.search_action and f"{self.search_action}{lang}/search.html", **context
                )

            facets = self._facets(lang, p)
            yield f"{lang}/index.html", render("home.html", "", offers=len(self.summaries), facets=facets, providers=len(self.providers))
            yield f"{lang}/search.html", render("search.html", "search.html", facets=facets, ranges=self._ranges(), every=EVERY_OFFER, total=len(self.summaries))
            yield f"{lang}/browse/index.html", render("browse_index.html", "browse/", facets=facets)
            in_listing_order = sorted(self.summaries, key=lambda s: (s.get("start") or "9999", pick(s["titles"], lang)[0]))
            for facet in facets:
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
            providers = sorted(self.providers.values(), key=lambda pr: pick(pr["names"], lang)[0].casefold())
            yield f"{lang}/providers.html", render("providers.html", "providers.html", providers=[self._provider_view(pr, lang, p) for pr in providers])
            for provider in providers:
                view = self._provider_view(provider, lang, p)
                path = provider_page(provider["iri"], lang).lstrip("/")
                offers = sorted(provider["offers"], key=lambda s: pick(s["titles"], lang)[0])
                yield path, Deferred(
                    _key(view, self._cards_key(offers)),
                    lambda path=path, view=view, offers=offers, provider=provider: env.get_template("provider.html").render(
                        **common_context(self.config, lang, "/" + path, provider_page(provider["iri"], other)),
                        p=p, provider=view, offers=[self._card(s, lang, p) for s in offers],
                    ),
                )
            yield f"{lang}/compare.html", render("compare.html", "compare.html")
            yield f"{lang}/about.html", render("about.html", "about.html", sources=self._sources(lang, p), meta=self.generation.meta, licence=self.config.licence if is_http(self.config.licence) else "", example_query=EXAMPLE_QUERY)
            yield f"{lang}/for-providers.html", render(
                "for_providers.html", "for-providers.html", guide=self._annex_guide(lang), example=self._example_offer()
            )
            yield f"{lang}/accessibility.html", render("accessibility.html", "accessibility.html")
        yield from self._sitemaps()
        yield "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {self.config.base}sitemap.xml\n"

    # -- data -------------------------------------------------------------------------------------

    def _cards_key(self, summaries: list[dict]) -> list[tuple[str, str | None]]:
        """What the cards of ``summaries`` are made from, so that a listing page is known to be unchanged without
        making its cards."""
        return [self._card_inputs[s["iri"]] for s in summaries]

    def _card(self, summary: dict, lang: str, p: Presenter) -> dict:
        """What a listing shows of an offer; made once per offer and language, since every listing reuses it."""
        key = (summary["iri"], lang)
        if key not in self._cards:
            self._cards[key] = self._make_card(summary, lang, p)
        return self._cards[key]

    def _make_card(self, summary: dict, lang: str, p: Presenter) -> dict:
        return card(summary, lang, p, self.config.base)

    def _facets(self, lang: str, p: Presenter) -> list[Facet]:
        """The facets of the search and browse pages, counted once per language (pages and search records share them)."""
        if lang not in self._facet_lists:
            self._facet_lists[lang] = self._count_facets(lang, p)
        return self._facet_lists[lang]

    def _count_facets(self, lang: str, p: Presenter) -> list[Facet]:
        _ = p._
        names = [
            ("broad_field", _("Field of education")),
            ("eqf", _("EQF level")),
            ("mode", _("Form of participation")),
            ("language", _("Language")),
            ("country", _("Country")),
            ("provider", _("Provider")),
            ("start", _("Start")),
            ("ects", _("Workload (ECTS)")),
            ("price", _("Price")),
            ("microcredential", _("Micro-credential")),
        ]
        facets = []
        for name, label in names:
            counts = self._value_counts(name)
            facet = Facet(name, label)
            for value, count in counts.items():
                key = self._value_key(name, value)
                facet.values.append(FacetValue(key, value, self._value_label(name, value, p), count, f"/{lang}/browse/{name}/{key}/"))
            facet.values.sort(key=_value_order(name))
            facets.append(facet)
        return facets

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

    def _value_label(self, facet: str, value: str, p: Presenter) -> str:
        _ = p._
        if facet == "microcredential":
            return _("Complete micro-credential") if value == "yes" else _("Not a complete micro-credential")
        if facet == "provider":
            return pick(self.providers.get(value, {}).get("names", {}), p.lang)[0] or value
        if facet == "start":
            return i18n.month(value, p.lang)
        if facet == "ects":
            low, _sep, high = value.partition("-")
            return f"{p.number(float(low))}–{p.number(float(high))} ECTS" if high else f"{p.number(float(low))}+ ECTS"
        if facet == "price":
            return _("Free of charge") if value == "free" else _("With a fee")
        return p.label(value)

    def _providers(self) -> dict[str, dict]:
        providers: dict[str, dict] = {}
        for summary in self.summaries:
            provider = summary.get("provider")
            if not provider:
                continue
            names = {lang: display_text(name) for lang, name in (provider.get("names") or {}).items()}
            entry = providers.setdefault(provider["iri"], {**provider, "names": {k: v for k, v in names.items() if v}, "offers": []})
            entry["offers"].append(summary)
        details = self._provider_details(list(providers))
        for iri, entry in providers.items():
            entry.update(details[iri])
        return providers

    def _provider_details(self, iris: list[str]) -> dict[str, dict]:
        """Each provider's web page, identifiers, accreditations and what its offers say about quality assurance.

        Asked of all providers at once (web pages and identifiers ``PROVIDER_SLICE`` providers at a time), each
        pattern matched within one public graph, where a provider's description lives (``rows_within_graphs``)."""
        details: dict[str, dict] = {iri: {"homepage": None, "identifiers": [], "accreditations": [], "offer_quality_notes": []} for iri in iris}
        accreditations: dict[str, dict[str, dict]] = {iri: {} for iri in iris}
        for first in range(0, len(iris), PROVIDER_SLICE):
            values = "VALUES ?p { " + " ".join(f"<{iri}>" for iri in iris[first:first + PROVIDER_SLICE]) + " }"
            for row in self._public_rows("?p ?home ?notation ?scheme", "{ ?p foaf:homepage/elm:contentUrl ?home } UNION "
                                         "{ ?p adms:identifier ?id . ?id skos:notation ?notation OPTIONAL { ?id elm:schemeName ?scheme } }", values):
                entry = details[row["p"].value]
                if row["home"] is not None:
                    entry["homepage"] = row["home"].value
                if row["notation"] is not None:
                    identifier = (row["scheme"].value if row["scheme"] is not None else "", row["notation"].value)
                    if identifier not in entry["identifiers"]:
                        entry["identifiers"].append(identifier)
        rows = self._public_rows(
            "?p ?a ?type ?title ?agent ?report ?issued",
            "?p elm:accreditation ?a . OPTIONAL { ?a dcterms:type ?type } OPTIONAL { ?a dcterms:title ?title } "
            "OPTIONAL { ?a elm:accreditingAgent/rov:legalName ?agent } OPTIONAL { ?a elm:report/elm:contentUrl ?report } "
            "OPTIONAL { ?a dcterms:issued ?issued }",
        )
        for row in rows:
            if row["p"].value not in accreditations:
                continue  # an organisation that provides none of the listed offers (an accrediting agency, say)
            entry = accreditations[row["p"].value].setdefault(row["a"].value, {"type": None, "titles": {}, "agent": {}, "report": None, "issued": None})
            if row["type"] is not None:
                entry["type"] = row["type"].value
            if row["title"] is not None:
                entry["titles"][row["title"].language or ""] = display_text(row["title"].value)
            if row["agent"] is not None:
                entry["agent"][row["agent"].language or ""] = display_text(row["agent"].value)
            if row["report"] is not None:
                entry["report"] = row["report"].value
            if row["issued"] is not None:
                entry["issued"] = row["issued"].value
        for iri in iris:
            details[iri]["accreditations"] = list(accreditations[iri].values())
        # What the provider's offers say about quality assurance (an accreditation by a national agency, say),
        # when the provider's own description says nothing: the register shows it rather than "not stated".
        # Asked from the notes on that topic, which few offers have.
        notes: dict[str, dict[str, dict[str, str]]] = {}
        rows = self._public_rows(
            "?p ?n ?text",
            f"?n dcterms:subject <{QUALITY_TOPIC}> ; elm:noteLiteral ?text . "
            "{ ?o elm:additionalNote ?n } UNION { ?o elm:learningAchievementSpecification/elm:additionalNote ?n } ?o elm:providedBy ?p",
        )
        for row in rows:
            by_note = notes.setdefault(row["p"].value, {})
            if row["n"].value in by_note or len(by_note) < QUALITY_NOTES_READ:
                by_note.setdefault(row["n"].value, {})[row["text"].language or ""] = display_text(row["text"].value)
        for iri, by_note in notes.items():
            if iri in details:
                details[iri]["offer_quality_notes"] = list({tuple(sorted(t.items())): t for t in by_note.values()}.values())[:10]
        return details

    def _public_rows(self, variables: str, pattern: str, values: str = ""):
        """Distinct answers to ``pattern``, matched within each public graph (quarantine and provenance are not)."""
        return rows_within_graphs(self.store, self.store.public_graphs(), variables, pattern, values)

    def _provider_view(self, provider: dict, lang: str, p: Presenter) -> dict:
        offers = provider["offers"]
        complete = sum(1 for s in offers if s["microcredential"])
        sources = sorted({s["source"] for s in offers})
        harvested = [self.last_harvest.get(s) for s in sources if self.last_harvest.get(s)]
        identifiers = []
        for scheme, notation in provider["identifiers"]:
            link = f"https://www.eqar.eu/qa-results/search/by-institution/institution/?id={notation.removeprefix('DEQARINST')}" if "deqar" in scheme.lower() or notation.startswith("DEQARINST") else None
            identifiers.append({"scheme": scheme, "notation": notation, "link": link})
        accreditations = []
        for a in provider["accreditations"]:
            accreditations.append({
                "type": p.label(a["type"]) if a.get("type") else "",
                "explanation": p.explain(a.get("type")),
                "title": p.text(a.get("titles", {})),
                "agent": p.text(a.get("agent", {})),
                "report": http_only(a.get("report")),
                "issued": p.day(a.get("issued")),
            })
        names = provider.get("names", {})
        return {
            "iri": provider["iri"],
            "url": provider_page(provider["iri"], lang),
            "name": p.text(names) or p.plain(provider["iri"]),
            "other_names": [{"text": t, "lang": lg} for lg, t in sorted(names.items()) if t != pick(names, lang)[0]],
            "country": p.label(provider.get("country")) if provider.get("country") else "",
            "homepage": http_only(provider.get("homepage")),
            "identifiers": identifiers,
            "accreditations": accreditations,
            "offer_quality_notes": [p.text(t) for t in provider.get("offer_quality_notes", [])],
            "offers": len(offers),
            "complete": complete,
            "share": round(100 * complete / len(offers)) if offers else 0,
            "warnings": sum(int(s.get("warnings") or 0) for s in offers),
            "last_harvest": p.day(max(harvested)) if harvested else "",
            "sources": sources,
        }

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

    def search_records(self) -> Iterator[Record]:
        """One Pagefind record per listed offer and language: what a result card shows (meta), the facet value keys
        the search page's checkboxes carry (filters), and the sort keys; words from every title, description,
        provider name and place."""
        for lang in i18n.LANGUAGES:
            p = Presenter(lang, self.vocabulary)
            facets = self._facets(lang, p)
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

    def _ranges(self) -> dict[str, list[str]]:
        """Every start day, workload and price the listed offers have, for the search page's "between" fields: the
        script turns "from 2027-03-01" into the days in range, since Pagefind filters match values exactly."""
        found: dict[str, set[str]] = {}
        for summary in self.summaries:
            for name, value in _range_values(summary).items():
                found.setdefault(name, set()).add(value)
        return {name: sorted(values, key=float if name != "start_day" else str) for name, values in found.items()}

    def _sitemaps(self) -> Iterator[tuple[str, str]]:
        """``sitemap.xml``, a sitemap index, and its sitemaps of at most ``SITEMAP_URLS`` addresses each (the
        protocol's limit is 50,000, which a catalogue passes at about 25,000 offers in two languages)."""
        base = self.config.base.rstrip("/")
        paths = [f"/{lang}/{page}" for lang in i18n.LANGUAGES for page in ("", "search.html", "browse/", "providers.html", "about.html", "for-providers.html", "accessibility.html")]
        paths += [offer_page(s["iri"], s["source"], self.config.base, lang) for s in self.summaries for lang in i18n.LANGUAGES]
        paths += [provider_page(iri, lang) for iri in self.providers for lang in i18n.LANGUAGES]
        names = []
        for number, first in enumerate(range(0, max(1, len(paths)), SITEMAP_URLS), start=1):
            entries = "".join(f"  <url><loc>{escape(base + path)}</loc></url>\n" for path in paths[first:first + SITEMAP_URLS])
            names.append(f"sitemaps/sitemap-{number}.xml")
            yield names[-1], f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
        listed = "".join(f"  <sitemap><loc>{escape(f'{base}/{name}')}</loc></sitemap>\n" for name in names)
        yield "sitemap.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{listed}</sitemapindex>\n'


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
