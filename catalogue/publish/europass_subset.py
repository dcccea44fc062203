"""The Europass-ready subset: only the offers that conform to what the official Europass LOQ shapes ask.

A platform that feeds Europass (or any system validating with the LOQ profile) takes
exactly this dump, ``europass-ready.nt.gz``: each Europass-ready offer with everything
it links to in its source, the way the validator saw it, plus the type, scheme and
labels of every EU concept used (the LOQ shapes look for them in the data). An offer it
points to that is not in the subset keeps only its type, as in validation.

The subset is written per source as one dump part, named by its offers' record
fingerprints, so a source whose Europass-ready offers did not change costs nothing. A source
whose offers are all Europass-ready gives its whole graph, made from the same reading of the
store as the full dumps; for the others the ready offers are walked in the store.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from catalogue.levels import COMPLETE, EUROPASS_READY, LEVEL_IRIS
from catalogue.namespaces import LEARNING_OPPORTUNITY, RDF_TYPE
from catalogue.resources import code_fingerprint
from catalogue.store.base import CatalogueStore, StatementCounter
from catalogue.store.graph_text import line_blocks
from catalogue.vocab import Vocabulary, load_vocabulary

from .dumps import ExtraDump, GraphPart, Part

NAME = "europass-ready.nt.gz"
_READY = {LEVEL_IRIS[EUROPASS_READY], LEVEL_IRIS[COMPLETE]}
_TYPE = ox.NamedNode(RDF_TYPE)
_OFFER = ox.NamedNode(LEARNING_OPPORTUNITY)
WALK_SLICE = 1_000  # offers walked at once
# The object of an N-Triples line, when it is an IRI: the last term, after a space and before " .". A datatype IRI
# follows "^^" without a space, and a literal cannot hold a line break (N-Triples escapes it).
_OBJECT_IRI = re.compile(rb" <([^>]*)> \.\n")


def ready_offers(listing: Iterable[tuple[str, str, str | None]]) -> dict[str, list[tuple[str, str]]]:
    """Per source, (offer IRI, record fingerprint) of its Europass-ready offers (``offer_data.offer_listing``,
    whose fingerprints end with the level)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for iri, source, fingerprint in listing:
        if fingerprint and fingerprint.rsplit(" ", 1)[-1] in _READY:
            found.setdefault(source, []).append((iri, fingerprint))
    return found


def europass_dump(store: CatalogueStore, listing: Iterable[tuple[str, str, str | None]]) -> ExtraDump:
    """The Europass-ready subset as a dump of one part per source (for ``dumps.write_dumps``)."""
    rules = code_fingerprint("catalogue.publish.europass_subset", "catalogue.store.base")
    listing = list(listing)
    published = Counter(source for _, source, _ in listing)
    parts: list[Part | GraphPart] = []
    for source, offers in sorted(ready_offers(listing).items()):
        offers.sort()
        key = hashlib.sha256("\n".join(["europass", rules, source] + [f"{i} {f}" for i, f in offers]).encode()).hexdigest()
        graph = store.source_graph(source)
        if len(offers) == published[source]:
            parts.append(GraphPart(key, graph, _write_whole_graph))
        else:
            parts.append(Part(key, lambda out, graph=graph, iris=[i for i, _ in offers]: _write(store, graph, iris, out)))
    return ExtraDump(
        format="ntriples",
        parts=parts,
        title="Europass-ready offers, N-Triples, gzip-compressed file",
        holds="only the offers that conform to the official Europass LOQ shapes, each with what it links to, "
              "and the type, scheme and labels of the EU concepts they use",
    )


def _write(store: CatalogueStore, graph: str, iris: list[str], out: BinaryIO) -> int:
    counter = StatementCounter()
    ox.serialize(counter.wrap(subset_triples(store, graph, iris, load_vocabulary())), out, ox.RdfFormat.N_TRIPLES)
    return counter.count


def _write_whole_graph(lines: Path, out: BinaryIO) -> int:
    """The subset of a source whose offers are all Europass-ready: its whole graph, which holds exactly what its
    offers reach (``catalogue.validation.offers`` cuts offers the way ``subset_triples`` walks them), then the
    vocabulary's membership triples for the concepts it uses; the same statements ``subset_triples`` gives, read
    from the N-Triples the full dumps are made from instead of walked in the store. The lines are copied as they
    are and the concepts found in their text (in about half the time parsing them took)."""
    vocabulary = load_vocabulary()
    objects: set[bytes] = set()
    statements = 0
    for block in line_blocks(lines):
        statements += block.count(b"\n")
        objects.update(_OBJECT_IRI.findall(block))
        out.write(block)
    concepts = {iri for iri in (found.decode("utf-8") for found in objects) if vocabulary.is_concept(iri)}
    counter = StatementCounter()
    ox.serialize(counter.wrap(_membership(vocabulary, concepts)), out, ox.RdfFormat.N_TRIPLES)
    return statements + counter.count


def subset_triples(store: CatalogueStore, graph: str, iris: list[str], vocabulary: Vocabulary) -> Iterator[ox.Triple]:
    """The offers ``iris`` with everything they reach in ``graph`` (stopping at other offers, which keep only their
    type), and the vocabulary's membership triples for the concepts they use; each statement once.

    The offers are walked ``WALK_SLICE`` at a time with one store lookup per level of nodes reached, so memory is set
    by the slice and not by the source (a million offers in one source would be several GiB of statements in
    Python). Only nodes that two statements point to (a provider, a place, a shared price) can be reached from
    offers of different slices: they alone are remembered across slices, and written once."""
    ready = set(iris)
    shared_done: set[str] = set()  # shared nodes already written, with all they reach
    typed: set[str] = set()  # offers outside the subset whose type was written
    concepts: set[str] = set()
    for start in range(0, len(iris), WALK_SLICE):
        starts = iris[start:start + WALK_SLICE]
        seen = set(starts)
        frontier = starts
        while frontier:
            about: dict[str, list[ox.Triple]] = {}
            for triple in store.subjects_triples(graph, frontier):
                about.setdefault(triple.subject.value, []).append(triple)
            reached: list[str] = []
            for node in frontier:
                for triple in about.get(node, ()):
                    yield triple
                    obj = triple.object
                    if not isinstance(obj, ox.NamedNode) or obj.value in seen:
                        continue
                    seen.add(obj.value)
                    if vocabulary.is_concept(obj.value):
                        concepts.add(obj.value)
                    else:
                        reached.append(obj.value)
            frontier = []
            if not reached:
                break
            offers = store.offers_among(graph, reached)
            shared = store.shared_nodes(graph, [n for n in reached if n not in offers])
            for node in reached:
                if node in offers:
                    # An offer of its own: the subset holds it whole (from its own walk) or only its type.
                    if node not in ready and node not in typed:
                        typed.add(node)
                        yield ox.Triple(ox.NamedNode(node), _TYPE, _OFFER)
                elif node in shared:
                    if node not in shared_done:
                        shared_done.add(node)
                        frontier.append(node)
                else:
                    frontier.append(node)
    yield from _membership(vocabulary, concepts)


def _membership(vocabulary: Vocabulary, concepts: set[str]) -> Iterator[ox.Triple]:
    """The type, schemes and labels of ``concepts``, each statement once (concepts of one scheme share its type)."""
    described: set[ox.Triple] = set()
    for concept in sorted(concepts):
        for triple in vocabulary.membership_triples(concept, with_labels=True):
            if triple not in described:
                described.add(triple)
                yield triple
