"""The server's search at scale: index build, search latency with two facets for new queries, and the bytes a
reader's first search page costs, against raw SQLite floors measured in the same run.

Offers are generated as the search index's summaries with realistic text lengths (a 50-character title, an
800-character description, three learning outcomes) and word frequencies (60 subjects with 60 words of their
own each, and common words, all Zipf-distributed, so a subject's word matches a few percent of the offers),
2,000 providers, 300 Swedish towns (the big ones with most offers) with coordinates, levels, modes,
languages, funding, deadlines. Printed:

* build: seconds to write the index (stems, facets, places), beside the floor: the same texts into a plain
  FTS5 table from memory;
* search: p50 and p95 of ``SearchIndex.search`` (results, every facet's counts, ranges) for new text queries
  each with two facets, beside the floor: one FTS5 MATCH counting the same text;
* near: p95 of "within 30 km of a town" with a text query;
* page: the server's search page for a first query (``LivePages.search``), rendered, and its size gzipped
  with the site's CSS and script: the bytes a phone downloads before it sees results;
* phone (``--phone``): the same page served gzipped on 127.0.0.1 and asked by Chromium at 360 px with DevTools'
  Fast 3G profile and the CPU slowed 4x: the empty search page, then a counsellor's question ("vård" near Umeå,
  starting this spring, with student aid) submitted from it: bytes and time to the first result card.

    .venv/bin/python benchmarks/search.py 100000
    .venv/bin/python benchmarks/search.py 1000000 --keep /tmp/search-bench   # the index is kept for the next run
    .venv/bin/python benchmarks/search.py 1000000 --keep /tmp/search-bench --phone   # and a throttled phone asks it
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from phone import throttled_page  # noqa: E402

from catalogue.config import Config  # noqa: E402
from catalogue.publish import gazetteer, search_index  # noqa: E402
from catalogue.publish.offer_data import OfferSummary, Organisation, Place, Price  # noqa: E402
from catalogue.publish.search_index import SearchIndex, SearchQuery  # noqa: E402
from catalogue.site.live import LivePages  # noqa: E402

SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"
# Subjects, each with the words its offers use most; the head word of each is what a reader types.
SUBJECTS = ("data analys programmering vård omvårdnad svetsning el solcell ekonomi redovisning ledarskap projektledning "
            "pedagogik språk svenska engelska hållbarhet miljö energi bygg trä logistik lager försäljning marknadsföring "
            "design grafisk foto film musik hälsa träning kost medicin farmaci juridik arbetsrätt säkerhet brand räddning "
            "fordon motor lantbruk skog djur trädgård kök restaurang turism hotell bank försäkring fastighet").split()
WORDS = SUBJECTS  # what the queries are made of
COMMON = ("och att som för med på till av kursen du kunskap om det en i ett lär dig arbete inom grundläggande praktisk "
          "förmåga utbildningen efter kan kommer vi är har del moment tillämpa metoder verktyg yrkesroll branschen "
          "teori praktik handledning projekt uppgifter examination samverkan arbetsgivare distans campus").split()
SYLLABLES = "ka ri so ne lo va mi tu sa re fi no da le gu pe ro si ta be".split()
MODES = ["http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
         "http://data.europa.eu/snb/learning-assessment/e92d221e4d"]
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"


def _vocabulary(rng: random.Random) -> dict[str, list[str]]:
    """Per subject its head word and 60 words of its own (made of syllables, so they occur nowhere else)."""
    return {head: [head] + ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + head[:3] for _ in range(60)]
            for head in SUBJECTS}


_CUMULATIVE: dict[int, list[float]] = {}


def _zipf(rng: random.Random, words: list[str]) -> str:
    """A word with Zipf's frequencies (s = 1): the k-th of the list 1/k as often as the first."""
    weights = _CUMULATIVE.get(len(words))
    if weights is None:
        weights = _CUMULATIVE[len(words)] = list(itertools.accumulate(1 / k for k in range(1, len(words) + 1)))
    return rng.choices(words, cum_weights=weights)[0]


def sentence(rng: random.Random, length: int, subject: list[str] | None = None) -> str:
    """Text of about ``length`` characters: a third the subject's words, the rest common words."""
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < length:
        out.append(_zipf(rng, subject) if subject and rng.random() < 0.35 else _zipf(rng, COMMON))
    return " ".join(out)


def offers(n: int, seed: int = 7):
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    towns = [t for t in {t for ts in gazetteer._towns().values() for t in ts if t.country == "SE"}]
    towns = sorted(towns, key=lambda t: -t.population)[:300]
    providers = [Organisation(f"https://providers.example/{i}", {"sv": f"Anordnare {i} {sentence(rng, 20)}"}, SWEDEN) for i in range(2000)]
    for i in range(n):
        town = towns[min(len(towns) - 1, int(rng.paretovariate(0.8)) - 1)]  # big towns have most offers
        subject = vocabulary[_zipf(rng, SUBJECTS)]
        title = f"{subject[0]} {sentence(rng, 45, subject)}"
        offer = OfferSummary(
            f"https://offers.example/{i}", f"feed{i % 10}",
            titles={"sv": title}, descriptions={"sv": sentence(rng, 800, subject)},
            provider=rng.choice(providers), outcomes=[{"sv": sentence(rng, 150, subject)} for _ in range(3)],
            eqf=f"http://data.europa.eu/snb/eqf/{rng.randint(2, 7)}", modes=[rng.choice(MODES)],
            languages=["http://publications.europa.eu/resource/authority/language/SWE"],
            start=f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            deadlines=[f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"] if rng.random() < 0.6 else [],
            prices=[Price(rng.choice([0.0, 0.0, 500.0, 1500.0, 9000.0]), "http://publications.europa.eu/resource/authority/currency/SEK")],
            places=[Place({"sv": town.name}, {}, SWEDEN, town.latitude + rng.uniform(-0.02, 0.02), town.longitude + rng.uniform(-0.02, 0.02))],
            topics=[TOPIC + "student-aid"] if rng.random() < 0.4 else [],
        )
        points = rng.choice([None, "1.5", "3", "7.5", "15"])
        if points:
            offer.credits.append(("http://data.europa.eu/snb/education-credit/6fcec5c5af", points))
        offer.level = "listed"
        yield offer


def floor_index(path: Path, n: int) -> float:
    """A plain FTS5 table of the same texts, written from memory: the least an index of them costs."""
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, description, outcomes, tokenize = 'unicode61 remove_diacritics 2')")
    with db:
        db.executemany("INSERT INTO t VALUES (?, ?, ?)", ((" ".join(o.titles.values()), " ".join(o.descriptions.values()),
                                                        " ".join(" ".join(x.values()) for x in o.outcomes)) for o in offers(n)))
    db.close()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def query_words(rng: random.Random) -> str:
    """What a reader types: a subject's word, sometimes with a second subject's."""
    first = _zipf(rng, SUBJECTS)
    return first if rng.random() < 0.5 else f"{first} {rng.choice(SUBJECTS)}"


def timed(call) -> float:
    mark = time.perf_counter()
    call()
    return (time.perf_counter() - mark) * 1000


QUESTION = {"q": "vård", "near": "Umeå", "within_km": "30", "start_from": "2027-03-01", "start_to": "2027-06-30", "funding": "student-aid"}
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def serve_search(index: SearchIndex) -> http.server.HTTPServer:
    """The server's search page and the site's assets, gzipped, on 127.0.0.1 (one request at a time, as a small
    deployment's single worker would answer)."""
    pages = LivePages(Config())
    static = ROOT / "site" / "static"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            url = urlsplit(self.path)
            if url.path in ("/sv/search.html", "/en/search.html"):
                body, kind = pages.search(url.path[1:3], parse_qsl(url.query), index).encode(), "text/html; charset=utf-8"
            elif url.path.startswith("/assets/") and (static / url.path[8:]).is_file() and "/" not in url.path[8:]:
                body, kind = (static / url.path[8:]).read_bytes(), TYPES.get(Path(url.path).suffix, "application/octet-stream")
            else:
                self.send_error(404)
                return
            body = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600" if url.path.startswith("/assets/") else "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def on_a_phone(url: str) -> dict:
    """The empty search page, then the counsellor's question submitted from its form, on a throttled phone."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        _context, page, session = throttled_page(browser)
        received = {"bytes": 0, "requests": 0}

        def finished(event) -> None:
            received["bytes"] += int(event["encodedDataLength"])
            received["requests"] += 1

        session.on("Network.loadingFinished", finished)
        began = time.perf_counter()
        page.goto(url, wait_until="load", timeout=600_000)
        empty = {"seconds": time.perf_counter() - began, **received}
        received.update(bytes=0, requests=0)
        # The question as the form sends it: the address the form's submit button leads to.
        began = time.perf_counter()
        page.goto(f"{url}?{urlencode(QUESTION)}", wait_until="commit", timeout=600_000)
        page.locator("ol.cards li").first.wait_for(timeout=600_000)
        asked = {"seconds": time.perf_counter() - began, **received}
        page.wait_for_load_state("load")
        asked["bytes_loaded"] = received["bytes"]
        status = page.locator("#status").inner_text()
        browser.close()
    return {"empty": empty, "asked": asked, "status": status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the index (and its floor) in this folder, and use them when they are there")
    parser.add_argument("--phone", action="store_true", help="also ask the search page from Chromium on a throttled phone")
    args = parser.parse_args()
    n = args.n
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        gazetteer.find("Umeå")  # loaded once, before either clock starts
        built = folder / f"search-{n}.sqlite"
        floor_path = folder / f"floor-{n}.sqlite"
        if not (built.exists() and floor_path.exists()):
            floor_path.unlink(missing_ok=True)
            floor_s = floor_index(floor_path, n)
            started = time.perf_counter()
            search_index.build(built, offers(n))
            build_s = time.perf_counter() - started
            size = built.stat().st_size / 1024 / 1024
            print(f"Search index, {n:,} generated offers: built in {build_s:.1f} s ({size:,.0f} MB); floor (plain FTS5 from memory) "
                  f"{floor_s:.1f} s; ratio {build_s / floor_s:.1f}")
        else:
            print(f"Search index, {n:,} generated offers: kept from an earlier run in {folder} (build not measured)")
        index = SearchIndex(built)
        load_ms = timed(lambda: index.sets)
        print(f"  value sets and orders read into memory in {load_ms:.0f} ms")
        raw = sqlite3.connect(floor_path)
        ours, again, floor, sizes = [], [], [], []
        for i in range(200):
            words = query_words(rng)
            query = SearchQuery(text=words, filters={"eqf": [f"http://data.europa.eu/snb/eqf/{rng.randint(2, 7)}"], "mode": [rng.choice(MODES)],
                                                     "status": ["current"]}, page_size=20)
            ours.append(timed(lambda: sizes.append(index.search(query).total)))
            again.append(timed(lambda: index.search(SearchQuery(**{**query.__dict__, "page": 2}))))
            index._answers.clear()  # the next query must be new: nothing it needs already worked out
            floor.append(timed(lambda: raw.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?",
                                                   (" AND ".join(f'"{w}"*' for w in words.split()),)).fetchone()))
        print(f"  search, new text + two facets (every facet counted; {statistics.median(sizes):,.0f} matches at the median): "
              f"p50 {statistics.median(ours):.1f} ms, p95 {percentile(ours, 0.95):.1f} ms; "
              f"floor (one FTS5 count of the same words) p95 {percentile(floor, 0.95):.1f} ms; ratio {percentile(ours, 0.95) / percentile(floor, 0.95):.1f}")
        print(f"  the next page of the same search: p50 {statistics.median(again):.1f} ms, p95 {percentile(again, 0.95):.1f} ms")
        browse = [timed(lambda: index.search(SearchQuery(filters={"eqf": [f"http://data.europa.eu/snb/eqf/{rng.randint(2, 7)}"],
                                                                    "town": [rng.choice(["Stockholm", "Göteborg", "Umeå", "Malmö"])]},
                                                         sort=rng.choice(["start", "-price", "title"])))) for _ in range(50)]
        print(f"  no text, two facets, sorted: p95 {percentile(browse, 0.95):.1f} ms")
        near = []
        umea = gazetteer.find("Umeå", SWEDEN)
        for i in range(50):
            index._answers.clear()
            near.append(timed(lambda: index.search(SearchQuery(text=query_words(rng), near=(umea.latitude, umea.longitude, 30.0), open_on="2027-03-01",
                                                               start_from="2027-03-01", start_to="2027-06-30", free=True,
                                                               filters={"status": ["current"]}))))
        print(f"  within 30 km of Umeå, open now, starting this spring, free, new text: p50 {statistics.median(near):.1f} ms, "
              f"p95 {percentile(near, 0.95):.1f} ms")
        pages = LivePages(Config())
        index._answers.clear()
        mark = time.perf_counter()
        html = pages.search("sv", [("q", "vård"), ("near", "Umeå"), ("open_now", "1")], index)
        render_ms = (time.perf_counter() - mark) * 1000
        static = ROOT / "site" / "static"
        sent = len(gzip.compress(html.encode())) + sum(len(gzip.compress((static / f).read_bytes())) for f in ("site.css", "print.js"))
        print(f"  the server's search page, first query: rendered in {render_ms:.0f} ms; {sent / 1024:.1f} KB gzipped with its CSS and script")
        if args.phone:
            index._answers.clear()
            server = serve_search(index)
            try:
                seen = on_a_phone(f"http://127.0.0.1:{server.server_port}/sv/search.html")
            finally:
                server.shutdown()
            empty, asked = seen["empty"], seen["asked"]
            print(f"  on a phone (360 px, Fast 3G, CPU 4x slower): the search page {empty['bytes'] / 1024:.1f} KB in {empty['requests']} "
                  f"requests, loaded in {empty['seconds']:.1f} s; the counsellor's question ({'&'.join(f'{k}={v}' for k, v in QUESTION.items())}): "
                  f"first result card after {asked['seconds']:.1f} s, {asked['bytes_loaded'] / 1024:.1f} KB ({seen['status']!r})")
        index.close()


if __name__ == "__main__":
    main()
