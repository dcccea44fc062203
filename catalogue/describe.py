"""The catalogue describing itself: SPARQL 1.1 Service Description, VoID, and a DCAT-AP 3 catalogue.

A platform engineer who finds the endpoint can learn from these what is
there (graphs, sizes, classes, example resources), under which licence, who
publishes it, how fresh it is, and where the dumps and the change feed are.
Counts and times come from the published generation's metadata.
"""

from __future__ import annotations

import pyoxigraph as ox

from .config import Config
from .namespaces import DCAT, DCTERMS, ELM, FOAF, LDES, RDF_TYPE, RDFS, SD, SKOS, TREE, VOID, XSD
from .records import source_iri

FORMATS = "http://www.w3.org/ns/formats/"
SPDX = "http://spdx.org/rdf/terms#"
IANA = "http://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
DATA_THEME_EDUCATION = "http://publications.europa.eu/resource/authority/data-theme/EDUC"
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG",
)
DUMP_TYPES = {
    "catalogue.nq.gz": ("application/n-quads", "RDF_N_QUADS"),
    "catalogue.ttl.gz": ("text/turtle", "RDF_TURTLE"),
}


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
    g.add(default, VOID + "triples", _int(_public_triples(meta)))
    for name, size in graph_sizes(config, meta).items():
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
    g.text(dataset, VOID + "uriSpace", base)
    for name in meta.get("dumps", {}):
        g.add(dataset, VOID + "dataDump", f"{base}dumps/{name}")
    for vocabulary in (ELM, DCTERMS, SKOS, FOAF, "http://www.w3.org/ns/regorg#", DCAT):
        g.add(dataset, VOID + "vocabulary", vocabulary)
    g.add(dataset, VOID + "triples", _int(_public_triples(meta)))
    offers = int(meta.get("offers", 0))
    g.add(dataset, VOID + "entities", _int(offers))
    partition = ox.BlankNode()
    g.add(dataset, VOID + "classPartition", partition)
    g.add(partition, VOID + "class", ELM + "LearningOpportunity")
    g.add(partition, VOID + "entities", _int(offers))
    if example:
        g.add(dataset, VOID + "exampleResource", example)
    g.add(dataset, VOID + "rootResource", f"{base}feed")
    for source_id, counts in sorted(meta.get("sources", {}).items()):
        subset = source_iri(base, source_id)
        g.add(dataset, VOID + "subset", subset)
        g.add(subset, RDF_TYPE, VOID + "Dataset")
        g.text(subset, DCTERMS + "identifier", source_id)
        g.add(subset, VOID + "triples", _int(counts.get("triples", 0)))
        g.add(subset, VOID + "entities", _int(counts.get("offers", 0)))
        g.add(subset, SD + "name", f"{base}graph/source/{source_id}")
    return g.triples


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
    for name, info in sorted(meta.get("dumps", {}).items()):
        media, file_type = DUMP_TYPES.get(name, ("application/octet-stream", "BIN"))
        distribution = f"{base}dumps/{name}#distribution"
        g.add(dataset, DCAT + "distribution", distribution)
        g.add(distribution, RDF_TYPE, DCAT + "Distribution")
        g.text(distribution, DCTERMS + "title", f"Full dump ({info.get('format')}, gzip)", "en")
        g.add(distribution, DCAT + "accessURL", f"{base}dumps/{name}")
        g.add(distribution, DCAT + "downloadURL", f"{base}dumps/{name}")
        g.add(distribution, DCAT + "mediaType", IANA + media)
        g.add(distribution, DCAT + "compressFormat", IANA + "application/gzip")
        g.add(distribution, DCTERMS + "format", FILE_TYPE + file_type)
        g.add(distribution, DCAT + "byteSize", _int(info.get("bytes", 0), "nonNegativeInteger"))
        g.add(distribution, DCTERMS + "license", config.licence)
        if modified:
            g.add(distribution, DCTERMS + "modified", _time(modified))
        checksum = ox.BlankNode()
        g.add(distribution, SPDX + "checksum", checksum)
        g.add(checksum, RDF_TYPE, SPDX + "Checksum")
        g.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
        g.add(checksum, SPDX + "checksumValue", ox.Literal(info.get("sha256", ""), datatype=ox.NamedNode(XSD + "hexBinary")))
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


def _public_triples(meta: dict) -> int:
    return sum(int(s.get("triples", 0)) for s in meta.get("sources", {}).values()) + int(meta.get("vocabulary_triples", 0))


def graph_sizes(config: Config, meta: dict) -> dict[str, int | None]:
    sizes: dict[str, int | None] = {g: None for g in meta.get("graphs", [])}
    for source_id, counts in meta.get("sources", {}).items():
        sizes[f"{config.base}graph/source/{source_id}"] = counts.get("triples")
    return sizes
