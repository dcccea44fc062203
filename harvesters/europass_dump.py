"""``europass-dump``: the Europass Qualification Dataset Register's open data dumps (QDR, "european-learning-data").

Since January 2026 each country's learning opportunities and qualifications are published as a DCAT
dataset whose distributions are ZIP archives of many Turtle files (Sweden: about 254,000 learning
opportunities in 262 files, 1.2 GB), regenerated weekly. A source's ``url`` (or ``urls``) is such a DCAT
catalogue, or the archives themselves (local paths or http(s) addresses; several parts of one country
are several archives).

How it reads them:

* each archive is downloaded to the HTTP cache folder, streamed to disk (never held in memory), with a
  conditional request: an unchanged weekly dump answers 304, and a run whose every archive is
  unchanged costs its requests and nothing else;
* each member file of an archive is one record, parsed on its own with Oxigraph's parser (ELM 3.3's
  namespace read as ELM 3.2, see ``catalogue.harvest.rdfio``), so memory holds one file at a time while
  it is parsed;
* only released records are offers (``elm:status "released"``; drafts and withdrawn records are counted
  and left out); a learning opportunity is one offer with what it links to in its file;
* a record typed only as a qualification that carries what only an offer has (dates, places, prices,
  application deadlines) is a course offer filed as a qualification: it is listed as an offer pointing to
  that qualification, with a mapping note;
* a member file whose content hash (with the harvester's code and options) is the one it had when last
  published is not parsed again: its offers stay as they are, so a weekly dump in which a few files changed
  costs the parsing of those files;
* per archive, how many records were read, kept, and why the others were not, is reported as notes.

Each member file holds its offers whole, so the pipeline validates and writes a dump in bounded batches
(``self_contained_records``): memory is set by the batch, not by the country.

Options: ``max_megabytes`` (default 4096 for this kind: a country's archive is large), ``statuses``
(the statuses that count as released, default ``["released"]``).
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import ClassVar
from urllib.parse import urldefrag

import pyoxigraph as ox

from catalogue.errors import InputError
from catalogue.harvest.contract import (
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    RecordUnchanged,
    SourceUnavailable,
)
from catalogue.harvest.rdfio import RDF_ACCEPT, parse_fetched, parse_rdf
from catalogue.namespaces import DCAT, DCTERMS, ELM, LEARNING_OPPORTUNITY, RDF_TYPE

ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "http://publications.europa.eu/resource/authority/file-type/ZIP")
MEMBER_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".rdf", ".jsonld", ".owl")
# What only an offer carries: a qualification with any of these is a course offer filed as a qualification.
OFFER_ONLY = (DCTERMS + "temporal", ELM + "location", ELM + "priceDetail", ELM + "applicationDeadline", ELM + "providedBy")
_TYPE = ox.NamedNode(RDF_TYPE)
_OFFER = ox.NamedNode(LEARNING_OPPORTUNITY)
_QUALIFICATION = ox.NamedNode(ELM + "Qualification")
_STATUS = ox.NamedNode(ELM + "status")
_SPEC = ox.NamedNode(ELM + "learningAchievementSpecification")


class EuropassDumpHarvester(Harvester):
    kind = "europass-dump"
    title = "Europass QDR open data dumps (DCAT catalogues of ZIP archives of ELM Turtle files)"
    default_options: ClassVar[dict] = {"max_megabytes": 4096}
    self_contained_records = True  # an offer and what it links to are in one member file
    mapping: ClassVar[list[tuple[str, str, str]]] = [
        ("DCAT dcat:distribution / dcat:downloadURL (ZIP)", "archives to read", "several parts per country"),
        ("ZIP member file (Turtle, N-Triples, RDF/XML, JSON-LD)", "one record", "parsed on its own"),
        ("elm:LearningOpportunity with elm:status \"released\"", "elm:LearningOpportunity", "kept as published, with what it links to"),
        ("other elm:status (draft, withdrawn)", "—", "counted and left out (note)"),
        ("elm:Qualification with dates, places or prices", "elm:LearningOpportunity → the qualification", "listed as an offer (note)"),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.counts: dict[str, Counter] = {}

    # -- gather ---------------------------------------------------------------------------------

    def gather(self) -> Iterator[RecordRef]:
        archives = []
        for url in self.context.source.urls:
            archives += [url] if _looks_like_archive(url) else self._distributions(url)
        if not archives:
            raise SourceUnavailable("no ZIP archive was found: give the archives, or a DCAT catalogue whose distributions point to them.")
        for archive in archives:
            try:
                fetched = self.context.http.download(archive, accept="application/zip")
            except InputError as error:
                raise SourceUnavailable(f"the archive {archive} could not be downloaded: {error}", getattr(error, "status", None)) from None
            self.context.fetched.append(fetched)
            yield from self._members(archive, fetched.path)
            self._report(archive)

    def _distributions(self, url: str) -> list[str]:
        try:
            fetched = self.context.http.get(url, accept=RDF_ACCEPT)
            document = parse_fetched(fetched, url)
        except InputError as error:
            raise SourceUnavailable(f"the catalogue {url} could not be read: {error}", getattr(error, "status", None)) from None
        self.context.fetched.append(fetched)
        store = ox.Store()
        store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in document.quads)
        rows = store.query(
            f"SELECT DISTINCT ?u ?m ?f WHERE {{ ?d <{DCAT}downloadURL>|<{DCAT}accessURL> ?u . "
            f"OPTIONAL {{ ?d <{DCAT}mediaType> ?m }} OPTIONAL {{ ?d <{DCTERMS}format> ?f }} }} ORDER BY ?u"
        )
        found = []
        for row in rows:
            address = row["u"].value
            kinds = {row[v].value for v in ("m", "f") if row[v] is not None}
            if _looks_like_archive(address) or any(k.endswith(ZIP_TYPES) or k in ZIP_TYPES for k in kinds):
                found.append(urldefrag(address)[0])
        if not found:
            self.context.note(url, "dcat:distribution", "dropped", url, "the catalogue lists no ZIP archive")
        return list(dict.fromkeys(found))

    def _members(self, archive: str, path: Path | None) -> Iterator[RecordRef]:
        try:
            with zipfile.ZipFile(path) as opened:  # type: ignore[arg-type]
                infos = sorted((i for i in opened.infolist() if not i.is_dir()), key=lambda i: i.filename)
        except (zipfile.BadZipFile, OSError) as error:
            raise SourceUnavailable(f"the archive {archive} is not a readable ZIP file ({error}).") from None
        self.counts.setdefault(archive, Counter())
        for info in infos:
            if not info.filename.lower().endswith(MEMBER_SUFFIXES):
                self.context.note(archive, "member", "dropped", info.filename, "not an RDF file")
                continue
            yield RecordRef(f"{_label(archive)}/{info.filename}", f"{archive}#{info.filename}", (archive, path, info.filename))

    def _report(self, archive: str) -> None:
        counts = self.counts.get(archive, Counter())
        summary = (f"{counts['files']} files; {counts['unchanged files']} unchanged; {counts['opportunities']} opportunities read, "
                   f"{counts['kept']} kept ({counts['qualification offers']} filed as qualifications); left out: "
                   f"{counts['not released']} not released, {counts['qualifications']} qualifications that are not offers")
        self.context.note(_label(archive), "archive", "dropped" if counts["not released"] else "guessed", summary,
                          "what the dump held and what the catalogue kept: unchanged files (same content as when last "
                          "published) were not read again; not released means drafts or withdrawn records")

    # -- map --------------------------------------------------------------------------------------

    def map(self, ref: RecordRef, content) -> MappedRecord:
        archive, path, member = content
        try:
            with zipfile.ZipFile(path) as opened, opened.open(member) as handle:
                data = handle.read()
        except (zipfile.BadZipFile, OSError, KeyError) as error:
            raise RecordFailed("unreadable-member", f"{ref.location}: the member file cannot be read ({error}).") from None
        counts = self.counts.setdefault(archive, Counter())
        counts["files"] += 1
        if self.context.unchanged(ref.key, data):
            counts["unchanged files"] += 1
            raise RecordUnchanged(ref.key)
        try:
            document = parse_rdf(data, ref.location)
        except InputError as error:
            raise RecordFailed("rdf-syntax", str(error), getattr(error, "position", None)) from None
        return self._offers(ref, [ox.Triple(q.subject, q.predicate, q.object) for q in document.quads], counts)

    def _offers(self, ref: RecordRef, triples: list[ox.Triple], counts: Counter) -> MappedRecord:
        subjects: dict[object, list[ox.Triple]] = {}
        for triple in triples:
            subjects.setdefault(triple.subject, []).append(triple)
        allowed = {s.casefold() for s in self.context.option("statuses", ["released"])}
        offers, left_out = [], set()
        specified = {t.object for t in triples if t.predicate == _SPEC}
        extra: list[ox.Triple] = []
        moved: set[ox.Triple] = set()
        for subject, own in subjects.items():
            types = {t.object for t in own if t.predicate == _TYPE}
            statuses = [t.object.value.casefold() for t in own if t.predicate == _STATUS and isinstance(t.object, ox.Literal)]
            released = not statuses or any(s in allowed for s in statuses)
            if _OFFER in types:
                counts["opportunities"] += 1
                if released:
                    offers.append(subject)
                else:
                    counts["not released"] += 1
                    left_out.add(subject)
            elif _QUALIFICATION in types and subject not in specified:
                if not released:
                    counts["not released"] += 1
                elif any(t.predicate.value in OFFER_ONLY for t in own) and isinstance(subject, ox.NamedNode):
                    extra += self._qualification_offer(ref, subject, own)
                    moved.update(t for t in own if t.predicate.value in OFFER_ONLY)
                    offers.append(ox.NamedNode(subject.value + "#offer"))
                    counts["qualification offers"] += 1
                else:
                    counts["qualifications"] += 1
        counts["kept"] += len(offers)
        if not offers and not counts["opportunities"]:
            self.context.note(ref.key, "file", "dropped", ref.location, "no released learning opportunity in this file")
        kept = [t for t in triples if t.subject not in left_out and t not in moved] + extra
        return MappedRecord(ref.key, kept, [o.value for o in offers if isinstance(o, ox.NamedNode)])

    def _qualification_offer(self, ref: RecordRef, qualification: ox.NamedNode, own: list[ox.Triple]) -> list[ox.Triple]:
        """An offer for a qualification that carries an offer's properties: they move to the offer, the rest stays."""
        offer = ox.NamedNode(qualification.value + "#offer")
        out = [ox.Triple(offer, _TYPE, _OFFER), ox.Triple(offer, _SPEC, qualification)]
        # The offer's own statements: those only an offer has, and the title and web page they share.
        out += [ox.Triple(offer, t.predicate, t.object) for t in own
                if t.predicate.value in OFFER_ONLY or t.predicate.value in (DCTERMS + "title", "http://xmlns.com/foaf/0.1/homepage")]
        self.context.note(ref.key, "elm:Qualification", "guessed", qualification.value,
                          "typed as a qualification but carries dates, places or prices: listed as a course offer of that qualification")
        return out


def _looks_like_archive(location: str) -> bool:
    return urldefrag(location)[0].lower().split("?", 1)[0].endswith(".zip")


def _label(archive: str) -> str:
    return PurePosixPath(urldefrag(archive)[0].split("?", 1)[0]).name or archive
