"""Publishing one source's validated offers: valid ones to the catalogue, invalid ones to quarantine.

This is the one place that turns validation reports into store content. The
source graph, its records graph and its quarantine graph change together in
one atomic write, so the catalogue never shows an offer without its record
nor loses an offer: an offer that fails validation is kept, with its report,
in quarantine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from catalogue.namespaces import MCC
from catalogue.publish.kept_summaries import Described, KeptSummaries
from catalogue.publish.offer_walk import Statements, describe
from catalogue.publish.time_relevance import offer_facts
from catalogue.store.base import CatalogueStore, Change, GraphWrite
from catalogue.store.graph_text import GraphTexts, KeptText, offers_key
from catalogue.store.staging import StagedGraphs, stage_name
from catalogue.validation.offers import OfferRecord
from catalogue.validation.report import Finding, OfferReport
from catalogue.validation.shacl import BatchOffer

from .derivation.apply import Derivation
from .records import derivation_triples, published_record, quarantine_record, record_iri
from .state import HarvestState

DERIVATION_SLICE = 500
ADD_SLICE = 2_000  # offers made into terms and staged at a time


@dataclass
class PublishResult:
    published: int
    quarantined: int
    unchanged: int
    change: Change
    withdrawn: list[str] = field(default_factory=list)
    # (offer, "create" | "update" | "delete", content hash, N-Triples) for the public change feed
    events: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class PreviousRecord:
    content_hash: str
    issued: datetime
    modified: datetime
    run: str | None = None
    time_status: str | None = None  # IRI written at the last publish (catalogue.publish.time_relevance)


def previous_records(store: CatalogueStore, source_id: str) -> dict[str, PreviousRecord]:
    """What the catalogue said about each offer of the source last time."""
    rows = store.every_row(
        "?offer ?hash ?issued ?modified ?run ?status",
        f"GRAPH <{store.records_graph(source_id)}> {{ ?r foaf:primaryTopic ?offer ; mcc:contentHash ?hash ; "
        "dcterms:issued ?issued ; dcterms:modified ?modified OPTIONAL { ?r prov:wasGeneratedBy ?run } "
        "OPTIONAL { ?r mcc:timeStatus ?status } }",
    )
    return {
        row["offer"].value: PreviousRecord(
            row["hash"].value,
            _parse_datetime(row["issued"].value),
            _parse_datetime(row["modified"].value),
            row["run"].value if row["run"] is not None else None,
            row["status"].value if row["status"] is not None else None,
        )
        for row in rows
    }


def publish(
    store: CatalogueStore,
    source_id: str,
    records: list[OfferRecord],
    reports: list[OfferReport],
    now: datetime | None = None,
    run: str | None = None,
    extra: list[GraphWrite] | None = None,
    before_write: Callable[[list[tuple[str, str, str | None, str | None]]], None] | None = None,
    derivations: dict[str, list[Derivation]] | None = None,
) -> PublishResult:
    """Publish a source's offers, all in hand, in one atomic write (``Admission`` for a source gathered in batches)."""
    admission = Admission(store, source_id, now=now, run=run)
    admission.add(records, reports, derivations)
    return admission.switch(extra, before_write=before_write)


def describe_listed(source_id: str, offer: BatchOffer, findings: list[dict]) -> Described | None:
    """What ``Admission.describe`` makes of an offer that will be listed, made from its N-Triples where it is validated
    (``Validator.validate_records_with``: in a worker process, so the harvest's own process, which limits a large
    harvest, does not spend its time on it); None for an offer that goes to quarantine."""
    if not OfferReport(offer.iri, {}, "", [Finding(**f) for f in findings]).conforms:
        return None
    # Split on line feeds alone: a literal may hold other line separators (U+2028), which N-Triples leaves as they are.
    return _described(offer.iri, (line for line in offer.ntriples.split("\n") if line), source_id)


def _described(offer: str, lines: Iterable[str], source_id: str) -> Described:
    """An offer's summary and time facts, from its N-Triples lines."""
    statements = Statements().add_lines(lines).ready()
    return Described(offer, describe(statements, offer, source_id), offer_facts(statements, offer))


class Admission:
    """One source's offers admitted batch by batch, then switched in together.

    ``add`` turns a batch of validated offers into what the source, records and quarantine graphs should
    hold (staged: in memory, or on disk once large, see ``catalogue.store.staging``) and into change-feed
    events; ``switch`` computes the withdrawn offers and applies everything to the store as one atomic
    change. What stays in memory between batches is one hash per offer.
    """

    def __init__(self, store: CatalogueStore, source_id: str, *, now: datetime | None = None, run: str | None = None,
                 spill: Path | None = None, on_events: Callable[[list[tuple[str, str, str | None, str | None]]], None] | None = None,
                 texts: GraphTexts | None = None, summaries: KeptSummaries | None = None):
        self.store, self.source_id, self.run = store, source_id, run
        self.texts = texts  # where the source graph's new content is kept for the dumps (``store.graph_text``)
        # Where the published offers' summaries are kept for the publish (``publish.kept_summaries``).
        self.summaries = summaries.writer(source_id) if summaries is not None else None
        self.kept_before = summaries.previous(source_id) if summaries is not None else None  # the last harvest's, if any
        self.descriptions_reused = 0
        self.described_twice: set[str] = set()  # offers two records describe: the store holds both, so none is kept
        self.described: list[tuple[Described, list[ox.Triple]]] = []  # offers added and their records, not kept yet
        self.now = now or datetime.now(timezone.utc)
        self.before = previous_records(store, source_id)
        graphs = [store.source_graph(source_id), store.records_graph(source_id), store.quarantine_graph(source_id)]
        self.staged = StagedGraphs(graphs, spill, name=stage_name(source_id))
        self.on_events = on_events  # batches of events go here as they are made (else they wait for switch)
        self.events: list[tuple[str, str, str | None, str | None]] = []
        self.offers: dict[str, str] = {}  # offer IRI -> content hash, everything admitted so far
        self.published_now: set[str] = set()
        self.published = self.quarantined = self.unchanged = 0

    def describe(self, records: list[OfferRecord], reports: list[OfferReport],
                 made_elsewhere: dict[str, Described] | None = None) -> dict[str, Described]:
        """The summaries of the offers about to be published, without their records (which ``add`` makes): what the
        publish would otherwise read back from the store. An offer whose content has not changed is taken as the
        last harvest kept it; ``made_elsewhere``: what ``describe_listed`` made of offers where they were validated. Needs
        nothing the other sources' harvests touch, so it can run while another source's batch is added."""
        if self.summaries is None:
            return {}
        described = {}
        made_elsewhere = made_elsewhere or {}
        for record, report in zip(records, reports, strict=True):
            if report.conforms:
                if record.iri in made_elsewhere:
                    described[record.iri] = made_elsewhere[record.iri]
                    continue
                previous = self.before.get(record.iri)
                same = previous is not None and previous.content_hash == record.content_hash
                made = self.kept_before.described(record.iri, record.content_hash) if same and self.kept_before is not None else None
                if made is None:
                    made = _described(record.iri, record.lines, self.source_id)
                else:
                    self.descriptions_reused += 1
                described[record.iri] = made
        return described

    def add(self, records: list[OfferRecord], reports: list[OfferReport], derivations: dict[str, list[Derivation]] | None = None,
            described: dict[str, Described] | None = None) -> None:
        """Stage ``records`` with their ``reports``, a slice at a time: the statements of one document of a
        quarter of a million offers, made into terms all at once, took more memory than the rest of the harvest.
        ``described``: what ``describe`` made of them, to be kept with their records (else they are described here)."""
        if len(records) != len(reports):
            raise ValueError(f"{len(records)} offers but {len(reports)} reports")
        if described is None:
            described = self.describe(records, reports)
        for start in range(0, len(records), ADD_SLICE):
            self._add(records[start:start + ADD_SLICE], reports[start:start + ADD_SLICE], derivations, described)

    def _add(self, records: list[OfferRecord], reports: list[OfferReport], derivations: dict[str, list[Derivation]] | None,
             described: dict[str, Described]) -> None:
        store, source_id, before, now, run = self.store, self.source_id, self.before, self.now, self.run
        derivations = derivations or {}
        kept = self._kept_derivations(records, derivations)
        # An offer's statements stay the N-Triples lines extraction made of them (``StagedGraphs.add_lines``).
        source: list[str] = []
        catalogue_records: list[ox.Triple] = []
        quarantine_lines: list[str] = []
        quarantine: list[ox.Triple] = []
        events: list[tuple[str, str, str | None, str | None]] = []
        for record, report in zip(records, reports, strict=True):
            previous = before.get(record.iri)
            if record.iri in self.offers:
                self.described_twice.add(record.iri)
            self.offers[record.iri] = record.content_hash
            first_record_statement = len(catalogue_records)
            same = previous is not None and previous.content_hash == record.content_hash
            if report.conforms:
                self.published += 1
                self.published_now.add(record.iri)
                source.extend(record.lines)
                if not same:
                    events.append((record.iri, "update" if previous else "create", record.content_hash, record.ntriples()))
                if same:
                    self.unchanged += 1
                    issued, modified, produced_by = previous.issued, previous.modified, previous.run
                else:
                    issued, modified, produced_by = (previous.issued if previous else now), now, run
                catalogue_records.extend(published_record(store.base, source_id, report, issued, modified, produced_by))
                if record.iri in derivations:
                    catalogue_records.extend(derivation_triples(store.base, source_id, record.iri, derivations[record.iri]))
                elif same:
                    # Content carried over unchanged (a record not read again this time) keeps its provenance.
                    catalogue_records.extend(kept.get(record.iri, []))
                if same and previous.time_status:
                    # Unchanged content keeps its status until the next publish recomputes it (no churn in between).
                    catalogue_records.append(ox.Triple(
                        ox.NamedNode(record_iri(store.base, source_id, record.iri)), ox.NamedNode(MCC + "timeStatus"), ox.NamedNode(previous.time_status)))
                made = described.get(record.iri)
                if made is not None:
                    self.described.append((made, catalogue_records[first_record_statement:]))
            else:
                self.quarantined += 1
                quarantine_lines.extend(record.lines)
                quarantine.extend(quarantine_record(store.base, source_id, report, now, run))
        self.staged.add_lines(store.source_graph(source_id), source)
        self.staged.add(store.records_graph(source_id), catalogue_records)
        self.staged.add_lines(store.quarantine_graph(source_id), quarantine_lines)
        self.staged.add(store.quarantine_graph(source_id), quarantine)
        self._emit(events)

    def keep_described(self) -> None:
        """Keep the summaries of the offers added since, completed with their records. It touches nothing but this
        admission's own file, so the pipeline does it outside the lock under which sources add their batches."""
        described, self.described = self.described, []
        if self.summaries is not None and described:
            self.summaries.add(described)  # an offer two records describe is taken out again when the admission switches in

    def _kept_derivations(self, records: list[OfferRecord], derivations: dict[str, list[Derivation]]) -> dict[str, list[ox.Triple]]:
        wanted = [r.iri for r in records if r.iri not in derivations and r.iri in self.before
                  and self.before[r.iri].content_hash == r.content_hash]
        return previous_derivations(self.store, self.source_id, wanted) if wanted else {}

    def _emit(self, events: list[tuple[str, str, str | None, str | None]]) -> None:
        if self.on_events is not None:
            self.on_events(events)
        else:
            self.events.extend(events)

    @property
    def withdrawn(self) -> list[str]:
        return sorted(offer for offer in self.before if offer not in self.offers)

    def switch(self, extra: list[GraphWrite] | None = None,
               before_write: Callable[[list[tuple[str, str, str | None, str | None]]], None] | None = None) -> PublishResult:
        """Apply everything added to the store as one atomic change; ``before_write`` gets the events not yet handed out."""
        self._emit([(offer, "delete", None, None) for offer in sorted(self.before) if offer not in self.published_now])
        if before_write is not None:
            before_write(self.events)
        keep = None
        if self.texts is not None:
            keep = KeptText(self.texts, self.store.source_graph(self.source_id),
                            offers_key((offer, self.offers[offer]) for offer in self.published_now),
                            offers_key((offer, record.content_hash) for offer, record in self.before.items()))
        try:
            self.keep_described()
            change = self.store.write_staged(self.staged, extra, keep)
        except BaseException:
            self._discard_summaries()
            raise
        self._close_kept_before()
        if self.summaries is not None:
            self.summaries.forget(self.described_twice)
            self.summaries.commit()
        return PublishResult(self.published, self.quarantined, self.unchanged, change, self.withdrawn, self.events)

    def discard(self) -> None:
        """Nothing of this admission will be written (the run was held or failed)."""
        self.staged.discard()
        self._discard_summaries()

    def _discard_summaries(self) -> None:
        self._close_kept_before()
        if self.summaries is not None:
            self.summaries.discard()

    def _close_kept_before(self) -> None:
        if self.kept_before is not None:
            self.kept_before.close()
            self.kept_before = None


def previous_derivations(store: CatalogueStore, source_id: str, offers: list[str] | None = None) -> dict[str, list[ox.Triple]]:
    """The derivation statements of each offer's record (of ``offers``, default all), as they stand in the store."""
    found: dict[str, list[ox.Triple]] = {}
    if offers is not None and len(offers) > DERIVATION_SLICE:
        for start in range(0, len(offers), DERIVATION_SLICE):
            found.update(previous_derivations(store, source_id, offers[start:start + DERIVATION_SLICE]))
        return found
    values = f"VALUES ?o {{ {' '.join(f'<{o}>' for o in offers)} }} " if offers is not None else ""
    rows = store.query(
        f"SELECT ?o ?r ?d ?p ?v WHERE {{ {values}GRAPH <{store.records_graph(source_id)}> {{ ?r foaf:primaryTopic ?o ; mcc:derivation ?d . ?d ?p ?v }} }}",
        default_graphs=[],
    )
    for row in rows:
        triples = found.setdefault(row["o"].value, [])
        link = ox.Triple(row["r"], ox.NamedNode(MCC + "derivation"), row["d"])
        if link not in triples:
            triples.append(link)
        triples.append(ox.Triple(row["d"], row["p"], row["v"]))
    return found


def _parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def admit(
    store: CatalogueStore,
    state: HarvestState,
    source_id: str,
    records: list[OfferRecord],
    reports: list[OfferReport],
    *,
    now: datetime,
    run: str | None,
    extra: list[GraphWrite] | None = None,
    record_offers: dict[str, list[str]] | None = None,
    derivations: dict[str, list[Derivation]] | None = None,
) -> PublishResult:
    """``publish``, with its change-feed events durable together with the store write.

    The events (and the harvest's record map) are staged in the run state before the store write
    and committed after it; ``recover`` settles what a crash left between the two by asking the
    store which side of its atomic write it is on. So the feed never misses a change, nor tells one
    that did not happen.
    """
    recover(store, state, source_id)
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    key = run or f"load/{source_id}/{now.isoformat()}"  # a load has no harvest run, but its staging needs a name
    result = publish(store, source_id, records, reports, now=now, run=run, extra=extra, derivations=derivations,
                     before_write=lambda events: state.stage_admission(key, source_id, stamp, events, record_offers))
    state.commit_admission(key)
    return result


def recover(store: CatalogueStore, state: HarvestState, source_id: str) -> list[str]:
    """Commit the staged admissions of ``source_id`` whose store write landed, discard the others; returns the runs committed."""
    committed: list[str] = []
    pending = state.pending_admissions(source_id)
    if not pending:
        return committed
    # Recovery writes only to the run state, so the store's side is read once for every staged admission.
    hashes = {offer: record.content_hash for offer, record in previous_records(store, source_id).items()}
    for run, events in pending:
        landed = all(
            (offer not in hashes) if kind == "delete" else (hashes.get(offer) == digest)
            for offer, kind, digest in events
        )
        if landed:
            state.commit_admission(run)
            committed.append(run)
        else:
            state.discard_admission(run)
    return committed
