"""The catalogue's own statements about offers: catalogue records and quarantine reports.

A published offer gets a ``dcat:CatalogRecord`` (in ``BASE/graph/records/ID``)
saying at which level it was admitted (listed, Europass-ready, complete
micro-credential), what Europass would still need, which Annex I elements it
misses, how many warnings it has, when the catalogue first saw it and when its
content last changed. A quarantined offer gets a record with its findings (in
``BASE/graph/quarantine/ID``, next to its data), readable by the provider.
These live outside the source graph so that the offers stay pure ELM.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

import pyoxigraph as ox

from catalogue.iris import source_iri
from catalogue.levels import LEVEL_IRIS, LEVEL_KEYS
from catalogue.namespaces import (
    ANNEX,
    DCAT,
    DCTERMS,
    FOAF,
    MCC,
    PROV,
    RDF,
    RDF_TYPE,
    RDFS,
    SH,
    XSD,
)
from catalogue.validation.offers import canonical_literal
from catalogue.validation.report import Finding, OfferReport


def record_iri(base: str, source_id: str, offer: str) -> str:
    return f"{base}record/{source_id}/{hashlib.sha256(offer.encode()).hexdigest()[:20]}"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@lru_cache(maxsize=4096)
def _node(iri: str) -> ox.NamedNode:
    """A node for an IRI many records repeat (a source, a level, an Annex I element, the run): made once."""
    return ox.NamedNode(iri)


@lru_cache(maxsize=256)
def _dt(value: datetime) -> ox.Literal:
    # A harvest gives most of its records the same few times (its start, the first-seen dates of earlier runs).
    return ox.Literal(value.isoformat(timespec="seconds").replace("+00:00", "Z"), datatype=_DATETIME)


# The record's predicates and fixed values, made once rather than for every offer (about half of a record's cost).
_TYPE, _CATALOG_RECORD, _PRIMARY_TOPIC = _n(RDF_TYPE), _n(DCAT + "CatalogRecord"), _n(FOAF + "primaryTopic")
_SOURCE, _ISSUED, _MODIFIED = _n(DCTERMS + "source"), _n(DCTERMS + "issued"), _n(DCTERMS + "modified")
_CONTENT_HASH, _MICROCREDENTIAL, _WARNING_COUNT = _n(MCC + "contentHash"), _n(MCC + "microCredential"), _n(MCC + "warningCount")
_ADMISSION_LEVEL, _EUROPASS_READY, _EUROPASS_GAP = _n(MCC + "admissionLevel"), _n(MCC + "europassReady"), _n(MCC + "europassGap")
_MISSING_ELEMENT, _MISSING_OPTIONAL = _n(MCC + "missingElement"), _n(MCC + "missingOptionalElement")
_GENERATED_BY = _n(PROV + "wasGeneratedBy")
_DATETIME, _INTEGER = _n(XSD + "dateTime"), _n(XSD + "integer")
_BOOLEANS = {flag: ox.Literal("true" if flag else "false", datatype=_n(XSD + "boolean")) for flag in (False, True)}


def published_record(
    base: str,
    source_id: str,
    report: OfferReport,
    first_seen: datetime,
    modified: datetime,
    run: str | None = None,
) -> list[ox.Triple]:
    record = _n(record_iri(base, source_id, report.offer))
    triples = [
        ox.Triple(record, _TYPE, _CATALOG_RECORD),
        ox.Triple(record, _PRIMARY_TOPIC, _n(report.offer)),
        ox.Triple(record, _SOURCE, _node(source_iri(base, source_id))),
        ox.Triple(record, _ISSUED, _dt(first_seen)),
        ox.Triple(record, _MODIFIED, _dt(modified)),
        ox.Triple(record, _CONTENT_HASH, ox.Literal(report.content_hash)),
        ox.Triple(record, _MICROCREDENTIAL, _BOOLEANS[report.microcredential]),
        ox.Triple(record, _WARNING_COUNT, ox.Literal(str(len(report.warnings)), datatype=_INTEGER)),
        ox.Triple(record, _ADMISSION_LEVEL, _node(LEVEL_IRIS[report.level])),
        ox.Triple(record, _EUROPASS_READY, _BOOLEANS[report.europass_ready]),
    ]
    # What Europass would still need, by property (the site and API explain it from the property's labels).
    for path in dict.fromkeys(f.path or "" for f in report.europass_gaps):
        triples.append(ox.Triple(record, _EUROPASS_GAP, ox.Literal(path)))
    for key in report.missing:
        triples.append(ox.Triple(record, _MISSING_ELEMENT, _node(ANNEX + key)))
    for key in report.missing_optional:
        triples.append(ox.Triple(record, _MISSING_OPTIONAL, _node(ANNEX + key)))
    if run:
        triples.append(ox.Triple(record, _GENERATED_BY, _node(run)))
    return triples


def derivation_triples(base: str, source_id: str, offer: str, derivations: list) -> list[ox.Triple]:
    """What the catalogue derived for ``offer`` (``derivation.apply.Derivation``), as statements of its record:
    each derived statement reified (rdf:subject, rdf:predicate, rdf:object) with its rule, evidence,
    confidence and explanation, so the site and API tell it apart from what the provider said."""
    record_text = record_iri(base, source_id, offer)
    record = _n(record_text)
    triples = []
    for number, item in enumerate(derivations, start=1):
        node = _n(f"{record_text}/derived/{number}")
        triples += [
            ox.Triple(record, _n(MCC + "derivation"), node),
            ox.Triple(node, _n(RDF_TYPE), _n(MCC + "Derivation")),
            ox.Triple(node, _n(RDF + "subject"), _n(item.subject)),
            ox.Triple(node, _n(RDF + "predicate"), _n(item.predicate)),
            ox.Triple(node, _n(RDF + "object"), item.object),
            ox.Triple(node, _n(MCC + "rule"), ox.Literal(item.derived.rule)),
            ox.Triple(node, _n(MCC + "evidence"), ox.Literal(item.derived.evidence)),
            # In the form the store keeps ("0.8", not "0.80"), so an unchanged record is not rewritten.
            ox.Triple(node, _n(MCC + "confidence"), canonical_literal(f"{item.derived.confidence:.2f}", XSD + "decimal")),
        ]
        triples += [ox.Triple(node, _n(RDFS + "comment"), ox.Literal(text, language=lang)) for lang, text in sorted(item.derived.explanation.items())]
    return triples


def quarantine_record(
    base: str, source_id: str, report: OfferReport, since: datetime, run: str | None = None
) -> list[ox.Triple]:
    record_text = record_iri(base, source_id, report.offer)
    record = _n(record_text)
    triples = [
        ox.Triple(record, _n(RDF_TYPE), _n(MCC + "QuarantineRecord")),
        ox.Triple(record, _n(FOAF + "primaryTopic"), _n(report.offer)),
        ox.Triple(record, _n(DCTERMS + "source"), _n(source_iri(base, source_id))),
        ox.Triple(record, _n(DCTERMS + "issued"), _dt(since)),
        ox.Triple(record, _n(MCC + "contentHash"), ox.Literal(report.content_hash)),
    ]
    for title_lang, title in report.titles.items():
        triples.append(ox.Triple(record, _n(DCTERMS + "title"), ox.Literal(title, language=title_lang) if title_lang else ox.Literal(title)))
    if run:
        triples.append(ox.Triple(record, _n(PROV + "wasGeneratedBy"), _n(run)))
    for number, finding in enumerate(report.findings, start=1):
        triples.extend(_finding(record, _n(f"{record_text}/finding/{number}"), finding))
    return triples


def _finding(record: ox.NamedNode, node: ox.NamedNode, finding: Finding) -> list[ox.Triple]:
    severity = SH + ("Violation" if finding.severity == "violation" else "Warning")
    triples = [
        ox.Triple(record, _n(MCC + "finding"), node),
        ox.Triple(node, _n(RDF_TYPE), _n(MCC + "Finding")),
        ox.Triple(node, _n(SH + "resultSeverity"), _n(severity)),
        ox.Triple(node, _n(SH + "sourceConstraintComponent"), _n(SH + finding.component)),
        ox.Triple(node, _n(MCC + "profile"), ox.Literal(finding.profile)),
        ox.Triple(node, _n(MCC + "path"), ox.Literal(finding.path)),
        ox.Triple(node, _n(SH + "focusNode"), ox.Literal(finding.focus)),
        ox.Triple(node, _n(MCC + "shape"), ox.Literal(finding.shape)),
    ]
    if finding.value is not None:
        triples.append(ox.Triple(node, _n(MCC + "value"), ox.Literal(finding.value)))
    if finding.element:
        triples.append(ox.Triple(node, _n(MCC + "annexElement"), _n(ANNEX + finding.element)))
    for lang, text in finding.messages.items():
        triples.append(ox.Triple(node, _n(SH + "resultMessage"), ox.Literal(text, language=lang)))
    return triples


def findings_from_store(store, quarantine_graph: str) -> dict[str, OfferReport]:
    """Rebuild the quarantine reports of a source from the store (for ``catalogue report``)."""
    query = """
        SELECT ?offer ?hash ?finding ?severity ?component ?profile ?path ?focus ?shape ?value ?element ?lang ?message
        WHERE { GRAPH <%s> {
            ?record a mcc:QuarantineRecord ; foaf:primaryTopic ?offer ; mcc:contentHash ?hash .
            OPTIONAL {
                ?record mcc:finding ?finding .
                ?finding sh:resultSeverity ?severity ; sh:sourceConstraintComponent ?component ;
                         mcc:profile ?profile ; mcc:path ?path ; sh:focusNode ?focus ; mcc:shape ?shape .
                OPTIONAL { ?finding mcc:value ?value }
                OPTIONAL { ?finding mcc:annexElement ?element }
                OPTIONAL { ?finding sh:resultMessage ?message BIND(LANG(?message) AS ?lang) }
            }
        } }
    """ % quarantine_graph
    reports: dict[str, OfferReport] = {}
    findings: dict[str, Finding] = {}
    for row in store.query(query, default_graphs=[]):
        offer = row["offer"].value
        report = reports.setdefault(offer, OfferReport(offer, {}, row["hash"].value))
        if row["finding"] is None:
            continue
        key = row["finding"].value
        if key not in findings:
            findings[key] = Finding(
                severity="violation" if row["severity"].value.endswith("Violation") else "warning",
                profile=row["profile"].value,
                path=row["path"].value,
                value=row["value"].value if row["value"] is not None else None,
                focus=row["focus"].value,
                component=row["component"].value.rsplit("#", 1)[-1],
                shape=row["shape"].value,
                messages={},
                element=row["element"].value.rsplit("/", 1)[-1] if row["element"] is not None else None,
            )
            report.findings.append(findings[key])
        if row["message"] is not None:
            findings[key].messages[row["lang"].value] = row["message"].value
    titles = store.query(
        "SELECT ?offer ?title WHERE { GRAPH <%s> { ?r a mcc:QuarantineRecord ; foaf:primaryTopic ?offer ; dcterms:title ?title } }"
        % quarantine_graph,
        default_graphs=[],
    )
    for row in titles:
        if row["offer"].value in reports:
            reports[row["offer"].value].titles[row["title"].language or ""] = row["title"].value
    return reports


def levels_from_store(store, source_id: str) -> list[dict]:
    """Each published offer of a source with its level and what the next level needs (for ``catalogue report``)."""
    rows = store.query(
        f"""SELECT ?offer ?level (SAMPLE(?t) AS ?title) (GROUP_CONCAT(DISTINCT ?gap; SEPARATOR="\\n") AS ?gaps)
                   (GROUP_CONCAT(DISTINCT STR(?missing); SEPARATOR="\\n") AS ?missings)
            WHERE {{ GRAPH <{store.records_graph(source_id)}> {{ ?r foaf:primaryTopic ?offer ; mcc:admissionLevel ?level
                     OPTIONAL {{ ?r mcc:europassGap ?gap }} OPTIONAL {{ ?r mcc:missingElement ?missing }} }}
                     OPTIONAL {{ GRAPH <{store.source_graph(source_id)}> {{ ?offer dcterms:title ?t }} }} }}
            GROUP BY ?offer ?level ORDER BY ?offer""",
        default_graphs=[],
    )
    return [
        {
            "offer": row["offer"].value,
            "title": row["title"].value if row["title"] is not None else "",
            "level": LEVEL_KEYS.get(row["level"].value, row["level"].value),
            "europass_gaps": [g for g in row["gaps"].value.split("\n") if g] if row["gaps"] is not None else [],
            "missing": [m.rsplit("/", 1)[-1] for m in row["missings"].value.split("\n") if m] if row["missings"] is not None else [],
        }
        for row in rows
    ]
