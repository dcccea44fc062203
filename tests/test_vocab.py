"""The vocabulary in vocab/: EU concept IRIs, Swedish and English labels, free-text matching."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from catalogue.namespaces import SKOS
from catalogue.vocab import (
    COUNTRY_SCHEME,
    CURRENCY_SCHEME,
    EQF_SCHEME,
    ISCED_SCHEME,
    LANGUAGE_SCHEME,
    MODE_SCHEME,
    load_vocabulary,
)

from .conftest import SHARED

EU_OFFICIAL_LANGUAGES = "BUL CES DAN DEU ELL ENG EST FIN FRA GLE HRV HUN ITA LAV LIT MLT NLD POL POR RON SLK SLV SPA SWE".split()
EU_COUNTRIES = (
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE".split()
)


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def labels_of(vocabulary, iri: str, predicate: str = SKOS + "prefLabel") -> list[ox.Literal]:
    return [q.object for q in vocabulary.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None)]


def test_schemes_have_the_expected_size(vocabulary):
    assert len(vocabulary.concepts(EQF_SCHEME)) == 8
    assert len(vocabulary.concepts(ISCED_SCHEME)) == 220
    assert len(vocabulary.concepts(MODE_SCHEME)) >= 3
    assert len(vocabulary.concepts(CURRENCY_SCHEME)) >= 12


def test_every_official_eu_language_and_country_is_there(vocabulary):
    languages = set(vocabulary.concepts(LANGUAGE_SCHEME))
    for code in EU_OFFICIAL_LANGUAGES:
        assert f"{LANGUAGE_SCHEME}/{code}" in languages, code
    countries = set(vocabulary.concepts(COUNTRY_SCHEME))
    for code in EU_COUNTRIES + ["NOR", "ISL", "LIE", "CHE", "GBR", "UKR"]:
        assert f"{COUNTRY_SCHEME}/{code}" in countries, code


def test_every_concept_has_one_swedish_and_one_english_label(vocabulary):
    problems = []
    for concept in vocabulary.schemes_of:
        labels = labels_of(vocabulary, concept)
        for lang in ("sv", "en"):
            count = sum(1 for label in labels if label.language == lang)
            if count != 1:
                problems.append(f"{concept}: {count} prefLabel@{lang}")
        if len(labels_of(vocabulary, concept, SKOS + "notation")) > 1:
            problems.append(f"{concept}: more than one notation")
    assert not problems, problems[:10]


def test_isced_codes_have_notations_and_broader_links(vocabulary):
    for concept in vocabulary.concepts(ISCED_SCHEME):
        code = concept.rsplit("/", 1)[-1]
        assert vocabulary.notations[concept] == code
        broader = labels_of(vocabulary, concept, SKOS + "broader")
        if len(code) > 2:
            assert broader and broader[0].value == f"http://data.europa.eu/snb/isced-f/{code[:-1]}", concept


def test_labels_are_real_swedish(vocabulary):
    assert vocabulary.label("http://data.europa.eu/snb/eqf/6", "sv") == "Nivå 6"
    assert vocabulary.label(f"{LANGUAGE_SCHEME}/SWE", "sv") == "svenska"
    assert vocabulary.label(f"{COUNTRY_SCHEME}/DEU", "sv") == "Tyskland"
    assert vocabulary.label("http://data.europa.eu/snb/isced-f/0613", "sv") == "Programvaru- och applikationsutveckling och analys"
    assert vocabulary.label("http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "sv") == "Distans"


@pytest.mark.parametrize(
    "scheme, text, expected",
    [
        (MODE_SCHEME, "distans", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"),
        (MODE_SCHEME, "Fernunterricht", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"),
        (MODE_SCHEME, "online", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"),
        (MODE_SCHEME, "på plats", "http://data.europa.eu/snb/learning-assessment/9191af2ed9"),
        (EQF_SCHEME, "Level 6", "http://data.europa.eu/snb/eqf/6"),
        (EQF_SCHEME, "EQF 6", "http://data.europa.eu/snb/eqf/6"),
        (LANGUAGE_SCHEME, "sv", f"{LANGUAGE_SCHEME}/SWE"),
        (LANGUAGE_SCHEME, "Svenska", f"{LANGUAGE_SCHEME}/SWE"),
        (COUNTRY_SCHEME, "SE", f"{COUNTRY_SCHEME}/SWE"),
        (CURRENCY_SCHEME, "eur", f"{CURRENCY_SCHEME}/EUR"),
    ],
)
def test_free_text_maps_to_concepts(vocabulary, scheme, text, expected):
    match = vocabulary.match(scheme, text)
    assert match is not None and match[0] == expected


def test_unknown_text_does_not_match(vocabulary):
    assert vocabulary.match(MODE_SCHEME, "by carrier pigeon") is None


def test_annex_elements_are_ordered_and_labelled(vocabulary):
    elements = vocabulary.annex_elements()
    offer_mandatory = [e.key for e in elements if e.mandatory and e.offer_level]
    assert offer_mandatory == [
        "title", "provider-country", "awarding-body", "learning-outcomes", "workload", "level",
        "assessment-type", "participation-form", "quality-assurance",
    ]
    assert all(e.labels.get("sv") and e.labels.get("en") for e in elements)


@pytest.mark.skipif(not (SHARED / "elm").is_dir(), reason="../shared/elm is not beside the checkout")
def test_concept_iris_are_the_eus_own(vocabulary):
    reference = ox.Store()
    reference.load(path=str(SHARED / "elm" / "vocab" / "elm-controlled-lists.ttl"), format=ox.RdfFormat.TURTLE)
    known = {q.subject.value for q in reference.quads_for_pattern(None, ox.NamedNode(SKOS + "inScheme"), None)}
    known |= {q.subject.value for q in reference}  # note topics carry no scheme there
    project = ("https://w3id.org/mc-catalogue/",)
    foreign = [c for c in vocabulary.schemes_of if c not in known and not c.startswith(project)]
    assert not foreign, foreign[:10]
