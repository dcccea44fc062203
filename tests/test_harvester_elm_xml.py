"""The elm-xml harvester (Europass QDR LOQ XML) through the real pipeline, served by a real HTTP server.

Every test drives ``harvest_source`` with a real in-memory Oxigraph store, a
real harvest state and the real validator, and checks what was published,
quarantined and noted. After every fault the offers harvested before are
still in the store.
"""

from __future__ import annotations

import codecs
import time

import pytest

from catalogue.config import SourceConfig
from catalogue.harvest.contract import HarvestContext, slug
from catalogue.harvest.http_cache import HttpClient
from catalogue.vocab import load_vocabulary
from harvesters.elm_xml import ElmXmlHarvester

from .conftest import BASE, ROOT, SHARED
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

EXAMPLE = ROOT / "examples" / "feeds" / "elm-xml" / "kaamos-loq.xml"
KAAMOS = EXAMPLE.read_text(encoding="utf-8")
SAMPLES = SHARED / "elm" / "samples"
SOURCE = "kaamos"
LO = "https://data.kaamos.example/lo/"
# The example without its record that has no id: a feed whose every record can be read.
CLEAN = KAAMOS[: KAAMOS.index("    <!-- 7.")] + KAAMOS[KAAMOS.index("  </learningOpportunityReferences>"):]


def offer(key: str) -> str:
    return f"{BASE}offer/{SOURCE}/{slug(LO + key)}"


@pytest.fixture(scope="module")
def server():
    """One server for the module (stopping one takes half a second); each test sets the routes it uses."""
    with FeedServer() as running:
        yield running


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = SOURCE, "Kaamoksen ammattiopisto", "elm-xml"
    defaults = {"retries": 0, "backoff": 0, "timeout": 2, "connect_timeout": 1}

    def values(self, sparql: str) -> set[str]:
        return {row[0].value for row in self.store.query(sparql)}

    def everything(self) -> str:
        """Every triple in every graph, as text: to prove something is nowhere in the store."""
        return "\n".join(str(q) for q in self.store.store)


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Catalogue(tmp_path, validator)


@pytest.fixture()
def harvested(server, catalogue):
    """The example feed (every record readable) harvested once over HTTP: five offers published, one quarantined."""
    url = server.add("/loq.xml", CLEAN, "application/xml")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "published" and (outcome.run.published, outcome.run.quarantined) == (5, 1), outcome.run.message
    return url, catalogue.offers() | catalogue.quarantined()


def assert_kept(catalogue: Catalogue, before: set[str]) -> None:
    assert catalogue.offers() | catalogue.quarantined() == before


# -- the bundled example ----------------------------------------------------------------


def test_example_feed_publishes_five_and_reports_the_faulty_records(catalogue):
    outcome = catalogue.harvest(EXAMPLE)
    assert outcome.run.outcome == "partial", outcome.run.message
    assert (outcome.run.published, outcome.run.quarantined) == (5, 1)
    assert catalogue.quarantined() == {offer("2027-talviajo")}
    [error] = outcome.errors
    assert error.code == "missing-identifier" and error.record == "learningOpportunity[7]"
    assert error.position.startswith("learningOpportunity[7], line ") and "kaamos-loq.xml" in error.message
    micro = catalogue.values("SELECT ?o WHERE { ?r foaf:primaryTopic ?o ; mcc:microCredential true }")
    assert len(micro) == 5
    notes = {(n.kind, n.field, n.value) for n in outcome.notes}
    assert ("unmapped", "learningOpportunity/mode", "http://data.europa.eu/snb/learning-activity/3c8bd58d62") in notes
    assert ("guessed", "learningOpportunity/temporal/startDate", "2027-03-01") in notes
    assert ("dropped", "accreditation/status", "released") in notes


def test_every_supported_field_is_mapped(catalogue):
    catalogue.harvest(EXAMPLE)
    tourism = offer("2027-arktinen-matkailu")

    def one(pattern: str, subject: str = tourism) -> set[str]:
        return catalogue.values(f"SELECT ?v WHERE {{ <{subject}> {pattern} }}")

    titles = catalogue.store.query(f"SELECT ?t WHERE {{ <{tourism}> dcterms:title ?t }}")
    assert {(r["t"].language, r["t"].value) for r in titles} == {
        ("fi", "Arktisen luontomatkailun turvallisuus"), ("sv", "Säkerhet inom arktisk naturturism"),
        ("en", "Safety in Arctic nature tourism")}
    assert one("dcterms:temporal/elm:startDate ?v") == {"2027-01-11T00:00:00+02:00"}
    assert one("elm:applicationDeadline ?v") == {"2026-12-04T16:00:00+02:00"}
    assert one("elm:mode ?v") == {"http://data.europa.eu/snb/learning-assessment/e92d221e4d"}
    assert one("elm:learningSchedule ?v") == {"http://data.europa.eu/snb/learning-schedule/67395e6b5a"}
    assert one("elm:defaultLanguage ?v") == {"http://publications.europa.eu/resource/authority/language/FIN"}
    assert one("foaf:homepage/elm:contentUrl ?v") == {"https://www.kaamos.example/koulutukset/arktinen-matkailu"}
    assert one("elm:priceDetail/elm:amount/rdf:value ?v") == {"240"}  # canonical xsd:decimal
    assert one("elm:priceDetail/elm:amount/elm:unit ?v") == {"http://publications.europa.eu/resource/authority/currency/EUR"}
    assert one("elm:providedBy/elm:location/elm:address/elm:countryCode ?v") == {"http://publications.europa.eu/resource/authority/country/FIN"}
    assert one("elm:providedBy/rov:legalName ?v") >= {"Kaamoksen ammattiopisto", "Kaamos Vocational College"}
    assert one("elm:providedBy/elm:contactPoint/elm:emailAddress ?v") == {"mailto:hakijapalvelut@kaamos.example"}
    assert one("elm:providedBy/elm:accreditation/dcterms:type ?v") == {
        "http://data.europa.eu/snb/accreditation/003293d2ce", "http://data.europa.eu/snb/accreditation/bb4618238e"}
    assert one("elm:location/locn:geometry/clv:latitude ?v") == {"66.5039"}
    assert one("adms:identifier/skos:notation ?v") == {"KAA-MAT-2027-01"}
    assert one("elm:learningActivitySpecification/elm:contactHour ?v") == {"36"}
    spec = "elm:learningAchievementSpecification"
    assert one(f"{spec}/elm:volumeOfLearning ?v") == {"P4DT4H"}  # PT100H in Oxigraph's canonical form
    assert one(f"{spec}/elm:creditPoint/elm:point ?v") == {"4"}
    assert one(f"{spec}/elm:creditPoint/elm:framework ?v") == {"http://data.europa.eu/snb/education-credit/60b314e826"}
    assert one(f"{spec}/elm:educationLevel ?v") == {"http://data.europa.eu/snb/eqf/4"}
    assert one(f"{spec}/elm:ISCEDFCode ?v") == {"http://data.europa.eu/snb/isced-f/1015"}
    assert one(f"{spec}/dcterms:language ?v") == {
        "http://publications.europa.eu/resource/authority/language/FIN", "http://publications.europa.eu/resource/authority/language/ENG"}
    assert len(one(f"{spec}/elm:learningOutcome/dcterms:title ?v")) == 7
    assert one(f"{spec}/elm:awardingOpportunity/elm:awardingBody ?v") == {f"{BASE}org/{SOURCE}/{slug('https://data.kaamos.example/org/kaamos')}"}
    assert one(f"{spec}/elm:provenBy/dcterms:type ?v") == {"http://data.europa.eu/snb/assessment/6a4db9f11d"}
    assert one(f"{spec}/elm:provenBy/elm:gradingScheme/dcterms:title ?v") >= {"Grading scale 1–5"}
    assert one(f"{spec}/elm:additionalNote/dcterms:subject ?v") == {"http://data.europa.eu/snb/qualification-topics#pathways"}
    # A qualification unit: EQF level, and an NQF level the vocabulary lacks, described from the XML with its list.
    care = offer("2027-laakehoito")
    assert one(f"{spec}/elm:EQFLevel ?v", care) == {"http://data.europa.eu/snb/eqf/4"}
    assert one(f"{spec}/elm:NQFLevel/skos:inScheme ?v", care) == {"http://data.europa.eu/snb/qdr/25831c2"}
    assert one(f"{spec}/elm:isPartialQualification ?v", care) == {"true"}
    assert one("dcterms:temporal/elm:startDate ?v", care) == {"2027-03-01T00:00:00"}
    assert one("elm:mode ?v", care) == {"http://data.europa.eu/snb/learning-assessment/729f3bed4b", "http://data.europa.eu/snb/learning-assessment/e92d221e4d"}
    herding = offer("2027-porotalous-digi")
    assert one("elm:duration ?v", herding) == {"P56D"}
    assert one("elm:priceDetail/elm:amount/rdf:value ?v", herding) == {"0"}
    assert "Boazodoalu digitála reaiddut" in one("dcterms:title ?v", herding)


def test_published_example_conforms_to_the_official_loq_shapes(catalogue):
    shapes = SHARED / "elm" / "shapes"
    if not (shapes / "LOQ-constraints.ttl").exists():
        pytest.skip("the official LOQ shapes are expected in ../shared/elm/shapes beside the checkout")
    regex = pytest.importorskip("regex")
    import pyoxigraph as ox
    import pyshacl
    import pyshacl.constraints.core.string_based_constraints as string_constraints
    from rdflib import Graph

    catalogue.harvest(EXAMPLE)
    vocabulary = load_vocabulary()
    triples = list(catalogue.store.triples(catalogue.store.source_graph(SOURCE)))
    for concept in {t.object.value for t in triples if isinstance(t.object, ox.NamedNode) and vocabulary.is_concept(t.object.value)}:
        triples += vocabulary.membership_triples(concept, with_labels=True)
    data = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    loq = Graph().parse(shapes / "LOQ-constraints.ttl").parse(shapes / "LOQ-constraints-mdr.ttl")
    original = string_constraints.re
    string_constraints.re = regex  # the LOQ patterns use Java syntax
    try:
        conforms, _, text = pyshacl.validate(data, shacl_graph=loq, inference="none")
    finally:
        string_constraints.re = original
    assert conforms, text[:2000]


def test_iris_are_stable_across_runs_and_stores(server, tmp_path, validator):
    url = server.add("/loq.xml", KAAMOS, "application/xml")
    first, second = Catalogue(tmp_path / "a", validator), Catalogue(tmp_path / "b", validator)
    first.harvest(url)
    second.harvest(url)
    graph = first.store.source_graph(SOURCE)
    assert set(first.store.triples(graph)) == set(second.store.triples(graph))
    assert offer("2027-clt-asennus") in first.offers()
    # A changed title changes one triple; every IRI stays.
    before = set(first.store.triples(graph))
    server.add("/loq.xml", KAAMOS.replace("Puurakentamisen CLT-elementtiasennus</title>", "CLT-elementtien asennus</title>", 1), "application/xml")
    outcome = first.harvest(url)
    assert outcome.run.outcome == "partial" and outcome.run.published == 5 and outcome.run.unchanged == 4
    after = set(first.store.triples(graph))
    assert [t.object.value for t in after - before] == ["CLT-elementtien asennus"]
    assert {t.subject for t in after} == {t.subject for t in before}


def test_unchanged_feed_costs_one_conditional_request(server, harvested, catalogue):
    url, before = harvested
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "unchanged"
    assert server.requests[-1][2].get("If-None-Match")
    assert_kept(catalogue, before)


# -- records ------------------------------------------------------------------------


def test_records_without_or_with_repeated_identifiers_fail_alone(server, catalogue):
    good = KAAMOS.split("<!-- 6.")[0] + "</learningOpportunityReferences>" + KAAMOS.split("</learningOpportunityReferences>")[1]
    first_offer = good.index("<learningOpportunity id=")
    repeated = good[first_offer:good.index("</learningOpportunity>", first_offer) + len("</learningOpportunity>")]
    document = good.replace("</learningOpportunityReferences>", repeated + "<learningOpportunity><title language='en'>X</title></learningOpportunity></learningOpportunityReferences>")
    outcome = catalogue.harvest(server.add("/loq.xml", document, "application/xml"))
    assert outcome.run.published == 5, outcome.run.message
    codes = sorted((e.code, e.record) for e in outcome.errors)
    assert codes == [("duplicate-identifier", f"{LO}2027-arktinen-matkailu (learningOpportunity[6])"), ("missing-identifier", "learningOpportunity[7]")]


def test_common_slips_are_read_where_unambiguous_and_always_noted(server, catalogue):
    charging = offer("2027-latausjarjestelmat")
    document = (CLEAN
                .replace("<homepage>\n        <contentUrl>https://www.kaamos.example/koulutukset/latausjarjestelmat</contentUrl>\n      </homepage>",
                         "<homepage>https://www.kaamos.example/koulutukset/latausjarjestelmat</homepage>")
                .replace('<mode uri="http://data.europa.eu/snb/learning-assessment/9191af2ed9"/>', "<mode>Presential</mode><colour>blue</colour>", 1)
                .replace('<location idref="https://data.kaamos.example/place/rovaniemi"/>\n      <learningAchievementSpecification idref="https://data.kaamos.example/spec/latausjarjestelmat"/>',
                         '<location>rovaniemi</location>\n      <learningAchievementSpecification idref="https://data.kaamos.example/spec/latausjarjestelmat"/>'))
    outcome = catalogue.harvest(server.add("/loq.xml", document, "application/xml"))
    assert charging in catalogue.offers(), outcome.run.message
    assert catalogue.values(f"SELECT ?v WHERE {{ <{charging}> elm:mode ?v }}") == {"http://data.europa.eu/snb/learning-assessment/9191af2ed9"}
    assert catalogue.values(f"SELECT ?v WHERE {{ <{charging}> foaf:homepage/elm:contentUrl ?v }}") == {"https://www.kaamos.example/koulutukset/latausjarjestelmat"}
    assert not catalogue.values(f"SELECT ?v WHERE {{ <{charging}> elm:location ?v }}")
    notes = {(n.kind, n.field, n.value) for n in outcome.notes}
    assert {("guessed", "learningOpportunity/mode", "Presential"), ("guessed", "learningOpportunity/homepage", "https://www.kaamos.example/koulutukset/latausjarjestelmat"),
            ("dropped", "learningOpportunity/location", "rovaniemi"), ("dropped", "learningOpportunity/colour", "blue")} <= notes


def test_broken_references_are_noted_and_the_offer_quarantined(server, catalogue):
    document = KAAMOS.replace('<providedBy idref="https://data.kaamos.example/org/kaamos"/>\n      <location idref="https://data.kaamos.example/place/rovaniemi"/>\n      <learningAchievementSpecification idref="https://data.kaamos.example/spec/latausjarjestelmat"/>',
                              '<providedBy idref="https://data.kaamos.example/org/nobody"/>\n      <learningAchievementSpecification idref="https://data.kaamos.example/spec/latausjarjestelmat"/>')
    outcome = catalogue.harvest(server.add("/loq.xml", document, "application/xml"))
    assert offer("2027-latausjarjestelmat") in catalogue.quarantined()
    assert any(n.kind == "dropped" and n.value == "https://data.kaamos.example/org/nobody" and "no record with id" in n.detail for n in outcome.notes)


# -- malformed and hostile input -------------------------------------------------------------


def test_broken_xml_fails_the_source_and_keeps_the_offers(server, harvested, catalogue):
    url, before = harvested
    server.add("/loq.xml", CLEAN.replace("</title>", "</titel>", 1), "application/xml")
    outcome = catalogue.harvest(url)
    line = CLEAN[: CLEAN.index("</title>")].count("\n") + 1
    assert outcome.run.outcome == "failed"
    assert "not well-formed XML (mismatched tag)" in outcome.run.message and f"line {line}, column" in outcome.run.message
    assert url in outcome.run.message
    assert_kept(catalogue, before)


def test_an_entity_expansion_bomb_is_refused_at_once(server, harvested, catalogue):
    url, before = harvested
    entities = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE Courses [<!ENTITY lol0 "lol">{entities}]><Courses>&lol9;</Courses>'
    server.add("/loq.xml", bomb, "application/xml")
    started = time.perf_counter()
    outcome = catalogue.harvest(url)
    assert time.perf_counter() - started < 5
    assert outcome.run.outcome == "failed" and "declares a DTD" in outcome.run.message
    assert_kept(catalogue, before)


def test_external_entities_are_never_resolved(server, harvested, catalogue, tmp_path):
    url, before = harvested
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711", encoding="utf-8")
    for target in (secret.as_uri(), "file:///etc/passwd"):
        attack = KAAMOS.replace('<Courses xmlns=', f'<!DOCTYPE Courses [<!ENTITY xxe SYSTEM "{target}">]>\n<Courses xmlns=', 1)
        attack = attack.replace("Safety in Arctic nature tourism</title>", "&xxe;</title>", 1)
        server.add("/loq.xml", attack, "application/xml")
        outcome = catalogue.harvest(url)
        assert outcome.run.outcome == "failed" and "DOCTYPE" in outcome.run.message
    text = catalogue.everything()
    assert "TOP-SECRET-4711" not in text and "root:x:0" not in text
    assert_kept(catalogue, before)


def test_a_wrong_encoding_is_an_error_that_names_the_place(server, harvested, catalogue):
    url, before = harvested
    latin1 = CLEAN.encode("iso-8859-1", errors="replace")  # while the XML declaration says UTF-8
    server.add("/loq.xml", latin1, "application/xml")
    outcome = catalogue.harvest(url)
    line = latin1[: next(i for i, byte in enumerate(latin1) if byte > 127)].count(b"\n") + 1
    assert outcome.run.outcome == "failed"
    assert "not valid UTF-8 as its XML declaration says" in outcome.run.message and f", line {line}, column " in outcome.run.message
    assert_kept(catalogue, before)


@pytest.mark.parametrize("encoding,charset", [("iso-8859-1", "iso-8859-1"), ("utf-16", None), ("iso-8859-1", "declaration")])
def test_declared_encodings_are_honoured(server, catalogue, encoding, charset):
    text = KAAMOS.replace("Kaamoksen ammattiopisto, Rovaniemen kampus", "Kaamoksen ammattiopisto, Rovaniemen kampus (Ä)")
    if charset == "declaration":
        text, charset = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1), None
    body = text.encode(encoding, errors="replace")
    if encoding == "utf-16":
        assert body.startswith(codecs.BOM_UTF16_LE) or body.startswith(codecs.BOM_UTF16_BE)
    outcome = catalogue.harvest(server.add("/loq.xml", body, "application/xml", charset=charset))
    assert outcome.run.published == 5, outcome.run.message
    assert "Kaamoksen ammattiopisto, Rovaniemen kampus (Ä)" in catalogue.values("SELECT ?n WHERE { ?l elm:geographicName ?n }")


@pytest.mark.parametrize("body,expected", [
    ("", "the document is empty"),
    ("<rss version='2.0'><channel/></rss>", "the root element is <rss>, not <Courses>"),
    (CLEAN[: len(CLEAN) // 2], "this is not well-formed XML"),
])
def test_documents_that_are_not_loq_xml_fail_the_source(server, harvested, catalogue, body, expected):
    url, before = harvested
    server.add("/loq.xml", body, "application/xml")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed" and expected in outcome.run.message
    assert_kept(catalogue, before)


# -- transport faults ------------------------------------------------------------------------


@pytest.mark.parametrize("fault,options,expected", [
    ("status", {"status": 404}, "404"),
    ("status", {"status": 500}, "500"),
    ("hang", {"seconds": 10}, "time"),
    ("truncate", {"body": KAAMOS.encode()}, ""),
])
def test_transport_faults_keep_the_previous_offers(server, harvested, catalogue, fault, options, expected):
    url, before = harvested
    server.fault("/loq.xml", fault, **options)
    started = time.perf_counter()
    outcome = catalogue.harvest(url, timeout=1)
    assert time.perf_counter() - started < 5
    assert outcome.run.outcome == "failed" and "previous content was kept" in outcome.run.message
    assert expected.lower() in outcome.run.message.lower()
    assert_kept(catalogue, before)


def test_a_missing_file_fails_the_source(catalogue, tmp_path):
    outcome = catalogue.harvest(tmp_path / "nowhere.xml")
    assert outcome.run.outcome == "failed" and "does not exist" in outcome.run.message


# -- real-world samples and size ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["loq.xml", "loq_withLearningAchievementSpecification.xml"])
def test_the_commissions_samples_load_without_a_crash(catalogue, name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip("the Commission's LOQ XML samples are expected in ../shared/elm/samples beside the checkout")
    outcome = catalogue.harvest(path)
    # Generated placeholder values: every offer is quarantined, each with its report, and nothing crashes.
    assert outcome.run.outcome == "published" and not outcome.errors, outcome.run.message
    assert outcome.run.seen == 2 and outcome.run.published + outcome.run.quarantined == 2
    assert {n.kind for n in outcome.notes} - {"derived"} == {"dropped", "unmapped"}
    assert any(n.field == "learningOpportunity/bannerImage" for n in outcome.notes)


def test_a_large_file_is_read_quickly(tmp_path):
    """Europass publishers' files are large: 400 offers in a 1.5 MB file are gathered and mapped in well under a second or two."""
    body = KAAMOS.split("<!-- 6.")[0]
    start = body.index("<learningOpportunity id=")
    template = body[start:body.index("</learningOpportunity>", start) + len("</learningOpportunity>")]
    many = "".join(template.replace("2027-arktinen-matkailu\"", f"2027-arktinen-matkailu-{n}\"", 1) for n in range(400))
    path = tmp_path / "large.xml"
    path.write_text(body[:start] + many + "</learningOpportunityReferences>" + KAAMOS.split("</learningOpportunityReferences>")[1], encoding="utf-8")
    assert path.stat().st_size > 1_000_000
    context = HarvestContext(SourceConfig(SOURCE, "K", "elm-xml", (str(path),)), BASE, load_vocabulary(), HttpClient(None))
    harvester = ElmXmlHarvester(context)
    started = time.perf_counter()
    records = [harvester.map(ref, harvester.fetch(ref)) for ref in harvester.gather()]
    assert time.perf_counter() - started < 3
    assert len(records) == 400 and len({r.offers[0] for r in records}) == 400
