"""The search page the catalogue's server answers itself (no JavaScript needed) and its HTML error pages,
over the bundled site, through real HTTP and a real Chromium."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from catalogue.harvest.state import HarvestState
from catalogue.site.live import LivePages
from catalogue.urls import offer_page

from .apiserver import LiveServer, settings_for

EQF6 = "http://data.europa.eu/snb/eqf/6"


@pytest.fixture(scope="module")
def withdrawn(bundled_site):
    """An offer its source withdrew, as the change log records it (its page is gone from the site)."""
    iri = "https://data.withdrawn.example/offer/old-course"
    state = HarvestState(bundled_site.config.data_dir / "state.sqlite")
    state.log_changes([("2026-11-30T09:00:00Z", "hostile", iri, "create", "x",
                        f'<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://data.europa.eu/snb/model/elm/LearningOpportunity> .\n'),
                       ("2026-12-01T09:00:00Z", "hostile", iri, "delete", None, None)])
    state.close()
    return iri


@pytest.fixture(scope="module")
def server(bundled_site, withdrawn):
    settings = replace(settings_for(bundled_site.config), site_dir=bundled_site.site)
    with LiveServer(bundled_site.config, settings, pages=LivePages(bundled_site.config)) as live:
        yield live


def _page(server, path: str, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, headers={"Accept": "text/html"}, timeout=30)


def _count(html: str) -> int:
    """The number of offers found, as the status line says it (in either language)."""
    match = re.search(r'id="status" role="status">(?:Antal träffar: )?(\d+)', html)
    assert match, html[:3000]
    return int(match.group(1))


def _api_total(server, **params) -> int:
    return requests.get(server.url + "/api/offers", params=params, timeout=30).json()["total"]


def test_the_search_answers_in_html_with_the_same_results_as_the_api(server, bundled_site):
    page = _page(server, "/en/search.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/assets/print.js" defer>']  # only the printed date
    assert _count(page.text) == _api_total(server) == len(bundled_site.listed_offers)
    narrowed = _page(server, "/en/search.html", q="data", eqf=EQF6)
    assert 0 < _count(narrowed.text) == _api_total(server, q="data", eqf=EQF6) < len(bundled_site.listed_offers)
    complete = bundled_site.offer("2027-data-analysis-python")
    assert f'href="{offer_page(complete["iri"], complete["source"], bundled_site.config.base, "en")}"' in narrowed.text
    assert 'value="http://data.europa.eu/snb/eqf/6" checked' in narrowed.text  # the state is in the form, ready to change


def test_the_language_switch_keeps_the_search(server):
    page = _page(server, "/en/search.html", q="data", eqf=EQF6)
    switch = re.search(r'<a href="([^"]+)" hreflang="sv"', page.text).group(1).replace("&amp;", "&")
    assert urlparse(switch).path == "/sv/search.html"
    assert dict(parse_qsl(urlparse(switch).query)) == {"q": "data", "eqf": EQF6}
    swedish = _page(server, switch)
    assert '<html lang="sv">' in swedish.text and _count(swedish.text) == _count(page.text)


def test_no_results_say_what_to_take_away(server):
    page = _page(server, "/sv/search.html", q="zzzqqq", eqf=EQF6)
    assert _count(page.text) == 0
    assert "Försök med färre eller kortare ord" in page.text
    removals = [link.replace("&amp;", "&") for link in re.findall(r'<a href="(\?[^"]*)">ta bort', page.text)]
    kept = {str(dict(parse_qsl(link[1:]))): link for link in removals}
    assert set(kept) == {str({"eqf": EQF6}), str({"q": "zzzqqq"})}
    assert _count(_page(server, "/sv/search.html" + kept[str({"eqf": EQF6})]).text) > 0  # without the words, level 6 has offers


def test_pages_link_forward_and_back(server, bundled_site):
    total = len(bundled_site.listed_offers)
    assert total > 20, "the bundled site needs more than one page of results"
    first = _page(server, "/en/search.html")
    following = re.search(r'<a href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert dict(parse_qsl(following[1:])) == {"page": "2"}
    second = _page(server, "/en/search.html" + following)
    cards = re.findall(r'<li class="card">', second.text)
    assert len(cards) == min(20, total - 20) and 'rel="prev"' in second.text


def test_malformed_and_hostile_parameters_are_left_out_or_escaped(server):
    page = _page(server, "/en/search.html", q='<script>alert(1)</script>', page="x", ects_min="lots", start_from="2027-13-40", sort="nope", colour="red")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'name="ects_min" type="number" min="0" step="0.5" inputmode="decimal" value=""' in page.text


def test_a_missing_page_is_an_html_page_in_the_readers_language(server):
    english = _page(server, "/en/no-such-page.html")
    assert english.status_code == 404 and '<html lang="en">' in english.text and "Page not found" in english.text
    assert 'href="/en/search.html"' in english.text  # with the site's navigation
    swedish = requests.get(server.url + "/nowhere", headers={"Accept": "text/html", "Accept-Language": "sv-SE,sv;q=0.9"}, timeout=30)
    assert swedish.status_code == 404 and '<html lang="sv">' in swedish.text and "Sidan finns inte" in swedish.text
    machine = requests.get(server.url + "/en/no-such-page.html", headers={"Accept": "application/json"}, timeout=30)
    assert machine.status_code == 404 and not machine.headers["content-type"].startswith("text/html")


def test_a_withdrawn_offers_old_page_and_iri_answer_410_with_a_way_on(server, bundled_site, withdrawn):
    old_page = offer_page(withdrawn, "hostile", bundled_site.config.base, "sv")
    page = _page(server, old_page)
    assert page.status_code == 410 and '<html lang="sv">' in page.text
    assert "har dragits tillbaka" in page.text and "1 december 2026" in page.text
    assert 'action="/sv/search.html"' in page.text
    plain = requests.get(server.url + old_page, headers={"Accept": "text/plain"}, timeout=30)
    assert plain.status_code == 410 and withdrawn in plain.text


# -- in Chromium -------------------------------------------------------------------------------------------------


def test_a_reader_without_javascript_searches_and_filters(browser, server):
    context = browser.new_context(base_url=server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto("/en/search.html")
        everything = int(re.search(r"(\d+) offers found", page.locator("#status").inner_text()).group(1))
        page.fill("#q", "data")
        page.locator("#q").press("Enter")
        expect(page.locator("#status")).to_contain_text("offers found")
        words = int(re.search(r"(\d+) offers? found", page.locator("#status").inner_text()).group(1))
        assert 0 < words < everything and "q=data" in page.url
        page.locator("summary", has_text="EQF level").click()
        page.locator("input[name=eqf][value='http://data.europa.eu/snb/eqf/6']").check()
        page.get_by_role("button", name="Show offers").click()
        assert "eqf=http" in page.url
        assert int(re.search(r"(\d+) offers? found", page.locator("#status").inner_text()).group(1)) <= words
    finally:
        context.close()


def test_on_a_phone_results_come_first_and_five_presses_reach_the_first_result(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 320, "height": 640}, locale="sv-SE")
    page = context.new_page()
    try:
        page.goto("/sv/search.html?q=data")
        first_card = page.locator(".card").first.bounding_box()
        filters = page.locator("#filters-heading").bounding_box()
        assert first_card["y"] < filters["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 330
        page.locator("#q").focus()
        for presses in range(1, 6):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.card') !== null"):
                break
        else:
            pytest.fail("the first result is not reached in five presses of Tab from the search box")
        assert presses <= 5
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("width", [1280, 320])
def test_the_search_and_error_pages_have_no_accessibility_violations(browser, server, bundled_site, withdrawn, lang, width):
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 800})
    page = context.new_page()
    axe = Axe()
    failures = {}
    try:
        for path in (f"/{lang}/search.html", f"/{lang}/search.html?" + urlencode({"q": "data", "eqf": EQF6}),
                     f"/{lang}/search.html?q=zzzqqq", f"/{lang}/no-such-page.html",
                     offer_page(withdrawn, "hostile", bundled_site.config.base, lang)):
            page.goto(path)
            results = axe.run(page)
            if results.violations_count:
                failures[path] = results.generate_report()
    finally:
        context.close()
    assert not failures, "\n\n".join(f"{path}\n{report}" for path, report in failures.items())


def test_the_providers_check_page_takes_the_pasted_template_in_the_sites_frame(browser, server):
    from .conftest import ROOT

    template = (ROOT / "examples" / "template" / "offers-template.csv").read_text(encoding="utf-8-sig")
    context = browser.new_context(base_url=server.url, viewport={"width": 320, "height": 640}, locale="sv-SE")
    page = context.new_page()
    try:
        page.goto("/api/validate?lang=sv")
        assert page.locator("nav a[href='/sv/search.html']").count() == 1  # the site's navigation
        page.fill("#data", template)
        page.get_by_role("button", name="Kontrollera").click()
        result = page.locator("main").inner_text().split("Resultat för", 1)[1]
        assert "syntax" not in result.lower() and "turtle" not in result.lower()  # read as the spreadsheet it is
        assert re.search(r"\b\d+ erbjudanden?: \d+ listas", result), result[:2000]
        assert page.evaluate("document.documentElement.scrollWidth") <= 330
        violations = Axe().run(page)
        assert violations.violations_count == 0, violations.generate_report()
    finally:
        context.close()


def test_past_the_browser_search_size_the_sites_search_forms_go_to_the_servers_search(server, bundled_site, tmp_path):
    """A catalogue larger than ``[site] browser_search_max_offers``: the build makes no Pagefind index (and removes
    an earlier one), and the search page's and home page's forms send the words to the server's live search."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    from catalogue.site.builder import SiteBuilder

    site = tmp_path / "site"
    shutil.copytree(bundled_site.site, site)
    assert (site / "pagefind" / "pagefind-entry.json").exists()
    large = replace(bundled_site.config, browser_search_max_offers=len(bundled_site.listed_offers) - 1)
    built = SiteBuilder(large, site).build()
    assert built.offers_rendered == 0 and not (site / "pagefind").exists()
    for lang in ("en", "sv"):
        for page in (site / lang / "search.html", site / lang / "index.html"):
            text = page.read_text(encoding="utf-8")
            actions = re.findall(r'<form[^>]*action="([^"]+)"', text)
            assert actions == [f"{bundled_site.config.base}{lang}/search.html"], page
            assert "search.js" not in text
        # The form's address is the server's own search, which answers the words sent.
        action = urlparse(actions[0]).path
        answered = _page(server, action, q="data")
        assert answered.status_code == 200 and _count(answered.text) == _api_total(server, q="data") > 0
    # No page per facet value: the browse page links each value to the server's search, and counts what it finds.
    assert not (site / "en" / "browse" / "eqf").exists()
    browse = (site / "en" / "browse" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"><bdi class="facet-label">[^<]*</bdi></a> <span class="count">\((\d+)\)</span>', browse)
    assert {urlparse(html.unescape(link)).query.split("=")[0] for link, _ in links} >= {"broad_field", "eqf", "mode", "language", "start_from"}
    for link, count in links:
        address = urlparse(html.unescape(link))
        assert address.path == "/en/search.html"
        answered = requests.get(server.url + address.path + "?" + address.query, headers={"Accept": "text/html"}, timeout=30)
        assert _count(answered.text) == int(count) > 0, link
    assert SiteBuilder(large, site).build().written == 0  # the same generation and size: nothing to do
    # Under the size again, the index is made and the search page searches in the browser. (Built in a thread of its
    # own: Pagefind's client runs an event loop, and Playwright's, from the browser tests, may be running in this one.)
    with ThreadPoolExecutor(1) as thread:
        thread.submit(SiteBuilder(bundled_site.config, site).build).result()
    assert (site / "pagefind" / "pagefind-entry.json").exists()
    assert "/assets/search.js" in (site / "en" / "search.html").read_text(encoding="utf-8")
