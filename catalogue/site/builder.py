"""Building the static guidance site from a published generation.

The site is plain files (``catalogue build-site OUTDIR``) in Swedish and
English: home, search (in the browser, from a Pagefind index in ``pagefind/``
read a chunk at a time; with browse pages per facet value for readers
without JavaScript; past ``[site] browser_search_max_offers`` offers, the
search forms go to the catalogue server's own search instead), one page per
offer and per provider, the provider register, a comparison page, about the
data, for providers, and the accessibility statement.

Building is incremental, and costs what changed rather than what the catalogue holds. The manifest
(``manifest.BuildManifest``, SQLite beside the site) remembers every page written (the SHA-256 of its
bytes, and the unit that wrote it: an offer, a provider, the sitemaps, a lookup file, the listings) and,
for every offer, the search index row's fingerprint its pages were made from. A build compares the
published index with the manifest inside SQLite, renders the pages of the offers that are new or
changed, removes those of withdrawn offers, renders the pages of the providers of those offers (and
of offers whose next application deadline passed), and writes the sitemaps again only when the listed
offers changed. Any change of the templates, translations, vocabulary or site code renders everything.
A page is written only when its bytes differ; each file is replaced atomically (write, then rename),
so a server never sends half a page. A page missing from disk is written again.

A catalogue searched in the browser (up to ``[site] browser_search_max_offers``) also gets a browse
page per facet value and a Pagefind index, made again only when what it holds changed (a digest of
its records), beside the old one, then put in its place. A larger catalogue keeps no summary in
memory: its facets are counted by the search index and link to the server's search.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
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
from catalogue.publish.kept_summaries import KeptSummaries
from catalogue.publish.offer_data import pick
from catalogue.publish.parallel_reads import map_published_offers
from catalogue.publish.search_index import SearchIndex, source_fingerprints
from catalogue.resources import data_dir, module_file, rules_fingerprint
from catalogue.store.base import CatalogueStore
from catalogue.urls import offer_page, provider_page

from . import i18n
from .cards import card, next_deadline
from .environment import common_context, environment
from .manifest import BuildManifest, listed
from .offer_pages import offer_pages
from .pages import Deferred, Listings, LiveFacets, Pages, sitemaps, summary_digest
from .providers import PROVIDER_SLICE, provider_data, provider_details, provider_view
from .static_search import (
    fingerprint,
    is_written,
    remove_index,
    shard,
    shard_file,
    write_index,
)
from .view import Presenter

Progress = Callable[[str, int], None]  # ("total", offers to render) once, then ("offers", 1) per offer rendered
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
    "catalogue.site.view", "catalogue.site.pages", "catalogue.site.providers", "catalogue.site.offer_pages", "catalogue.site.builder", "catalogue.site.environment",
    "catalogue.site.schema_org", "catalogue.site.i18n", "catalogue.site.static_search", "catalogue.publish.offer_data", "catalogue.text", "catalogue.urls",
)


def template_modules() -> tuple[str, ...]:
    """The spreadsheet harvester and its template writer: the template on the site is made by them."""
    return tuple(registered["spreadsheet"].partition(":")[0] for registered in (templates(), available()))






OFFER_BATCH = 2_000  # offers whose summaries are read from the index at once
FIXED, LISTINGS, REGISTER, SITEMAPS, ASSETS, TEMPLATE = "fixed", "listings", "register", "sitemaps", "assets", "template"


@dataclass
class _Changes:
    """What the offers that changed since the last build touch besides their own pages."""

    providers: set[str] = field(default_factory=set)
    shards: set[str] = field(default_factory=set)
    listing: bool = False  # the listed offers (or where their pages are) changed: the sitemaps are made again


class SiteBuilder:
    def __init__(self, config: Config, out: Path, generation: Generation | None = None, progress: Progress | None = None):
        self.config = config
        self.out = out
        self.generation = generation or current_generation(config)
        self.progress = progress
        self.report = BuildReport()
        self._listed: dict[str, set[str]] = {}  # folder -> the names in it, listed once, kept up to date by _write
        self._seen: dict[str, set[str]] = {}  # unit -> pages written or found unchanged in this build
        self._pages_written = 0  # pages (not the Pagefind index) written in this build

    def build(self) -> BuildReport:
        started = time.perf_counter()
        if self.generation is None:
            raise CatalogueError("Nothing has been published yet: run catalogue harvest (or load) before building the site.")
        self.out.mkdir(parents=True, exist_ok=True)
        self.manifest = BuildManifest(self.out, self.generation.search_path)
        try:
            self._build(site_fingerprint())
            self.manifest.commit()
        except BaseException:
            self.manifest.abandon()
            raise
        self.report.seconds = time.perf_counter() - started
        self.report.generation = self.generation.id
        return self.report

    def _build(self, version: str) -> None:
        manifest = self.manifest
        search = "browser" if self._browser_search() else "server"
        missing = self._missing_pages()
        if (version == manifest.get("version") and self.generation.id == manifest.get("generation") and search == manifest.get("search")
                and not missing and (is_written(self.out) == (search == "browser"))):
            self.report.unchanged = manifest.page_count()
            self.report.offers = manifest.offer_count()
            return
        first = version != manifest.get("version")
        if first:
            manifest.forget_content()
        index = SearchIndex(self.generation.search_path)
        store = published_store(self.config, self.generation)
        state = HarvestState(self.config.data_dir / "state.sqlite")
        try:
            last_harvest = {s.id: (r.started if (r := state.last_run(s.id, successful=True)) else None) for s in self.config.sources}
            harvest_days = {source: (day or "")[:10] for source, day in last_harvest.items()}
            repair = {unit for _, unit in missing}
            changes = self._offers(store, last_harvest, {unit[6:] for unit in repair if unit.startswith("offer:")})
            self.report.offers = manifest.offer_count()
            providers = changes.providers | {unit[9:] for unit in repair if unit.startswith("provider:")}
            providers |= self._providers_of_harvested(json.loads(manifest.get("harvest_days") or "{}"), harvest_days)
            if first:
                providers |= manifest.published_providers()
            changes.listing |= self._providers(store, providers, last_harvest)
            self._fixed_pages(index, last_harvest, search == "browser")
            if changes.listing or first or SITEMAPS in repair or not manifest.pages_of(SITEMAPS):
                for path, content in sitemaps(self.config.base, manifest.listed_offers(), manifest.provider_iris()):
                    self._write(path, content, SITEMAPS)
                self._close(SITEMAPS)
            shards = changes.shards | {unit[6:] for unit in repair if unit.startswith("shard:")}
            if first:
                shards |= manifest.shards()
            self._shards(shards)
            self._assets(first)
        finally:
            index.close()
            store.close()
            state.close()
        for unit in (FIXED, LISTINGS, REGISTER, ASSETS, TEMPLATE):
            self._close(unit)
        manifest.set("version", version)
        manifest.set("generation", self.generation.id)
        manifest.set("search", search)
        manifest.set("harvest_days", json.dumps(harvest_days, sort_keys=True))
        self.report.unchanged = manifest.page_count() - self._pages_written

    def _browser_search(self) -> bool:
        """Whether the site's search runs in the browser (a Pagefind index), or, for a catalogue too large for
        that, on the catalogue's server (``[site] browser_search_max_offers``)."""
        return int(self.generation.meta.get("offers", 0)) <= self.config.browser_search_max_offers  # type: ignore[union-attr]

    # -- offer pages --------------------------------------------------------------------

    def _offers(self, store: CatalogueStore, last_harvest: dict[str, str | None], repair: set[str]) -> _Changes:
        """Render the pages of every offer that is new or changed since the last build (or whose page went missing),
        and remove those of offers no longer published."""
        manifest = self.manifest
        changes = _Changes()
        for iri, provider, was_listed, key in manifest.gone_offers():
            self._close(f"offer:{iri}")
            manifest.forget_offer(iri)
            changes.providers.add(provider)
            changes.shards.add(key)
            changes.listing |= bool(was_listed)
        numbers = manifest.changed_offers()
        if repair:
            numbers = sorted(set(numbers) | set(manifest.index_numbers(sorted(repair))))
        today = date.today()
        pairs: list[tuple[str, str]] = []
        fingerprints: list[str | None] = []  # each pair's listed fingerprint: which summaries the harvest kept still hold
        for first in range(0, len(numbers), OFFER_BATCH):
            for iri, row_key, provider, text in manifest.index_rows(numbers[first:first + OFFER_BATCH]):
                summary = json.loads(text)
                source, is_listed, key = summary["source"], listed(summary.get("status")), shard(iri)
                before = manifest.offer(iri)
                if before is None or before[0] != source or bool(before[2]) != is_listed:
                    changes.listing = True
                if before is not None:
                    changes.providers.add(before[1])
                changes.providers.add(provider)
                changes.shards.add(key)
                manifest.keep_offer(iri, row_key or f"summary {summary_digest(text)}", source, provider, is_listed,
                                    next_deadline(summary, today), key)
                # Every source that publishes the offer: the page names them and where they disagree.
                publishers = summary.get("sources") or [source]
                pairs += [(iri, s) for s in publishers]
                fingerprints += source_fingerprints(row_key, publishers)
        changes.providers.discard(None)  # type: ignore[arg-type]
        if not pairs:
            return changes
        if self.progress:
            self.progress("total", len(numbers))
        sources = {s.id: s.name for s in self.config.sources}
        # Rendered where the offers are read: in worker processes when there are many (every core renders).
        kept = KeptSummaries.in_data_dir(self.config.data_dir)
        for iri, pages in map_published_offers(store, pairs, partial(offer_pages, self.config, last_harvest, sources),
                                               kept=kept, fingerprints=fingerprints):
            unit = f"offer:{iri}"
            for path, page in pages:
                self._write(path, page, unit)
            self._close(unit)
            self.report.offers_rendered += 1
            if self.progress:
                self.progress("offers", 1)
        return changes

    # -- providers --------------------------------------------------------------------------

    def _providers_of_harvested(self, before: dict[str, str], now: dict[str, str]) -> set[str]:
        """Providers of the sources harvested on another day than at the last build: their pages show the day."""
        sources = {source for source, day in now.items() if before.get(source) != day}
        if not sources:
            return set()
        return {data["iri"] for data in map(json.loads, self.manifest.provider_data()) if sources & set(data["sources"])}

    def _providers(self, store: CatalogueStore, affected: set[str], last_harvest: dict[str, str | None]) -> bool:
        """Render the pages of the ``affected`` providers, and of those whose offers' cards changed with the day.
        Returns whether a provider came or went."""
        manifest = self.manifest
        today = date.today()
        affected = (affected | manifest.providers_with_changed_cards(today.isoformat())) - {None}  # type: ignore[operator]
        came_or_went = False
        iris = sorted(affected)
        presenters = {lang: Presenter(lang) for lang in i18n.LANGUAGES}
        environments = {lang: environment(lang) for lang in i18n.LANGUAGES}
        for first in range(0, len(iris), PROVIDER_SLICE):
            chunk = iris[first:first + PROVIDER_SLICE]
            details = provider_details(store, chunk)
            for iri in chunk:
                summaries = [s for s in map(json.loads, manifest.provider_offers(iri)) if listed(s.get("status"))]
                for summary in summaries:
                    manifest.card_until(summary["iri"], next_deadline(summary, today))
                unit = f"provider:{iri}"
                if not summaries:
                    came_or_went |= manifest.forget_provider(iri)
                    self._close(unit)
                    continue
                data = provider_data(iri, summaries, details[iri])
                came_or_went |= manifest.provider_is_new(iri)
                manifest.keep_provider(iri, json.dumps(data, ensure_ascii=False))
                for lang in i18n.LANGUAGES:
                    p = presenters[lang]
                    other = "en" if lang == "sv" else "sv"
                    path = provider_page(iri, lang).lstrip("/")
                    offers = sorted(summaries, key=lambda s: pick(s["titles"], lang)[0])
                    page = environments[lang].get_template("provider.html").render(
                        **common_context(self.config, lang, "/" + path, provider_page(iri, other)),
                        p=p, provider=provider_view(data, lang, p, last_harvest), offers=[card(s, lang, p, self.config.base) for s in offers],
                    )
                    self._write(path, page, unit)
                self._close(unit)
        return came_or_went

    # -- the other pages --------------------------------------------------------------------

    def _fixed_pages(self, index: SearchIndex, last_harvest: dict[str, str | None], browser: bool) -> None:
        """Home, search, browse, about …, the register; in a catalogue searched in the browser, the browse pages per
        facet value and the Pagefind index."""
        manifest = self.manifest
        if browser:
            summaries, digests = [], {}
            for (text,) in index.db.execute("SELECT summary FROM offers ORDER BY iri"):
                summaries.append(json.loads(text))
                digests[summaries[-1]["iri"]] = summary_digest(text)
            facets: Listings | LiveFacets = Listings(summaries, digests, self.config.base)
        else:
            facets = LiveFacets(index, self.config.base)
        pages = Pages(self.config, self.generation, facets, len(manifest.provider_iris()), last_harvest,
                      search_action=None if browser else self.config.base)
        for path, content in pages.everything():
            self._write(path, content, FIXED)
        for path, deferred in pages.register(list(manifest.provider_data())):
            self._deferred(path, deferred, REGISTER)
        for path, deferred in pages.browse_pages():
            self._deferred(path, deferred, LISTINGS)
        manifest.forget_inputs_except(self._seen.get(LISTINGS, set()) | self._seen.get(REGISTER, set()) | {PAGEFIND_KEY})
        if isinstance(facets, Listings):
            self._pagefind(facets)
        else:
            # Past the size the browser can search, an index would cost minutes after every change: none is
            # made, and an earlier one is removed so that no stale search is served.
            manifest.forget_input(PAGEFIND_KEY)
            remove_index(self.out)

    def _deferred(self, path: str, deferred: Deferred, unit: str) -> None:
        """Write the page unless what it shows is what it showed when last written."""
        if self.manifest.input_key(path) == deferred.key and self.manifest.digest(path) is not None and self._exists(path):
            self._keep(path, unit)
            return
        self.manifest.keep_input(path, deferred.key)
        self._write(path, deferred.render(), unit)

    def _pagefind(self, listings: Listings) -> None:
        """The Pagefind index, made again only when its records changed since the last build."""
        digest = fingerprint(listings.search_records())
        if self.manifest.input_key(PAGEFIND_KEY) == digest and is_written(self.out):
            return
        self.manifest.forget_input(PAGEFIND_KEY)  # an interrupted index build is not taken for a finished one
        write_index(listings.search_records(), self.out)
        self.manifest.keep_input(PAGEFIND_KEY, digest)
        self.report.written += 1

    def _shards(self, keys: set[str]) -> None:
        """The comparison's lookup files that hold an offer that came, went or moved."""
        for key in sorted(keys):
            unit = f"shard:{key}"
            located = [(iri, offer_page(iri, source, self.config.base, "xx")[4:]) for iri, source in self.manifest.shard_offers(key)]
            if located:
                self._write(*shard_file(key, located), unit)
            self._close(unit)

    # -- files ----------------------------------------------------------------------------

    def _missing_pages(self) -> list[tuple[str, str]]:
        """(path, unit) of the pages the manifest lists that are not on disk. A folder holding as many files as the
        manifest lists in it is taken as whole; the others are compared name by name."""
        missing = []
        for folder, expected in self.manifest.folders():
            try:
                names = {name for name in os.listdir(self.out / folder) if not name.startswith(".")}
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            if len(names) >= expected and folder:
                continue
            self._listed[folder] = names
            missing += [(path, unit) for path, unit in self.manifest.units_in(folder) if path.rpartition("/")[2] not in names]
        return missing

    def _exists(self, relative: str) -> bool:
        """Whether the page is on disk, from one listing of its folder (a stat per page cost 2 s at 100,000 offers)."""
        folder, _, name = relative.rpartition("/")
        names = self._listed.get(folder)
        if names is None:
            try:
                names = set(os.listdir(self.out / folder))
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            self._listed[folder] = names
        return name in names

    def _write(self, relative: str, content: str | bytes, unit: str) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        digest = hashlib.sha256(data).hexdigest()
        if self.manifest.digest(relative) == digest and self._exists(relative):
            self._keep(relative, unit)
            return
        self._seen.setdefault(unit, set()).add(relative)
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        folder, _, name = relative.rpartition("/")
        if folder in self._listed:
            self._listed[folder].add(name)
        self.manifest.written(relative, digest, unit)
        self.report.written += 1
        self._pages_written += 1

    def _keep(self, relative: str, unit: str) -> None:
        """The page on disk is what ``unit`` would write: it stays, and belongs to ``unit``."""
        self._seen.setdefault(unit, set()).add(relative)
        self.manifest.seen(relative, unit)

    def _close(self, unit: str) -> None:
        """Remove the pages ``unit`` wrote in earlier builds and did not write in this one."""
        seen = self._seen.pop(unit, set())
        for relative in self.manifest.pages_of(unit):
            if relative not in seen:
                (self.out / relative).unlink(missing_ok=True)
                self.manifest.forget_page(relative)
                self.report.removed += 1
                self._prune((self.out / relative).parent)

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` and the folders above it (below the site's) that removing pages left empty."""
        while folder != self.out and self.out in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone)
                return
            self._listed.pop(folder.relative_to(self.out).as_posix(), None)
            folder = folder.parent

    def _assets(self, rebuild: bool) -> None:
        static = data_dir("site") / "static"
        for path in sorted(static.rglob("*")):
            if path.is_file():
                self._write(f"assets/{path.relative_to(static)}", path.read_bytes(), ASSETS)
        self._provider_template(rebuild)

    def _provider_template(self, rebuild: bool) -> None:
        """The spreadsheet template for download; XLSX files carry timestamps, so they are made only when the rules change."""
        relative = [f"assets/{name}" for name in ("offers-template.xlsx", "offers-template.csv", "offers-template-columns.md")]
        if not rebuild and all(self.manifest.digest(r) is not None and self._exists(r) for r in relative):
            self._seen.setdefault(TEMPLATE, set()).update(relative)
            return
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            for path in template_writer("spreadsheet")(Path(folder)):
                self._write(f"assets/{path.name}", path.read_bytes(), TEMPLATE)


def build_site(config: Config, out: Path, progress: Progress | None = None) -> BuildReport:
    return SiteBuilder(config, out, progress=progress).build()
