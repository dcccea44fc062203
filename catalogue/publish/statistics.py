"""Offers per EQF level, field, provider, country … as a statistics graph, kept at publish time.

Platforms ask the endpoint how many offers there are per level or per provider. Asked as a ``GROUP BY`` over every
offer, that is a scan that passes the endpoint's time limit at 100,000 offers on the embedded store; the search
index already holds each facet value's offers as a bitmap whose size is the count. Those sizes are written here as
one W3C Data Cube (``qb:``) data set per facet, in the public graph ``BASE/graph/statistics``, so the same
question is a lookup:

    PREFIX qb: <http://purl.org/linked-data/cube#>
    PREFIX mcc: <https://w3id.org/mc-catalogue/ns#>
    SELECT ?level ?offers WHERE {
      ?o qb:dataSet <BASE/dataset/statistics/eqf> ; mcc:eqfLevel ?level ; mcc:offers ?offers }

Each observation counts the published offers (current, ended and cancelled alike; the ``status`` data set splits
them) that have the dimension's value; an offer with two fields counts under both. Values that are IRIs (levels,
fields, providers, countries, modes, languages, schedules) are IRIs, so their labels come from the vocabulary graph.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from catalogue.iris import source_iri
from catalogue.namespaces import DCTERMS, MCC, RDF_TYPE, RDFS, XSD

QB = "http://purl.org/linked-data/cube#"


@dataclass(frozen=True)
class Dimension:
    facet: str  # the search index's facet
    prop: str  # local name of the dimension property in the catalogue's namespace
    titles: dict[str, str]  # the data set's title: "Offers per …"
    iris: bool  # values are IRIs


DIMENSIONS = (
    Dimension("eqf", "eqfLevel", {"en": "Offers per EQF level", "sv": "Utbildningar per EQF-nivå"}, True),
    Dimension("field", "fieldOfEducation", {"en": "Offers per field of education (ISCED-F)", "sv": "Utbildningar per utbildningsområde (ISCED-F)"}, True),
    Dimension("broad_field", "broadFieldOfEducation", {"en": "Offers per broad field of education (ISCED-F)", "sv": "Utbildningar per brett utbildningsområde (ISCED-F)"}, True),
    Dimension("provider", "provider", {"en": "Offers per provider", "sv": "Utbildningar per anordnare"}, True),
    Dimension("country", "country", {"en": "Offers per country (the provider's or a place's)", "sv": "Utbildningar per land (anordnarens eller en studieorts)"}, True),
    Dimension("mode", "mode", {"en": "Offers per mode of learning", "sv": "Utbildningar per studieform"}, True),
    Dimension("language", "language", {"en": "Offers per language of instruction", "sv": "Utbildningar per undervisningsspråk"}, True),
    Dimension("schedule", "learningSchedule", {"en": "Offers per learning schedule", "sv": "Utbildningar per studietakt (hel- eller deltid)"}, True),
    Dimension("source", "source", {"en": "Offers per source", "sv": "Utbildningar per källa"}, True),
    Dimension("status", "timeStatus", {"en": "Offers per status in time (current, ended, cancelled)", "sv": "Utbildningar per status (aktuell, avslutad, inställd)"}, False),
    Dimension("microcredential", "completeMicroCredential", {"en": "Offers that are complete micro-credentials, and the others", "sv": "Utbildningar som är fullständiga mikromeriter, och övriga"}, False),
)
MEASURE = MCC + "offers"


def facet_sizes(search_path: Path) -> dict[str, dict[str, int]]:
    """Each statistics facet's values with their number of offers, from the search index at ``search_path``."""
    wanted = {d.facet for d in DIMENSIONS}
    found: dict[str, dict[str, int]] = {d.facet: {} for d in DIMENSIONS}
    db = sqlite3.connect(f"file:{search_path}?mode=ro", uri=True)
    try:
        for facet, value, size in db.execute("SELECT facet, value, size FROM value_sets WHERE size > 0 ORDER BY facet, value"):
            if facet in wanted:
                found[facet][value] = size
    finally:
        db.close()
    return found


def statistics_triples(base: str, sizes: dict[str, dict[str, int]]) -> list[ox.Triple]:
    """The statistics graph: the structure of each data set, and one observation per facet value. It carries no
    date, so that a graph whose counts did not change is the same graph and its dump part is reused; when it was
    counted is the generation's date, in the VoID and DCAT descriptions."""
    triples: list[ox.Triple] = []

    def add(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | ox.BlankNode | str) -> None:
        triples.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(obj) if isinstance(obj, str) else obj))

    add(MEASURE, RDF_TYPE, QB + "MeasureProperty")
    add(MEASURE, RDFS + "label", ox.Literal("number of offers", language="en"))
    add(MEASURE, RDFS + "label", ox.Literal("antal utbildningar", language="sv"))
    add(MEASURE, RDFS + "range", XSD + "integer")
    for dimension in DIMENSIONS:
        data_set = f"{base}dataset/statistics/{dimension.facet}"
        structure = f"{data_set}#structure"
        prop = MCC + dimension.prop
        add(prop, RDF_TYPE, QB + "DimensionProperty")
        add(prop, RDFS + "label", ox.Literal(dimension.prop, language="en"))
        add(data_set, RDF_TYPE, QB + "DataSet")
        add(data_set, DCTERMS + "isPartOf", f"{base}dataset")
        for lang, title in dimension.titles.items():
            add(data_set, DCTERMS + "title", ox.Literal(title, language=lang))
        add(data_set, QB + "structure", structure)
        add(structure, RDF_TYPE, QB + "DataStructureDefinition")
        for kind, component in (("dimension", prop), ("measure", MEASURE)):
            node = f"{structure}-{kind}"
            add(structure, QB + "component", node)
            add(node, RDF_TYPE, QB + "ComponentSpecification")
            add(node, QB + kind, component)
        for value, offers in sizes.get(dimension.facet, {}).items():
            observation = f"{data_set}/{hashlib.sha256(value.encode()).hexdigest()[:16]}"
            add(observation, RDF_TYPE, QB + "Observation")
            add(observation, QB + "dataSet", data_set)
            shown = source_iri(base, value) if dimension.facet == "source" else value
            add(observation, prop, _term(shown) if dimension.iris else ox.Literal(shown))
            add(observation, MEASURE, ox.Literal(str(offers), datatype=ox.NamedNode(XSD + "integer")))
    return triples


def _term(value: str) -> ox.NamedNode | ox.Literal:
    """An IRI as an IRI; a provider identifier that is not one (the data's own) stays a literal rather than failing."""
    try:
        return ox.NamedNode(value)
    except ValueError:
        return ox.Literal(value)
