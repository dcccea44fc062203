"""What cutting a source's documents into offers left out or had to make up, told to the provider as mapping notes.

An offer is what an ``elm:LearningOpportunity`` reaches (``catalogue.validation.offers``); statements about anything
no offer links to are not published. A provider must hear that (a mapping never drops a value silently), in words
that say which document, how much, what kind of thing, and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from catalogue.namespaces import RDF_TYPE
from catalogue.validation.offers import Extraction

from .contract import HarvestContext, MappedRecord

LEFT_OUT_FIELD = "statements no offer links to"
_EXAMPLES = 3


def note_extraction(context: HarvestContext, key: str, directional: int, blank_offers: int) -> None:
    """Notes for what the cutter changed in the document(s) of ``key``: ``directional`` texts kept without their base
    direction, ``blank_offers`` offers that had no IRI."""
    if directional:
        context.note(key, "text direction (RDF 1.2, such as @ar--rtl)", "dropped", f"{directional} texts",
                     "Kept with their language but without the base direction, which the catalogue cannot store yet.")
    if blank_offers:
        context.note(key, "offer IRI", "guessed", f"{blank_offers} offers without an IRI",
                     "Each was given an IRI under /.well-known/genid/ made from its description, which changes when "
                     "the description does; give every offer an IRI of its own so that links to it last.")


def note_left_out(context: HarvestContext, extraction: Extraction, records: Iterable[MappedRecord]) -> None:
    """One note per record that states something no offer of the source reaches (``Extraction.unreached``)."""
    left_out = extraction.unreached
    if not left_out:
        return
    for record in records:
        counts: dict[ox.NamedNode | ox.BlankNode, int] = {}
        for triple in record.triples:
            subject = triple.subject
            if subject in left_out:
                counts[subject] = counts.get(subject, 0) + 1
        if counts:
            note_subjects(context, record.key, counts, {s: _types(left_out[s]) for s in counts})


def note_subjects(context: HarvestContext, key: str, counts: dict[ox.NamedNode | ox.BlankNode, int],
                  types: dict[ox.NamedNode | ox.BlankNode, list[str]]) -> None:
    """The note for ``counts`` (statements a subject has in the document of ``key``; ``types``, the IRIs of its
    types), naming a few of them."""
    if not counts:
        return
    statements = sum(counts.values())
    kinds: dict[str, int] = {}
    for subject in counts:
        for name in [_short(iri) for iri in types.get(subject, ())] or ["untyped"]:
            kinds[name] = kinds.get(name, 0) + 1
    named = sorted(subject.value for subject in counts if isinstance(subject, ox.NamedNode))
    shown = ", ".join(f"<{iri}>" for iri in named[:_EXAMPLES])
    kinds_text = ", ".join(f"{n} {name}" for name, n in sorted(kinds.items(), key=lambda item: (-item[1], item[0])))
    context.note(
        key, LEFT_OUT_FIELD, "dropped", f"{statements} statements about {len(counts)} resources ({kinds_text})",
        "No offer links to them, so they are not published"
        + (f" (such as {shown})" if shown else "")
        + ". Link them from an offer (as its provider, location or specification, say) if learners should see them.",
    )


def _types(pairs: list[tuple[ox.NamedNode, object]]) -> list[str]:
    return sorted({obj.value for predicate, obj in pairs if predicate.value == RDF_TYPE and isinstance(obj, ox.NamedNode)})


def _short(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
