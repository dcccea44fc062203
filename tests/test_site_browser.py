"""The guidance site in a real Chromium, served by the real catalogue server: accessibility (axe),
keyboard use, search and comparison state in the address, no-JavaScript reading, hostile data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from urllib.parse import parse_qs, quote, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from catalogue.urls import offer_page, provider_page

from .apiserver import LiveServer, settings_for
from .sitebuild import (
    ARABIC_PROVIDER,
    ARABIC_TITLE,
    BIDI_PROVIDER_SHOWN,
    BIDI_TITLES_SHOWN,
    HOSTILE_TITLE,
    pagefind_records,
)


@pytest.fixture(scope="module")
def server(bundled_site):
    settings = replace(settings_for(bundled_site.config), site_dir=bundled_site.site)
    with LiveServer(bundled_site.config, settings) as live:
        yield live


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}") or dialog.dismiss())
    yield page
    context.close()
    assert errors == [], errors


def found(count: int) -> str:
    return "1 offer found." if count == 1 else f"{count} offers found."


def every_page_type(site, lang: str) -> list[str]:
    complete = site.offer("2027-data-analysis-python")
    incomplete = site.offer("2027-climate-adaptation")
    hostile = site.offer("data.hostile.example")
    hidden, arabic = site.offer("data.bidi.example"), site.offer("data.arabic.example")
    two = [complete["iri"], incomplete["iri"]]
    return [
        "/",
        f"/{lang}/",
        f"/{lang}/search.html",
        f"/{lang}/search.html?q=data&eqf=6",
        f"/{lang}/browse/",
        f"/{lang}/browse/eqf/6/",
        offer_page(complete["iri"], complete["source"], site.config.base, lang),
        offer_page(incomplete["iri"], incomplete["source"], site.config.base, lang),
        offer_page(hostile["iri"], hostile["source"], site.config.base, lang),
        f"/{lang}/providers.html",
        provider_page(complete["provider"]["iri"], lang),
        f"/{lang}/compare.html?" + "&".join(f"o={quote(iri, safe='')}" for iri in two),
        f"/{lang}/about.html",
        f"/{lang}/for-providers.html",
        f"/{lang}/accessibility.html",
        # Provider text written right to left, or hiding bidi controls and zero-width characters.
        offer_page(arabic["iri"], arabic["source"], site.config.base, lang),
        provider_page(arabic["provider"]["iri"], lang),
        provider_page(hidden["provider"]["iri"], lang),
        f"/{lang}/compare.html?" + "&".join(f"o={quote(s['iri'], safe='')}" for s in (hidden, arabic)),
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_type_has_no_accessibility_violations(page: Page, bundled_site, lang):
    axe = Axe()
    failures = {}
    for path in every_page_type(bundled_site, lang):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        results = axe.run(page)
        if results.violations_count:
            failures[path] = results.generate_report()
    assert not failures, "\n\n".join(f"{path}\n{report}" for path, report in failures.items())


def test_pages_reflow_on_a_narrow_screen_without_violations(browser, server, bundled_site):
    context = browser.new_context(base_url=server.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    axe = Axe()
    try:
        for path in every_page_type(bundled_site, "sv")[1:9]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 330, f"{path} scrolls sideways at 320 px ({width} px wide)"
            assert axe.run(page).violations_count == 0, path
    finally:
        context.close()


def test_skip_link_and_keyboard_search(page: Page, bundled_site):
    page.goto("/en/search.html")
    expect(page.locator("#status")).to_contain_text(f"{len(bundled_site.listed_offers)} offers found")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.locator("#q").focus()
    page.keyboard.type("python")
    page.keyboard.press("Enter")
    expected = sum(1 for s in bundled_site.listed_offers if "python" in " ".join(s["titles"].values()).lower()
                   or "python" in " ".join((s.get("descriptions") or {}).values()).lower())
    expect(page.locator("#status")).to_have_text(found(expected))
    assert parse_qs(urlparse(page.url).query)["q"] == ["python"]
    # Reaching a filter with the keyboard and ticking it with the space bar.
    box = page.locator("input[name=mode]").first
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    assert "mode" in parse_qs(urlparse(page.url).query)
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused != "none", "the focused control must show where the focus is"


def test_a_search_address_restores_the_search(page: Page, bundled_site):
    expected = [s for s in bundled_site.listed_offers if (s.get("eqf") or "").endswith("/6") and s["microcredential"]]
    titles = {s["iri"]: r["meta"]["title"] for r in pagefind_records(bundled_site.site, "en") for s in expected if r["meta"]["iri"] == s["iri"]}
    page.goto("/en/search.html?eqf=6&microcredential=yes&sort=title")
    expect(page.locator("#status")).to_have_text(found(len(expected)))
    expect(page.locator("input[name=eqf][value='6']")).to_be_checked()
    expect(page.locator("input[name=microcredential][value='yes']")).to_be_checked()
    expect(page.locator("#results h3 a")).to_have_text(sorted(titles.values(), key=str.casefold)[:20])
    # The same search on page 2 of a larger result, sorted by workload, comes back from its address alone.
    page.goto("/en/search.html?sort=ects&page=2")
    expect(page.locator("#pager [aria-current=page]")).to_have_text("2")
    expect(page.locator("#sort")).to_have_value("ects")
    expect(page.locator("#results li.card")).to_have_count(min(20, len(bundled_site.listed_offers) - 20))
    page.goto("/en/search.html?eqf=6&microcredential=yes&sort=title")
    expect(page.locator("#status")).to_have_text(found(len(expected)))
    # Back and forward move between searches.
    page.locator("input[name=eqf][value='6']").uncheck()
    expect(page.locator("#status")).not_to_have_text(found(len(expected)))
    page.go_back()
    expect(page.locator("#status")).to_have_text(found(len(expected)))
    expect(page.locator("input[name=eqf][value='6']")).to_be_checked()


def test_facet_counts_follow_the_other_filters(page: Page, bundled_site):
    page.goto("/en/search.html?microcredential=yes")
    complete = sum(1 for s in bundled_site.listed_offers if s["microcredential"])
    expect(page.locator("#status")).to_have_text(found(complete))
    online = sum(1 for s in bundled_site.listed_offers if s["microcredential"] and any(m.endswith("920fbb3cbe") for m in s.get("modes", [])))
    count = page.locator("[data-count-for='mode:920fbb3cbe']")
    expect(count).to_have_text(f"({online})")


def test_the_static_search_finds_a_swedish_word_by_its_stem(page: Page, bundled_site):
    """Pagefind's Swedish stemmer on the Swedish index: "underhållet" (the maintenance) finds a title saying
    "underhåll", which no prefix match would; the English index knows the offer by its English words."""
    solar = bundled_site.offer("YHK-SOL-2027")
    assert "underhåll av" in solar["titles"]["sv"]
    page.goto("/sv/search.html?q=underh%C3%A5llet")
    expect(page.locator("#results h3 a", has_text=solar["titles"]["sv"])).to_have_count(1)
    page.goto("/en/search.html?q=operating")
    expect(page.locator("#results h3 a", has_text=solar["titles"]["en"])).to_have_count(1)


def test_a_filter_narrows_the_results_and_every_count_is_shown(page: Page, bundled_site):
    page.goto("/en/search.html?q=data")
    expect(page.locator("#status")).to_contain_text("found")
    before = page.locator("#status").inner_text()
    facet = page.locator("fieldset[data-facet=eqf]")
    facet.scroll_into_view_if_needed()
    counts = facet.locator(".count")
    expect(counts.first).to_be_visible()
    six = facet.locator("input[value='6']")
    shown = facet.locator("[data-count-for='eqf:6']")
    expect(shown).to_have_text(re.compile(r"\(\d+\)"))
    expected = int(shown.inner_text().strip("()"))
    assert 0 < expected
    six.check()
    expect(page.locator("#status")).to_have_text(found(expected))
    assert page.locator("#status").inner_text() != before or expected == int(re.sub(r"\D", "", before))
    assert parse_qs(urlparse(page.url).query) == {"q": ["data"], "eqf": ["6"]}
    expect(page.locator("#results li.card")).to_have_count(min(expected, 20))
    # Counts still shown for the chosen facet (each as if added to the choice) and for the others, narrowed by it.
    expect(shown).to_have_text(f"({expected})")
    mc = page.locator("fieldset[data-facet=microcredential]")
    mc.scroll_into_view_if_needed()
    expect(mc.locator(".count").first).to_be_visible()
    both = [int(t.strip("()")) for t in mc.locator(".count").all_inner_texts()]
    assert sum(both) == expected, both


def test_the_search_downloads_chunks_not_the_catalogue(page: Page, bundled_site):
    """A query asks Pagefind for its chunks and twenty fragments at most; the comparison asks for one lookup
    file per offer compared and the offer pages, and nothing of the search index."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlparse(request.url).path))
    page.goto("/sv/search.html?q=svetsning")
    expect(page.locator("#results li.card").first).to_be_visible()
    assert any(path.startswith("/pagefind/index/") for path in asked)
    assert sum(path.startswith("/pagefind/fragment/") for path in asked) <= 20 + 20  # the first page of the empty search, then the query's
    assert not any("search-" in path and path.endswith(".json") for path in asked)
    # The search page may still be asking for filter counts (its script's requests name no page as referer): it is
    # left for an empty page first, so that only the comparison's own requests are counted.
    page.goto("about:blank")
    compared: list[str] = []
    page.on("request", lambda request: compared.append(urlparse(request.url).path))
    two = [bundled_site.offer("2027-data-analysis-python"), bundled_site.offer("2027-climate-adaptation")]
    page.goto("/sv/compare.html?" + "&".join(f"o={quote(s['iri'], safe='')}" for s in two))
    expect(page.locator("#compare-table thead th[scope=col] a")).to_have_count(2)
    asked = compared
    assert any(path.startswith("/sv/offer/") for path in asked), asked
    assert not any(path.startswith("/pagefind/") for path in asked), asked
    assert 1 <= sum(path.startswith("/assets/offers/") for path in asked) <= 2


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("width", [1280, 320])
def test_the_search_page_has_no_accessibility_violations_with_results_and_counts(browser, server, lang, width):
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"/{lang}/search.html?q=data&eqf=6&sort=title")
        expect(page.locator("#results li.card").first).to_be_visible()
        page.locator("fieldset[data-facet=eqf]").scroll_into_view_if_needed()
        expect(page.locator("[data-count-for='eqf:6']")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 10
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_comparison_lives_in_the_address_and_survives_a_new_browser(page: Page, browser, server, bundled_site):
    page.goto("/en/search.html?q=solar")
    boxes = page.locator("#results input[data-iri]")
    expect(boxes.first).to_be_visible()
    chosen = [boxes.nth(0).get_attribute("data-iri"), boxes.nth(1).get_attribute("data-iri")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#compare-link")).to_contain_text("(2)")
    page.locator("#compare-link").click()
    expect(page.locator("#compare-table thead th[scope=col]")).to_have_count(3)
    address = page.url
    assert parse_qs(urlparse(address).query)["o"] == chosen
    # The address alone carries the comparison: a new context has no session storage.
    other = browser.new_context(base_url=server.url)
    try:
        fresh = other.new_page()
        fresh.goto(address)
        expect(fresh.locator("#compare-table thead th[scope=col]")).to_have_count(3)
        rows = fresh.locator("#compare-table tbody th[scope=row]").all_inner_texts()
        assert "Learning outcomes" in rows and "Type of assessment" in rows
        fresh.locator("button[data-remove]").first.click()
        expect(fresh.locator("#compare-table thead th[scope=col]")).to_have_count(2)
        assert len(parse_qs(urlparse(fresh.url).query)["o"]) == 1
    finally:
        other.close()


def test_add_to_comparison_from_an_offer_page(page: Page, bundled_site):
    first = bundled_site.offer("2027-data-analysis-python")
    second = bundled_site.offer("2027-palliative-care-home")
    for summary in (first, second):
        page.goto(offer_page(summary["iri"], summary["source"], bundled_site.config.base, "en"))
        page.get_by_role("link", name="Add to comparison").click()
        page.wait_for_url("**/compare.html?**")
    assert parse_qs(urlparse(page.url).query)["o"] == [first["iri"], second["iri"]]
    expect(page.locator("#compare-table thead th[scope=col] a")).to_have_text(["Data analysis with Python", "Palliative care in the home"])


def test_without_javascript_every_offer_is_reachable(browser, server, bundled_site):
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/sv/search.html")
        notice = page.locator("noscript, .notice").first
        assert page.locator("form#search").is_hidden()
        page.get_by_role("link", name="Bläddra bland utbildningar").first.click() if page.get_by_role("link", name="Bläddra bland utbildningar").count() else page.goto("/sv/browse/")
        page.wait_for_url("**/sv/browse/")
        level = page.locator("a[href='/sv/browse/eqf/6/']")
        level.click()
        cards = page.locator("ol.cards li.card")
        expected = sum(1 for s in bundled_site.listed_offers if (s.get("eqf") or "").endswith("/6"))
        expect(cards).to_have_count(expected)
        cards.first.locator("h2 a").click()
        expect(page.locator("table.annex")).to_be_visible()
        assert notice is not None
    finally:
        context.close()


def test_hostile_data_is_shown_but_never_run(page: Page, bundled_site):
    summary = bundled_site.offer("data.hostile.example")
    page.goto(offer_page(summary["iri"], summary["source"], bundled_site.config.base, "en"))
    expect(page.locator("h1")).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("window.hostile") is None
    page.goto("/en/search.html?q=welding")
    expect(page.locator("#results h3 a", has_text="quotes").first).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("window.hostile") is None
    page.goto("/en/compare.html?o=" + quote(summary["iri"], safe=""))
    expect(page.locator("#compare-table thead th[scope=col] a")).to_have_text(HOSTILE_TITLE)
    assert page.evaluate("window.hostile") is None


RECTS = """([first, second]) => [first, second].map(node => Array.from(node.getClientRects())
    .filter(r => r.width > 0).map(r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom})))"""


def assert_drawn_after(page: Page, name, after, what: str) -> None:
    """``after`` (a facet count, a note) is drawn after the end of ``name``: to its right on the name's last line,
    or on a later line; never inside or before the name, as an open RIGHT-TO-LEFT OVERRIDE or a right-to-left
    name next to neutral characters would draw it."""
    name_rects, after_rects = page.evaluate(RECTS, [name.element_handle(), after.element_handle()])
    assert name_rects and after_rects, what

    def same_line(a, b) -> bool:  # most of the lower box overlaps the other vertically (text of another size included)
        return min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5 * min(a["bottom"] - a["top"], b["bottom"] - b["top"])

    last = max(name_rects, key=lambda r: r["top"])
    last_line = [r for r in name_rects if same_line(r, last)]
    end = max(r["right"] for r in last_line)
    for rect in after_rects:
        below = rect["top"] >= max(r["bottom"] for r in last_line) - 1
        assert (same_line(rect, last) and rect["left"] >= end - 0.5) or below, f"{what}: {rect} is not after the name ending at {end} ({name_rects})"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_right_to_left_or_hostile_provider_name_never_moves_the_catalogues_labels(page: Page, bundled_site, lang):
    hidden, arabic = bundled_site.offer("data.bidi.example"), bundled_site.offer("data.arabic.example")
    names = (BIDI_PROVIDER_SHOWN, ARABIC_PROVIDER)
    # Facet counts in the search (counted again by the script) and on the browse page (without JavaScript).
    page.goto(f"/{lang}/search.html")
    expect(page.locator("#status")).to_contain_text(str(len(bundled_site.listed_offers)))
    for name in names:
        label = page.locator("fieldset[data-facet=provider] label", has=page.locator("bdi", has_text=name))
        expect(label.locator("bdi.facet-label")).to_have_text(name)
        expect(label.locator(".count")).to_have_text("(1)")
        assert_drawn_after(page, label.locator("bdi.facet-label"), label.locator(".count"), f"search facet {name}")
    page.goto(f"/{lang}/browse/")
    for name in names:
        item = page.locator("section[aria-labelledby=facet-provider] li", has=page.locator("bdi", has_text=name))
        assert_drawn_after(page, item.locator("bdi.facet-label"), item.locator(".count"), f"browse facet {name}")
    # Result cards made by the search script: title and provider each alone in a <bdi>, as the site shows them.
    page.goto(f"/{lang}/search.html?q=" + quote(BIDI_TITLES_SHOWN[lang].split()[0]))
    card = page.locator("#results li.card", has=page.locator("p.provider", has_text=BIDI_PROVIDER_SHOWN))
    expect(card.locator("h3 a bdi")).to_have_text(BIDI_TITLES_SHOWN[lang])
    expect(card.locator("p.provider bdi")).to_have_text(BIDI_PROVIDER_SHOWN)
    # The Arabic offer's page: the note saying the title is in Arabic, and the provider's, stay after them.
    page.goto(offer_page(arabic["iri"], arabic["source"], bundled_site.config.base, lang))
    expect(page.locator("h1 bdi")).to_have_text(ARABIC_TITLE)
    assert_drawn_after(page, page.locator("h1 bdi"), page.locator("h1 .fallback"), "offer title")
    assert_drawn_after(page, page.locator(".offer .provider a bdi"), page.locator(".offer .provider a .fallback"), "offer provider")
    # The comparison takes titles and providers from the index and the offer pages, still isolated.
    page.goto(f"/{lang}/compare.html?" + "&".join(f"o={quote(s['iri'], safe='')}" for s in (hidden, arabic)))
    expect(page.locator("#compare-table thead th[scope=col] a bdi")).to_have_text([BIDI_TITLES_SHOWN[lang], ARABIC_TITLE])
    provider_row = page.locator("#compare-table tbody tr", has=page.locator("th[scope=row]", has_text="Provider" if lang == "en" else "Anordnare"))
    expect(provider_row.locator("td bdi")).to_have_text([BIDI_PROVIDER_SHOWN, ARABIC_PROVIDER])
    assert_drawn_after(page, provider_row.locator("td bdi").nth(1), provider_row.locator("td .fallback").last, "compared provider")


def test_printing_an_offer_leaves_out_navigation(page: Page, bundled_site):
    summary = bundled_site.offer("2027-data-analysis-python")
    page.goto(offer_page(summary["iri"], summary["source"], bundled_site.config.base, "sv"))
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("table.annex")).to_be_visible()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    printed = _pdf_text(pdf)
    assert summary["homepage"] and _bare(summary["homepage"]) in printed  # the provider's page, where to apply, written out
    assert _bare(offer_page(summary["iri"], summary["source"], bundled_site.config.base, "sv")) in printed  # this page's address
    assert "Utskriven:" in printed and "Anteckningar:" in printed


def test_printing_a_comparison_carries_each_offers_addresses(page: Page, bundled_site):
    two = [bundled_site.offer("2027-data-analysis-python"), bundled_site.offer("2027-climate-adaptation")]
    page.goto("/en/compare.html?" + "&".join(f"o={quote(s['iri'], safe='')}" for s in two))
    expect(page.locator("#compare-table")).to_be_visible()
    for summary in two:  # the rows come from each offer's page, fetched after the table is drawn
        expect(page.locator(f"#compare-table a[href='{summary['homepage']}']")).to_have_count(1)
    page.emulate_media(media="print")
    printed = _pdf_text(page.pdf())
    for summary in two:
        assert summary["homepage"] and _bare(summary["homepage"]) in printed, summary["homepage"]
    assert "Printedon:" in printed and "____" not in printed.split("Printedon:", 1)[1][:40]  # today's date written in


def _bare(text: str) -> str:
    return "".join(text.split())


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    # Words a long address is broken over lines at are joined again, so an address reads whole; the font's
    # ligatures ("ﬀ" in "offer") are read as the letters they stand for.
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFKC", text)


def test_language_switch_leads_to_the_same_offer(page: Page, bundled_site):
    summary = bundled_site.offer("2027-data-analysis-python")
    page.goto(offer_page(summary["iri"], summary["source"], bundled_site.config.base, "sv"))
    expect(page.locator("h1")).to_have_text("Dataanalys med Python")
    page.get_by_role("link", name="In English").click()
    expect(page.locator("h1")).to_have_text("Data analysis with Python")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_server_sends_the_site_compressed_and_the_catalogue_iris_still_resolve(server, bundled_site):
    import requests

    script = requests.get(f"{server.url}/pagefind/pagefind.js", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert script.status_code == 200 and script.headers["Content-Encoding"] == "gzip"
    entry = requests.get(f"{server.url}/pagefind/pagefind-entry.json", timeout=30).json()
    assert {lang: entry["languages"][lang]["page_count"] for lang in ("sv", "en")} == {"sv": len(bundled_site.listed_offers), "en": len(bundled_site.listed_offers)}
    assert requests.get(f"{server.url}/assets/search-en.json", timeout=30).status_code == 404
    # The site lives at / but the catalogue's own IRIs (/offer/...) are answered by the linked-data routes.
    minted = next(s for s in bundled_site.offers if s["iri"].startswith(bundled_site.config.base + "offer/"))
    path = minted["iri"][len(bundled_site.config.base) - 1:]
    answer = requests.get(f"{server.url}{path}", headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(".ttl")
    page = requests.get(f"{server.url}{path}", headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert page.status_code == 303 and page.headers["Location"] == offer_page(minted["iri"], minted["source"], bundled_site.config.base, "sv")
    external = next(s for s in bundled_site.offers if not s["iri"].startswith(bundled_site.config.base))
    document = requests.get(f"{server.url}/data/offer.ttl", params={"iri": external["iri"]}, timeout=30)
    assert document.status_code == 200 and external["iri"] in document.text and "learningAchievementSpecification" in document.text
