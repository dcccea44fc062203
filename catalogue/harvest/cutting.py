"""Cutting a batch of mapped records into offers: derive what their data implies, cut, and note what was left out.

At a million offers the harvest's own process limits the run: its sources share one interpreter lock while the
validation workers wait for their batches. Deriving and cutting a document of 10,000 offers held it for about four
seconds. A record the harvester read from bytes it can hand over again (``MappedRecord.parsed_from``) is therefore
cut in a validation worker (``Validator.in_worker``): the worker parses the bytes again, derives and cuts, and sends
back the offers' N-Triples lines with what it derived and noted. The harvest's process keeps only the bytes. The
result is the one the harvest's process would make (the same code runs on the same statements; blank nodes are
named from their content, so a second parse changes nothing), and a batch whose records are not all of that kind is
cut where it is, by the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from catalogue.config import SourceConfig
from catalogue.freed_memory import give_back_freed_memory
from catalogue.validation.offers import OfferRecord, extract_offers
from catalogue.vocab import load_vocabulary

from .contract import HarvestContext, Hint, MappedRecord, MappingNote, ParsedFrom
from .derivation.apply import Derivation, derive_record
from .extraction_notes import note_extraction, note_left_out
from .rdfio import parse_fetched

# A document smaller than this is cut where it was read: sending it to a worker and its offers back costs more than
# the cutting (about 0.4 ms an offer; a megabyte of Turtle holds some 350 offers).
ELSEWHERE_FROM_BYTES = 1_000_000


@dataclass
class CutRecord:
    """One record of a batch: its statements as mapped and derived, or (``parsed_from``) the bytes to read them from
    and the hints its offers were given, from which they are derived in the cutting."""

    key: str
    triples: list[ox.Triple] = field(default_factory=list)
    parsed_from: ParsedFrom | None = None
    hints: dict[str, list[Hint]] = field(default_factory=dict)


@dataclass
class CutBatch:
    source: SourceConfig
    base: str
    records: list[CutRecord]
    derive: bool = True
    note_key: str = ""  # the record (or source) the cutter's own notes are told of


@dataclass
class CutOffers:
    offers: list[OfferRecord]
    derivations: list[Derivation]  # of the records read from ``parsed_from`` (the others were derived when mapped)
    notes: list[MappingNote]


def cut_batch(batch: CutBatch) -> CutOffers:
    """The batch's offers, what was derived for the records read here, and the notes for both and for the cutting.
    Runs in a worker process or in the harvest's own; touches nothing but what it is given."""
    context = HarvestContext(batch.source, batch.base, load_vocabulary(), http=None)
    mapped: list[MappedRecord] = []
    derivations: list[Derivation] = []
    for record in batch.records:
        triples = record.triples
        if record.parsed_from is not None:
            document = parse_fetched(record.parsed_from.fetched, record.parsed_from.location)
            triples = [quad.triple for quad in document.quads]
            del document
            if batch.derive:
                context.hints = record.hints
                triples, derived = derive_record(triples, context, record.key)
                derivations += derived
        mapped.append(MappedRecord(record.key, triples))
    extraction = extract_offers((t for r in mapped for t in r.triples), context.vocabulary, batch.base)
    note_left_out(context, extraction, mapped)
    note_extraction(context, batch.note_key, extraction.directional, extraction.blank_offers)
    return CutOffers(extraction.offers, derivations, context.notes)


def cut_batch_in_worker(batch: CutBatch) -> CutOffers:
    """``cut_batch`` in a worker process, which then hands back the pages the document took (``freed_memory``)."""
    try:
        return cut_batch(batch)
    finally:
        give_back_freed_memory()


def cut_elsewhere(record: MappedRecord) -> bool:
    """Whether ``record`` is worth reading again and cutting in a worker process: it can be (``parsed_from``) and is
    large enough to pay for the round trip."""
    where = record.parsed_from
    return where is not None and record.stored is None and len(where.fetched.content) >= ELSEWHERE_FROM_BYTES
