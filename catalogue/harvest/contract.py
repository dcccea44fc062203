"""What every harvester is: gather, fetch, map, with an explicit outcome per record.

As in CKAN's harvesters, a harvester works in three small stages:

* ``gather`` lists the records a source has (the documents of an RDF source,
  the courses of a feed, the rows of a spreadsheet);
* ``fetch`` gets one record's content (often already in hand after gather);
* ``map`` turns it into ELM triples.

A harvester knows nothing of validation or the store: it returns triples and
says, per record, what went wrong (``RecordError``) and what it could not
carry over exactly (``MappingNote``: dropped fields, values it could not map
to a concept, values it guessed). One bad record never aborts the others;
only a failure to reach the source at all (``SourceUnavailable``) does.

Built-in harvesters are registered through the entry-point group
``mc_catalogue.harvesters``, exactly as a third party's would be.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox

from catalogue.config import SourceConfig
from catalogue.errors import HarvestError
from catalogue.vocab import Vocabulary

from .fetch import Fetched

if TYPE_CHECKING:
    from .stored_document import StoredDocument


class SourceUnavailable(HarvestError):
    """The source as a whole could not be read: nothing of it is published this run, the previous content stays."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


class RecordFailed(Exception):
    """One record could not be fetched or mapped; the harvest goes on with the others."""

    def __init__(self, code: str, message: str, position: str | None = None, transient: bool = False):
        self.code = code
        self.message = message
        self.position = position
        self.transient = transient
        super().__init__(message)


class RecordUnchanged(Exception):
    """The record's content is the same as when it was last published (``HarvestContext.unchanged`` said so):
    it is not parsed again, and its offers stay as they are."""


@dataclass(frozen=True)
class RecordRef:
    """A record found by ``gather``: the provider's own key, where it is, and its content if already read."""

    key: str
    location: str
    payload: Any = None


@dataclass
class RecordError:
    record: str
    stage: str  # "gather", "fetch" or "map"
    code: str  # stable, e.g. "http-status", "xml-syntax", "missing-identifier"
    message: str
    position: str | None = None
    transient: bool = False


@dataclass
class MappingNote:
    record: str
    field: str  # where in the source format, e.g. "course/presentation/studyMode"
    kind: str  # "dropped", "unmapped", "guessed" or "derived" (a value the catalogue inferred, with its rule)
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Hint:
    """Something a source says that the catalogue may derive a value from (catalogue.harvest.derivation.apply).

    ``kind`` is one of "subject-code" (``value`` the code, ``scheme`` e.g. "sun-2020", "hecos", "jacs",
    "ldcs", "cip", "isced-97"), "subject-label" (``value`` a label, ``scheme`` its language tag or None),
    "credits" (``value`` the number as written, ``scheme`` the credit system, e.g. "hp", "CATS", "SCQF"),
    "mode-text" (how the offer is taken part in, as the source words it), "postcode" and "country-text"
    (the provider's, as written).
    """

    kind: str
    value: str
    scheme: str | None = None


@dataclass
class MappedRecord:
    key: str
    triples: list[ox.Triple]
    offers: list[str] = field(default_factory=list)  # IRIs of the offers the record produced
    # A document too large to hold as terms, on disk instead of ``triples``: the pipeline takes its offers a slice at
    # a time and removes it once they are staged (``stored_document``).
    stored: StoredDocument | None = None


@dataclass
class HarvestContext:
    """What a harvester may use: the source, base IRI, vocabulary, HTTP client, and where to report."""

    source: SourceConfig
    base: str
    vocabulary: Vocabulary
    http: Any  # catalogue.harvest.http_cache.HttpClient
    notes: list[MappingNote] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    fetched: list[Fetched] = field(default_factory=list)  # every HTTP response or file read, for provenance
    hints: dict[str, list[Hint]] = field(default_factory=dict)  # offer IRI -> what values may be derived from
    previous_hashes: dict[str, str] = field(default_factory=dict)  # record key -> content hash when last published
    record_hashes: dict[str, str] = field(default_factory=dict)  # record key -> content hash read this run
    mapping_version: str = ""  # what else a record's mapping depends on (harvester code, options), mixed into its hash
    # Where a harvester may put a large document on disk (``stored_document``), and the names it starts with: the
    # pipeline removes what a stopped run of the source left there.
    scratch: Path | None = None
    scratch_name: str = "document"

    def note(self, record: str, field_name: str, kind: str, value: Any, detail: str = "") -> None:
        self.notes.append(MappingNote(record, field_name, kind, _short(value), detail))

    def hint(self, offer: str, kind: str, value: str | None, scheme: str | None = None) -> None:
        """Hand the catalogue something it may derive a missing value from (see ``Hint``); empty values are ignored."""
        if value and str(value).strip():
            self.hints.setdefault(offer, []).append(Hint(kind, str(value).strip(), scheme))

    def unchanged(self, key: str, content: bytes | str) -> bool:
        """Remember the content hash of record ``key`` and say whether it equals the hash it had when last published.
        A harvester raises ``RecordUnchanged`` when it does, before parsing anything."""
        digest = hashlib.sha256(self.mapping_version.encode())
        digest.update(content.encode() if isinstance(content, str) else content)
        self.record_hashes[key] = digest.hexdigest()
        return self.previous_hashes.get(key) == self.record_hashes[key]

    def refused_link(self, link: str, message: str) -> None:
        """A link inside a document that was not followed (catalogue.harvest.http_cache.LinkRefused): reported, the harvest goes on."""
        self.errors.append(RecordError(link, "gather", "link-refused", message))

    def option(self, name: str, default: Any = None) -> Any:
        return self.source.options.get(name, default)

    def offer_iri(self, key: str) -> str:
        """``BASE/offer/SOURCE/KEY``: a stable IRI from the provider's own identifier."""
        return f"{self.base}offer/{self.source.id}/{slug(key)}"

    def minted(self, kind: str, key: str) -> str:
        """A stable IRI for any other node a harvester creates (providers, specifications, places …)."""
        return f"{self.base}{kind}/{self.source.id}/{slug(key)}"


class Harvester(ABC):
    """Subclass, set ``kind`` and ``title``, implement ``gather`` and ``map`` (and ``fetch`` if needed)."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    # The mapping as data: (source field, ELM target, how) rows, printed by `catalogue mapping KIND`.
    mapping: ClassVar[list[tuple[str, str, str]]] = []
    # True when every record carries all its offers link to (a dump's member file, an LDES member): the pipeline may
    # then validate and write a large source in bounded batches of records instead of all at once.
    self_contained_records: ClassVar[bool] = False

    def __init__(self, context: HarvestContext):
        self.context = context

    @abstractmethod
    def gather(self) -> Iterator[RecordRef]:
        """List the source's records. Raise SourceUnavailable if the source cannot be read at all."""

    def fetch(self, ref: RecordRef) -> Any:
        """Get one record's content; by default gather already read it."""
        return ref.payload

    @abstractmethod
    def map(self, ref: RecordRef, content: Any) -> MappedRecord:
        """Turn one record into ELM triples. Raise RecordFailed for this record only."""


_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


def slug(key: str) -> str:
    """An IRI-safe, readable, stable segment for a provider key; long or odd keys get a hash suffix."""
    text = _UNSAFE.sub("-", key.strip()).strip("-.")
    if not text or len(text) > 80 or text != key.strip():
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
        text = f"{text[:60]}-{digest}" if text else digest
    return text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"
