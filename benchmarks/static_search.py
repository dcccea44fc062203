"""The static site's search (Pagefind) at scale: building the index, and what a phone on a slow network
downloads and waits for its first query, against floors measured in the same run.

N offers are generated as the search index's summaries (the dicts the site builder reads) with realistic
text lengths: a title of about 60 characters and the 400-character description the summary keeps, from
a vocabulary of 40,000 words drawn with Zipf frequencies (a word of rank r is drawn in proportion to
1/r), so a rare word is selective and a common one is not; 2,000 providers, 300 places, real EQF,
ISCED-F, mode and language concepts. The records are made by the site's own code
(``Pages.search_records``' per-offer record) for the Swedish index: a reader's browser only ever
loads its own language's index (the site builds two, so twice the work below).

Printed:

* records: seconds to make the N records;
* floor: the same records written as one gzipped JSON file (seconds, bytes): what the old whole-catalogue
  index cost a reader, and the least any index of them costs to write;
* Pagefind: seconds to index and write, peak memory of the process tree (this process and the pagefind
  binary, sampled every 0.2 s), files and bytes on disk, the size of the files every search loads (entry,
  meta, wasm) and the largest filter file;
* the browser: the folder served on 127.0.0.1 (``http.server`` in a thread, gzip for text as a static
  host would) with the site's own search page and script; headless Chromium with DevTools' "Fast 3G"
  (latency 562.5 ms, 180,000 bytes/s down, 84,375 up) and the CPU slowed 4x, at a phone's width (the
  filters below the results); for a rare, a middling and a common word: bytes of the page load, bytes
  of the query (every response whose request started after the query was submitted), and the time from
  submitting to the first result on screen. Pagefind's web worker is off in the served copy of the script:
  DevTools' throttling does not reach a worker, so Pagefind works on the page's thread, slowed with it.

    .venv/bin/python benchmarks/static_search.py 100000
    .venv/bin/python benchmarks/static_search.py 1000000
"""

from __future__ import annotations

import functools
import gzip
import http.server
import itertools
import json
import math
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from phone import throttled_page  # noqa: E402
from tree_memory import TreePeak  # noqa: E402

from catalogue.config import load_config  # noqa: E402
from catalogue.resources import data_dir  # noqa: E402
from catalogue.site.cards import card  # noqa: E402
from catalogue.site.environment import common_context, environment  # noqa: E402
from catalogue.site.pages import Pages  # noqa: E402
from catalogue.site.static_search import EVERY_OFFER, write_index  # noqa: E402
from catalogue.site.view import Presenter  # noqa: E402
from catalogue.vocab import load_vocabulary  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402

SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"
MODES = ["http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
         "http://data.europa.eu/snb/learning-assessment/e92d221e4d"]
FIELDS = ["0011", "0111", "0212", "0311", "0413", "0421", "0511", "0613", "0712", "0713", "0732", "0811", "0913", "0923", "1013", "1041"]
LANGUAGES = ["http://publications.europa.eu/resource/authority/language/SWE", "http://publications.europa.eu/resource/authority/language/ENG"]
VOCABULARY = 40_000
VERBOSE = "--verbose" in sys.argv
QUERY_RANKS = {"rare": 20_000, "middling": 800, "common": 30}


def words(seed: int = 3) -> list[str]:
    """40,000 distinct Swedish-looking words from syllables; their order is their Zipf rank."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "ve", "sti", "run", "mel", "dra", "fö", "bå", "nin", "ger", "tra", "skå", "pel", "ori", "sam",
                 "häl", "bet", "lan", "vik", "dal", "ens", "ling", "mark", "str", "öm", "gå", "rd", "ek", "va"]
    found: dict[str, None] = {}
    while len(found) < VOCABULARY:
        found["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))] = None
    return list(found)


class Texts:
    def __init__(self, vocabulary: list[str], rng: random.Random):
        self.vocabulary = vocabulary
        self.rng = rng
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))

    def sentence(self, length: int) -> str:
        out: list[str] = []
        while sum(len(w) + 1 for w in out) < length:
            out.extend(self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=8))
        return " ".join(out)[:length].rsplit(" ", 1)[0]


def summaries(n: int, vocabulary: list[str], seed: int = 7):
    rng = random.Random(seed)
    texts = Texts(vocabulary, rng)
    providers = [{"iri": f"https://providers.example/{i}", "names": {"sv": f"Anordnare {i} {texts.sentence(20)}"}, "country": SWEDEN}
                 for i in range(2000)]
    places = [f"Ort {i}" for i in range(300)]
    for i in range(n):
        ects = rng.choice([None, 1.5, 3.0, 7.5, 15.0, 30.0])
        amount = rng.choice([0.0, 0.0, 500.0, 1500.0, 9000.0])
        yield {
            "iri": f"https://offers.example/{i}", "source": f"feed{i % 10}",
            "titles": {"sv": texts.sentence(60)}, "descriptions": {"sv": texts.sentence(400)},
            "provider": rng.choice(providers), "fields": [f"http://data.europa.eu/snb/isced-f/{rng.choice(FIELDS)}"],
            "eqf": f"http://data.europa.eu/snb/eqf/{rng.randint(2, 7)}", "modes": [rng.choice(MODES)],
            "languages": [rng.choice(LANGUAGES)], "start": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "deadlines": [f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"] if rng.random() < 0.6 else [],
            "ects": ects, "hours": None if ects else rng.choice([None, 40.0, 120.0]),
            "prices": [{"amount": amount, "currency": "http://publications.europa.eu/resource/authority/currency/SEK", "labels": {}}],
            "places": [{"names": {"sv": rng.choice(places)}, "address": {}, "country": SWEDEN}],
            "microcredential": rng.random() < 0.3, "level": rng.choice(["listed", "europass-ready", "complete"]), "status": "current",
        }


def pages_for(config, offers: list[dict]) -> Pages:
    """The site's page set over generated summaries, without a store (only listing and search code is used)."""
    pages = Pages.__new__(Pages)
    pages.config = config
    pages.summaries = offers
    pages.vocabulary = load_vocabulary()
    pages.providers = {s["provider"]["iri"]: {"names": s["provider"]["names"]} for s in offers}
    pages._cards = {}
    pages._facet_lists = {}
    pages._card = lambda summary, lang, p: card(summary, lang, p, config.base)  # no cache: a million cards would stay in memory
    return pages


def records(pages: Pages, lang: str):
    p = Presenter(lang, pages.vocabulary)
    facets = pages._facets(lang, p)
    keys = {(facet.name, value.value): value.key for facet in facets for value in facet.values}
    for summary in pages.summaries:
        yield pages._record(summary, lang, p, facets, keys)


def search_page(config, pages: Pages, out: Path, lang: str) -> None:
    """The site's own search page and static assets, as the builder writes them."""
    p = Presenter(lang, pages.vocabulary)
    other = "en" if lang == "sv" else "sv"
    page = environment(lang).get_template("search.html").render(
        **common_context(config, lang, f"/{lang}/search.html", f"/{other}/search.html"), p=p, facets=pages._facets(lang, p), ranges=pages._ranges(), every=EVERY_OFFER, total=len(pages.summaries))
    (out / lang).mkdir(parents=True, exist_ok=True)
    (out / lang / "search.html").write_text(page, encoding="utf-8")
    shutil.copytree(data_dir("site") / "static", out / "assets", dirs_exist_ok=True)
    # DevTools' network and CPU throttling do not reach a web worker's requests: in this copy Pagefind runs on the
    # page's own thread (as it does where workers are unavailable), so every byte is throttled and counted.
    script = out / "assets" / "search.js"
    text = script.read_text(encoding="utf-8")
    assert "module.options({ excerptLength: 0 })" in text
    script.write_text(text.replace("module.options({ excerptLength: 0 })", "module.options({ excerptLength: 0, noWorker: true })"), encoding="utf-8")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Text sent gzipped when asked for, as static hosts do; Pagefind's own files are already compressed."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.suffix in (".html", ".js", ".css", ".json", ".svg") and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(path.read_bytes(), 6)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io

            return io.BytesIO(body)
        return super().send_head()


def serve(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


FIRST_RESULT = """(word) => new Promise((resolve) => {
  const form = document.getElementById("search"), list = document.getElementById("results");
  const started = performance.now();
  new MutationObserver((changes, observer) => {
    if (changes.some(c => Array.from(c.addedNodes).some(n => n.nodeType === 1 && n.matches("li.card")))) {
      observer.disconnect();
      resolve(performance.now() - started);
    }
  }).observe(list, {childList: true});
  form.q.value = word;
  form.requestSubmit();
})"""


def first_query(browser, url: str, word: str) -> dict:
    context, page, session = throttled_page(browser, cache=False)
    phase = {"now": "load"}
    started: dict[str, str] = {}
    sizes = {"load": 0, "query": 0}
    requests = {"load": 0, "query": 0}
    session.on("Network.requestWillBeSent", lambda event: started.setdefault(event["requestId"], phase["now"]))

    urls: dict[str, str] = {}
    session.on("Network.responseReceived", lambda event: urls.setdefault(event["requestId"], event["response"]["url"]))

    def finished(event):
        which = started.get(event["requestId"], phase["now"])
        sizes[which] += int(event["encodedDataLength"])
        requests[which] += 1
        if VERBOSE:
            print(f"    {which} {int(event['encodedDataLength']):>9,} {urls.get(event['requestId'], '')[-60:]}")

    session.on("Network.loadingFinished", finished)
    try:
        began = time.perf_counter()
        page.goto(url, timeout=600_000)
        page.wait_for_function("document.getElementById('status').textContent.length > 0", timeout=600_000)
        page.wait_for_load_state("networkidle", timeout=600_000)
        load_seconds = time.perf_counter() - began
        phase["now"] = "query"
        milliseconds = page.evaluate(FIRST_RESULT, word)
        status = page.locator("#status").inner_text()
        page.wait_for_load_state("networkidle", timeout=600_000)
        page.wait_for_timeout(1500)  # responses that finish after the idle mark
        return {"load_bytes": sizes["load"], "load_requests": requests["load"], "load_seconds": load_seconds,
                "query_bytes": sizes["query"], "query_requests": requests["query"], "first_result_ms": milliseconds, "status": status}
    finally:
        context.close()


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lang = "sv"
    config = load_config(ROOT / "catalogue.toml")
    vocabulary = words()
    with tempfile.TemporaryDirectory(prefix="bench-static-search-") as tmp:
        out = Path(tmp) / "site"
        out.mkdir()
        started = time.perf_counter()
        offers = list(summaries(n, vocabulary))
        pages = pages_for(config, offers)
        made = list(records(pages, lang))
        records_s = time.perf_counter() - started
        print(f"Static search, {n:,} generated offers, the {lang} index: {len(made):,} records made in {records_s:.1f} s")

        started = time.perf_counter()
        floor_path = Path(tmp) / "floor.json.gz"
        with gzip.open(floor_path, "wt", encoding="utf-8", compresslevel=6) as handle:
            json.dump(made, handle, ensure_ascii=False, separators=(",", ":"))
        floor_s = time.perf_counter() - started
        floor_bytes = floor_path.stat().st_size
        print(f"  floor: the same records as one gzipped JSON file: {floor_s:.1f} s, {floor_bytes / 2**20:,.1f} MiB")

        started = time.perf_counter()
        with TreePeak(os.getpid()) as peak:  # this process and the pagefind binary it runs
            write_index(iter(made), out)
        build_s = time.perf_counter() - started
        del made
        files, size = folder_size(out / "pagefind")
        bundle = out / "pagefind"
        meta = sum(p.stat().st_size for p in bundle.glob(f"pagefind.{lang}_*.pf_meta"))
        wasm = (bundle / f"wasm.{lang}.pagefind").stat().st_size
        fragments = list((bundle / "fragment").glob(f"{lang}_*"))
        filters = sorted(((p.stat().st_size, p.name) for p in (bundle / "filter").glob(f"{lang}_*")), reverse=True)
        chunks = [p.stat().st_size for p in (bundle / "index").glob(f"{lang}_*")]
        print(f"  Pagefind: indexed and written in {build_s:.1f} s ({build_s / max(floor_s, 0.001):.1f}x the floor), "
              f"peak {peak.peak / 2**30:.2f} GiB (process tree), {files:,} files, {size / 2**20:,.1f} MiB on disk "
              f"({size / floor_bytes:.1f}x the floor's bytes)")
        print(f"  loaded by every search: meta {meta / 1024:,.0f} KiB, wasm {wasm / 1024:,.0f} KiB; word chunks {len(chunks):,} "
              f"(median {sorted(chunks)[len(chunks) // 2] / 1024:,.1f} KiB, largest {max(chunks) / 1024:,.0f} KiB); "
              f"fragments {len(fragments):,}; filters {len(filters)}, largest {filters[0][0] / 1024:,.0f} KiB")

        search_page(config, pages, out, lang)
        server = serve(out)
        from playwright.sync_api import sync_playwright

        url = f"http://127.0.0.1:{server.server_address[1]}/{lang}/search.html"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                try:
                    for what, rank in QUERY_RANKS.items():
                        word = vocabulary[rank - 1]
                        m = first_query(browser, url, word)
                        print(f"  first query, {what} word (rank {rank:,}, '{word}'; {m['status']}): page load {m['load_bytes'] / 1024:,.0f} KiB "
                              f"in {m['load_requests']} responses, {m['load_seconds']:.1f} s ({m['load_bytes'] / floor_bytes:.2f}x the floor's "
                              f"download); query {m['query_bytes'] / 1024:,.0f} KiB in {m['query_requests']} responses; "
                              f"first result {m['first_result_ms'] / 1000:.2f} s after submitting (Fast 3G, CPU / 4)")
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(f"  (floor's download: the old whole-catalogue index, {floor_bytes / 1024:,.0f} KiB gzipped, at 180,000 B/s: "
          f"{math.ceil(floor_bytes / 180_000):,} s)")


if __name__ == "__main__":
    main()
