"""Building the static guidance site from a published generation.

The site is plain files (``catalogue build-site OUTDIR``) in Swedish and
English: home, search (in the browser, from a Pagefind index in ``pagefind/``
read a chunk at a time; with browse pages per facet value for readers
without JavaScript; past ``[site] browser_search_max_offers`` offers, the
search forms go to the catalogue server's own search instead), one page per
offer and per provider, the provider register, a comparison page, about the
data, for providers, and the accessibility statement.

Building is incremental: a manifest remembers the content hash of every
offer and the SHA-256 of every page written. An offer page is rendered again
only when the offer's content, or the templates, translations or vocabulary,
changed; any page is written only when its bytes differ. Each file is
replaced atomically (write, then rename), so a server never sends half a page.
The Pagefind index is made again only when what it holds changed (a digest of
its records), beside the old one, then put in its place.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catalogue.config import Config
from catalogue.errors import CatalogueError
from catalogue.harvest.registry import available, template_writer, templates
from catalogue.harvest.state import HarvestState
from catalogue.publish.generations import (
    Generation,
    current_generation,
    published_store,
)
from catalogue.publish.parallel_reads import read_published_offers
from catalogue.publish.search_index import SearchIndex
from catalogue.resources import data_dir, module_file, rules_fingerprint
from catalogue.store.base import CatalogueStore
from catalogue.urls import offer_page

from . import i18n
from .environment import common_context, environment
from .pages import Deferred, Pages, summary_digest
from .schema_org import schema_org
from .static_search import (
    fingerprint,
    is_written,
    offer_shards,
    remove_index,
    write_index,
)
from .view import Presenter, offer_view

Progress = Callable[[str, int], None]
MANIFEST = ".build-manifest.json"
PAGEFIND_KEY = "pagefind/pagefind-entry.json"  # the manifest's note of what the search index holds


@dataclass
class BuildReport:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    offers_rendered: int = 0
    offers: int = 0
    seconds: float = 0.0
    generation: str = ""


@dataclass
class _Manifest:
    version: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    offers: dict[str, str] = field(default_factory=dict)
    generation: str = ""  # the published generation the folder was last built from
    inputs: dict[str, str] = field(default_factory=dict)  # listing page -> digest of what it showed

    @classmethod
    def load(cls, path: Path) -> _Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data.get("version", ""), data.get("pages", {}), data.get("offers", {}), data.get("generation", ""), data.get("inputs", {}))
        except (OSError, ValueError):
            return cls()

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        data = {"version": self.version, "generation": self.generation, "pages": self.pages, "offers": self.offers, "inputs": self.inputs}
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)


def site_fingerprint() -> str:
    """Templates, static assets, translations, vocabulary and shapes: any change re-renders every page."""
    digest = hashlib.sha256(rules_fingerprint().encode())
    for path in sorted(data_dir("site").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(data_dir("site"))).encode())
            digest.update(path.read_bytes())
    for name in SITE_CODE + template_modules():
        digest.update(module_file(name).read_bytes())
    return digest.hexdigest()[:16]


# The code that decides what a page says (the provider's template is added from the harvester registry).
SITE_CODE = (
    "catalogue.site.view", "catalogue.site.pages", "catalogue.site.builder", "catalogue.site.environment",
    "catalogue.site.schema_org", "catalogue.site.i18n", "catalogue.site.static_search", "catalogue.publish.offer_data", "catalogue.text", "catalogue.urls",
)


def template_modules() -> tuple[str, ...]:
    """The spreadsheet harvester and its template writer: the template on the site is made by them."""
    return tuple(registered["spreadsheet"].partition(":")[0] for registered in (templates(), available()))






class SiteBuilder:
    def __init__(self, config: Config, out: Path, generation: Generation | None = None, progress: Progress | None = None):
        self.config = config
        self.out = out
        self.generation = generation or current_generation(config)
        self.progress = progress
        self.report = BuildReport()
        self.manifest = _Manifest.load(out / MANIFEST)
        self.seen_pages: set[str] = set()
        self.current_offers: set[str] = set()
        self._listed: dict[str, set[str]] = {}  # folder -> the names in it, listed once, kept up to date by _write

    def build(self) -> BuildReport:
        started = time.perf_counter()
        if self.generation is None:
            raise CatalogueError("Nothing has been published yet: run catalogue harvest (or load) before building the site.")
        self.out.mkdir(parents=True, exist_ok=True)
        version = site_fingerprint()
        if self._up_to_date(version):
            self.report.unchanged = len(self.manifest.pages)
            self.report.offers = len(self.manifest.offers)
            self.report.seconds = time.perf_counter() - started
            self.report.generation = self.generation.id
            return self.report
        rebuild = version != self.manifest.version
        if rebuild:
            self.manifest.offers = {}
            self.manifest.inputs = {}
            self.manifest.version = version
        index = SearchIndex(self.generation.search_path)
        store = published_store(self.config, self.generation)
        state = HarvestState(self.config.data_dir / "state.sqlite")
        try:
            summaries, digests = [], {}
            for (text,) in index.db.execute("SELECT summary FROM offers ORDER BY iri"):
                summaries.append(json.loads(text))
                digests[summaries[-1]["iri"]] = summary_digest(text)
            self.report.offers = len(summaries)
            self.current_offers = {s["iri"] for s in summaries}
            last_harvest = {s.id: (r.started if (r := state.last_run(s.id, successful=True)) else None) for s in self.config.sources}
            pages = Pages(self.config, summaries, store, last_harvest, self.generation, digests,
                          search_action=None if self._browser_search() else self.config.base)
            self._offer_pages(store, summaries, last_harvest)
            for path, content in pages.everything():
                if isinstance(content, Deferred):
                    if self.manifest.inputs.get(path) == content.key and path in self.manifest.pages and self._exists(path):
                        self.seen_pages.add(path)
                        self.report.unchanged += 1
                        continue
                    self.manifest.inputs[path] = content.key
                    content = content.render()
                self._write(path, content)
            self._search(pages)
            self._assets(rebuild)
        finally:
            index.close()
            store.close()
            state.close()
        self._remove_stale()
        self.manifest.generation = self.generation.id
        self.manifest.save(self.out / MANIFEST)
        self.report.seconds = time.perf_counter() - started
        self.report.generation = self.generation.id
        return self.report

    def _up_to_date(self, version: str) -> bool:
        """Same generation, same templates and rules, every page still there: nothing to do."""
        if version != self.manifest.version or self.generation.id != self.manifest.generation or not self.manifest.pages:
            return False
        if is_written(self.out) != self._browser_search():
            return False
        return all(self._exists(relative) for relative in self.manifest.pages)

    def _browser_search(self) -> bool:
        """Whether the site's search runs in the browser (a Pagefind index), or, for a catalogue too large for
        that, on the catalogue's server (``[site] browser_search_max_offers``)."""
        return int(self.generation.meta.get("offers", 0)) <= self.config.browser_search_max_offers  # type: ignore[union-attr]

    # -- offer pages --------------------------------------------------------------------

    def _offer_pages(self, store: CatalogueStore, summaries: list[dict], last_harvest: dict[str, str | None]) -> None:
        stale = []
        for summary in summaries:
            paths = [offer_page(summary["iri"], summary["source"], self.config.base, lang).lstrip("/") for lang in i18n.LANGUAGES]
            current = self.manifest.offers.get(summary["iri"]) == _page_key(summary.get("content_hash"), summary.get("sources"), summary.get("disagreements"))
            if current and all(self._exists(path) for path in paths):
                self.seen_pages.update(paths)
                self.report.unchanged += len(paths)
            else:
                # Every source that publishes the offer: the page names them and where they disagree.
                stale += [(summary["iri"], source) for source in summary.get("sources") or [summary["source"]]]
        if not stale:
            return
        environments = {lang: environment(lang) for lang in i18n.LANGUAGES}
        presenters = {lang: Presenter(lang) for lang in i18n.LANGUAGES}
        sources = {s.id: s.name for s in self.config.sources}
        for offer in read_published_offers(store, stale):  # a snapshot is read by workers while this process renders
            for lang in i18n.LANGUAGES:
                view = offer_view(offer, presenters[lang], self.config.base, sources.get(offer.source, offer.source), last_harvest.get(offer.source),
                                  source_names=sources)
                page = environments[lang].get_template("offer.html").render(
                    **common_context(self.config, lang, view.url, view.other_language_url),
                    offer=view,
                    p=presenters[lang],
                    jsonld=schema_org(offer, self.config.base, lang),
                )
                self._write(view.url.lstrip("/"), page)
            self.manifest.offers[offer.iri] = _page_key(offer.content_hash, offer.sources, offer.disagreements)
            self.report.offers_rendered += 1
            if self.progress:
                self.progress("offers", 1)

    # -- search -----------------------------------------------------------------------------

    def _search(self, pages: Pages) -> None:
        """The comparison's lookup files, and the Pagefind index when its records changed since the last build."""
        located = ((s["iri"], offer_page(s["iri"], s["source"], self.config.base, "xx")[4:]) for s in pages.summaries)
        for path, content in offer_shards(located):
            self._write(path, content)
        if not self._browser_search():
            # Past the size the browser can search, an index would cost minutes after every change: none is
            # made, and an earlier one is removed so that no stale search is served.
            self.manifest.inputs.pop(PAGEFIND_KEY, None)
            remove_index(self.out)
            return
        self.seen_pages.add(PAGEFIND_KEY)
        digest = fingerprint(pages.search_records())
        if self.manifest.inputs.get(PAGEFIND_KEY) == digest and is_written(self.out):
            self.report.unchanged += 1
            return
        self.manifest.inputs.pop(PAGEFIND_KEY, None)  # an interrupted index build is not taken for a finished one
        write_index(pages.search_records(), self.out)
        self.manifest.inputs[PAGEFIND_KEY] = digest
        self.report.written += 1

    # -- files ----------------------------------------------------------------------------

    def _exists(self, relative: str) -> bool:
        """Whether the page is on disk, from one listing of its folder (a stat per page cost 2 s at 100,000 offers)."""
        folder, _, name = relative.rpartition("/")
        names = self._listed.get(folder)
        if names is None:
            try:
                names = {entry.name for entry in os.scandir(self.out / folder)}
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            self._listed[folder] = names
        return name in names

    def _write(self, relative: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        digest = hashlib.sha256(data).hexdigest()
        self.seen_pages.add(relative)
        target = self.out / relative
        if self.manifest.pages.get(relative) == digest and self._exists(relative):
            self.report.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        folder, _, name = relative.rpartition("/")
        if folder in self._listed:
            self._listed[folder].add(name)
        self.manifest.pages[relative] = digest
        self.report.written += 1

    def _assets(self, rebuild: bool) -> None:
        static = data_dir("site") / "static"
        for path in sorted(static.rglob("*")):
            if path.is_file():
                self._write(f"assets/{path.relative_to(static)}", path.read_bytes())
        self._provider_template(rebuild)

    def _provider_template(self, rebuild: bool) -> None:
        """The spreadsheet template for download; XLSX files carry timestamps, so they are made only when the rules change."""
        names = ("offers-template.xlsx", "offers-template.csv", "offers-template-columns.md")
        relative = [f"assets/{name}" for name in names]
        if not rebuild and all((self.out / r).exists() and r in self.manifest.pages for r in relative):
            self.seen_pages.update(relative)
            self.report.unchanged += len(relative)
            return
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            for path in template_writer("spreadsheet")(Path(folder)):
                self._write(f"assets/{path.name}", path.read_bytes())

    def _remove_stale(self) -> None:
        for relative in list(self.manifest.pages):
            if relative not in self.seen_pages:
                (self.out / relative).unlink(missing_ok=True)
                del self.manifest.pages[relative]
                self.report.removed += 1
        for iri in list(self.manifest.offers):
            if iri not in self.current_offers:
                del self.manifest.offers[iri]
        for relative in list(self.manifest.inputs):
            if relative not in self.seen_pages:
                del self.manifest.inputs[relative]






def build_site(config: Config, out: Path, progress: Progress | None = None) -> BuildReport:
    return SiteBuilder(config, out, progress=progress).build()



def _page_key(content_hash: str | None, sources: list[str] | None, disagreements: list[dict] | None) -> str:
    """What an offer page is made from: its content, and, when several sources publish it, what they say apart."""
    if not sources or len(sources) < 2:
        return content_hash or ""
    apart = json.dumps([sources, disagreements], sort_keys=True, ensure_ascii=False)
    return f"{content_hash}+{hashlib.sha256(apart.encode('utf-8')).hexdigest()[:16]}"
