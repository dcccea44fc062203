"""Harvest runs as PROV-O and DCAT, for the provenance graph.

Each source is a ``dcat:Dataset`` (``BASE/source/ID``) with its access URLs and
harvester kind; each run is a ``prov:Activity`` (``BASE/run/ID/TIMESTAMP``) that
used the source, with its start, end, outcome, HTTP status, counts and the
content hash of what it read. Published offers' catalogue records point to the
run that produced their current version (``prov:wasGeneratedBy``).
"""

from __future__ import annotations

import pyoxigraph as ox

from catalogue.config import SourceConfig
from catalogue.iris import source_iri
from catalogue.namespaces import DCAT, DCTERMS, MCC, PROV, RDF_TYPE, RDFS, XSD

from .state import Run


def run_iri(base: str, source_id: str, started: str) -> str:
    stamp = started.replace("-", "").replace(":", "").replace("+0000", "Z")
    return f"{base}run/{source_id}/{stamp}"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def _time(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=_n(XSD + "dateTime"))


def source_triples(base: str, source: SourceConfig) -> list[ox.Triple]:
    node = _n(source_iri(base, source.id))
    triples = [
        ox.Triple(node, _n(RDF_TYPE), _n(DCAT + "Dataset")),
        ox.Triple(node, _n(DCTERMS + "title"), ox.Literal(source.name)),
        ox.Triple(node, _n(DCTERMS + "identifier"), ox.Literal(source.id)),
        ox.Triple(node, _n(MCC + "harvester"), ox.Literal(source.harvester)),
    ]
    for url in source.urls:
        if url.startswith(("http://", "https://")):
            triples.append(ox.Triple(node, _n(DCAT + "accessURL"), _n(url)))
        else:
            triples.append(ox.Triple(node, _n(MCC + "localPath"), ox.Literal(url.rsplit("/", 1)[-1])))
    return triples


def run_triples(base: str, run: Run) -> list[ox.Triple]:
    node = _n(run.id)
    triples = [
        ox.Triple(node, _n(RDF_TYPE), _n(PROV + "Activity")),
        ox.Triple(node, _n(PROV + "used"), _n(source_iri(base, run.source))),
        ox.Triple(node, _n(PROV + "startedAtTime"), _time(run.started)),
        ox.Triple(node, _n(MCC + "outcome"), ox.Literal(run.outcome or "unknown")),
    ]
    if run.ended:
        triples.append(ox.Triple(node, _n(PROV + "endedAtTime"), _time(run.ended)))
    if run.http_status is not None:
        triples.append(ox.Triple(node, _n(MCC + "httpStatus"), _int(run.http_status)))
    for name in ("seen", "published", "quarantined", "unchanged", "withdrawn", "carried_over", "errors"):
        triples.append(ox.Triple(node, _n(MCC + _camel(name)), _int(getattr(run, name))))
    if run.content_hash:
        triples.append(ox.Triple(node, _n(MCC + "contentHash"), ox.Literal(run.content_hash)))
    if run.message:
        triples.append(ox.Triple(node, _n(RDFS + "comment"), ox.Literal(run.message)))
    return triples


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
