"""The static guidance site, built from the bundled sources through the real pipeline (no browser here)."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from markupsafe import escape
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from catalogue.site import i18n
from catalogue.site import pages as site_pages
from catalogue.site.builder import SiteBuilder
from catalogue.site.pages import SITEMAP_URLS
from catalogue.site.view import http_only
from catalogue.text import display_text
from catalogue.urls import offer_page, provider_page, provider_slug
from catalogue.vocab import load_vocabulary

from .sitebuild import (
    ARABIC_PLACE,
    ARABIC_PROVIDER,
    ARABIC_TITLE,
    BIDI_PROVIDER_SHOWN,
    BIDI_TITLES_SHOWN,
    HOSTILE_DESCRIPTION,
    HOSTILE_TITLE,
    INVISIBLE,
    PERSIAN_TITLE,
    pagefind_records,
    run,
    write_config,
)

SCHEMA = "https://schema.org/"


class Links(HTMLParser):
    """Every href and every JSON-LD block of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        self._in_jsonld = tag == "script" and attributes.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)

    def handle_endtag(self, tag):
        self._in_jsonld = False


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def read_schema_org(block: str) -> Graph:
    """Parse a page's JSON-LD without fetching https://schema.org's context (tests stay off the internet)."""
    data = json.loads(block)
    assert data["@context"] == "https://schema.org"
    data["@context"] = {"@vocab": SCHEMA}
    return Graph().parse(data=json.dumps(data), format="json-ld")


def page_of(site, summary: dict, lang: str) -> Path:
    return site.site / offer_page(summary["iri"], summary["source"], site.config.base, lang).lstrip("/")


def test_every_published_offer_has_a_page_in_both_languages(bundled_site):
    assert len(bundled_site.offers) >= 40
    sources = {s["source"] for s in bundled_site.offers}
    assert {"norrsunda", "rheinau", "kaamos", "alvdalen", "shannon", "delta", "norrkust", "hostile"} <= sources
    for summary in bundled_site.offers:
        for lang in i18n.LANGUAGES:
            page = page_of(bundled_site, summary, lang)
            text = page.read_text(encoding="utf-8")
            assert f'<html lang="{lang}">' in text
            other = "en" if lang == "sv" else "sv"
            assert f'hreflang="{other}" href="{offer_page(summary["iri"], summary["source"], bundled_site.config.base, other)}"' in text


def test_an_offer_page_shows_every_annex_element_in_order_and_says_what_is_missing(bundled_site):
    elements = [e for e in load_vocabulary().annex_elements() if e.offer_level]
    complete = bundled_site.offer("2027-data-analysis-python")
    incomplete = bundled_site.offer("2027-climate-adaptation")
    assert complete["microcredential"] and not incomplete["microcredential"]
    for lang in i18n.LANGUAGES:
        text = page_of(bundled_site, complete, lang).read_text(encoding="utf-8")
        assert re.findall(r'data-element="([^"]+)"', text) == [e.key for e in elements]
        assert "absent" not in re.findall(r'<tr class="(\w+)" data-element="(?:title|provider-country|awarding-body|learning-outcomes|workload|level|assessment-type|participation-form|quality-assurance)"', text)
        missing = page_of(bundled_site, incomplete, lang).read_text(encoding="utf-8")
        workload = next(e for e in elements if e.key == "workload")
        block = missing.split('class="status incomplete"', 1)[1].split("</div>", 1)[0]
        assert html.escape(workload.label(lang)) in block
        assert '<tr class="absent" data-element="workload">' in missing


def test_offer_pages_carry_schema_org_markup_that_rdflib_reads(bundled_site):
    summary = bundled_site.offer("2027-data-analysis-python")
    blocks = parse(page_of(bundled_site, summary, "en")).jsonld
    assert len(blocks) == 1
    graph = read_schema_org(blocks[0])
    course = URIRef(summary["iri"])
    assert (course, RDF.type, URIRef(SCHEMA + "Course")) in graph
    assert (course, URIRef(SCHEMA + "name"), Literal("Data analysis with Python")) in graph
    provider = graph.value(course, URIRef(SCHEMA + "provider"))
    assert str(graph.value(provider, URIRef(SCHEMA + "name"))) == "Norrsunda University"
    instance = graph.value(course, URIRef(SCHEMA + "hasCourseInstance"))
    assert str(graph.value(instance, URIRef(SCHEMA + "courseMode"))) == "online"
    credits = graph.value(course, URIRef(SCHEMA + "numberOfCredits"))
    assert float(graph.value(credits, URIRef(SCHEMA + "value"))) == 7.5


def test_hostile_provider_text_is_shown_as_text_and_never_as_markup(bundled_site):
    summary = bundled_site.offer("data.hostile.example/offer-welding-2027")
    for lang in i18n.LANGUAGES:
        text = page_of(bundled_site, summary, lang).read_text(encoding="utf-8")
        assert "<script>window.hostile" not in text and "<img src=x" not in text
        assert str(escape(HOSTILE_TITLE)) in text
        # The JSON-LD block stays one block, and reads back as the provider's exact words.
        blocks = parse(page_of(bundled_site, summary, lang)).jsonld
        assert len(blocks) == 1 and text.count("</script>") == text.count("<script")
        graph = read_schema_org(blocks[0])
        assert str(graph.value(URIRef(summary["iri"]), URIRef(SCHEMA + "name"))) == HOSTILE_TITLE
        if lang == "en":  # the Swedish page shows the Swedish description
            assert str(graph.value(URIRef(summary["iri"]), URIRef(SCHEMA + "description"))) == HOSTILE_DESCRIPTION
    assert HOSTILE_TITLE in [record["meta"]["title"] for record in pagefind_records(bundled_site.site, "en")]
    about = (bundled_site.site / "en" / "about.html").read_text(encoding="utf-8")
    assert "Hostile &lt;b&gt;provider&lt;/b&gt;" in about


class Isolation(HTMLParser):
    """Every text of a page's body, with the text of each element around it that isolates its direction
    (<bdi>, or dir="auto"), and the page's <title>."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, int | None]] = []  # (tag, index of its isolate in self.isolates)
        self.isolates: list[list[str]] = []  # the text inside each isolating element
        self.texts: list[tuple[str, list[int]]] = []  # (text, the isolates around it, innermost last)
        self.title = ""
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        isolate = None
        if tag == "bdi" or attributes.get("dir") == "auto":
            isolate = len(self.isolates)
            self.isolates.append([])
        self.stack.append((tag, isolate))
        if tag in ("script", "style", "template", "head"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in ("script", "style", "template", "head"):
                self._skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "title":
            self.title += data
        if self._skip:
            return
        around = [isolate for _, isolate in self.stack if isolate is not None]
        for isolate in around:
            self.isolates[isolate].append(data)
        self.texts.append((data, around))

    def isolated(self, text: str) -> tuple[int, int]:
        """(times ``text`` is shown, times it is shown alone in the innermost isolate around it)."""
        shown = alone = 0
        for data, around in self.texts:
            if text in data:
                shown += 1
                if around and "".join(self.isolates[around[-1]]).strip() == text:
                    alone += 1
        return shown, alone


def test_provider_text_reaches_the_pages_without_bidi_controls_and_isolated_from_the_labels(bundled_site):
    """Names and titles with a RIGHT-TO-LEFT OVERRIDE, isolates and zero-width characters come out clean, and every
    provider name, title and place (also legitimate Arabic and Persian ones) sits alone in its own <bdi>, apart from
    the facet counts, labels and fallback notes beside it."""
    site = bundled_site.site
    hidden, arabic = bundled_site.offer("data.bidi.example"), bundled_site.offer("data.arabic.example")
    assert hidden["titles"] == BIDI_TITLES_SHOWN and hidden["provider"]["names"] == {"sv": BIDI_PROVIDER_SHOWN}
    assert arabic["titles"]["fa"] == PERSIAN_TITLE and "\u200c" in PERSIAN_TITLE  # ZWNJ kept: Persian needs it
    for lang in i18n.LANGUAGES:
        records = pagefind_records(site, lang)
        keys = {record["meta"]["provider"]: record["filters"]["provider"][0] for record in records}
        assert not set(INVISIBLE) & set(json.dumps([(r["meta"], r["content"]) for r in records], ensure_ascii=False))
        pages = {
            "facets (search)": (site / lang / "search.html", [BIDI_PROVIDER_SHOWN, ARABIC_PROVIDER]),
            "facets (browse)": (site / lang / "browse" / "index.html", [BIDI_PROVIDER_SHOWN, ARABIC_PROVIDER]),
            "provider register": (site / lang / "providers.html", [BIDI_PROVIDER_SHOWN, ARABIC_PROVIDER]),
            "cards (browse)": (site / lang / "browse" / "provider" / keys[BIDI_PROVIDER_SHOWN] / "index.html",
                               [BIDI_PROVIDER_SHOWN, BIDI_TITLES_SHOWN[lang]]),
            "cards (Arabic)": (site / lang / "browse" / "provider" / keys[ARABIC_PROVIDER] / "index.html", [ARABIC_PROVIDER, ARABIC_TITLE]),
            "offer": (page_of(bundled_site, hidden, lang), [BIDI_PROVIDER_SHOWN, *BIDI_TITLES_SHOWN.values()]),
            "offer (Arabic)": (page_of(bundled_site, arabic, lang), [ARABIC_PROVIDER, ARABIC_TITLE, PERSIAN_TITLE, ARABIC_PLACE]),
            "provider": (site / provider_page(hidden["provider"]["iri"], lang).lstrip("/"), [BIDI_PROVIDER_SHOWN, BIDI_TITLES_SHOWN[lang]]),
            "provider (Arabic)": (site / provider_page(arabic["provider"]["iri"], lang).lstrip("/"), [ARABIC_PROVIDER, ARABIC_TITLE]),
        }
        for what, (path, texts) in pages.items():
            html_text = path.read_text(encoding="utf-8")
            found = sorted(f"U+{ord(c):04X}" for c in set(INVISIBLE) & set(html_text))
            assert not found, f"{lang} {what}: {found} in {path.name}"
            parser = Isolation()
            parser.feed(html_text)
            for text in texts:
                shown, alone = parser.isolated(text)
                assert shown and alone == shown, f"{lang} {what}: {text!r} shown {shown} times, {alone} of them alone in a <bdi>"
        # No markup in <title>: cleaning is what keeps the site's name after the provider's title as it is.
        title = Isolation()
        title.feed(page_of(bundled_site, hidden, lang).read_text(encoding="utf-8"))
        assert title.title == f"{BIDI_TITLES_SHOWN[lang]} – {bundled_site.config.title}"
        # The facet count follows the name outside its isolate.
        facets = (site / lang / "search.html").read_text(encoding="utf-8")
        assert re.search(rf'<bdi class="facet-label">{re.escape(ARABIC_PROVIDER)}</bdi> <span class="count" data-count-for="provider:{re.escape(keys[ARABIC_PROVIDER])}">\(1\)</span>', facets)
        assert keys[ARABIC_PROVIDER] == provider_slug(arabic["provider"]["iri"])
    place = page_of(bundled_site, arabic, "sv").read_text(encoding="utf-8")
    assert f'<bdi lang="ar">{ARABIC_PLACE}</bdi>, <bdi>Sverige</bdi>' in place  # the country's name is the catalogue's


def test_only_web_addresses_become_links():
    assert http_only("https://www.provider.example/course") == "https://www.provider.example/course"
    for hostile in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", " vbscript:x", "https://x.example/\"onmouseover=\"x", "//evil.example/"):
        assert http_only(hostile) is None


def test_every_offer_is_reachable_without_javascript_from_the_browse_pages(bundled_site):
    site = bundled_site.site
    for lang in i18n.LANGUAGES:
        seen: set[str] = set()
        queue = [f"/{lang}/browse/"]
        offers: set[str] = set()
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            file = site / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
            assert file.exists(), f"broken link {path}"
            for href in parse(file).hrefs:
                target = urlparse(urljoin(path, href)).path
                if target.startswith(f"/{lang}/browse/"):
                    queue.append(target)
                elif target.startswith(f"/{lang}/offer/"):
                    offers.add(target)
        expected = {offer_page(s["iri"], s["source"], bundled_site.config.base, lang) for s in bundled_site.listed_offers}
        assert offers == expected


def test_internal_links_resolve_and_the_sitemap_lists_real_pages(bundled_site):
    site = bundled_site.site
    pages = [p for p in site.rglob("*.html")]
    # Answered by the server, not files: the endpoint, APIs and the catalogue's dereferenceable IRIs.
    server_paths = ("/sparql", "/dumps", "/feed", "/catalogue", "/api/", "/data/", "/docs") + tuple(f"/{kind}/" for kind in ("offer", "org", "spec", "source", "record", "run", "version"))
    for page in pages[:: max(1, len(pages) // 150)] + [site / "en" / "for-providers.html", site / "sv" / "about.html"]:
        path = "/" + page.relative_to(site).as_posix()
        for href in parse(page).hrefs:
            target = urlparse(urljoin(path, href))
            if target.scheme in ("http", "https", "mailto") or target.netloc or target.path.startswith(server_paths) or not target.path:
                continue
            file = site / target.path.lstrip("/")
            assert (file / "index.html").exists() if target.path.endswith("/") else file.exists(), f"{path} links to missing {href}"
    # sitemap.xml is a sitemap index; its sitemaps list the pages, at most SITEMAP_URLS each.
    index = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<sitemapindex" in index
    locations = []
    for part in re.findall(r"<loc>([^<]+)</loc>", index):
        listed = re.findall(r"<loc>([^<]+)</loc>", (site / urlparse(part).path.lstrip("/")).read_text(encoding="utf-8"))
        assert 0 < len(listed) <= SITEMAP_URLS
        locations += listed
    assert len(locations) >= 2 * len(bundled_site.listed_offers)
    for location in locations:
        path = urlparse(location).path
        assert (site / path.lstrip("/") / "index.html").exists() if path.endswith("/") else (site / path.lstrip("/")).exists()


def test_a_sitemap_holds_at_most_its_share_of_addresses(bundled_site, monkeypatch):
    """A national catalogue passes the protocol's 50,000 addresses at about 25,000 offers: the index lists parts."""
    monkeypatch.setattr(site_pages, "SITEMAP_URLS", 7)
    offers = [(s["iri"], s["source"]) for s in bundled_site.listed_offers]
    files = dict(site_pages.sitemaps(bundled_site.config.base, offers, ["https://p.example/1"]))
    parts = [name for name in files if name.startswith("sitemaps/")]
    every = [loc for name in parts for loc in re.findall(r"<loc>([^<]+)</loc>", files[name])]
    assert len(parts) == -(-len(every) // 7) and all(len(re.findall("<loc>", files[name])) <= 7 for name in parts)
    assert len(every) == 14 + 2 * len(bundled_site.listed_offers) + 2 and len(set(every)) == len(every)
    assert re.findall(r"<loc>[^<]+/(sitemaps/sitemap-\d+\.xml)</loc>", files["sitemap.xml"]) == parts


def test_search_records_match_the_published_offers(bundled_site):
    """One Pagefind record per listed offer and language: its page, its IRI (for the comparison), the facet keys the
    search page's checkboxes carry, and what its card shows."""
    for lang in i18n.LANGUAGES:
        records = pagefind_records(bundled_site.site, lang)
        assert sorted(r["meta"]["iri"] for r in records) == sorted(s["iri"] for s in bundled_site.listed_offers)
        page = (bundled_site.site / lang / "search.html").read_text(encoding="utf-8")
        for record in records:
            summary = next(s for s in bundled_site.offers if s["iri"] == record["meta"]["iri"])
            assert record["url"] == offer_page(summary["iri"], summary["source"], bundled_site.config.base, lang)
            assert record["filters"]["microcredential"] == (["yes"] if summary["microcredential"] else ["no"])
            assert record["filters"].get("eqf", []) == ([summary["eqf"].rsplit("/", 1)[-1]] if summary.get("eqf") else [])
            for facet, values in record["filters"].items():
                if not facet.endswith(("_day", "_value")):  # the ranges' exact values are listed apart, in #ranges
                    assert all(f'name="{facet}" value="{html.escape(v)}"' in page for v in values), (facet, values)
            assert record["meta"]["title"] in [display_text(title) for title in summary["titles"].values()]
        assert (bundled_site.site / "pagefind" / "pagefind-entry.json").exists()
        assert not (bundled_site.site / "assets" / f"search-{lang}.json").exists()


def test_the_comparison_finds_an_offer_page_from_its_iri_in_one_small_file(bundled_site):
    from catalogue.site.static_search import shard

    for summary in bundled_site.listed_offers:
        lookup = json.loads((bundled_site.site / "assets" / "offers" / f"{shard(summary['iri'])}.json").read_text(encoding="utf-8"))
        assert "/en/" + lookup[summary["iri"]] == offer_page(summary["iri"], summary["source"], bundled_site.config.base, "en")


def test_swedish_pages_are_in_swedish(bundled_site):
    home = (bundled_site.site / "sv" / "index.html").read_text(encoding="utf-8")
    assert "Sök" in home and "Search offers" not in home
    offer = page_of(bundled_site, bundled_site.offer("2027-data-analysis-python"), "sv").read_text(encoding="utf-8")
    assert "Dataanalys med Python" in offer
    assert "augusti 2027" in offer  # dates written the Swedish way
    english_only = page_of(bundled_site, bundled_site.offer("delta"), "sv").read_text(encoding="utf-8")
    # Provider text missing in Swedish is shown in its own language, marked for screen readers.
    assert re.search(r'<bdi lang="en">[^<]+</bdi> <span class="fallback">', english_only) or 'lang="nl"' in english_only


def test_the_swedish_catalogue_translates_every_message():
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "site" / "locale"
    with (root / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    with (root / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        swedish = {m.id: m for m in read_po(handle) if m.id}
    assert template <= set(swedish), sorted(template - set(swedish))[:5]
    for message in swedish.values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, message.id
        placeholders = sorted(re.findall(r"%\(\w+\)s", ids[-1]))
        assert all(sorted(re.findall(r"%\(\w+\)s", text)) == placeholders for text in strings), message.id


def test_the_message_template_is_up_to_date(tmp_path):
    """Every translatable string in the templates and the site code is in messages.pot (run pybabel extract after changes)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    method_map = [("catalogue/site/*.py", "python"), ("site/templates/*.html", "jinja2")]
    options = {"site/templates/*.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}}
    found = {message[2] if isinstance(message[2], str) else message[2][0] for message in extract_from_dir(str(root), method_map, options)}
    with (root / "site" / "locale" / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert found == template, f"missing: {sorted(found - template)[:5]}, stale: {sorted(template - found)[:5]}"


def test_the_examples_for_providers_are_what_the_catalogue_accepts(cli, workdir):
    root = Path(__file__).resolve().parent.parent / "site" / "static"
    result = cli("validate", str(root / "example-offer.ttl"), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [o["microcredential"] for o in report["offers"]] == [True]


def test_the_schema_org_example_for_providers_is_harvested(tmp_path):
    root = Path(__file__).resolve().parent.parent / "site" / "static"
    config = tmp_path / "catalogue.toml"
    config.write_text(
        f'[catalogue]\nbase = "http://127.0.0.1:8000/"\n[[sources]]\nid = "example"\nname = "Example"\nharvester = "schemaorg"\n'
        f'urls = ["{(root / "example-course.html").as_posix()}"]\n',
        encoding="utf-8",
    )
    run(config, "harvest")
    output = run(config, "query", "SELECT ?title WHERE { ?o a elm:LearningOpportunity ; dcterms:title ?title }", "--format", "csv")
    assert "Welding for maintenance technicians" in output and "Svetsning för underhållstekniker" in output


def test_rebuilding_writes_only_what_changed(bundled_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(bundled_site.site, site)
    again = SiteBuilder(bundled_site.config, site).build()
    assert again.offers_rendered == 0
    assert again.removed == 0
    # Only pages that show the build moment may change (none today: they show the generation's date).
    assert again.written <= 2, again

    summary = bundled_site.offer("2027-data-analysis-python")
    page = page_of(bundled_site, summary, "en").relative_to(bundled_site.site)
    (site / page).unlink()
    repaired = SiteBuilder(bundled_site.config, site).build()
    assert repaired.offers_rendered == 1 and (site / page).exists()

    stale = site / "en" / "offer" / "gone" / "old.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    with sqlite3.connect(site / ".build-manifest.sqlite") as manifest:  # as if written from an earlier generation
        manifest.execute("INSERT INTO pages VALUES ('en/offer/gone/old.html', 'x', 'fixed', 'en/offer/gone')")
        manifest.execute("UPDATE meta SET value = 'earlier' WHERE key = 'generation'")
    manifest.close()
    cleaned = SiteBuilder(bundled_site.config, site).build()
    assert cleaned.removed == 1 and not stale.exists()


def test_a_changed_offer_renders_only_its_own_pages(tmp_path):
    config_path = write_config(tmp_path)
    text = config_path.read_text(encoding="utf-8")
    # Only the Norrsunda source, from a copy that the test then edits.
    copy = tmp_path / "norrsunda.ttl"
    original = Path(__file__).resolve().parent.parent / "examples" / "elm" / "norrsunda-universitet.ttl"
    copy.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    head = text.split("[[sources]]")[0]
    config_path.write_text(head + f'[[sources]]\nid = "norrsunda"\nname = "Norrsunda"\nharvester = "rdf"\nurl = "{copy.as_posix()}"\n', encoding="utf-8")
    run(config_path, "harvest")
    first = run(config_path, "build-site")
    assert "7 offer pages rendered" in first
    copy.write_text(copy.read_text(encoding="utf-8").replace('"Dataanalys med Python"@sv , "Data analysis with Python"@en ;\n    dcterms:description',
                                                              '"Dataanalys med Python"@sv , "Data analysis in Python"@en ;\n    dcterms:description', 1), encoding="utf-8")
    run(config_path, "harvest")
    second = run(config_path, "build-site")
    assert "1 offer pages rendered" in second
    page = next((tmp_path / "data" / "site" / "en" / "offer" / "norrsunda").glob("2027-data-analysis-python-*.html"))
    assert "Data analysis in Python" in page.read_text(encoding="utf-8")


def _files(site: Path) -> dict[str, int]:
    """Every file of the site (but the Pagefind index and the manifest) with the time it was last written."""
    return {path.relative_to(site).as_posix(): path.stat().st_mtime_ns for path in site.rglob("*")
            if path.is_file() and "pagefind" not in path.parts and not path.name.startswith(".build-manifest")}


def test_a_build_writes_what_a_change_touches_and_removes_what_a_withdrawn_offer_had(tmp_path):
    """One offer retitled: its pages, its provider's and the listings that show it are written, no other offer's page
    and no sitemap. One offer withdrawn: its pages go, and the sitemaps and the comparison's lookup file leave it out."""
    config_path = write_config(tmp_path)
    copy = tmp_path / "norrsunda.ttl"
    copy.write_text((Path(__file__).resolve().parent.parent / "examples" / "elm" / "norrsunda-universitet.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    head = config_path.read_text(encoding="utf-8").split("[[sources]]")[0]
    config_path.write_text(head + f'[[sources]]\nid = "norrsunda"\nname = "Norrsunda"\nharvester = "rdf"\nurl = "{copy.as_posix()}"\nmax_shrink = 0.9\n',
                           encoding="utf-8")
    site = tmp_path / "data" / "site"
    run(config_path, "harvest")
    run(config_path, "build-site")
    before = _files(site)
    offer_pages = {path for path in before if path.split("/")[1:2] == ["offer"]}
    assert len(offer_pages) == 14

    copy.write_text(copy.read_text(encoding="utf-8").replace('"Data analysis with Python"@en ;\n    dcterms:description',
                                                              '"Data analysis in Python"@en ;\n    dcterms:description', 1), encoding="utf-8")
    run(config_path, "harvest")
    report = run(config_path, "build-site")
    assert "1 offer pages rendered" in report
    written_now, unchanged = (int(n) for n in re.search(r"(\d+) files written, (\d+) unchanged", " ".join(report.split())).groups())
    assert written_now > 0 and unchanged == len(before) + 1 - written_now  # the manifest counts the pages, not the search index
    after = _files(site)
    written = {path for path in after if after[path] != before.get(path)}
    retitled = {path for path in offer_pages if "2027-data-analysis-python" in path}
    assert len(retitled) == 2 and retitled <= written
    assert not (written & offer_pages) - retitled
    assert not {path for path in written if "sitemap" in path}
    assert {path for path in written if "/provider/" in path}, "the provider's page lists the offer's card"
    assert any("Data analysis in Python" in (site / path).read_text(encoding="utf-8") for path in written if path.startswith("en/browse/"))

    withdrawn = "2027-plc-automation"
    copy.write_text(copy.read_text(encoding="utf-8").replace(f"lo:{withdrawn} a elm:LearningOpportunity ;", f"lo:{withdrawn} a elm:LearningOutcome ;"),
                    encoding="utf-8")
    run(config_path, "harvest")
    report = run(config_path, "build-site")
    assert "0 offer pages rendered" in report
    remaining = _files(site)
    assert not any(withdrawn in path for path in remaining)
    assert len({path for path in remaining if path.split("/")[1:2] == ["offer"]}) == 12
    sitemaps = " ".join((site / path).read_text(encoding="utf-8") for path in remaining if path.startswith("sitemaps/"))
    assert withdrawn not in sitemaps and "2027-data-analysis-python" in sitemaps
    lookups = " ".join((site / path).read_text(encoding="utf-8") for path in remaining if path.startswith("assets/offers/"))
    assert withdrawn not in lookups and "2027-data-analysis-python" in lookups
    assert run(config_path, "build-site").count(" 0 files written") == 1  # the same generation: nothing to do


def test_a_site_built_by_an_earlier_release_is_taken_over(bundled_site, tmp_path):
    """The JSON manifest of earlier releases: its pages are known (a page it lists that no build makes is removed),
    every offer is rendered again, and the manifest is kept in SQLite from then on."""
    site = tmp_path / "site"
    shutil.copytree(bundled_site.site, site)
    (site / ".build-manifest.sqlite").unlink()
    stale = site / "en" / "offer" / "gone" / "old.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    (site / ".build-manifest.json").write_text(json.dumps({"version": "old", "pages": {"en/offer/gone/old.html": "x"}, "offers": {}}), encoding="utf-8")
    built = SiteBuilder(bundled_site.config, site).build()
    assert built.offers_rendered == len(bundled_site.offers)
    assert not stale.exists() and built.removed == 1
    assert not (site / ".build-manifest.json").exists() and (site / ".build-manifest.sqlite").exists()


def test_a_build_stopped_half_way_is_finished_by_the_next(bundled_site, tmp_path, monkeypatch):
    """The manifest is kept in one transaction: pages written by a build that failed part way are not taken as done."""
    closed = []
    close = SiteBuilder._close

    def failing(self, unit):
        close(self, unit)
        closed.append(unit)
        if sum(1 for u in closed if u.startswith("offer:")) > 5:
            raise RuntimeError("stopped")

    monkeypatch.setattr(SiteBuilder, "_close", failing)
    site = tmp_path / "site"
    with pytest.raises(RuntimeError, match="stopped"):
        SiteBuilder(bundled_site.config, site).build()
    assert any(site.rglob("offer/*/*.html"))  # pages were written before it stopped
    monkeypatch.setattr(SiteBuilder, "_close", close)
    finished = SiteBuilder(bundled_site.config, site).build()
    assert finished.offers_rendered == len(bundled_site.offers)
    for summary in bundled_site.offers:
        assert (site / page_of(bundled_site, summary, "en").relative_to(bundled_site.site)).exists()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_spreadsheet_template_is_offered_for_download(bundled_site, lang):
    page = (bundled_site.site / lang / "for-providers.html").read_text(encoding="utf-8")
    for name in ("offers-template.xlsx", "offers-template.csv", "example-offer.ttl"):
        assert f"/assets/{name}" in page
        assert (bundled_site.site / "assets" / name).stat().st_size > 100
    assert html.escape("elm:learningOutcome", quote=False) in page


def test_the_example_query_on_the_about_page_answers_what_it_says(bundled_site):
    from catalogue.publish.generations import current_generation
    from catalogue.site.pages import EXAMPLE_QUERY
    from catalogue.store.oxigraph import OxigraphStore

    generation = current_generation(bundled_site.config)
    store = OxigraphStore.open(generation.store_path, bundled_site.config.base, read_only=True)
    try:
        answered = {row["offer"].value for row in store.query(EXAMPLE_QUERY)}
    finally:
        store.close()
    expected = {s["iri"] for s in bundled_site.offers if s["microcredential"] and (s.get("eqf") or "").endswith("/eqf/6") and "en" in s["titles"]}
    # (SPARQL keeps ended offers, as the example query does not ask for current ones)
    assert answered == expected and len(expected) >= 3
    about = (bundled_site.site / "en" / "about.html").read_text(encoding="utf-8")
    assert "/sparql?query=PREFIX%20elm" in about


def test_the_catalogues_own_offer_pages_can_be_harvested_as_schema_org(bundled_site, tmp_path):
    """What the site says to search engines is good enough for another catalogue's schemaorg harvester."""
    summary = bundled_site.offer("2027-data-analysis-python")
    page = page_of(bundled_site, summary, "en")
    config = tmp_path / "catalogue.toml"
    config.write_text(
        f'[catalogue]\nbase = "http://127.0.0.1:8000/"\n[[sources]]\nid = "mirror"\nname = "Mirror"\nharvester = "schemaorg"\n'
        f'urls = ["{page.as_posix()}"]\n',
        encoding="utf-8",
    )
    run(config, "harvest")
    output = run(config, "query", "SELECT ?hours ?field WHERE { ?o a elm:LearningOpportunity ; elm:learningAchievementSpecification ?s . "
                 "?s elm:volumeOfLearning ?hours ; elm:ISCEDFCode ?field }", "--format", "csv")
    assert "http://data.europa.eu/snb/isced-f/0613" in output


def test_the_provider_register_shows_the_quality_assurance_its_offers_state(bundled_site):
    """Norrkust Kompetens carries no accreditation itself; its offers say MYH approves them and ISO 29993 certifies them."""
    offer = next(s for s in bundled_site.offers if "norrkust" in s["source"])
    page = (bundled_site.site / provider_page(offer["provider"]["iri"], "en").lstrip("/")).read_text(encoding="utf-8")
    quality = page.split('id="quality"', 1)[1].split('id="data-quality"', 1)[0]
    assert "Swedish National Agency for Higher Vocational Education (MYH)" in quality and "ISO 29993:2017" in quality
    assert "does not state" not in quality and "Neither the provider" not in quality
    register = (bundled_site.site / "sv" / "providers.html").read_text(encoding="utf-8")
    row = next(r for r in register.split("<tr") if offer["provider"]["iri"].rsplit("/", 1)[-1][:8] in r or "Norrkust" in r)
    assert "Anges i utbildningarna" in row and "Inte angivet" not in row


def test_a_large_register_is_split_into_pages_by_name(bundled_site, tmp_path, monkeypatch):
    """25,000 providers at a million offers would make one register page of megabytes: it comes in pages by name, each
    linking to every other, and together they list every provider once."""
    site = tmp_path / "site"
    shutil.copytree(bundled_site.site, site)
    monkeypatch.setattr(site_pages, "REGISTER_PAGE", 3)
    with sqlite3.connect(site / ".build-manifest.sqlite") as manifest:  # a new generation: the register is made again
        manifest.execute("UPDATE meta SET value = 'earlier' WHERE key = 'generation'")
    manifest.close()
    SiteBuilder(bundled_site.config, site).build()
    providers = {s["provider"]["iri"] for s in bundled_site.listed_offers if s.get("provider")}
    pages = -(-len(providers) // 3)
    assert pages > 2
    for lang in i18n.LANGUAGES:
        names = [site / lang / ("providers.html" if n == 1 else f"providers-{n}.html") for n in range(1, pages + 1)]
        assert not (site / lang / f"providers-{pages + 1}.html").exists()
        listed = []
        for number, path in enumerate(names, start=1):
            text = path.read_text(encoding="utf-8")
            rows = re.findall(r'<th scope="row"><a href="([^"]+)"', text)
            assert 0 < len(rows) <= 3
            listed += rows
            links = re.findall(r'<nav aria-label="[^"]+" class="pager">(.*?)</nav>', text, re.DOTALL)[0]
            assert re.findall(r'href="([^"]+)"', links) == [f"/{lang}/" + n.name for n in names if n != path]
            assert f'<span aria-current="page">{number}</span>' in links
        assert sorted(listed) == sorted(provider_page(iri, lang) for iri in providers)
    sitemap = " ".join(text for _, text in site_pages.sitemaps(bundled_site.config.base, [], sorted(providers)))
    assert f"/en/providers-{pages}.html" in sitemap and f"/en/providers-{pages + 1}.html" not in sitemap


def test_the_site_says_who_runs_it_and_how_to_reach_them(bundled_site):
    about = (bundled_site.site / "en" / "about.html").read_text(encoding="utf-8")
    assert "The catalogue is run by Example guidance service." in about
    assert '<a href="mailto:catalogue@guidance.example">catalogue@guidance.example</a>' in about
    statement = (bundled_site.site / "sv" / "accessibility.html").read_text(encoding="utf-8")
    assert 'href="mailto:catalogue@guidance.example"' in statement and "granskades senast 6 december 2026" in statement
    assert 'href="/sv/about.html#who"' in statement  # every page's footer leads to who runs it


def test_no_offer_page_announces_missing_elements_and_lists_none(bundled_site):
    """What an offer still needs comes from its record; a page never says "still needs:" over an empty list."""
    checked = 0
    for summary in bundled_site.offers:
        for lang in ("sv", "en"):
            page = (bundled_site.site / offer_page(summary["iri"], summary["source"], bundled_site.config.base, lang).lstrip("/")).read_text(encoding="utf-8")
            status = page.split('role="note"', 1)[1].split("</div>", 1)[0]
            # Every sentence that ends in a colon is followed by a list with something in it.
            endings = list(re.finditer(r":\s*</p>", status))
            assert all(re.match(r"\s*<ul>\s*<li>", status[m.end():]) for m in endings), (summary["iri"], lang)
            checked += 1
    assert checked == 2 * len(bundled_site.offers)


@pytest.mark.parametrize(("amount", "currency", "lang", "shown"), [
    (170, "GBP", "en", "£170"), (1500, "SEK", "sv", "1\u00a0500\u00a0kr"), (1250.5, "EUR", "en", "€1,250.50"), (99, "EUR", "sv", "99\u00a0€"),
])
def test_prices_are_written_in_the_readers_own_pattern(amount, currency, lang, shown):
    from catalogue.site.i18n import money

    assert money(amount, currency, lang) == shown


def test_modes_have_plain_english_labels_beside_the_official_ones():
    from catalogue.vocab import load_vocabulary

    vocabulary = load_vocabulary()
    on_site = "http://data.europa.eu/snb/learning-assessment/9191af2ed9"
    assert vocabulary.label(on_site, "en") == "On site" and vocabulary.label(on_site, "sv") == "På plats"
    assert vocabulary.label("http://data.europa.eu/snb/learning-assessment/729f3bed4b", "en") == "Work-based"
