"""The rudof engine gives exactly pyshacl's findings: same dicts, same order, on every input tried here.

pyshacl (``ShaclEngine``) is the reference. Each case compares
``RudofEngine().validate(batch)`` with ``ShaclEngine().validate(batch)`` on
the example data, generated offers, every breakage of tests/test_shapes.py and
a set of nasty inputs, and checks whether the batch took rudof's fast path or
was handed to pyshacl (a batch holding something the two engines could read
differently is validated by pyshacl; see catalogue/shacl_rudof.py).
"""

from __future__ import annotations

import importlib.util
import sys

import pyoxigraph as ox
import pytest
from rdflib import Graph

from catalogue.harvest.rdfio import parse_rdf, read_rdf
from catalogue.namespaces import sparql_prefixes
from catalogue.validation.offers import extract_offers
from catalogue.validation.shacl import BatchOffer, ShaclEngine
from catalogue.validation.validator import (
    Validator,
    ValidatorSettings,
    _payload,
    resolve_engine,
    validator_settings,
)
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, ROOT
from .test_shapes import BREAKAGES, EUROPASS_GAPS, MISSING, OFFER, SPEC_OF_OFFER

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402

HAVE_RUDOF = importlib.util.find_spec("pyrudof") is not None
requires_rudof = pytest.mark.skipif(
    not HAVE_RUDOF, reason="pyrudof is not installed: the rudof engine is optional (pip install pyrudof)"
)

FAST, PYSHACL = "fast", "pyshacl"


@pytest.fixture(scope="module")
def reference():
    return ShaclEngine(load_vocabulary())


@pytest.fixture(scope="module")
def rudof():
    from catalogue.validation.rudof import RudofEngine

    return RudofEngine(load_vocabulary())


@pytest.fixture(scope="module")
def example_store():
    store = ox.Store()
    store.load(path=str(EXAMPLES / "norrsunda-universitet.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def records_of(content: bytes, name: str):
    return extract_offers(parse_rdf(content, name).quads, load_vocabulary(), BASE).offers


def after(example_store, update: str):
    store = ox.Store()
    store.extend(example_store)
    store.update(sparql_prefixes() + update)
    return records_of(ox.serialize(store, format=ox.RdfFormat.N_QUADS), "mutated.nq")


def same_findings(reference, rudof, batch: list[BatchOffer]) -> str:
    """Assert both engines agree on ``batch``; say which path the rudof engine took."""
    before = rudof.fallbacks
    got, want = outcome(rudof, batch), outcome(reference, batch)
    if isinstance(want, str) or isinstance(got, str):  # an exception: both must raise the same
        assert got == want
    elif got != want:
        lines = []
        for offer, mine, theirs in zip(batch, got, want):
            if mine != theirs:
                lines.append(f"offer {offer.iri}:")
                lines += [f"  only rudof:   {f}" for f in mine if f not in theirs]
                lines += [f"  only pyshacl: {f}" for f in theirs if f not in mine]
                if not lines[-1].startswith("  only"):
                    lines.append("  same findings, different order")
        pytest.fail("\n".join(lines[:40]))
    return FAST if rudof.fallbacks == before else PYSHACL


def outcome(engine, batch):
    try:
        return engine.validate(batch)
    except Exception as error:  # noqa: BLE001 - pyshacl itself fails on some inputs (see NASTY)
        return f"{type(error).__name__}"


# -- the example data and generated offers -------------------------------------


@requires_rudof
def test_example_files_one_batch_each_and_all_together(reference, rudof):
    everything = []
    for path in sorted(EXAMPLES.glob("*.ttl")):
        batch = [_payload(r) for r in extract_offers(read_rdf(str(path)).quads, load_vocabulary(), BASE).offers]
        assert same_findings(reference, rudof, batch) == FAST
        everything += batch
    assert same_findings(reference, rudof, everything) == FAST


@requires_rudof
@pytest.mark.parametrize("size", [1, 150])
def test_generated_offers_including_broken_ones(reference, rudof, size):
    records = records_of(generate_document(600), "generated.ttl")
    for start in range(0, len(records) if size > 1 else 60, size):
        batch = [_payload(r) for r in records[start:start + size]]
        assert same_findings(reference, rudof, batch) == FAST


@requires_rudof
def test_changed_generated_offers(reference, rudof):
    records = records_of(generate_document(300, changed=frozenset(range(0, 300, 7))), "changed.ttl")
    assert same_findings(reference, rudof, [_payload(r) for r in records[:150]]) == FAST


# -- every breakage of the shape tests ---------------------------------------------


# An xsd:dateTime without a time is ill-typed: rudof says so, rdflib does not (the
# shapes' pattern catches it), so that batch is rightly handed to pyshacl.
ILL_TYPED = {"a date without time typed xsd:dateTime"}


@requires_rudof
@pytest.mark.parametrize("name, update", [(b[0], b[1]) for b in BREAKAGES + EUROPASS_GAPS], ids=[b[0] for b in BREAKAGES + EUROPASS_GAPS])
def test_each_shape_test_breakage(reference, rudof, example_store, name, update):
    batch = [_payload(r) for r in after(example_store, update)]
    assert same_findings(reference, rudof, batch) == (PYSHACL if name in ILL_TYPED else FAST)


@requires_rudof
@pytest.mark.parametrize("element, update", MISSING, ids=[m[0] for m in MISSING])
def test_each_missing_annex_element(reference, rudof, example_store, element, update):
    batch = [_payload(r) for r in after(example_store, update.format(s=SPEC_OF_OFFER))]
    assert same_findings(reference, rudof, batch) == FAST


# -- nasty inputs ----------------------------------------------------------------------

PERIOD = f"<{OFFER}> dcterms:temporal ?p ."
AMOUNT = f"<{OFFER}> elm:priceDetail ?pd . ?pd elm:amount ?a ."
HOMEPAGE = f"<{OFFER}> foaf:homepage ?h ."
CREDIT = f"{SPEC_OF_OFFER} ?spec elm:creditPoint ?c ."
ORG = f"<{OFFER}> elm:providedBy ?org ."


def replace(where: str, node: str, prop: str, value: str) -> str:
    """Replace every value of ``prop`` on ``node`` (bound by ``where``) with ``value``."""
    return f"DELETE {{ {node} {prop} ?old }} INSERT {{ {node} {prop} {value} }} WHERE {{ {where} OPTIONAL {{ {node} {prop} ?old }} }}"


def add(where: str, node: str, prop: str, value: str) -> str:
    return f"INSERT {{ {node} {prop} {value} }} WHERE {{ {where} }}"


def start(value: str) -> str:
    return replace(PERIOD, "?p", "elm:startDate", value)


def price(value: str) -> str:
    return replace(AMOUNT, "?a", "rdf:value", value)


def url(value: str) -> str:
    return replace(HOMEPAGE, "?h", "elm:contentUrl", value)


def point(value: str) -> str:
    return replace(CREDIT, "?c", "elm:point", value)


def title(value: str) -> str:
    return add("", f"<{OFFER}>", "dcterms:title", value)


NASTY = [
    # dates: sh:datatype and sh:lessThanOrEquals (compared with pyshacl's own code)
    ("ill-typed date-time", start('"2027-13-45T00:00:00Z"^^xsd:dateTime'), PYSHACL),
    ("text typed as date-time", start('"next autumn"^^xsd:dateTime'), PYSHACL),
    ("start xsd:date, end xsd:dateTime", start('"2027-08-30"^^xsd:date'), FAST),
    ("end xsd:date, start xsd:dateTime", replace(PERIOD, "?p", "elm:endDate", '"2027-08-30"^^xsd:date'), FAST),
    ("start without time zone", start('"2027-08-30T00:00:00"^^xsd:dateTime'), FAST),
    ("start with a fraction of a second", start('"2027-08-30T00:00:00.5Z"^^xsd:dateTime'), FAST),
    ("start equal to end", replace(PERIOD, "?p", "elm:startDate", "?e") .replace("OPTIONAL", "?p elm:endDate ?e . OPTIONAL"), FAST),
    ("start after end, +01:00 against Z", start('"2028-01-01T00:30:00+01:00"^^xsd:dateTime'), FAST),
    ("start 24:00:00", start('"2027-08-30T24:00:00Z"^^xsd:dateTime'), FAST),
    ("start in year 12027", start('"12027-08-30T00:00:00Z"^^xsd:dateTime'), PYSHACL),
    ("start before year 1", start('"-0001-08-30T00:00:00Z"^^xsd:dateTime'), PYSHACL),
    ("start as plain text", start('"2027-08-30"'), FAST),
    ("start as an IRI", start("<https://x.example/some-day>"), FAST),
    ("two start dates", add(PERIOD, "?p", "elm:startDate", '"2027-09-01T00:00:00Z"^^xsd:dateTime'), FAST),
    ("start as xsd:dateTimeStamp", start('"2027-08-30T00:00:00Z"^^xsd:dateTimeStamp'), FAST),
    ("no end date", f"DELETE {{ ?p elm:endDate ?e }} WHERE {{ {PERIOD} ?p elm:endDate ?e }}", FAST),
    ("period without type", f"DELETE {{ ?p a ?t }} WHERE {{ {PERIOD} ?p a ?t }}", FAST),
    # prices: sh:datatype and sh:minInclusive
    ("price abc", price('"abc"^^xsd:decimal'), PYSHACL),
    ("price zero", price('"0"^^xsd:decimal'), FAST),
    ("price minus zero", price('"-0.0"^^xsd:decimal'), FAST),
    ("price as integer", price('"100"^^xsd:integer'), FAST),
    ("negative integer price", price('"-3"^^xsd:integer'), FAST),
    ("price as double", price('"1e3"^^xsd:double'), FAST),
    ("price NaN", price('"NaN"^^xsd:double'), FAST),
    ("price -INF", price('"-INF"^^xsd:double'), FAST),
    ("price with spaces", price('" 100 "^^xsd:decimal'), PYSHACL),
    ("price as text", price('"100"'), FAST),
    ("price with a language", price('"100"@sv'), FAST),
    ("price as a date", price('"2027-01-01"^^xsd:date'), FAST),
    ("price as an IRI", price("<https://x.example/price>"), FAST),
    ("two prices", add(AMOUNT, "?a", "rdf:value", '"5.50"^^xsd:decimal'), FAST),
    # web addresses: sh:pattern with sh:flags "i", sh:datatype
    ("address ending in a newline", url('"https://x.example/\\n"^^xsd:anyURI'), FAST),
    ("address with U+001F", url('"https://x.example/a\\u001Fb"^^xsd:anyURI'), FAST),
    ("address with a tab", url('"https://x.example/a\\tb"^^xsd:anyURI'), FAST),
    ("address with a no-break space", url('"https://x.example/a\u00a0b"^^xsd:anyURI'), FAST),
    ("address with U+2028", url('"https://x\u2028y.example/"^^xsd:anyURI'), FAST),
    ("address in capitals", url('"HTTPS://X.EXAMPLE/"^^xsd:anyURI'), FAST),
    ("address with a long s", url('"http\u017f://x.example/"^^xsd:anyURI'), FAST),
    ("address with a Kelvin sign", url('"https://\u212a.example/"^^xsd:anyURI'), FAST),
    ("address with a dotless i", url('"https://\u0131.example/"^^xsd:anyURI'), FAST),
    ("address with a space", url('"https://x.example/a b"^^xsd:anyURI'), FAST),
    ("address with a user", url('"https://me@x.example/"^^xsd:anyURI'), FAST),
    ("address with a port", url('"https://x.example:8443/"^^xsd:anyURI'), FAST),
    ("address without host", url('"https:///path"^^xsd:anyURI'), FAST),
    ("address as an IRI", url("<https://x.example/>"), FAST),
    ("address with a language", url('"https://x.example/"@en'), FAST),
    ("two addresses", add(HOMEPAGE, "?h", "elm:contentUrl", '"https://y.example/"^^xsd:anyURI'), FAST),
    ("homepage as text", replace("", f"<{OFFER}>", "foaf:homepage", '"https://x.example/"'), FAST),
    ("homepage without type", f"DELETE {{ ?h a ?t }} WHERE {{ {HOMEPAGE} ?h a ?t }}", FAST),
    ("homepage also a note", add(HOMEPAGE, "?h", "rdf:type", "elm:Note"), FAST),
    # credit points: sh:pattern without flags
    ("points ending in a newline", point('"7.5\\n"'), FAST),
    ("points in full-width digits", point('"\uff17.\uff15"'), FAST),
    ("points 7.50", point('"7.50"'), FAST),
    ("points too many digits", point('"12345"'), FAST),
    ("points as double", point('"7.5"^^xsd:double'), FAST),
    # rdflib would write "1e3" as "1000.0"; both engines read the lexical form the store keeps.
    ("points as double in exponent form", point('"1e3"^^xsd:double'), FAST),
    ("points as decimal", point('"7.5"^^xsd:decimal'), FAST),
    ("points with a language", point('"7.5"@en'), FAST),
    # titles: rdf:langString, sh:uniqueLang
    ("title in capitals language tag", title('"Another title"@EN-GB'), FAST),
    ("titles en-GB and en-gb", title('"Another title"@en-GB') + " ; " + title('"Yet another"@en-gb'), FAST),
    ("title typed xsd:string", title('"Plain"^^xsd:string'), FAST),
    ("long title with quotes", title('"' + 'A \\"quoted\\" back\\\\slash ' * 12 + '"@fi'), FAST),
    ("title with a newline and a control character", title('"Line one\\nline two \\u0001"@da'), FAST),
    ("title with emoji", title('"Data \U0001F4CA analysis"@nb'), FAST),
    ("title as an IRI", title("<https://x.example/title>"), FAST),
    ("title as a date", title('"2027-01-01"^^xsd:date'), FAST),
    ("title with a script subtag", title('"Title"@sr-Latn'), FAST),
    # concepts
    ("mode from the schedule list", replace("", f"<{OFFER}>", "elm:mode", "<http://data.europa.eu/snb/learning-schedule/72a0ab92fa>"), FAST),
    ("language as text", replace("", f"<{OFFER}>", "elm:defaultLanguage", '"SWE"'), FAST),
    ("unknown concept as type", add("", f"<{OFFER}>", "dcterms:type", "<https://x.example/kind>"), FAST),
    ("country from the language list", replace(f"{ORG} ?org elm:location ?l . ?l elm:address ?ad .", "?ad", "elm:countryCode", "<http://publications.europa.eu/resource/authority/language/SWE>"), FAST),
    ("level from ISCED-F", replace(SPEC_OF_OFFER, "?spec", "elm:educationLevel", "<http://data.europa.eu/snb/isced-f/0613>"), FAST),
    (
        "own concept with equal labels",
        add("", f"<{OFFER}>", "elm:targetGroup", "<https://x.example/tg>")
        + ' ; INSERT DATA { <https://x.example/tg> a skos:Concept ; skos:prefLabel "Adults"@en ; skos:altLabel "Adults"@en ; skos:inScheme <https://x.example/scheme> }',
        PYSHACL,
    ),
    # closed shapes and unknown properties
    ("unknown property with an IRI", add("", f"<{OFFER}>", "<https://x.example/p>", "<https://x.example/o>"), FAST),
    ("unknown property with a number", add("", f"<{OFFER}>", "<https://x.example/p>", '"5"^^xsd:integer'), FAST),
    ("unknown property with two lines", add("", f"<{OFFER}>", "<https://x.example/p>", '"a\\nb"'), FAST),
    ("unknown property on the provider", add(ORG, "?org", "<https://schema.org/name>", '"NSU"@sv'), FAST),
    ("status on an accreditation", add(f"{ORG} ?org elm:accreditation ?acc .", "?acc", "elm:status", '"approved"'), FAST),
    ("an extra type", add("", f"<{OFFER}>", "rdf:type", "<https://x.example/Course>"), FAST),
    # specifications
    ("specification as qualification", replace(f"{SPEC_OF_OFFER}", "?spec", "rdf:type", "elm:Qualification"), FAST),
    ("specification typed twice", add(SPEC_OF_OFFER, "?spec", "rdf:type", "elm:Qualification"), FAST),
    ("specification without type", f"DELETE {{ ?spec a ?t }} WHERE {{ {SPEC_OF_OFFER} ?spec a ?t }}", FAST),
    ("specification as text", replace("", f"<{OFFER}>", "elm:learningAchievementSpecification", '"Data analysis"'), FAST),
    ("no specification", f"DELETE WHERE {{ <{OFFER}> elm:learningAchievementSpecification ?s }}", FAST),
    # organisations: sh:disjoint, sh:class with rdfs:subClassOf in the data
    ("alternative name equal to legal name", add(ORG, "?org", "skos:altLabel", '"Norrsunda universitet"@sv'), FAST),
    ("alternative name, same text, other language", add(ORG, "?org", "skos:altLabel", '"Norrsunda universitet"@en'), FAST),
    (
        "provider of a subclass of Organisation",
        replace(ORG, "?org", "rdf:type", "<https://x.example/University>")
        + " ; INSERT DATA { <https://x.example/University> rdfs:subClassOf elm:Organisation }",
        FAST,
    ),
    ("two legal names in one language", add(ORG, "?org", "rov:legalName", '"NSU"@sv'), FAST),
    # sh:in, sh:nodeKind, patterns on IRIs
    ("legal identifier country from NUTS", replace("", "<https://data.norrsunda.example/id/orgnr>", "dcterms:spatial", "<http://data.europa.eu/nuts/code/SE>"), FAST),
    ("legal identifier country from the language list", replace("", "<https://data.norrsunda.example/id/orgnr>", "dcterms:spatial", "<http://publications.europa.eu/resource/authority/language/SWE>"), FAST),
    ("notation as an IRI", replace("", "<https://data.norrsunda.example/id/orgnr>", "skos:notation", "<https://x.example/202100>"), FAST),
    ("mailbox without @", "INSERT DATA { <https://data.norrsunda.example/id/contact-studentservice> elm:emailAddress <mailto:nobody> . <mailto:nobody> a elm:Mailbox }", FAST),
    ("mailbox as a web address", "INSERT DATA { <https://data.norrsunda.example/id/contact-studentservice> elm:emailAddress <https://x.example/> . <https://x.example/> a elm:Mailbox }", FAST),
    ("latitude 91", replace("", "<https://data.norrsunda.example/id/geometry-campus-sundsvall>", "clv:latitude", '"91"'), FAST),
    ("latitude ending in a newline", replace("", "<https://data.norrsunda.example/id/geometry-campus-sundsvall>", "clv:latitude", '"45.5\\n"'), FAST),
    ("skill as text", add(f"{SPEC_OF_OFFER} ?spec elm:learningOutcome ?o .", "?o", "elm:relatedESCOSkill", '"Python"'), FAST),
    (
        "ESCO skill with its scheme",
        add(f"{SPEC_OF_OFFER} ?spec elm:learningOutcome ?o .", "?o", "elm:relatedESCOSkill", "<http://data.europa.eu/esco/skill/x>")
        + " ; INSERT DATA { <http://data.europa.eu/esco/skill/x> a skos:Concept ; skos:inScheme <http://data.europa.eu/esco/concept-scheme/skills> }",
        FAST,
    ),
    # other offers, blank nodes, empty offers
    ("offer part of another offer", add("", f"<{OFFER}>", "elm:isPartOf", "<https://data.norrsunda.example/lo/2027-plc-automation>"), FAST),
    ("homepage as a blank node", replace("", f"<{OFFER}>", "foaf:homepage", '[ a elm:WebResource ; elm:contentUrl "ftp://x.example/"^^xsd:anyURI ]'), FAST),
    ("price as nested blank nodes", add("", f"<{OFFER}>", "elm:priceDetail", '[ a elm:PriceDetail ; elm:amount [ a elm:Amount ; rdf:value "-1"^^xsd:decimal ] ]'), FAST),
    ("an empty offer", "INSERT DATA { <https://x.example/empty> a elm:LearningOpportunity }", FAST),
    ("an offer that is also a qualification", add("", f"<{OFFER}>", "rdf:type", "elm:Qualification"), FAST),
]


@requires_rudof
@pytest.mark.parametrize("name, update, path", NASTY, ids=[n[0] for n in NASTY])
def test_nasty_inputs(reference, rudof, example_store, name, update, path):
    batch = [_payload(r) for r in after(example_store, update)]
    assert same_findings(reference, rudof, batch) == path


@requires_rudof
def test_all_nasty_inputs_in_one_batch(reference, rudof, example_store):
    """Each case as its own copy of the example file under other IRIs, all in one batch."""
    batch = []
    for number, (_, update, path) in enumerate(NASTY):
        if path != FAST:
            continue
        records = after(example_store, update)
        text = "".join(r.ntriples() for r in records).replace("https://data.norrsunda.example/", f"https://n{number}.example/")
        batch += [_payload(r) for r in records_of(text.encode(), "copy.nt")]
    assert len(batch) > 300
    for start in range(0, len(batch), 150):
        assert same_findings(reference, rudof, batch[start:start + 150]) == FAST


@requires_rudof
def test_hand_made_batches_the_catalogue_never_writes(reference, rudof):
    """Blank nodes and non-canonical N-Triples go to pyshacl, and still agree."""
    lo = "<https://x.example/o> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://data.europa.eu/snb/model/elm/LearningOpportunity> .\n"
    cases = [
        lo + '_:b1 <http://purl.org/dc/terms/title> "x" .\n<https://x.example/o> <http://xmlns.com/foaf/0.1/homepage> _:b1 .\n',
        lo.replace("> <", ">  <", 1),
        lo + '<https://x.example/o> <http://purl.org/dc/terms/title> "caf\\u00E9"@EN .\n',
        lo + "# a comment\n",
        lo + '<https://x.example/o> <http://purl.org/dc/terms/modified> "01"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
    ]
    for text in cases:
        assert same_findings(reference, rudof, [BatchOffer("https://x.example/o", text, ())]) == PYSHACL
    assert same_findings(reference, rudof, []) == FAST


# -- SHACL features the catalogue's shapes do not use ---------------------------------

SHAPE_PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://x.example/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"""
DATA = """<https://x.example/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://x.example/C> .
<https://x.example/a> <https://x.example/p> "2027-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .
<https://x.example/a> <https://x.example/p> "2026-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
<https://x.example/a> <https://x.example/q> "2027-06-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
<https://x.example/a> <https://x.example/r> <https://x.example/b> .
<https://x.example/a> <https://x.example/r2> <https://x.example/b> .
<https://x.example/a> <https://x.example/r> <https://x.example/c> .
<https://x.example/b> <https://x.example/s> "text" .
<https://x.example/c> <https://x.example/s> "text" .
"""


def engines_for(turtle: str):
    from catalogue.validation.rudof import RudofEngine

    shapes = Graph().parse(data=SHAPE_PREFIXES + turtle, format="turtle")
    reference = ShaclEngine(load_vocabulary())
    reference.shapes, reference._facts = shapes, {}
    reference.info = reference._index_shapes()
    return reference, RudofEngine(load_vocabulary(), shapes=shapes)


OTHER_FEATURES = [
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:lessThan ex:q ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:lessThanOrEquals ex:q ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:xone ( [ sh:class ex:C ] [ sh:path ex:r ; sh:minCount 1 ] ) .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:and ( [ sh:class ex:C ] [ sh:path ex:p ; sh:maxCount 1 ] ) .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:not [ sh:class ex:C ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetObjectsOf ex:r ; sh:property [ sh:path ex:s ; sh:datatype xsd:date ; sh:pattern \"^x\" ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p , ex:s ; sh:property [ sh:path ex:s ; sh:minCount 1 ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:N ] . ex:N a sh:NodeShape ; sh:property [ sh:path ex:q ; sh:minCount 1 ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path [ sh:alternativePath ( ex:r ex:r2 ) ] ; sh:maxCount 2 ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ( ex:r ex:s ) ; sh:maxCount 1 ] .", FAST),
    ("ex:S a sh:NodeShape ; sh:targetObjectsOf ex:s ; sh:property [ sh:path [ sh:inversePath ex:s ] ; sh:maxCount 1 ] .", FAST),
    # a value found through a path other than one property: rudof does not say which, pyshacl answers
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path [ sh:alternativePath ( ex:r ex:r2 ) ] ; sh:class ex:D ] .", PYSHACL),
]


@requires_rudof
@pytest.mark.parametrize("shapes, path", OTHER_FEATURES)
def test_other_shacl_features_agree(shapes, path):
    reference, rudof = engines_for(shapes)
    batch = [BatchOffer("https://x.example/a", DATA, ())]
    assert same_findings(reference, rudof, batch) == path


@requires_rudof
@pytest.mark.parametrize(
    "shapes",
    [
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:datatype xsd:date ] ; sh:qualifiedMinCount 2 ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minLength 3 ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:pattern \"^a$|b\" ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:pattern \"\\\\d\" ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:in ( \"a\" ) ] .",
        "ex:S a sh:NodeShape ; sh:targetObjectsOf ex:s ; sh:property [ sh:path [ sh:inversePath ex:s ] ; sh:minCount 3 ] .",
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .",
    ],
)
def test_features_not_checked_are_refused(shapes):
    from catalogue.validation.rudof import UnsupportedShapes

    with pytest.raises(UnsupportedShapes):
        engines_for(shapes)


# -- the validator with either engine ---------------------------------------------------


def comparable(reports):
    return [(r.offer, r.conforms, r.microcredential, r.missing, r.findings) for r in reports]


@requires_rudof
def test_validator_gives_the_same_reports_with_either_engine_serial_and_pooled():
    records = records_of(generate_document(700), "generated.ttl")
    with Validator(BASE, ValidatorSettings(engine="pyshacl", workers=1)) as validator:
        want = comparable(validator.validate_records(records))
    with Validator(BASE, ValidatorSettings(engine="rudof", workers=1)) as validator:
        assert comparable(validator.validate_records(records)) == want
    with Validator(BASE, ValidatorSettings(engine="rudof", workers=2, parallel_from=100, batch_size=100)) as validator:
        validator.validate_records(records[:50])  # a pyrudof session in this process before the pool forks
        pooled = validator.validate_records(records)
        assert [r.offer for r in pooled] == [r.iri for r in records]
        assert comparable(pooled) == want
        again = Validator(BASE, ValidatorSettings(engine="rudof", workers=2, parallel_from=100, batch_size=100))
        with again:
            assert comparable(again.validate_records(records[::-1])) == want[::-1]


def test_engine_names():
    assert resolve_engine("pyshacl") == "pyshacl"
    assert resolve_engine("auto") == ("rudof" if HAVE_RUDOF else "pyshacl")
    with pytest.raises(ValueError):
        resolve_engine("jena")


def test_auto_falls_back_to_pyshacl_without_pyrudof(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrudof", None)  # import pyrudof now raises ImportError
    monkeypatch.delitem(sys.modules, "catalogue.validation.rudof", raising=False)
    resolve_engine.cache_clear()
    try:
        assert resolve_engine("auto") == "pyshacl"
        with pytest.raises(ImportError):
            resolve_engine("rudof")
    finally:
        resolve_engine.cache_clear()


def test_the_engine_is_chosen_in_the_configuration(tmp_path):
    from catalogue.config import load_config
    from catalogue.errors import ConfigError

    path = tmp_path / "catalogue.toml"
    path.write_text('[validation]\nengine = "pyshacl"\n', encoding="utf-8")
    config = load_config(path)
    with Validator(BASE, validator_settings(config)) as validator:
        assert validator.engine_name == "pyshacl"
    path.write_text('[validation]\nengine = "jena"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[validation\] engine"):
        load_config(path)
