"""The server's search at scale: index build, search latency with two facets for new queries, and the bytes a
reader's first search page costs, against raw SQLite floors measured in the same run.

Offers are generated as the search index's summaries with realistic text lengths (a 60-character title, an
800-character description, three learning outcomes), 2,000 providers, 300 Swedish towns with coordinates,
levels, modes, languages, funding, deadlines. Printed:

* build: seconds to write the index (stems, facets, places), beside the floor: the same texts into a plain
  FTS5 table from memory;
* search: p50 and p95 of ``SearchIndex.search`` (results, every facet's counts, ranges) for new text queries
  each with two facets, beside the floor: one FTS5 MATCH counting the same text;
* near: p95 of "within 30 km of a town" with a text query;
* page: the server's search page for a first query (``LivePages.search``), rendered, and its size gzipped
  with the site's CSS and script: the bytes a phone downloads before it sees results.

    .venv/bin/python benchmarks/search.py 100000
    .venv/bin/python benchmarks/search.py 1000000
"""

from __future__ import annotations

import gzip
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalogue.config import Config  # noqa: E402
from catalogue.publish import gazetteer, search_index  # noqa: E402
from catalogue.publish.offer_data import OfferSummary, Organisation, Place, Price  # noqa: E402
from catalogue.publish.search_index import SearchIndex, SearchQuery  # noqa: E402
from catalogue.site.live import LivePages  # noqa: E402

SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"
WORDS = ("data analys programmering vård omvårdnad svetsning el solcell ekonomi redovisning ledarskap projektledning "
         "pedagogik språk svenska engelska hållbarhet miljö energi bygg trä logistik lager försäljning marknadsföring "
         "design grafisk foto film musik hälsa träning kost medicin farmaci juridik arbetsrätt säkerhet brand räddning "
         "fordon motor lantbruk skog djur trädgård kök restaurang turism hotell ekonomi bank försäkring fastighet").split()
MODES = ["http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
         "http://data.europa.eu/snb/learning-assessment/e92d221e4d"]
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"


def sentence(rng: random.Random, length: int) -> str:
    out = []
    while sum(len(w) + 1 for w in out) < length:
        out.append(rng.choice(WORDS))
    return " ".join(out)


def offers(n: int, seed: int = 7):
    rng = random.Random(seed)
    towns = [t for t in {t for ts in gazetteer._towns().values() for t in ts if t.country == "SE"}]
    towns = sorted(towns, key=lambda t: -t.population)[:300]
    providers = [Organisation(f"https://providers.example/{i}", {"sv": f"Anordnare {i} {sentence(rng, 20)}"}, SWEDEN) for i in range(2000)]
    for i in range(n):
        town = rng.choice(towns)
        offer = OfferSummary(
            f"https://offers.example/{i}", f"feed{i % 10}",
            titles={"sv": sentence(rng, 60)}, descriptions={"sv": sentence(rng, 800)},
            provider=rng.choice(providers), outcomes=[{"sv": sentence(rng, 150)} for _ in range(3)],
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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = Path(tmp)
        gazetteer.find("Umeå")  # loaded once, before either clock starts
        floor_s = floor_index(folder / "floor.sqlite", n)
        started = time.perf_counter()
        search_index.build(folder / "search.sqlite", offers(n))
        build_s = time.perf_counter() - started
        size = (folder / "search.sqlite").stat().st_size / 1024 / 1024
        print(f"Search index, {n:,} generated offers: built in {build_s:.1f} s ({size:,.0f} MB); floor (plain FTS5 from memory) "
              f"{floor_s:.1f} s; ratio {build_s / floor_s:.1f}")
        index = SearchIndex(folder / "search.sqlite")
        raw = sqlite3.connect(folder / "floor.sqlite")
        ours, floor = [], []
        for i in range(100):
            words = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
            query = SearchQuery(text=words, filters={"eqf": [f"http://data.europa.eu/snb/eqf/{rng.randint(2, 7)}"], "mode": [rng.choice(MODES)],
                                                     "status": ["current"]}, page_size=20)
            mark = time.perf_counter()
            index.search(query)
            ours.append((time.perf_counter() - mark) * 1000)
            mark = time.perf_counter()
            raw.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", (" AND ".join(f'"{w}"*' for w in words.split()),)).fetchone()
            floor.append((time.perf_counter() - mark) * 1000)
        print(f"  search, new text + two facets (every facet counted): p50 {statistics.median(ours):.0f} ms, p95 {percentile(ours, 0.95):.0f} ms; "
              f"floor (one FTS5 count) p95 {percentile(floor, 0.95):.1f} ms")
        near = []
        umea = gazetteer.find("Umeå", SWEDEN)
        for i in range(30):
            mark = time.perf_counter()
            index.search(SearchQuery(text=rng.choice(WORDS), near=(umea.latitude, umea.longitude, 30.0), open_on="2027-03-01",
                                     filters={"status": ["current"]}))
            near.append((time.perf_counter() - mark) * 1000)
        print(f"  within 30 km of Umeå, open now, new text: p50 {statistics.median(near):.0f} ms, p95 {percentile(near, 0.95):.0f} ms")
        pages = LivePages(Config())
        mark = time.perf_counter()
        html = pages.search("sv", [("q", "vård"), ("near", "Umeå"), ("open_now", "1")], index)
        render_ms = (time.perf_counter() - mark) * 1000
        static = ROOT / "site" / "static"
        sent = len(gzip.compress(html.encode())) + sum(len(gzip.compress((static / f).read_bytes())) for f in ("site.css", "print.js"))
        print(f"  the server's search page, first query: rendered in {render_ms:.0f} ms; {sent / 1024:.1f} KB gzipped with its CSS and script")
        index.close()


if __name__ == "__main__":
    main()
