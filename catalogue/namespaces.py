"""The RDF namespaces the catalogue reads and writes, in one place.

ELM 3.0-3.2 use ``http://data.europa.eu/snb/model/elm/``; ELM 3.3 moved the same
local names to ``http://data.europa.eu/snb/model/ontology/`` (see
``catalogue.harvest.rdfio`` for how data in the newer namespace is read).
"""

from __future__ import annotations

ELM = "http://data.europa.eu/snb/model/elm/"
ELM_33 = "http://data.europa.eu/snb/model/ontology/"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
ROV = "http://www.w3.org/ns/regorg#"
ADMS = "http://www.w3.org/ns/adms#"
ORG = "http://www.w3.org/ns/org#"
LOCN = "http://www.w3.org/ns/locn#"
CLV = "http://data.europa.eu/m8g/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SCHEMA = "https://schema.org/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
TREE = "https://w3id.org/tree#"
LDES = "https://w3id.org/ldes#"

# The project's own terms and shapes.
MCC = "https://w3id.org/mc-catalogue/ns#"
ANNEX = "https://w3id.org/mc-catalogue/annex-i/"
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
PUBLISHING_SHAPES = "https://w3id.org/mc-catalogue/shapes/publishing#"
MICROCREDENTIAL_SHAPES = "https://w3id.org/mc-catalogue/shapes/microcredential#"

RDF_TYPE = RDF + "type"
LEARNING_OPPORTUNITY = ELM + "LearningOpportunity"
SKOS_CONCEPT = SKOS + "Concept"
SKOS_CONCEPT_SCHEME = SKOS + "ConceptScheme"
SKOS_IN_SCHEME = SKOS + "inScheme"

PREFIXES: dict[str, str] = {
    "elm": ELM,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "foaf": FOAF,
    "rov": ROV,
    "adms": ADMS,
    "org": ORG,
    "locn": LOCN,
    "clv": CLV,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "sh": SH,
    "prov": PROV,
    "void": VOID,
    "sd": SD,
    "schema": SCHEMA,
    "hydra": HYDRA,
    "tree": TREE,
    "ldes": LDES,
    "mcc": MCC,
    "annex": ANNEX,
    "pub": PUBLISHING_SHAPES,
    "mcp": MICROCREDENTIAL_SHAPES,
}


def curie(iri: str) -> str:
    """Shorten an IRI with the catalogue's prefixes, or return it in angle brackets."""
    best = ""
    found = f"<{iri}>"
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            local = iri[len(namespace):]
            if local and all(c.isalnum() or c in "-_." for c in local):
                best = namespace
                found = f"{prefix}:{local}"
    return found


def sparql_prefixes() -> str:
    """PREFIX declarations for every namespace above, for SPARQL text."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
