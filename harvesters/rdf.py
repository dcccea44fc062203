"""``rdf``: ELM published as RDF (Turtle, JSON-LD, RDF/XML, N-Triples, N-Quads, TriG).

A source may be one document, several (``urls``), a DCAT catalogue whose
distributions point to the documents, or a paged collection: the harvester
follows ``hydra:next`` (Hydra collections, also under ``hydra:view``) and
``tree:relation`` / ``tree:node`` links (TREE / LDES) until there are no more
pages. Provider IRIs are kept as they are; each document is one record.

Links found in documents are followed over http(s) only, and on private
networks only within the origins of the source's own ``url``/``urls`` (or its
``trusted_hosts``); a link that is not followed is reported and the other
documents are still read (see ``catalogue.harvest.http_cache``).

Options: ``max_documents`` (default 1000) bounds how many documents one run reads. A source of one document larger
than ``in_memory_megabytes`` (default 32) in a format of triples is loaded into a temporary store on disk and cut
into offers a slice at a time, so memory does not grow with the document (``catalogue.harvest.stored_document``;
raise ``max_megabytes``, 50 by default, to read such a document at all).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
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
from catalogue.harvest.fetch import Fetched
from catalogue.harvest.http_cache import LinkRefused
from catalogue.harvest.rdfio import RDF_ACCEPT, can_store, parse_fetched, store_fetched
from catalogue.harvest.stored_document import StoredDocument
from catalogue.namespaces import DCAT, HYDRA, RDF_TYPE, TREE
from catalogue.rdf_document import RdfDocument

_LINKING = {ox.NamedNode(iri) for iri in (HYDRA + "next", TREE + "node", DCAT + "distribution", DCAT + "downloadURL", DCAT + "accessURL")}
_DESCRIBING = {ox.NamedNode(DCAT + "mediaType"), ox.NamedNode("http://purl.org/dc/terms/format")}
_UNCHANGED = object()  # the payload of every document when none changed since the source was last published

RDF_MEDIA_TYPES = (
    "text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads",
    "application/trig", "application/json",
)


class RdfHarvester(Harvester):
    kind = "rdf"
    title = "ELM as RDF (Turtle, JSON-LD, RDF/XML, N-Triples, N-Quads, TriG; DCAT catalogues; Hydra/TREE paging)"
    mapping = [
        ("any ELM v3 (…/snb/model/elm/) triples", "kept as published", "provider IRIs kept; blank nodes skolemised"),
        ("ELM 3.3 (…/snb/model/ontology/) terms", "ELM 3.2 terms", "same local names"),
        ("dcat:distribution / dcat:downloadURL, dcat:accessURL", "documents to read", "RDF media types only"),
        ("hydra:next, tree:relation/tree:node", "next page", "followed until none, loops ignored"),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._navigation: set[str] = set()  # documents that led to others (DCAT catalogues, collection pages)

    def gather(self) -> Iterator[RecordRef]:
        """Every document of the source. A document whose bytes are those last published is not parsed while it
        looks as if the whole source is unchanged (its links are remembered from when it was). The documents of
        one source may describe each other's nodes (a provider on the first page, its offers on the last), so
        as soon as one document changed, the unchanged ones are parsed too."""
        limit = int(self.context.option("max_documents", 1000))
        # (location, the document it was found in: None for the source's own addresses)
        queue: list[tuple[str, str | None]] = [(url, None) for url in self.context.source.urls]
        seen: set[str] = set()
        read: list[tuple[str, RdfDocument | StoredDocument | Fetched]] = []  # a document, or the bytes of one not parsed (yet)
        first = True
        broke_off: Exception | None = None
        while queue:
            location, found_in = queue.pop(0)
            if location in seen:
                continue
            if len(seen) >= limit:
                self.context.note(location, "paging", "dropped", location, f"more than {limit} documents; raise max_documents to read them")
                break
            seen.add(location)
            try:
                document, links = self._read(location, found_in)
            except LinkRefused as refused:
                self.context.refused_link(location, str(refused))
                continue
            except (InputError, RecordFailed) as error:
                if first:
                    # The entry point itself is unreadable: the whole source is unavailable.
                    raise SourceUnavailable(str(error), getattr(error, "status", None)) from None
                broke_off = error  # what was read before it is still handed on
                break
            first = False
            if links:
                self._navigation.add(location)
            queue.extend((link, location) for link in links if link not in seen)
            read.append((location, document))
        unchanged = broke_off is None and all(isinstance(document, Fetched) for _, document in read)
        if len(read) > 1:
            # The documents of one source are cut into offers together (one may describe another's nodes), so a
            # large one loaded on disk is parsed into memory after all.
            read = [(location, _in_memory(document)) for location, document in read]
        for _, document in read:
            if isinstance(document, StoredDocument):
                document.fetched = None  # its bytes are on disk now: not held while its offers are admitted
        read.reverse()
        while read:
            location, document = read.pop()
            ref = RecordRef(location, location, _UNCHANGED if unchanged else document)
            del document  # handed on and let go: a parsed document of 250,000 offers holds ten million statements
            yield ref
            del ref
        if broke_off is not None:
            raise broke_off

    def _read(self, location: str, found_in: str | None = None) -> tuple[RdfDocument | Fetched, list[str]]:
        """The document (or, when its bytes are those last published and its links are known from then, the bytes
        not parsed) and the documents it leads to."""
        fetched = self.context.http.get(location, accept=RDF_ACCEPT, found_in=found_in)
        self.context.fetched.append(replace(fetched, content=b""))  # what was answered; the bytes go with the document
        if self.context.unchanged(location, fetched.content):
            links = self.context.http.recall(location, fetched.content, "links")
            if isinstance(links, list):
                return fetched, [str(link) for link in links]
        document = self._parse(fetched, location)
        links = self._links(document)
        self.context.http.remember(location, fetched.content, "links", links)
        return document, links

    def _parse(self, fetched: Fetched, location: str) -> RdfDocument | StoredDocument:
        """The document parsed into terms, or, past ``in_memory_megabytes`` (32 by default) and in a format of triples,
        loaded into a temporary store on disk (``catalogue.harvest.stored_document``)."""
        limit = float(self.context.option("in_memory_megabytes", 32)) * 2**20
        if len(fetched.content) > limit and can_store(fetched, location):
            stored = store_fetched(fetched, location, self.context.scratch, self.context.scratch_name)
            stored.fetched = fetched
            return stored
        return parse_fetched(fetched, location)

    def fetch(self, ref: RecordRef) -> RdfDocument | StoredDocument:
        if ref.payload is _UNCHANGED:
            raise RecordUnchanged(ref.key)
        if isinstance(ref.payload, Fetched):
            return parse_fetched(ref.payload, ref.location)  # unchanged, but another document of the source changed
        return ref.payload

    def _links(self, document: RdfDocument | StoredDocument) -> list[str]:
        """Further documents: DCAT distributions and next pages."""
        # Only the few statements with a linking predicate are looked at: a page of ten thousand offers has half a
        # million statements, and turning each into Python values cost more than parsing the page.
        if isinstance(document, StoredDocument):
            linking, describing = document.statements(_LINKING), document.statements(_DESCRIBING)
        else:
            linking = [q for q in document.quads if q.predicate in _LINKING]
            describing = [q for q in document.quads if q.predicate in _DESCRIBING]
        found = [(q.subject, q.predicate.value, q.object) for q in linking]
        distributions = {o for s, p, o in found if p == DCAT + "distribution"}
        described = [(q.subject, q.predicate.value, q.object) for q in describing if q.subject in distributions]
        links: list[str] = []
        for s, p, o in found:
            if isinstance(o, ox.NamedNode) and (
                p in (HYDRA + "next", TREE + "node")
                or (s in distributions and p in (DCAT + "downloadURL", DCAT + "accessURL") and _rdf_distribution(described, s))
            ):
                links.append(urldefrag(o.value)[0])
        return list(dict.fromkeys(links))

    def map(self, ref: RecordRef, content: RdfDocument | StoredDocument) -> MappedRecord:
        for note in content.notes:
            self.context.note(ref.key, "document", "guessed", ref.location, note)
        if isinstance(content, StoredDocument):
            named = [offer.value for offer in content.offers() if isinstance(offer, ox.NamedNode)]
            if not named:
                types, subjects = content.types(), content.subjects()
                content.close()
                _no_offers(ref.key, types, subjects, ref.key in self._navigation)
            return MappedRecord(ref.key, [], named, stored=content)
        offers = [
            q.subject.value
            for q in content.quads
            if q.predicate.value == RDF_TYPE and q.object.value.endswith("/LearningOpportunity") and isinstance(q.subject, ox.NamedNode)
        ]
        if not offers:
            _no_offers(ref.key, _types(content), len({q.subject for q in content.quads}), ref.key in self._navigation)
        return MappedRecord(ref.key, [q.triple for q in content.quads], offers)


# Types of documents that only lead to others: a page of them without offers is no loss if it led somewhere.
NAVIGATION = (DCAT + "Catalog", DCAT + "Dataset", DCAT + "Distribution", DCAT + "DataService", HYDRA, TREE,
              "https://w3id.org/ldes#", "http://rdfs.org/ns/void#")


def _types(document: RdfDocument) -> dict[str, int]:
    """Each type used in the document and how many resources have it."""
    types: dict[str, set] = {}
    for quad in document.quads:
        if quad.predicate.value == RDF_TYPE:
            types.setdefault(quad.object.value, set()).add(quad.subject)
    return {t: len(s) for t, s in types.items()}


def _in_memory(document: RdfDocument | StoredDocument | Fetched) -> RdfDocument | Fetched:
    if not isinstance(document, StoredDocument):
        return document
    parsed = parse_fetched(document.fetched, document.source)
    document.close()
    return parsed


def _no_offers(location: str, types: dict[str, int], subjects: int, led_on: bool) -> None:
    """A document that parses but holds no offer is reported, never a silent success (a CTDL graph, ELM 2, a bare DCAT catalogue)."""
    if led_on and all(t.startswith(NAVIGATION) for t in types):
        return  # a catalogue or a collection page whose documents were followed
    named = ", ".join(f"{_short(t)} ({n})" for t, n in sorted(types.items(), key=lambda item: (-item[1], item[0]))[:10])
    raise RecordFailed(
        "no-learning-opportunity",
        f"{location}: no elm:LearningOpportunity found; types found: {named or 'none'} ({subjects} resources). "
        "The catalogue reads ELM v3 (http://data.europa.eu/snb/model/elm/); publish the offers as elm:LearningOpportunity.",
    )


def _short(iri: str) -> str:
    """A readable name for a type: its prefix for the well-known vocabularies, else the IRI."""
    for prefix, namespace in (("dcat", DCAT), ("elm", "http://data.europa.eu/snb/model/elm/"), ("ceterms", "https://purl.org/ctdl/terms/"),
                              ("schema", "https://schema.org/"), ("schema", "http://schema.org/"), ("tree", TREE), ("hydra", HYDRA),
                              ("ldes", "https://w3id.org/ldes#")):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def _rdf_distribution(triples: list, distribution) -> bool:
    """A distribution is worth reading if it declares an RDF media type or format, or declares none."""
    declared = [
        o.value.lower()
        for s, p, o in triples
        if s == distribution and p in (DCAT + "mediaType", "http://purl.org/dc/terms/format")
    ]
    return not declared or any(any(m in d for m in RDF_MEDIA_TYPES) or d.endswith(("/rdf_turtle", "/jsonld", "/rdf_xml", "/rdf_n_triples", "/rdf", "/turtle")) for d in declared)
