"""The provider's self-check: read files and addresses with the harvest's own readers, then validate every offer.

``catalogue validate`` and ``/api/validate`` use it, so a provider's check reads a document exactly as a
harvest would (same fetcher, same encodings, same entity refusal), and validation itself stays offline.
Every format a harvester reads is checked through that harvester: an XCRI-CAP feed, a Europass LOQ XML
file, a schema.org course page, a spreadsheet or an OOAPI endpoint is mapped, given its derived values and
cut into offers exactly as a harvest would, then validated. The format is named (``kind``) or recognised
from the content.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from catalogue.config import Config, SourceConfig
from catalogue.errors import InputError
from catalogue.validation.cache import document_key
from catalogue.validation.offers import extract_offers
from catalogue.validation.report import InputProblem, ValidationRun
from catalogue.validation.validator import DocumentResult, Progress, Validator

from .contract import HarvestContext
from .fetch import fetch, is_url, read_local
from .pipeline import collect_records, source_client
from .rdfio import RDF_ACCEPT, parse_rdf
from .registry import load_harvester

RDF_KINDS = ("rdf", "elm")
# What a document of each kind is saved as when it arrives as bytes (the harvesters read files by their names).
SUFFIXES = {"xcri-cap": ".xml", "elm-xml": ".xml", "schemaorg": ".html", "spreadsheet": ".csv", "spreadsheet-xlsx": ".xlsx"}


def guess_kind(content: bytes, source: str, content_type: str | None = None) -> str:
    """The harvester kind a document is for: "xcri-cap", "elm-xml", "schemaorg", "spreadsheet" or "rdf"."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    media = (content_type or "").split(";")[0].strip().lower()
    name = source.lower().rsplit("?", 1)[0]
    if content.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        return "spreadsheet-xlsx"
    if b"xcri.org/profiles/1.2/catalog" in head:
        return "xcri-cap"
    if b"data.europa.eu/snb/model/ap/loq-constraints" in head or re.search(rb"<(\w+:)?courses[\s>]", head):
        return "elm-xml"
    if media in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype html", b"<html")) or name.endswith((".html", ".htm")):
        return "schemaorg"
    if media in ("text/csv", "text/tab-separated-values") or name.endswith((".csv", ".tsv")) or _looks_like_a_table(head):
        return "spreadsheet"
    return "rdf"


def _looks_like_a_table(head: bytes) -> bool:
    """A pasted spreadsheet (the template saved as CSV, say): a first line of three or more cells split by one
    delimiter, that no RDF syntax begins with ("<", "_:", "@prefix", "PREFIX", "{", "[") and that ends no triple."""
    first = head.split(b"\n", 1)[0].strip()
    if not first or first.startswith((b"<", b"_:", b"@", b"{", b"[", b"#", b"prefix", b"base")) or first.endswith((b" .", b";")):
        return False
    return any(first.count(delimiter) >= 2 for delimiter in (b";", b",", b"\t"))


def check_document(
    validator: Validator,
    content: bytes,
    source: str,
    *,
    kind: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    base_iri: str | None = None,
    progress: Progress | None = None,
) -> DocumentResult:
    """Check a document in hand in whatever format a harvester reads; RDF is validated as it is."""
    kind = kind or guess_kind(content, source, content_type)
    if kind in RDF_KINDS:
        return check_content(validator, content, source, content_type=content_type, charset=charset, base_iri=base_iri, progress=progress)
    if kind not in SUFFIXES:
        raise InputError(f"{source}: a {kind} source is an address to harvest from, not one document; check it by its address "
                         f"(catalogue validate --kind {kind} URL).", source)
    with tempfile.TemporaryDirectory(prefix="mc-check-") as folder:
        path = Path(folder) / ("document" + SUFFIXES[kind])
        path.write_bytes(content)
        result = check_mapped(validator, kind.removesuffix("-xlsx"), str(path), progress=progress)
    result.notes = [note.replace(str(path), source) for note in result.notes]
    return result


def check_mapped(validator: Validator, kind: str, location: str, config: Config | None = None, progress: Progress | None = None) -> DocumentResult:
    """Harvest ``location`` with the ``kind`` harvester without storing anything, and validate what it maps."""
    source = SourceConfig("check", "Provider check", kind, (location,), {"retries": 0})
    config = config or Config(base=validator.base)
    context = HarvestContext(source, validator.base, validator.vocabulary, source_client(config, source))
    harvester = load_harvester(kind)(context)
    records, _failed, _incomplete, _derived = collect_records(harvester, context, None)
    if not records and context.errors:
        first = context.errors[0]
        raise InputError(f"{location}: {first.message}", location)
    extraction = extract_offers(itertools.chain.from_iterable(r.triples for r in records), validator.vocabulary, validator.base)
    reports = validator.validate_records(extraction.offers, progress)
    notes = [f"{e.record}: {e.message}" for e in context.errors]
    notes += [f"{n.record}: {n.kind} {n.field} = {n.value}" + (f" ({n.detail})" if n.detail else "") for n in context.notes]
    return DocumentResult(reports, extraction, notes)


def check_locations(
    validator: Validator, locations: Iterable[str], progress: Progress | None = None, kind: str | None = None, config: Config | None = None,
) -> ValidationRun:
    """Read each file or URL and validate every offer in it; what cannot be read becomes a problem of the run.

    With ``kind`` (a harvester kind) each location is harvested by that harvester as a source would be
    (an OOAPI endpoint, a sitemap of course pages); otherwise the format is recognised from the content."""
    run = ValidationRun()
    for location in locations:
        try:
            if kind is not None and kind not in RDF_KINDS:
                result = check_mapped(validator, kind, location, config, progress)
            else:
                fetched = fetch(location, accept=RDF_ACCEPT) if is_url(location) else read_local(location)
                result = check_document(
                    validator,
                    fetched.content,
                    location,
                    kind=kind,
                    content_type=fetched.content_type,
                    charset=fetched.charset,
                    base_iri=fetched.url if is_url(location) else None,
                    progress=progress,
                )
        except InputError as error:
            run.problems.append(InputProblem(error.source or location, str(error), error.line, error.column))
            continue
        run.notes.extend(f"{location}: {note}" for note in result.notes)
        if not result.reports:
            run.sources_without_offers.append(location)
        run.reports.extend(result.reports)
    return run


def check_content(
    validator: Validator,
    content: bytes,
    source: str,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    base_iri: str | None = None,
    progress: Progress | None = None,
) -> DocumentResult:
    """Validate a document given as bytes; an unchanged document is answered from the cache unparsed."""
    key = document_key(content, f"{source.rsplit('.', 1)[-1]}|{content_type}|{charset}|{base_iri}", validator.base)
    remembered = validator.remembered(key, progress)
    if remembered is not None:
        return remembered
    document = parse_rdf(content, source, content_type=content_type, charset=charset, base_iri=base_iri)
    return validator.validate_parsed(document, key, progress)
