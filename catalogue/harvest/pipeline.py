"""The harvest pipeline: the one place that wires harvest -> validate -> store for a source.

Per source: gather -> fetch -> map every record -> cut the result into offers
-> validate each offer -> stage -> replace the source's graphs in one atomic change.

A harvester whose records are self-contained (``Harvester.self_contained_records``:
a dump's member file, an API's event joined with what it links to) is taken in
batches of ``BATCH_OFFERS`` offers, each extracted, validated and staged before the
next is read, so memory is set by the batch and not by the source; the staged
batches are switched in together at the end (``Admission``). Other harvesters'
records may share nodes, so their source is one batch.

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
store holds the source, nothing else is done. A harvester may also compare each
record's content hash with the one it had when last published
(``HarvestContext.unchanged``): an unchanged record is not parsed again and its
offers are carried over from the store.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from catalogue.config import Config, SourceConfig
from catalogue.errors import ConfigError, InputError
from catalogue.freed_memory import give_back_freed_memory
from catalogue.publish.kept_summaries import KeptSummaries
from catalogue.store.base import CatalogueStore, GraphWrite
from catalogue.store.graph_text import GraphTexts
from catalogue.store.staging import forget_stopped, stage_name
from catalogue.validation.offers import OfferRecord, extract_offers
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .admission import Admission, describe_listed, recover
from .contract import (
    HarvestContext,
    MappedRecord,
    RecordError,
    RecordFailed,
    RecordUnchanged,
    SourceUnavailable,
)
from .derivation.apply import Derivation, derive_record
from .extraction_notes import note_extraction, note_left_out, note_subjects
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
    # Of those seconds, the ones the source's own thread ran (its CPU time): while several sources are harvested at
    # once, a stage's seconds also count the waits for the cores and the interpreter lock that the others hold.
    busy: dict[str, float] = field(default_factory=dict)
    records_read: int = 0  # records fetched and mapped this run
    records_unchanged: int = 0  # records whose content hash was the one last published: not read again


def _clock() -> tuple[float, float]:
    """Now, and the CPU time this thread has used, for ``_timed``."""
    return time.perf_counter(), time.thread_time()


BATCH_OFFERS = 5_000  # offers per batch of a self-contained source: memory is set by this, not by the feed
CARRY_SLICE = 2_000  # offers carried over from the store per batch


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
    """Harvest one source. With ``serial`` (a lock shared by sources harvested at the same time), fetching, mapping,
    cutting into offers and validating run concurrently (validation in the validator's worker processes, so one
    source's offers are validated while another's are read); staging and writing happen one source at a time."""
    try:
        return _harvest_source(config, source, store, state, validator, progress, accept_shrink, now, serial)
    finally:
        # The source's documents, terms and offers are garbage once its run has returned; without this the process
        # keeps the pages they took for good (``freed_memory``).
        give_back_freed_memory()


def _harvest_source(
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
    context.previous_hashes = state.record_hashes(source.id)
    context.mapping_version = mapping_version(harvester_class, source)
    context.scratch, context.scratch_name = config.data_dir / "staging", "document-" + stage_name(source.id)
    forget_stopped(context.scratch, context.scratch_name)  # large documents a stopped run of this source left on disk
    outcome.errors, outcome.notes = context.errors, context.notes
    stream = RecordStream(harvester_class(context), context, progress)
    limit = BATCH_OFFERS if harvester_class.self_contained_records else None
    source_run = _SourceRun(config, source, store, state, validator, progress, accept_shrink, started, clock, context, outcome, stream, serial)
    return source_run.go(limit)


def mapping_version(harvester_class: type, source: SourceConfig) -> str:
    """What a record's mapping depends on besides its content: the harvester's code and the source's options.
    Mixed into each record's content hash, so a new catalogue version or option reads every record again."""
    digest = hashlib.sha256(json.dumps(source.options, sort_keys=True, default=str).encode())
    module = sys.modules.get(harvester_class.__module__)
    where = getattr(module, "__file__", None)
    if where:
        digest.update(Path(where).read_bytes())
    return digest.hexdigest()


class RecordStream:
    """The source's records as the harvester maps them, one batch at a time; keeps what went wrong on the way."""

    def __init__(self, harvester, context: HarvestContext, progress: Progress | None):
        self.harvester, self.context, self.progress = harvester, context, progress
        self.failed: set[str] = set()
        self.unchanged: set[str] = set()  # records whose content hash equals the last published one: not read again
        self.read: list[str] = []  # keys of the records mapped this run
        self.record_offers: dict[str, list[str]] = {}
        self.incomplete = False
        self.exhausted = False
        self.seconds = 0.0
        self.busy = 0.0
        self._records = self._each()

    def next_batch(self, limit: int | None) -> tuple[list[MappedRecord], dict[str, list[Derivation]]]:
        """Records until they hold ``limit`` offers (None: every record), and the values derived for their offers."""
        wall, cpu = _clock()
        batch: list[MappedRecord] = []
        derivations: dict[str, list[Derivation]] = {}
        offers = 0
        try:
            for record, derived in self._records:
                batch.append(record)
                for item in derived:
                    derivations.setdefault(item.offer, []).append(item)
                offers += max(len(record.offers), 1)
                if limit is not None and offers >= limit:
                    return batch, derivations
            self.exhausted = True
            return batch, derivations
        finally:
            self.seconds += time.perf_counter() - wall
            self.busy += time.thread_time() - cpu

    def _each(self):
        context, harvester = self.context, self.harvester
        try:
            for ref in harvester.gather():
                key = ref.key
                try:
                    content = harvester.fetch(ref)
                    record = harvester.map(ref, content)
                    # Neither the parsed document nor its reference stays alive while the record is admitted: for one
                    # large document they are as large as the record itself.
                    del content, ref
                    derived: list[Derivation] = []
                    if record.stored is None:  # a document on disk is derived a slice at a time (``_admit_stored``)
                        if context.option("derive", True):
                            record.triples, derived = derive_record(record.triples, context, key)
                        for offer in record.offers:
                            context.hints.pop(offer, None)  # used; a large source would otherwise keep every offer's hints
                    self.read.append(key)
                    self.record_offers[key] = list(record.offers)
                    if self.progress:
                        self.progress("records", 1)
                    yield record, derived
                except RecordUnchanged:
                    self.unchanged.add(key)
                    if self.progress:
                        self.progress("records", 1)
                except RecordFailed as error:
                    stage = "map" if not error.transient else "fetch"
                    context.errors.append(RecordError(key, stage, error.code, error.message, error.position, error.transient))
                    self._failed(key)
                except InputError as error:
                    context.errors.append(RecordError(key, "fetch", "unreadable", str(error), _position(error), True))
                    self._failed(key)
        except SourceUnavailable:
            raise
        except (RecordFailed, InputError) as error:
            # The list of records broke off (a page could not be read): what follows it is unknown.
            code = getattr(error, "code", "unreadable")
            context.errors.append(RecordError("(gather)", "gather", code, str(error), getattr(error, "position", None) or _position(error), True))
            self.incomplete = True

    def _failed(self, key: str) -> None:
        self.failed.add(key)
        self.context.record_hashes.pop(key, None)  # read again next time

    def hashes(self) -> dict[str, str]:
        """Content hashes of the records whose offers this run publishes (failed ones are read again next time)."""
        return {k: v for k, v in self.context.record_hashes.items() if k not in self.failed}


def collect_records(harvester, context: HarvestContext, progress: Progress | None) -> tuple[list[MappedRecord], set[str], bool, dict[str, list[Derivation]]]:
    """Every record of a source mapped at once: (records, failed keys, whether the list broke off, derivations)."""
    stream = RecordStream(harvester, context, progress)
    records, derivations = stream.next_batch(None)
    return records, stream.failed, stream.incomplete, derivations


@dataclass
class _SourceRun:
    """One source's run: batches of records -> offers -> validation -> staged admission -> one atomic switch."""

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
    stream: RecordStream
    serial: AbstractContextManager
    admission: Admission | None = None
    events_staged: bool = False  # the run state holds this run's first batch of feed events
    previous: Run | None = None  # the source's last successful run

    @property
    def key(self) -> str:
        return self.outcome.run.id

    def go(self, limit: int | None) -> SourceOutcome:
        run, timings = self.outcome.run, self.outcome.timings
        try:
            batch, derivations = self.stream.next_batch(limit)
            with self.serial:
                recover(self.store, self.state, self.source.id)  # a run that crashed after its store write still tells the feed
                # A run stopped between its batches left events and staged content that no admission will take.
                self.state.forget_orphan_events(run_iri(self.config.base, self.source.id, ""), self.key)
                forget_stopped(self.config.data_dir / "staging", stage_name(self.source.id))
                self.previous = self.state.last_run(self.source.id, successful=True)
                if self.stream.exhausted and self._nothing_changed():
                    previous = self.previous
                    run.http_status = _status(self.context)
                    run.seen, run.published, run.quarantined = previous.seen, previous.published, previous.quarantined
                    run.unchanged = previous.published
                    run.content_hash = previous.content_hash
                    fresh = {k: v for k, v in self.stream.hashes().items() if self.context.previous_hashes.get(k) != v}
                    if fresh:
                        self.state.confirm_record_hashes(self.source.id, fresh)
                    return self._finish("unchanged", "Nothing changed at the source since the last run.")
                self.admission = Admission(self.store, self.source.id, now=self.started, run=run.id,
                                           spill=self.config.data_dir / "staging", on_events=self._stage_events,
                                           texts=GraphTexts.in_data_dir(self.config.data_dir),
                                           summaries=KeptSummaries.in_data_dir(self.config.data_dir))
            while True:
                self._admit(batch, derivations)
                if self.stream.exhausted:
                    break
                batch, derivations = self.stream.next_batch(limit)
            timings["fetch and map"] = self.stream.seconds
            self.outcome.busy["fetch and map"] = self.stream.busy
            for carried in self._carried(limit):
                self._admit(carried, {})
            with self.serial:
                return self._switch()
        except SourceUnavailable as error:
            run.http_status = error.status
            self._abandon()
            with self.serial:
                return self._finish("failed", f"The source could not be read, so its previous content was kept: {error}")
        except BaseException:
            self._abandon()
            raise

    def _nothing_changed(self) -> bool:
        """Every document answered 304 or every record has its last published hash, nothing failed, and the store
        holds what the last run published. (After a held or failed run the HTTP cache holds what was fetched but
        never published, so a 304 proves nothing.)"""
        context, stream, store, previous = self.context, self.stream, self.store, self.previous
        if stream.failed or stream.incomplete or previous is None:
            return False
        last = self.state.last_run(self.source.id)
        if last is None or last.id != previous.id:
            return False
        graphs = set(store.graphs())
        if store.source_graph(self.source.id) not in graphs and store.quarantine_graph(self.source.id) not in graphs:
            return False
        all_304 = bool(context.fetched) and all(f.not_modified for f in context.fetched)
        all_same = bool(stream.unchanged) and not stream.read
        return all_304 or all_same

    def _stage_events(self, events: list) -> None:
        self.state.stage_events(self.key, events, first=not self.events_staged)
        self.events_staged = True

    def _admit(self, records: list[MappedRecord], derivations: dict[str, list[Derivation]]) -> None:
        stored = [record for record in records if record.stored is not None]
        held = [record for record in records if record.stored is None]
        if held or not stored:
            mark = _clock()
            extraction = extract_offers((t for r in held for t in r.triples), self.context.vocabulary, self.config.base)
            note_left_out(self.context, extraction, held)
            extraction.unreached = {}  # noted; not kept alive through validation
            for record in held:
                record.triples = []  # the offers now hold their own statements; parsed triples are the largest object
            note_extraction(self.context, held[0].key if len(held) == 1 else self.source.id, extraction.directional,
                            extraction.blank_offers)
            self._timed("extract offers", mark)
            self._validate_and_add(extraction.offers, derivations)
        for record in stored:
            self._admit_stored(record)

    def _admit_stored(self, record: MappedRecord) -> None:
        """A document on disk, a slice of offers at a time: their descriptions read back, derived, cut, validated and
        staged before the next slice is read."""
        document, context = record.stored, self.context
        assert document is not None
        directional = blank_offers = 0
        try:
            offers = document.offers()
            for start in range(0, len(offers), BATCH_OFFERS):
                mark = _clock()
                part = offers[start:start + BATCH_OFFERS]
                triples = document.descriptions(part, context.vocabulary)
                derived: dict[str, list[Derivation]] = {}
                if context.option("derive", True):
                    triples, found = derive_record(triples, context, record.key, only=part)
                    for item in found:
                        derived.setdefault(item.offer, []).append(item)
                for offer in part:
                    context.hints.pop(offer.value, None)
                extraction = extract_offers(triples, context.vocabulary, self.config.base, only=part)
                directional, blank_offers = directional + extraction.directional, blank_offers + extraction.blank_offers
                del triples
                self._timed("extract offers", mark)
                self._validate_and_add(extraction.offers, derived)
            note_extraction(context, record.key, directional, blank_offers)
            if offers:
                note_subjects(context, record.key, *document.left_out(context.vocabulary))
        finally:
            document.close()
            record.stored = None

    def _timed(self, stage: str, mark: tuple[float, float], busy: bool = True) -> None:
        """Add the time since ``mark`` (``_clock()``) to ``stage``; with ``busy``, also what this thread ran (not for
        validation, whose work is done in worker processes)."""
        wall, cpu = mark
        timings = self.outcome.timings
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - wall
        if busy:
            self.outcome.busy[stage] = self.outcome.busy.get(stage, 0.0) + time.thread_time() - cpu

    def _validate_and_add(self, offers: list[OfferRecord], derivations: dict[str, list[Derivation]]) -> None:
        mark = _clock()
        progress = self.progress
        assert self.admission is not None
        alongside = partial(describe_listed, self.source.id) if self.admission.summaries is not None else None
        reports, made = self.validator.validate_records_with(offers, alongside, (lambda n: progress("validated", n)) if progress else None)
        self._timed("validate", mark, busy=False)
        mark = _clock()
        described = self.admission.describe(offers, reports, made)  # outside the lock: other sources' batches go on meanwhile
        self._timed("summaries", mark)
        with self.serial:
            mark = _clock()
            self.admission.add(offers, reports, derivations, described)
            self._timed("write", mark)
        mark = _clock()
        self.admission.keep_described()
        self._timed("summaries", mark)

    def _carried(self, limit: int | None):
        """Batches of the previous offers of records not read this time (failed, unchanged, or after the list broke
        off), taken from the store."""
        stream, store = self.stream, self.store
        if not stream.failed and not stream.incomplete and not stream.unchanged:
            return
        before = self.state.record_offers(self.source.id)
        harvested = set(stream.read)
        keys = [k for k in before if k in stream.failed or k in stream.unchanged or (stream.incomplete and k not in harvested)]
        graphs = [store.source_graph(self.source.id), store.quarantine_graph(self.source.id)]
        chunk: list[str] = []
        size = 0
        for key in keys:
            chunk.append(key)
            size += max(len(before[key]), 1)
            if limit is not None and size >= min(limit, CARRY_SLICE):
                yield self._carry(chunk, before, graphs)
                chunk, size = [], 0
        if chunk:
            yield self._carry(chunk, before, graphs)

    def _carry(self, keys: list[str], before: dict[str, list[str]], graphs: list[str]) -> list[MappedRecord]:
        stream = self.stream
        found = self.store.closures(graphs, [offer for key in keys for offer in before[key]])
        batch = []
        for key in keys:
            triples = [t for offer in before[key] for t in found.get(offer, [])]
            if key not in stream.unchanged:
                self.outcome.run.carried_over += sum(1 for offer in before[key] if offer in found)
            stream.record_offers[key] = before[key]
            batch.append(MappedRecord(key, triples, list(before[key])))
        return batch

    def _switch(self) -> SourceOutcome:
        run, admission, source, store, state = self.outcome.run, self.admission, self.source, self.store, self.state
        assert admission is not None
        run.http_status = _status(self.context)
        run.seen = len(admission.offers)
        run.content_hash = _content_hash(admission.offers)
        previous = self.previous
        previous_count = previous.published + previous.quarantined if previous else 0
        if not admission.offers and previous_count:
            self._abandon()
            return self._finish("failed", f"The source has no offers now, but the last run found {previous_count}; they were kept. "
                                "If the provider really withdrew everything, remove the source from the configuration.")
        max_shrink = float(source.options.get("max_shrink", 0.5))
        if previous_count and len(admission.offers) < previous_count * (1 - max_shrink) and not self.accept_shrink:
            self._abandon()
            return self._finish("held", f"The source shrank from {previous_count} to {len(admission.offers)} offers (more than {max_shrink:.0%}); "
                                f"nothing was changed. Check the feed, then run: catalogue harvest {source.id} --accept-shrink")
        mark = _clock()
        store.ensure_vocabulary(self.context.vocabulary)
        run.ended = _iso(datetime.now(timezone.utc))
        present = admission.offers
        record_offers = {key: [o for o in offers if o in present] for key, offers in self.stream.record_offers.items()}
        stamp = self.started.isoformat(timespec="seconds").replace("+00:00", "Z")
        hashes = self.stream.hashes()
        published = admission.switch(
            [GraphWrite(store.provenance_graph, add=source_triples(self.config.base, source))],
            before_write=lambda events: state.stage_admission(self.key, source.id, stamp, events, record_offers, hashes, True),
        )
        state.commit_admission(self.key)
        self.admission = None
        run.published, run.quarantined, run.unchanged = published.published, published.quarantined, published.unchanged
        run.withdrawn = len(published.withdrawn)
        self._timed("write", mark)
        stream = self.stream
        kind = "partial" if stream.failed or stream.incomplete else ("unchanged" if published.change.empty else "published")
        return self._finish(kind, _summary(run, published.change, kind))

    def _abandon(self) -> None:
        if self.admission is not None:
            self.admission.discard()
            self.admission = None
            self.state.discard_admission(self.key)

    def _finish(self, kind: str, message: str) -> SourceOutcome:
        self.outcome.records_read, self.outcome.records_unchanged = len(self.stream.read), len(self.stream.unchanged)
        if self.stream.unchanged and kind in ("published", "partial", "unchanged"):
            message += f" {len(self.stream.read)} records read, {len(self.stream.unchanged)} unchanged since the last run (not read again)."
        return _finish(self.store, self.state, self.config, self.source, self.outcome, kind, message, self.clock)


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


def _content_hash(offers: dict[str, str]) -> str:
    """One hash for a source's offers (IRI -> content hash)."""
    digest = hashlib.sha256()
    for iri in sorted(offers):
        digest.update(offers[iri].encode())
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
