"""The catalogue describing itself: SPARQL 1.1 Service Description, VoID, and a DCAT-AP 3 catalogue.

A platform engineer who finds the endpoint can learn from these what is
there (graphs, sizes, classes, example resources), under which licence, who
publishes it, how fresh it is, and where the dumps and the change feed are.

Every count is what the endpoint answers for the published generation, computed
once when it is published (``dataset_counts``, kept in its ``meta.json``), so the
description routes never scan the store:

* ``void:triples`` of the dataset and of the service description's default graph:
  ``SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }`` over the default graph, the public
  graphs (vocabulary, source graphs, records graphs, statistics) taken together. Oxigraph
  evaluates a default graph of several graphs without removing duplicates, so a
  triple held by two public graphs counts twice there, and so here.
* the size of each named graph (VoID subsets, service description named graphs):
  ``SELECT (COUNT(*) AS ?n) WHERE { GRAPH <g> { ?s ?p ?o } }``.
* ``void:entities``: the distinct subjects of the default graph (every subject is an
  IRI: the catalogue gives blank nodes IRIs under ``/.well-known/genid/``); one class
  partition per class, its entities the distinct subjects typed with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from catalogue.config import Config
from catalogue.iris import graph_iri, graph_prefix, source_iri
from catalogue.namespaces import (
    DCAT,
    DCTERMS,
    ELM,
    FOAF,
    LDES,
    RDF_TYPE,
    RDFS,
    SD,
    SKOS,
    TREE,
    VOID,
    XSD,
)
from catalogue.store.base import CatalogueStore, Measured

from .dumps import MEDIA_TYPES
from .europass_subset import NAME as EUROPASS_DUMP
from .kept_work import KeptWork
from .statistics import DIMENSIONS
from .subject_counts import default_graph_subjects

FORMATS = "http://www.w3.org/ns/formats/"
SPDX = "http://spdx.org/rdf/terms#"
IANA = "http://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
DATA_THEME_EDUCATION = "http://publications.europa.eu/resource/authority/data-theme/EDUC"
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG",
)
FILE_TYPES = {"nquads": "RDF_N_QUADS", "turtle": "RDF_TURTLE"}
FORMAT_NAMES = {"nquads": "N-Quads", "turtle": "Turtle"}
DUMP_CONTENT = {
    "nquads": "every public graph (the vocabulary, each source's offers, each source's catalogue records) with its name; "
              "quarantine and provenance are not included",
    "turtle": "the endpoint's default graph: the triples of every public graph (vocabulary, offers, catalogue records) "
              "without graph names; a triple held by two graphs is written twice, so read as a graph it gives the "
              "default graph's distinct triples",
}
COUNTING = ("Counts are those of the published generation, as this endpoint's SPARQL answers them: void:triples of the "
            "dataset is SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } over the default graph, in which a triple held by two "
            "public graphs counts twice; a graph's void:triples is COUNT(*) in GRAPH <g>; void:entities counts distinct "
            "subjects, and a class partition's the distinct subjects typed with its class.")


class Triples:
    """Triples being written for a response: IRIs given as strings, literals as pyoxigraph terms."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, s, p: str, o) -> None:
        subject = s if isinstance(s, (ox.NamedNode, ox.BlankNode)) else ox.NamedNode(s)
        obj = o if isinstance(o, (ox.NamedNode, ox.BlankNode, ox.Literal)) else ox.NamedNode(o)
        self.triples.append(ox.Triple(subject, ox.NamedNode(p), obj))

    def text(self, s, p: str, value: str, lang: str | None = None) -> None:
        self.add(s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))


def _int(value: int, datatype: str = "integer") -> ox.Literal:
    return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + datatype))


def _time(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "dateTime"))


def dataset_iri(config: Config) -> str:
    return f"{config.base}dataset"


def dataset_counts(store: CatalogueStore, sizes: KeptWork | None = None, subjects: KeptWork | None = None,
                   texts: dict[str, Path] | None = None) -> dict:
    """What the endpoint answers about the size of ``store``'s data, for ``meta.json`` (see the module's description).

    ``store.query`` without ``default_graphs`` uses the public graphs as the default graph, as the endpoint does
    (the query pool for a snapshot, the server itself with the same graphs for a remote store). With ``sizes``,
    each graph's size is kept under its stamp, and the default graph's triples are the sum of the public graphs'
    (Oxigraph counts a triple once per graph that holds it, see above); the statistics graph, written by the
    publish itself, is always counted. With ``subjects``, the distinct subjects (in all and per class) are counted a
    graph at a time, from the kept N-Triples copies in ``texts`` where there are some, and kept under each graph's
    stamp (``subject_counts``), instead of by one query that holds every subject of the catalogue."""

    def number(sparql: str, **options) -> int:
        for row in store.query(sparql, prefixes=False, **options):  # type: ignore[union-attr]
            return int(row["n"].value)
        return 0

    measure = measured_by(store, sizes)

    graphs = {graph: measure(graph, "triples", lambda graph=graph: store.count(graph)) for graph in store.graphs()}
    public = store.public_graphs()
    if subjects is not None:
        entities, classes = default_graph_subjects(store, public, subjects, texts)
    else:
        classes = {
            row["c"].value: int(row["n"].value)
            for row in store.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c", prefixes=False)  # type: ignore[union-attr]
            if isinstance(row["c"], ox.NamedNode)
        }
        entities = number("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
    return {
        "graphs": graphs,
        "default graph": {
            "graphs": public,
            "triples": sum(graphs[g] for g in public) if sizes is not None else number("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
            "entities": entities,
            "classes": dict(sorted(classes.items())),
        },
    }


def measured_by(store: CatalogueStore, sizes: KeptWork | None) -> Measured:
    """Counts of graphs kept in ``sizes`` under each graph's stamp (none kept for the statistics graph, which the
    publish writes to its snapshot alone)."""

    def measure(graph: str, what: str, count: Callable[[], int]) -> int:
        if sizes is None or graph == store.statistics_graph:
            return count()
        return sizes.remember(f"{what} {graph}", [graph], count)

    return measure


def dump_urls(config: Config, meta: dict) -> list[tuple[str, str, bool]]:
    """(URL, dump file name, compressed) of every dump: each gzip file, and its content under the name without .gz."""
    found = []
    for name in sorted(meta.get("dumps", {})):
        found.append((f"{config.base}dumps/{name}", name, True))
        if name.endswith(".gz"):
            found.append((f"{config.base}dumps/{name[:-3]}", name, False))
    return found


def service_description(config: Config, meta: dict, endpoint: str, updates: bool = False) -> list[ox.Triple]:
    g = Triples()
    service = ox.NamedNode(endpoint)
    g.add(service, RDF_TYPE, SD + "Service")
    g.add(service, SD + "endpoint", endpoint)
    g.add(service, SD + "supportedLanguage", SD + "SPARQL11Query")
    if updates:
        g.add(service, SD + "supportedLanguage", SD + "SPARQL11Update")
    for fmt in RESULT_FORMATS:
        g.add(service, SD + "resultFormat", FORMATS + fmt)
    g.add(service, SD + "feature", SD + "EmptyGraphs")
    g.add(service, SD + "defaultEntailmentRegime", "http://www.w3.org/ns/entailment/Simple")
    g.text(service, DCTERMS + "title", f"{config.title}: SPARQL endpoint")
    g.text(service, RDFS + "comment",
           "Read-only. The default graph is the public catalogue: the published offers of every source, their catalogue records "
           "and the vocabulary. Quarantined offers and harvest provenance are named graphs. SERVICE is switched off.", "en")
    g.add(service, DCTERMS + "license", config.licence)
    dataset = ox.BlankNode()
    g.add(service, SD + "defaultDataset", dataset)
    g.add(dataset, RDF_TYPE, SD + "Dataset")
    g.add(dataset, DCTERMS + "source", dataset_iri(config))
    default = ox.BlankNode()
    g.add(dataset, SD + "defaultGraph", default)
    g.add(default, RDF_TYPE, SD + "Graph")
    counts = meta.get("counts") or {}
    default_counts = counts.get("default graph") or {}
    if "triples" in default_counts:
        g.add(default, VOID + "triples", _int(default_counts["triples"]))
        g.text(default, RDFS + "comment", COUNTING, "en")
    for name, size in sorted(graph_sizes(meta).items()):
        named = ox.BlankNode()
        graph = ox.BlankNode()
        g.add(dataset, SD + "namedGraph", named)
        g.add(named, RDF_TYPE, SD + "NamedGraph")
        g.add(named, SD + "name", name)
        g.add(named, SD + "graph", graph)
        g.add(graph, RDF_TYPE, SD + "Graph")
        if size is not None:
            g.add(graph, VOID + "triples", _int(size))
    return g.triples


def void_description(config: Config, meta: dict, example: str | None = None) -> list[ox.Triple]:
    g = Triples()
    base = config.base
    document = f"{base}.well-known/void"
    dataset = dataset_iri(config)
    g.add(document, RDF_TYPE, VOID + "DatasetDescription")
    g.add(document, FOAF + "primaryTopic", dataset)
    g.text(document, DCTERMS + "title", f"VoID description of {config.title}")
    _dataset_core(g, config, meta, dataset)
    g.add(dataset, RDF_TYPE, VOID + "Dataset")
    g.add(dataset, VOID + "sparqlEndpoint", f"{base}sparql")
    for url, _, _ in dump_urls(config, meta):
        g.add(dataset, VOID + "dataDump", url)
    for vocabulary in (ELM, DCTERMS, SKOS, FOAF, "http://www.w3.org/ns/regorg#", DCAT):
        g.add(dataset, VOID + "vocabulary", vocabulary)
    counts = meta.get("counts") or {}
    default = counts.get("default graph") or {}
    sizes = counts.get("graphs") or {}
    if default:
        g.text(dataset, RDFS + "comment", COUNTING, "en")
        g.add(dataset, VOID + "triples", _int(default["triples"]))
        g.add(dataset, VOID + "entities", _int(default["entities"]))
        g.add(dataset, VOID + "classes", _int(len(default["classes"])))
        for cls, entities in default["classes"].items():
            partition = ox.BlankNode()
            g.add(dataset, VOID + "classPartition", partition)
            g.add(partition, VOID + "class", cls)
            g.add(partition, VOID + "entities", _int(entities))
    if example:
        g.add(dataset, VOID + "exampleResource", example)
    g.add(dataset, VOID + "rootResource", f"{base}feed")
    # One subset per public graph: the default graph is these graphs together.
    sources = meta.get("sources", {})
    for graph in default.get("graphs", []):
        prefix_source, prefix_records = graph_prefix(base, "source"), graph_prefix(base, "records")
        if graph.startswith(prefix_source):
            source_id = graph[len(prefix_source):]
            subset: str = source_iri(base, source_id)
            g.text(subset, DCTERMS + "title", f"Published offers of the source {source_id}", "en")
            g.text(subset, DCTERMS + "identifier", source_id)
            offers = ox.BlankNode()
            g.add(subset, VOID + "classPartition", offers)
            g.add(offers, VOID + "class", ELM + "LearningOpportunity")
            g.add(offers, VOID + "entities", _int(sources.get(source_id, {}).get("offers", 0)))
        elif graph.startswith(prefix_records):
            subset = f"{dataset}#records-{graph[len(prefix_records):]}"
            g.text(subset, DCTERMS + "title", f"Catalogue records of the offers of the source {graph[len(prefix_records):]}", "en")
        elif graph == graph_iri(base, "statistics"):
            subset = f"{dataset}#statistics"
            g.text(subset, DCTERMS + "title", "Statistics: offers per EQF level, field, provider, country … (W3C Data Cube), "
                                              "counted when the catalogue was published", "en")
            for dimension in DIMENSIONS:
                g.add(subset, DCTERMS + "hasPart", f"{base}dataset/statistics/{dimension.facet}")
        else:
            subset = f"{dataset}#vocabulary"
            g.text(subset, DCTERMS + "title", "Vocabulary: the ELM terms and EU concept schemes the offers use", "en")
        g.add(dataset, VOID + "subset", subset)
        g.add(subset, RDF_TYPE, VOID + "Dataset")
        g.add(subset, SD + "name", graph)
        if graph in sizes:
            g.add(subset, VOID + "triples", _int(sizes[graph]))
    _europass_subset(g, config, meta, dataset)
    return g.triples


def _europass_subset(g: Triples, config: Config, meta: dict, dataset: str) -> None:
    """The Europass-ready offers as a subset of their own, with its own dump."""
    info = meta.get("dumps", {}).get(EUROPASS_DUMP)
    if info is None:
        return
    subset = f"{dataset}#europass-ready"
    g.add(dataset, VOID + "subset", subset)
    g.add(subset, RDF_TYPE, VOID + "Dataset")
    g.text(subset, DCTERMS + "title", "Europass-ready offers", "en")
    g.text(subset, DCTERMS + "description", "The offers that conform to the official Europass LOQ shapes: " + info.get("holds", "") + ".", "en")
    g.add(subset, VOID + "dataDump", f"{config.base}dumps/{EUROPASS_DUMP}")
    g.add(subset, VOID + "triples", _int(info.get("statements", 0)))
    offers = ox.BlankNode()
    g.add(subset, VOID + "classPartition", offers)
    g.add(offers, VOID + "class", ELM + "LearningOpportunity")
    g.add(offers, VOID + "entities", _int(meta.get("europass ready offers", 0)))


def dcat_catalogue(config: Config, meta: dict) -> list[ox.Triple]:
    """DCAT-AP 3: the catalogue, its dataset, the dumps, the endpoint and the change feed."""
    g = Triples()
    base = config.base
    catalogue = f"{base}catalogue"
    dataset = dataset_iri(config)
    publisher = f"{base}publisher"
    modified = meta.get("created")
    g.add(catalogue, RDF_TYPE, DCAT + "Catalog")
    _titled(g, config, catalogue, "catalogue")
    g.add(catalogue, DCTERMS + "publisher", publisher)
    g.add(catalogue, DCTERMS + "license", config.licence)
    g.add(catalogue, FOAF + "homepage", base)
    g.add(catalogue, DCAT + "dataset", dataset)
    g.add(catalogue, DCAT + "service", f"{base}sparql#service")
    g.add(catalogue, DCAT + "themeTaxonomy", "http://publications.europa.eu/resource/authority/data-theme")
    if modified:
        g.add(catalogue, DCTERMS + "modified", _time(modified))
    record = f"{base}catalogue/record"
    g.add(catalogue, DCAT + "record", record)
    g.add(record, RDF_TYPE, DCAT + "CatalogRecord")
    g.add(record, FOAF + "primaryTopic", dataset)
    if modified:
        g.add(record, DCTERMS + "modified", _time(modified))
    g.add(publisher, RDF_TYPE, FOAF + "Agent")
    g.text(publisher, FOAF + "name", config.publisher)
    g.add(publisher, DCTERMS + "type", "http://purl.org/adms/publishertype/NationalAuthority")
    _dataset_core(g, config, meta, dataset)
    g.add(dataset, DCAT + "theme", DATA_THEME_EDUCATION)
    for word in ("micro-credentials", "learning opportunities", "European Learning Model", "mikromeriter"):
        g.text(dataset, DCAT + "keyword", word, "sv" if word == "mikromeriter" else "en")
    dumps = meta.get("dumps", {})
    for url, name, compressed in dump_urls(config, meta):
        info = dumps[name]
        fmt = info.get("format", "")
        media = info.get("media type") or MEDIA_TYPES.get(fmt, "application/octet-stream")
        distribution = f"{url}#distribution"
        g.add(dataset, DCAT + "distribution", distribution)
        g.add(distribution, RDF_TYPE, DCAT + "Distribution")
        label = FORMAT_NAMES.get(fmt, fmt)
        title = info.get("title") or f"Full dump, {label}, gzip-compressed file"
        g.text(distribution, DCTERMS + "title", title if compressed else title.replace(", gzip-compressed file", ""), "en")
        holds = info.get("holds") or DUMP_CONTENT.get(fmt, "")
        if compressed:
            g.text(distribution, DCTERMS + "description", f"{label} in one gzip file ({media} compressed with gzip): {holds}.", "en")
        else:
            g.text(distribution, DCTERMS + "description",
                   f"{label} ({media}): {holds}. Sent gzip-encoded (Content-Encoding: gzip) to clients that accept it, "
                   "otherwise decompressed.", "en")
        g.add(distribution, DCAT + "accessURL", url)
        g.add(distribution, DCAT + "downloadURL", url)
        g.add(distribution, DCAT + "mediaType", IANA + media)
        if fmt in FILE_TYPES:
            g.add(distribution, DCTERMS + "format", FILE_TYPE + FILE_TYPES[fmt])
        g.add(distribution, DCTERMS + "license", config.licence)
        if modified:
            g.add(distribution, DCTERMS + "modified", _time(modified))
        if compressed:
            g.add(distribution, DCAT + "compressFormat", IANA + "application/gzip")
            g.add(distribution, DCAT + "byteSize", _int(info.get("bytes", 0), "nonNegativeInteger"))
            checksum = ox.BlankNode()
            g.add(distribution, SPDX + "checksum", checksum)
            g.add(checksum, RDF_TYPE, SPDX + "Checksum")
            g.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
            g.add(checksum, SPDX + "checksumValue", ox.Literal(info.get("sha256", ""), datatype=ox.NamedNode(XSD + "hexBinary")))
        elif "uncompressed bytes" in info:
            g.add(distribution, DCAT + "byteSize", _int(info["uncompressed bytes"], "nonNegativeInteger"))
    endpoint = f"{base}sparql#distribution"
    g.add(dataset, DCAT + "distribution", endpoint)
    g.add(endpoint, RDF_TYPE, DCAT + "Distribution")
    g.text(endpoint, DCTERMS + "title", "SPARQL 1.1 endpoint", "en")
    g.add(endpoint, DCAT + "accessURL", f"{base}sparql")
    g.add(endpoint, DCAT + "accessService", f"{base}sparql#service")
    g.add(endpoint, DCTERMS + "license", config.licence)
    service = f"{base}sparql#service"
    g.add(service, RDF_TYPE, DCAT + "DataService")
    g.text(service, DCTERMS + "title", f"{config.title}: SPARQL endpoint", "en")
    g.add(service, DCAT + "endpointURL", f"{base}sparql")
    g.add(service, DCAT + "endpointDescription", f"{base}sparql")
    g.add(service, DCAT + "servesDataset", dataset)
    g.add(service, DCTERMS + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    g.add(service, DCTERMS + "license", config.licence)
    g.add(service, DCTERMS + "publisher", publisher)
    feed = f"{base}feed#distribution"
    g.add(dataset, DCAT + "distribution", feed)
    g.add(feed, RDF_TYPE, DCAT + "Distribution")
    g.add(feed, RDF_TYPE, LDES + "EventSource")
    g.text(feed, DCTERMS + "title", "Change feed (Linked Data Event Stream)", "en")
    g.add(feed, DCAT + "accessURL", f"{base}feed")
    g.add(feed, DCTERMS + "conformsTo", "https://w3id.org/ldes/specification")
    g.add(feed, DCTERMS + "license", config.licence)
    g.add(feed, DCAT + "mediaType", IANA + "text/turtle")
    return g.triples


def _titled(g: Triples, config: Config, node: str, kind: str) -> None:
    titles = {
        "catalogue": ("Katalog över utbildningar som leder till mikromeriter", "Catalogue of learning opportunities leading to micro-credentials"),
    }
    sv, en = titles[kind]
    g.text(node, DCTERMS + "title", sv, "sv")
    g.text(node, DCTERMS + "title", en, "en")
    g.text(node, DCTERMS + "description",
           "Utbildningsutbud beskrivet enligt European Learning Model (ELM), kontrollerat mot Europass-profilen och "
           "rådets rekommendation om mikromeriter.", "sv")
    g.text(node, DCTERMS + "description",
           "Learning opportunities described with the European Learning Model (ELM), checked against the Europass "
           "profile and the Council Recommendation on micro-credentials.", "en")


def _dataset_core(g: Triples, config: Config, meta: dict, dataset: str) -> None:
    g.add(dataset, RDF_TYPE, DCAT + "Dataset")
    g.text(dataset, DCTERMS + "title", config.title)
    g.text(dataset, DCTERMS + "description",
           f"{meta.get('offers', 0)} learning opportunities from {len(meta.get('sources', {}))} sources, as ELM v3.", "en")
    g.add(dataset, DCTERMS + "license", config.licence)
    g.add(dataset, DCTERMS + "publisher", f"{config.base}publisher")
    g.add(dataset, DCAT + "landingPage", config.base)
    if meta.get("created"):
        g.add(dataset, DCTERMS + "modified", _time(meta["created"]))
    g.add(dataset, DCTERMS + "conformsTo", "http://data.europa.eu/snb/model/ap/loq-constraints")
    for lang in config.languages:
        code = {"sv": "SWE", "en": "ENG"}.get(lang)
        if code:
            g.add(dataset, DCTERMS + "language", f"http://publications.europa.eu/resource/authority/language/{code}")
    g.add(dataset, TREE + "view", f"{config.base}feed")


def graph_sizes(meta: dict) -> dict[str, int | None]:
    """Every named graph of a generation with its size (None where the generation did not count it)."""
    sizes: dict[str, int | None] = {graph: None for graph in meta.get("graphs", [])}
    sizes.update((meta.get("counts") or {}).get("graphs") or {})
    return sizes
