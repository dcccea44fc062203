"""The provider's self-check: read files and addresses with the harvest's own readers, then validate every offer.

``catalogue validate`` and ``/api/validate`` use it, so a provider's check reads a document exactly as a
harvest would (same fetcher, same encodings, same entity refusal), and validation itself stays offline.
"""

from __future__ import annotations

from collections.abc import Iterable

from catalogue.errors import InputError
from catalogue.validation.cache import document_key
from catalogue.validation.report import InputProblem, ValidationRun
from catalogue.validation.validator import DocumentResult, Progress, Validator

from .fetch import fetch, is_url, read_local
from .rdfio import RDF_ACCEPT, parse_rdf


def check_locations(validator: Validator, locations: Iterable[str], progress: Progress | None = None) -> ValidationRun:
    """Read each file or URL and validate every offer in it; what cannot be read becomes a problem of the run."""
    run = ValidationRun()
    for location in locations:
        try:
            fetched = fetch(location, accept=RDF_ACCEPT) if is_url(location) else read_local(location)
            result = check_content(
                validator,
                fetched.content,
                location,
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
