"""The harvest pipeline: the one place that wires harvest -> validate -> store for a source.

Per source: gather -> fetch -> map every record -> cut the result into offers
-> validate each offer -> replace the source's graphs in one transaction.

Nothing is lost:

* the source cannot be read (network error, timeout, HTTP error after retries,
  unparsable entry document): the run fails, the previous content stays;
* some records cannot be fetched or mapped, or paging breaks off: those
  records keep the offers they had last time ("carried over"), and the run is
  "partial";
* the feed has no offers where the last run had some: the run fails;
* the feed shrank by more than ``max_shrink`` (default 50 %): the run is
  "held" for review and nothing is written (``catalogue harvest --accept-shrink``
  publishes it anyway);
* offers that fail the publishing profile go to quarantine with their report.

An unchanged source costs one conditional request per document: when every
response is "304 Not Modified" (or a local file's hash is unchanged) and the
store holds the source, nothing else is done.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import pyoxigraph as ox

from catalogue.config import Config, SourceConfig
from catalogue.errors import ConfigError, InputError
from catalogue.store.base import CatalogueStore, GraphWrite
from catalogue.validation.offers import extract_offers
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .admission import admit, recover
from .contract import (
    HarvestContext,
    MappedRecord,
    RecordError,
    RecordFailed,
    SourceUnavailable,
)
from .derivation.apply import Derivation, derive_record
from .fetch import FetchLimits
from .http_cache import HttpClient, harvest_policy
from .provenance import run_iri, run_triples, source_triples
from .registry import load_harvester
from .state import HarvestState, Run

KEEP_RUNS = 50
Progress = Callable[[str, int], None]  # (stage, items done)


@dataclass
class SourceOutcome:
    run: Run
    errors: list[RecordError] = field(default_factory=list)
    notes: list = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for catalogue harvest --timings


def harvest_source(
    config: Config,
    source: SourceConfig,
    store: CatalogueStore,
    state: HarvestState,
    validator: Validator,
    progress: Progress | None = None,
    accept_shrink: bool = False,
    now: datetime | None = None,
    serial: AbstractContextManager | None = None,
) -> SourceOutcome:
    """Harvest one source. With ``serial`` (a lock shared by sources harvested at the same time), only fetching
    and mapping run concurrently; reading the store, validating and writing happen one source at a time."""
    serial = serial or nullcontext()
    started = now or datetime.now(timezone.utc)
    clock = time.perf_counter()
    run = Run(id=run_iri(config.base, source.id, _iso(started)), source=source.id, started=_iso(started))
    outcome = SourceOutcome(run)
    try:
        harvester_class = load_harvester(source.harvester)
    except ConfigError as error:
        with serial:
            return _finish(store, state, config, source, outcome, "failed", str(error), clock)
    # A kind may need other defaults than the rest (a country's Europass dump is far over 50 MB).
    source = replace(source, options={**getattr(harvester_class, "default_options", {}), **source.options})
    context = HarvestContext(source, config.base, load_vocabulary(), source_client(config, source))
    outcome.errors, outcome.notes = context.errors, context.notes
    harvester = harvester_class(context)
    mark = time.perf_counter()
    try:
        records, failed, incomplete, derivations = collect_records(harvester, context, progress)
    except SourceUnavailable as error:
        run.http_status = error.status
        with serial:
            return _finish(store, state, config, source, outcome, "failed", f"The source could not be read, so its previous content was kept: {error}", clock)
    outcome.timings["fetch and map"] = time.perf_counter() - mark
    collected = _Collected(config, source, store, state, validator, progress, accept_shrink, started, clock, context, outcome,
                           records, failed, incomplete, derivations)
    with serial:
        return _publish_collected(collected)


@dataclass
class _Collected:
    """What one source's run has gathered and mapped, and what it needs to validate and admit it."""

    config: Config
    source: SourceConfig
    store: CatalogueStore
    state: HarvestState
    validator: Validator
    progress: Progress | None
    accept_shrink: bool
    started: datetime
    clock: float
    context: HarvestContext
    outcome: SourceOutcome
    records: list[MappedRecord]
    failed: set[str]
    incomplete: bool
    derivations: dict[str, list[Derivation]]  # offer IRI -> values the catalogue derived for it


def _publish_collected(collected: _Collected) -> SourceOutcome:
    c = collected
    config, source, store, state, validator, progress = c.config, c.source, c.store, c.state, c.validator, c.progress
    accept_shrink, started, clock, context, outcome = c.accept_shrink, c.started, c.clock, c.context, c.outcome
    records, failed, incomplete, run = c.records, c.failed, c.incomplete, c.outcome.run
    recover(store, state, source.id)  # a run that crashed after its store write still tells the feed
    previous = state.last_run(source.id, successful=True)
    run.http_status = _status(context)
    has_content = store.source_graph(source.id) in store.graphs() or store.quarantine_graph(source.id) in store.graphs()
    # After a held or failed run the HTTP cache holds what was fetched but never published, so a 304 proves nothing.
    last = state.last_run(source.id)
    last_published = last is not None and previous is not None and last.id == previous.id
    if (context.fetched and all(f.not_modified for f in context.fetched) and not failed and not incomplete and previous
            and has_content and last_published):
        run.seen, run.published, run.quarantined = previous.seen, previous.published, previous.quarantined
        run.unchanged = previous.published
        run.content_hash = previous.content_hash
        return _finish(store, state, config, source, outcome, "unchanged", "Nothing changed at the source since the last run.", clock)

    mark = time.perf_counter()
    carried = _carry_over(store, state, source, records, failed, incomplete)
    extraction = extract_offers(itertools.chain((t for r in records for t in r.triples), carried.triples), context.vocabulary, config.base)
    for record in records:
        record.triples = []  # the offers now hold their own statements; a source's parsed triples are its largest object
    carried.triples = []
    offers = extraction.offers
    run.seen = len(offers)
    run.carried_over = carried.count
    run.content_hash = _content_hash(offers)
    previous_count = previous.published + previous.quarantined if previous else 0
    if not offers and previous_count:
        return _finish(store, state, config, source, outcome, "failed",
                       f"The source has no offers now, but the last run found {previous_count}; they were kept. "
                       "If the provider really withdrew everything, remove the source from the configuration.", clock)
    max_shrink = float(source.options.get("max_shrink", 0.5))
    if previous_count and len(offers) < previous_count * (1 - max_shrink) and not accept_shrink:
        return _finish(store, state, config, source, outcome, "held",
                       f"The source shrank from {previous_count} to {len(offers)} offers (more than {max_shrink:.0%}); "
                       f"nothing was changed. Check the feed, then run: catalogue harvest {source.id} --accept-shrink", clock)

    outcome.timings["extract offers"] = time.perf_counter() - mark
    mark = time.perf_counter()
    reports = validator.validate_records(offers, (lambda n: progress("validated", n)) if progress else None)
    outcome.timings["validate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    store.ensure_vocabulary(context.vocabulary)
    end = datetime.now(timezone.utc)
    run.ended = _iso(end)
    published = admit(
        store, state, source.id, offers, reports, now=started, run=run.id,
        extra=[GraphWrite(store.provenance_graph, add=source_triples(config.base, source))],
        record_offers=_record_offers(records, carried, offers), derivations=c.derivations,
    )
    run.published, run.quarantined, run.unchanged = published.published, published.quarantined, published.unchanged
    run.withdrawn = len(published.withdrawn)
    outcome.timings["write"] = time.perf_counter() - mark
    kind = "partial" if failed or incomplete else ("unchanged" if published.change.empty else "published")
    message = _summary(run, published.change, kind)
    return _finish(store, state, config, source, outcome, kind, message, clock)


def collect_records(harvester, context: HarvestContext, progress: Progress | None) -> tuple[list[MappedRecord], set[str], bool, dict[str, list[Derivation]]]:
    records: list[MappedRecord] = []
    failed: set[str] = set()
    incomplete = False
    derivations: dict[str, list[Derivation]] = {}
    try:
        for ref in harvester.gather():
            try:
                content = harvester.fetch(ref)
                record = harvester.map(ref, content)
                if context.option("derive", True):
                    record.triples, derived = derive_record(record.triples, context, ref.key)
                    for item in derived:
                        derivations.setdefault(item.offer, []).append(item)
                records.append(record)
                if progress:
                    progress("records", 1)
            except RecordFailed as error:
                stage = "map" if not error.transient else "fetch"
                context.errors.append(RecordError(ref.key, stage, error.code, error.message, error.position, error.transient))
                failed.add(ref.key)
            except InputError as error:
                context.errors.append(RecordError(ref.key, "fetch", "unreadable", str(error), _position(error), True))
                failed.add(ref.key)
    except SourceUnavailable:
        raise
    except (RecordFailed, InputError) as error:
        # The list of records broke off (a page could not be read): what follows it is unknown.
        code = getattr(error, "code", "unreadable")
        context.errors.append(RecordError("(gather)", "gather", code, str(error), getattr(error, "position", None) or _position(error), True))
        incomplete = True
    return records, failed, incomplete, derivations


@dataclass
class _Carried:
    triples: list[ox.Triple] = field(default_factory=list)
    count: int = 0
    records: dict[str, list[str]] = field(default_factory=dict)


def _carry_over(store: CatalogueStore, state: HarvestState, source: SourceConfig, records: list[MappedRecord], failed: set[str], incomplete: bool) -> _Carried:
    """Previous offers of records that could not be read this time, taken from the store."""
    carried = _Carried()
    if not failed and not incomplete:
        return carried
    before = state.record_offers(source.id)
    harvested = {r.key for r in records}
    keys = [k for k in before if k in failed or (incomplete and k not in harvested)]
    graphs = [store.source_graph(source.id), store.quarantine_graph(source.id)]
    for key in keys:
        carried.records[key] = before[key]
        for offer in before[key]:
            triples = store.closure(graphs, offer)
            if triples:
                carried.triples.extend(triples)
                carried.count += 1
    return carried


def _record_offers(records: list[MappedRecord], carried: _Carried, offers) -> dict[str, list[str]]:
    present = {o.iri for o in offers}
    mapping = {r.key: [o for o in r.offers if o in present] for r in records}
    mapping.update(carried.records)
    return mapping


def _finish(store: CatalogueStore, state: HarvestState, config: Config, source: SourceConfig, outcome: SourceOutcome, kind: str, message: str, clock: float) -> SourceOutcome:
    run = outcome.run
    run.outcome = kind
    run.message = message
    run.ended = run.ended or _iso(datetime.now(timezone.utc))
    run.errors = len(outcome.errors)
    run.seconds = round(time.perf_counter() - clock, 3)
    state.save_run(run, outcome.errors, outcome.notes)
    stale = [r.id for r in state.runs(source.id, limit=10_000)[KEEP_RUNS:]]
    state.prune(source.id, KEEP_RUNS)
    removal = [t for stale_run in stale for t in store.subject_triples(store.provenance_graph, stale_run)]
    store.write([GraphWrite(store.provenance_graph, add=run_triples(config.base, run) + source_triples(config.base, source), remove=removal)])
    return outcome


def source_client(config: Config, source: SourceConfig) -> HttpClient:
    options = source.options
    limits = FetchLimits(
        connect_timeout=float(options.get("connect_timeout", 10)),
        total_timeout=float(options.get("timeout", 60)),
        max_bytes=int(float(options.get("max_megabytes", 50)) * 1024 * 1024),
        max_redirects=int(options.get("max_redirects", 5)),
        retries=int(options.get("retries", 2)),
        backoff=float(options.get("backoff", 0.5)),
    )
    trusted = options.get("trusted_hosts", ())
    trusted = [trusted] if isinstance(trusted, str) else [str(t) for t in trusted]
    return HttpClient(config.data_dir / "http-cache" / source.id, limits, delay=float(options.get("delay", 0.0)),
                      network=harvest_policy(source.urls, trusted))


def _status(context: HarvestContext) -> int | None:
    statuses = [f.status for f in context.fetched if f.status]
    return max(statuses) if statuses else None


def _content_hash(offers) -> str:
    digest = hashlib.sha256()
    for offer in sorted(offers, key=lambda o: o.iri):
        digest.update(offer.content_hash.encode())
    return digest.hexdigest()


def _summary(run: Run, change, kind: str) -> str:
    text = (
        f"{run.seen} offers: {run.published} published ({run.unchanged} unchanged), {run.quarantined} quarantined, "
        f"{run.withdrawn} withdrawn; {change.added} triples added, {change.removed} removed."
    )
    if kind == "partial":
        text += f" Some records could not be read; {run.carried_over} offers were kept from the previous run."
    return text


def _position(error: Exception) -> str | None:
    line = getattr(error, "line", None)
    return f"line {line}" if line else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
