"""The xcri-cap harvester through the real pipeline: the bundled example, a real HTTP server on 127.0.0.1, faults and attacks.

After every fault the offers harvested before are still in the store.
"""

from __future__ import annotations

import re
import time

import pytest

from harvesters.xcri_cap import XcriCapHarvester

from .conftest import ROOT
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

EXAMPLE = ROOT / "examples" / "feeds" / "xcri-cap" / "shannon-college.xml"
EQF = "http://data.europa.eu/snb/eqf/"
MODE = "http://data.europa.eu/snb/learning-assessment/"
SCHEDULE = "http://data.europa.eu/snb/learning-schedule/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
CURRENCY = "http://publications.europa.eu/resource/authority/currency/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
QA = "http://data.europa.eu/snb/qualification-topics#accreditation-and-quality-assurance"
PATHWAYS = "http://data.europa.eu/snb/qualification-topics#pathways"


@pytest.fixture(scope="module")
def shared_server():
    with FeedServer() as running:
        yield running


class _OwnPaths:
    """One test's view of the module's feed server: its paths live under a prefix of their own.

    (Starting a server per test costs half a second at shutdown; one per module keeps the file fast.)
    """

    def __init__(self, server: FeedServer, prefix: str):
        self.server, self.prefix = server, prefix

    def add(self, path: str, *args, **options) -> str:
        return self.server.add(self.prefix + path, *args, **options)

    def fault(self, path: str, kind: str, **options) -> str:
        return self.server.fault(self.prefix + path, kind, **options)

    def url(self, path: str) -> str:
        return self.server.url(self.prefix + path)

    def hits(self, path: str) -> int:
        return self.server.hits(self.prefix + path)

    @property
    def requests(self) -> list:
        return [r for r in self.server.requests if r[1].startswith(self.prefix + "/")]


@pytest.fixture()
def server(shared_server, request):
    return _OwnPaths(shared_server, "/" + re.sub(r"[^A-Za-z0-9]+", "-", request.node.name))


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = "shannon", "Shannon College", "xcri-cap"

    def values(self, pattern: str) -> set[str]:
        """Values of ?v in the published offers, for a pattern that starts from the offer ?o."""
        rows = self.store.query(f"SELECT DISTINCT ?v WHERE {{ ?o a elm:LearningOpportunity . {pattern} }}")
        return {r["v"].value for r in rows}

    def of(self, title: str, pattern: str) -> set[str]:
        """Values of ?v for the offer with this English title."""
        return self.values(f'?o dcterms:title "{title}"@en . {pattern}')

    def anywhere(self, pattern: str) -> set[str]:
        """Values of ?v for offers ?o, published or set aside (the shapes decide which; the mapping is what is tested)."""
        rows = self.store.query(f"SELECT DISTINCT ?v WHERE {{ GRAPH ?g {{ ?o a elm:LearningOpportunity . {pattern} }} }}", default_graphs=[])
        return {r["v"].value for r in rows}

    def everything_about(self, predicate: str) -> set[str]:
        """Values of one predicate anywhere, published or set aside."""
        rows = self.store.query(f"SELECT ?v WHERE {{ GRAPH ?g {{ ?s {predicate} ?v }} }}", default_graphs=[])
        return {r["v"].value for r in rows}

    def everything(self) -> str:
        rows = self.store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", default_graphs=[])
        return "\n".join(r["o"].value for r in rows)


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Catalogue(tmp_path, validator)


def notes(outcome, kind: str | None = None, field: str | None = None) -> list:
    return [n for n in outcome.notes if (kind is None or n.kind == kind) and (field is None or field in n.field)]


# -- feeds written for the tests --------------------------------------------------------------

NAMESPACES = (
    'xmlns="http://xcri.org/profiles/1.2/catalog" xmlns:mlo="http://purl.org/net/mlo" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:credit="http://purl.org/net/cm" '
    'xmlns:xcriTerms="http://xcri.org/profiles/1.2/catalog/terms" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml" xmlns:t="https://t.example/ns"'
)
OUTCOME = '<learningOutcome>Use the thing safely.</learningOutcome>'
SUBJECT = '<dc:subject xsi:type="t:ISCED-F" identifier="0713">Electricity and energy</dc:subject>'


def course(ident: str, title: str, body: str = "", presentations: str | None = None) -> str:
    if presentations is None:
        presentations = f"<presentation><dc:identifier>{ident}/p1</dc:identifier></presentation>"
    return (f"<course><dc:identifier>https://c.example/{ident}</dc:identifier><dc:title>{title}</dc:title>"
            f"<mlo:url>https://c.example/{ident}</mlo:url>{SUBJECT}{OUTCOME}{body}{presentations}</course>")


def feed(*courses: str, lang: str = 'xml:lang="en"', address: str = "<mlo:address>Ireland</mlo:address>") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog {NAMESPACES} {lang} generated="2026-05-01T00:00:00Z">\n<provider>'
            "<dc:identifier>https://c.example/</dc:identifier><dc:title>Test College</dc:title><mlo:url>https://c.example/</mlo:url>\n"
            + "\n".join(courses)
            + f"\n<mlo:location><mlo:town>Galway</mlo:town>{address}</mlo:location></provider></catalog>\n")


SMALL = feed(course("a", "Welding basics"), course("b", "Forklift safety"))


# -- the bundled example ------------------------------------------------------------------------


def test_the_example_feed_publishes_its_presentations(catalogue):
    outcome = catalogue.harvest(EXAMPLE)
    assert outcome.run.outcome == "partial", outcome.run.message  # one presentation has no identifier, on purpose
    assert outcome.run.published + outcome.run.quarantined == 7  # the shapes decide which are listed and which set aside
    [error] = outcome.errors
    assert error.code == "missing-identifier" and error.position.startswith("course[5]/presentation[2], line ")
    assert "presentation at course[5]/presentation[2] has no dc:identifier" in error.message
    assert catalogue.values('?o dcterms:title ?v FILTER(LANG(?v) = "ga")') == {
        "Suiteáil agus Cothabháil Córas Grianfhótavoltach", "Cúram Luath-Óige: Folláine Leanaí a Chothú", "Gaeilge san Ionad Oibre"}
    complete = catalogue.values("?r foaf:primaryTopic ?o ; mcc:microCredential true . BIND(STR(?o) AS ?v)")
    assert len(complete) == 6  # "Online (no attendance)" is a hidden label of Online, so Digital Marketing is complete too


def test_the_example_maps_every_field_it_has(catalogue):
    outcome = catalogue.harvest(EXAMPLE)
    solar = "Solar PV Installation and Maintenance"
    assert catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:educationLevel ?v") == {EQF + "5"}
    assert notes(outcome, "guessed", "educationLevel")[0].detail.startswith("Irish NFQ level 6 read as EQF level 5")
    assert catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:creditPoint [ elm:point ?v ; elm:framework <%s> ]" % ECTS) == {"10"}
    assert catalogue.of(solar, "?o elm:mode ?v") == {MODE + "e92d221e4d"}  # Mixed mode -> Blended
    assert catalogue.of(solar, "?o elm:learningSchedule ?v") == {SCHEDULE + "f230bae523"}  # Part time
    assert catalogue.of(solar, "?o dcterms:temporal/elm:startDate ?v") == {"2026-09-14T00:00:00Z"}
    assert catalogue.of(solar, "?o elm:applicationDeadline ?v") == {"2026-08-28T23:59:59Z"}
    assert catalogue.of(solar, "?o elm:priceDetail/elm:amount [ rdf:value ?v ; elm:unit <%sEUR> ]" % CURRENCY) == {"1250"}
    assert catalogue.of(solar, "?o elm:duration ?v") == {"P91D"}
    assert len(catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:learningOutcome ?v")) == 3
    assert len(catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:provenBy/dcterms:type ?v")) == 2
    assert catalogue.of(solar, "?o elm:providedBy/elm:location/elm:address/elm:countryCode ?v") == {COUNTRY + "IRL"}
    assert catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:awardingOpportunity/elm:awardingBody/rov:legalName ?v") == {
        "Quality and Qualifications Ireland"}
    quality = catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:additionalNote [ dcterms:subject <%s> ; elm:noteLiteral ?v ]" % QA)
    assert quality == {'The qualification "Special Purpose Award in Solar PV Installation" is accredited by Quality and Qualifications Ireland (QQI).'}
    assert catalogue.of(solar, "?o elm:learningAchievementSpecification/elm:additionalNote [ dcterms:subject <%s> ; elm:noteLiteral ?v ]" % PATHWAYS)
    ennis = "Solar PV Installation and Maintenance (Ennis, evenings)"
    assert catalogue.of(ennis, "?o elm:location/elm:address/elm:countryCode ?v") == {COUNTRY + "IRL"}
    assert notes(outcome, "guessed", "venue")[0].value == "Ennis Learning Centre"
    irish = "Irish in the Workplace"
    assert catalogue.of(irish, "?o elm:learningAchievementSpecification/dcterms:language ?v") == {LANGUAGE + "GLE", LANGUAGE + "ENG"}
    assert catalogue.of(irish, "?o elm:learningAchievementSpecification/elm:educationLevel ?v") == {EQF + "4"}
    assert catalogue.of("Digital Marketing for Small Business", "?o elm:learningAchievementSpecification/elm:volumeOfLearning ?v") == {"P4DT4H"}
    assert catalogue.of("Food Safety Management (HACCP) for Hospitality Supervisors", "?o elm:mode ?v") == {MODE + "729f3bed4b"}
    assert any(n.value.startswith("15 credits, scheme QQI FET credits") for n in notes(outcome, "unmapped", "credit"))
    for dropped in ("presentation/places", "presentation/age", "presentation/applyFrom", "careerOutcome"):
        assert notes(outcome, "dropped", dropped), dropped


def test_the_incomplete_example_is_quarantined_with_its_rolling_start_kept(catalogue):
    outcome = catalogue.harvest(EXAMPLE)
    [note] = notes(outcome, "unmapped", "presentation/start")
    assert note.value.startswith("Rolling start")
    rows = catalogue.store.query(
        'SELECT ?text WHERE { GRAPH ?g { ?o dcterms:title "Introduction to Drone Operations"@en ; elm:scheduleInformation/elm:noteLiteral ?text } }',
        default_graphs=[])
    assert [r["text"].value for r in rows] == ["Start: Rolling start: a new group begins whenever eight people have enrolled"]


def test_offer_iris_are_stable_across_runs_and_changes(catalogue, tmp_path):
    first = catalogue.harvest(EXAMPLE)
    before = catalogue.offers()
    changed = tmp_path / "feed.xml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("€1,250 (payable", "€1,300 (payable"), encoding="utf-8")
    second = catalogue.harvest(changed)
    assert first.run.outcome == second.run.outcome == "partial"
    assert catalogue.offers() == before and len(before | catalogue.quarantined()) == 7
    assert catalogue.of("Solar PV Installation and Maintenance", "?o elm:priceDetail/elm:amount/rdf:value ?v") == {"1300"}


def test_the_mapping_table_is_data():
    assert XcriCapHarvester.kind == "xcri-cap"
    assert all(len(row) == 3 for row in XcriCapHarvester.mapping) and len(XcriCapHarvester.mapping) > 20


# -- HTTP ---------------------------------------------------------------------------------------


def test_an_unchanged_feed_costs_one_conditional_request(server, catalogue):
    url = server.add("/xcri.xml", SMALL, "application/xml")
    assert catalogue.harvest(url).run.published == 2
    second = catalogue.harvest(url)
    assert second.run.outcome == "unchanged"
    assert server.hits("/xcri.xml") == 2 and server.requests[-1][2].get("If-None-Match")
    assert "application/xml" in server.requests[0][2]["Accept"]


def test_a_flaky_server_is_retried(server, catalogue):
    url = server.fault("/xcri.xml", "flaky", times=1, body=SMALL.encode(), content_type="application/xml")
    outcome = catalogue.harvest(url, retries=2)
    assert outcome.run.outcome == "published" and outcome.run.published == 2
    assert server.hits("/xcri.xml") == 2


def _harvested_then(server, catalogue, fault: str, **options):
    url = server.add("/xcri.xml", SMALL, "application/xml")
    assert catalogue.harvest(url).run.published == 2
    before = catalogue.offers()
    server.fault("/xcri.xml", fault, **options)
    return url, before


@pytest.mark.parametrize(
    "fault, options, words",
    [
        ("status", {"status": 404}, "404"),
        ("status", {"status": 500}, "500"),
        ("truncate", {"body": SMALL.encode()[:700], "content_type": "application/xml"}, "truncated"),
    ],
    ids=["404", "500", "truncated"],
)
def test_http_faults_fail_the_run_and_keep_the_offers(server, catalogue, fault, options, words):
    url, before = _harvested_then(server, catalogue, fault, **options)
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed"
    assert words in outcome.run.message and "kept" in outcome.run.message and url in outcome.run.message
    assert catalogue.offers() == before


def test_a_hanging_server_times_out(server, catalogue):
    url, before = _harvested_then(server, catalogue, "hang", seconds=30)
    start = time.monotonic()
    outcome = catalogue.harvest(url, timeout=1)
    assert time.monotonic() - start < 8
    assert outcome.run.outcome == "failed" and catalogue.offers() == before


def test_a_second_feed_that_fails_keeps_its_offers(server, catalogue):
    first = server.add("/one.xml", SMALL, "application/xml")
    second = server.add("/two.xml", feed(course("c", "Crane operation")), "application/xml")
    assert catalogue.harvest(first, second).run.published == 3
    server.fault("/two.xml", "status", status=404)
    outcome = catalogue.harvest(first, second)
    assert outcome.run.outcome == "partial" and outcome.run.carried_over == 1
    assert len(catalogue.offers()) == 3 and "404" in outcome.errors[0].message


def test_a_feed_served_as_html_is_read_when_it_is_xml(server, catalogue):
    outcome = catalogue.harvest(server.add("/xcri", SMALL, "text/html"))
    assert outcome.run.published == 2
    [note] = notes(outcome, "guessed", "Content-Type")
    assert note.value == "text/html" and "application/xml" in note.detail


def test_a_web_page_instead_of_a_feed_is_a_clear_error(server, catalogue):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/xcri.xml", "<!DOCTYPE html><html><body><h1>Our courses</h1></body></html>", "text/html")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed" and "HTML web page" in outcome.run.message
    assert catalogue.offers() == before


# -- encodings ----------------------------------------------------------------------------------

IRISH = feed(course("a", "Cúram Leanaí"), course("b", "Forklift safety"))


def test_utf8_bytes_declared_as_latin1_are_an_error_naming_the_line(server, catalogue):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/xcri.xml", IRISH.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("utf-8"), "application/xml")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed"
    assert "line 4" in outcome.run.message and "ISO-8859-1" in outcome.run.message and "UTF-8" in outcome.run.message
    assert catalogue.offers() == before


def test_latin1_bytes_declared_as_utf8_are_an_error_naming_the_line(server, catalogue):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/xcri.xml", IRISH.encode("latin-1"), "application/xml")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed" and "line 4" in outcome.run.message and "UTF-8" in outcome.run.message
    assert catalogue.offers() == before


def test_the_http_charset_wins_over_the_xml_declaration(server, catalogue):
    url = server.add("/xcri.xml", IRISH.encode("latin-1"), "application/xml", charset="iso-8859-1")
    outcome = catalogue.harvest(url)
    assert outcome.run.published == 2
    assert "Cúram Leanaí" in catalogue.values("?o dcterms:title ?v")


def test_a_declared_latin1_feed_is_read(catalogue, tmp_path):
    path = tmp_path / "latin1.xml"
    path.write_bytes(IRISH.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1"))
    assert catalogue.harvest(path).run.published == 2
    assert "Cúram Leanaí" in catalogue.values("?o dcterms:title ?v")


# -- malformed input and attacks ------------------------------------------------------------------

XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE catalog [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"> <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"> <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
""" + SMALL.split("\n", 1)[1].replace("Welding basics", "&i;")
XXE = '<?xml version="1.0"?>\n<!DOCTYPE catalog [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n' + SMALL.split("\n", 1)[1].replace("Welding basics", "&xxe;")
PARAMETER_XXE = ('<?xml version="1.0"?>\n<!DOCTYPE catalog [ <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote; ]>\n'
                 + SMALL.split("\n", 1)[1])


@pytest.mark.parametrize("attack, entity", [(XML_BOMB, "'a'"), (XXE, "'xxe'"), (PARAMETER_XXE, "'remote'")], ids=["xml-bomb", "xxe", "parameter-entity"])
def test_xml_attacks_are_refused_quickly(server, catalogue, attack, entity):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/xcri.xml", attack, "application/xml")
    start = time.monotonic()
    outcome = catalogue.harvest(url)
    assert time.monotonic() - start < 5
    assert outcome.run.outcome == "failed" and f"entity {entity}" in outcome.run.message
    assert catalogue.offers() == before
    assert "root:" not in catalogue.everything() and "aaaaaaaaaa" not in catalogue.everything()


@pytest.mark.parametrize(
    "body, words",
    [
        (SMALL.replace("</dc:title>", "</dc:titel>", 1), "line 3, column 84: this is not well-formed XML: mismatched tag"),
        (SMALL[: len(SMALL) // 2], "cut off"),
        (SMALL.replace("http://xcri.org/profiles/1.2/catalog", "http://xcri.org/profiles/catalog"), "XCRI-CAP 1.1"),
        ("<rss><channel><title>News</title></channel></rss>", "not an XCRI-CAP 1.2 catalog"),
        ("", "empty"),
    ],
    ids=["malformed", "cut-off", "xcri-1.1", "not-xcri", "empty"],
)
def test_unreadable_feeds_fail_the_run_and_keep_the_offers(server, catalogue, body, words):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/xcri.xml", body, "application/xml")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed" and words in outcome.run.message, outcome.run.message
    assert catalogue.offers() == before


def test_a_missing_file_is_a_failed_run(catalogue, tmp_path):
    outcome = catalogue.harvest(tmp_path / "nowhere.xml")
    assert outcome.run.outcome == "failed" and "does not exist" in outcome.run.message


# -- records ----------------------------------------------------------------------------------------


def test_a_presentation_without_identifier_fails_alone(catalogue, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text(feed(course("a", "Welding basics", presentations=(
        "<presentation><dc:identifier>a/p1</dc:identifier></presentation>\n"
        '<presentation><mlo:start dtf="2026-09-01">September</mlo:start></presentation>'))), encoding="utf-8")
    outcome = catalogue.harvest(path)
    assert outcome.run.outcome == "partial" and outcome.run.published == 1
    [error] = outcome.errors
    assert (error.code, error.position) == ("missing-identifier", "course[1]/presentation[2], line 5")


def test_a_repeated_identifier_fails_alone(catalogue, tmp_path):
    path = tmp_path / "feed.xml"
    twice = "<presentation><dc:identifier>a/p1</dc:identifier></presentation>" * 2
    path.write_text(feed(course("a", "Welding basics", presentations=twice)), encoding="utf-8")
    outcome = catalogue.harvest(path)
    assert outcome.run.published == 1 and [e.code for e in outcome.errors] == ["duplicate-identifier"]


def test_a_course_without_presentations_is_one_offer_and_deleted_presentations_none(catalogue, tmp_path):
    path = tmp_path / "feed.xml"
    deleted = '<presentation recstatus="3"><dc:identifier>b/p1</dc:identifier></presentation>'
    path.write_text(feed(course("a", "Welding basics", presentations=""), course("b", "Forklift safety", presentations=deleted)), encoding="utf-8")
    outcome = catalogue.harvest(path)
    assert outcome.run.published == 1 and catalogue.values("?o dcterms:title ?v") == {"Welding basics"}


# -- mapping details --------------------------------------------------------------------------------


def _one(catalogue, tmp_path, body: str = "", presentation: str = "", **options):
    path = tmp_path / "feed.xml"
    extra = options.pop("feed_options", {})
    path.write_text(feed(course("a", "Welding basics", body, f"<presentation><dc:identifier>a/p1</dc:identifier>{presentation}</presentation>"), **extra), encoding="utf-8")
    return catalogue.harvest(path, **options)


def test_dates_use_dtf_and_keep_text_dates_as_schedule_information(catalogue, tmp_path):
    outcome = _one(catalogue, tmp_path, presentation=(
        '<mlo:start>Ongoing</mlo:start><end dtf="31/12/2026">end of year</end><applyUntil>2026-08-31</applyUntil>'
        '<mlo:duration interval="not-iso">6 weeks</mlo:duration>'))
    assert catalogue.values("?o elm:applicationDeadline ?v") == {"2026-08-31T23:59:59Z"}
    assert catalogue.values("?o elm:duration ?v") == {"P42D"}
    assert catalogue.values("?o elm:scheduleInformation/elm:noteLiteral ?v") == {"Start: Ongoing\nEnd: end of year"}
    assert notes(outcome, "dropped", "end/@dtf")[0].value == "31/12/2026"
    assert notes(outcome, "guessed", "duration")[0].value == "6 weeks"


@pytest.mark.parametrize(
    "level, options, expected, kind",
    [
        ("EQF Level 4", {}, "4", None),
        ("http://data.europa.eu/snb/eqf/6", {}, "6", None),
        ("NFQ Level 8", {}, "6", "guessed"),
        ("Level 6", {"level_framework": "nfq-ie"}, "5", "guessed"),
        ("Level 3", {}, None, "unmapped"),  # a UK RQF or SCQF level is not an EQF level
        ("Postgraduate", {}, None, "unmapped"),
    ],
)
def test_levels_are_eqf_only_when_the_feed_says_so(catalogue, tmp_path, level, options, expected, kind):
    body = f"<mlo:qualification><dc:title>Award</dc:title><dcterms:educationLevel>{level}</dcterms:educationLevel></mlo:qualification>"
    outcome = _one(catalogue, tmp_path, body, **options)
    assert catalogue.values("?o elm:learningAchievementSpecification/elm:educationLevel ?v") == ({EQF + expected} if expected else set())
    assert [n.kind for n in notes(outcome, field="educationLevel")] == ([kind] if kind else [])


def test_credits_are_carried_for_ects_and_noted_for_other_schemes(catalogue, tmp_path):
    credits = ("<mlo:credit><credit:scheme>CATS</credit:scheme><credit:level>4</credit:level><credit:value>20</credit:value></mlo:credit>"
               "<mlo:credit><credit:scheme>ECTS</credit:scheme><credit:level>1</credit:level><credit:value>7,5</credit:value></mlo:credit>")
    outcome = _one(catalogue, tmp_path, credits)
    assert catalogue.values("?o elm:learningAchievementSpecification/elm:creditPoint/elm:point ?v") == {"7.5"}
    assert notes(outcome, "unmapped", "credit")[0].value == "20 credits, scheme CATS, level 4"


def test_modes_come_from_codes_and_defaults_are_noted(catalogue, tmp_path):
    _one(catalogue, tmp_path, presentation='<studyMode identifier="FT">Lánaimseartha</studyMode><attendanceMode identifier="WB">San ionad oibre</attendanceMode>')
    assert catalogue.values("?o elm:learningSchedule ?v") == {SCHEDULE + "72a0ab92fa"}
    assert catalogue.values("?o elm:mode ?v") == {MODE + "729f3bed4b"}


def test_missing_modes_get_the_xcri_defaults_with_a_note(catalogue, tmp_path):
    outcome = _one(catalogue, tmp_path)
    assert catalogue.values("?o elm:learningSchedule ?v") == {SCHEDULE + "72a0ab92fa"}
    assert catalogue.values("?o elm:mode ?v") == {MODE + "9191af2ed9"}
    assert {n.field for n in notes(outcome, "guessed")} >= {"presentation/studyMode", "presentation/attendanceMode"}


@pytest.mark.parametrize(
    "cost, options, amount, currency",
    [
        ("GBP6,000 per stage", {}, "6000", "GBP"),
        ("€450", {}, "450", "EUR"),
        ("Free", {"currency": "EUR"}, "0", "EUR"),
    ],
)
def test_costs_become_prices(catalogue, tmp_path, cost, options, amount, currency):
    outcome = _one(catalogue, tmp_path, presentation=f"<mlo:cost>{cost}</mlo:cost>", **options)
    assert catalogue.values("?o elm:priceDetail/elm:amount [ rdf:value ?v ; elm:unit <%s%s> ]" % (CURRENCY, currency)) == {amount}
    assert catalogue.values("?o elm:priceDetail/skos:prefLabel ?v") == {cost}
    assert bool(notes(outcome, "guessed", "cost")) == ("currency" in options)


def test_the_provider_country_comes_from_the_option_when_the_feed_names_none(catalogue, tmp_path):
    outcome = _one(catalogue, tmp_path, country="IE", feed_options={"address": "<mlo:postcode>H91 X2Y3</mlo:postcode>"})
    assert catalogue.values("?o elm:providedBy/elm:location/elm:address/elm:countryCode ?v") == {COUNTRY + "IRL"}
    assert notes(outcome, "guessed", "provider/location")[0].value == "IE"


def test_without_any_country_the_offer_is_quarantined(catalogue, tmp_path):
    outcome = _one(catalogue, tmp_path, feed_options={"address": ""})
    assert outcome.run.quarantined + outcome.run.published == 1
    assert not catalogue.everything_about("elm:countryCode")


def test_texts_without_xml_lang_are_read_as_english_with_a_note(catalogue, tmp_path):
    outcome = _one(catalogue, tmp_path, feed_options={"lang": ""})
    assert catalogue.values('?o dcterms:title ?v FILTER(LANG(?v) = "en")') == {"Welding basics"}
    assert notes(outcome, "guessed", "xml:lang")


def test_descriptions_by_xsi_type(catalogue, tmp_path):
    body = ('<dc:description><xhtml:p>First paragraph.</xhtml:p><xhtml:p>Second   paragraph.</xhtml:p></dc:description>'
            '<dc:description xsi:type="xcriTerms:aim">To make you safe.</dc:description>'
            '<dc:description xsi:type="xcriTerms:prerequisite">Be 18 or over.</dc:description>'
            '<dc:description xsi:type="xcriTerms:assessmentStrategy">A portfolio of welds.</dc:description>'
            '<dc:description xsi:type="xcriTerms:topic">MIG, TIG</dc:description>'
            '<dc:description xsi:type="t:keywords">weld</dc:description>')
    outcome = _one(catalogue, tmp_path, body)
    assert catalogue.values("?o dcterms:description ?v") == {"First paragraph.\nSecond paragraph.\n\nTo make you safe."}
    assert catalogue.values("?o elm:learningAchievementSpecification/elm:entryRequirement/elm:noteLiteral ?v") == {"Be 18 or over."}
    assert catalogue.values("?o elm:learningAchievementSpecification/elm:provenBy/dcterms:title ?v") == {"A portfolio of welds."}
    assert {n.field for n in notes(outcome, "dropped")} >= {"course/dc:description[topic]", "course/dc:description[keywords]"}


def test_a_provider_root_document_is_read(catalogue, tmp_path):
    document = SMALL.replace('<catalog ', '<wrapper ').replace("</catalog>", "</wrapper>")
    document = document.replace("<provider>", f"<provider {NAMESPACES} xml:lang=\"en\">", 1)
    document = document.split("\n", 2)[0] + "\n" + document[document.index("<provider "):document.index("</wrapper>")]
    path = tmp_path / "provider.xml"
    path.write_text(document, encoding="utf-8")
    assert catalogue.harvest(path).run.published == 2


# -- a rich feed as real colleges write it: nothing of it may be lost silently ------------------------------------------

RICH = ROOT / "tests" / "fixtures" / "feeds" / "xcri-cap-rich.xml"
ANYTIME, AUTUMN = "Data Analysis with Python", "https://www.firth-college.example/courses/data-analysis/"


def _rich(server, catalogue):
    url = server.add("/rich.xml", RICH.read_bytes(), "application/xml")
    outcome = catalogue.harvest(url)
    assert not outcome.errors and len(catalogue.offers() | catalogue.quarantined()) == 2, outcome.run.message
    return outcome


def _run(catalogue, presentation: str, pattern: str) -> set[str]:
    """Values of ?v for the offer of one presentation (by the end of its dc:identifier)."""
    return catalogue.anywhere(f'?o adms:identifier/skos:notation ?id FILTER(STRENDS(?id, "{presentation}")) {pattern}')


def test_a_presentation_description_is_a_note_beside_the_course_description(server, catalogue):
    _rich(server, catalogue)
    full = "A full course description: from spreadsheets to pandas, with a project on open data from the city council.\n\nTo make you confident with data."
    assert _run(catalogue, "/anytime", "?o dcterms:description ?v") == {full}
    own_notes = "?o elm:additionalNote ?n . ?n elm:noteLiteral ?v FILTER NOT EXISTS { ?n dcterms:subject ?topic }"
    assert _run(catalogue, "/anytime", own_notes) == {"Evening class, start when you like."}
    assert _run(catalogue, "/2026-09", "?o dcterms:description ?v") == {full}  # no description of its own: the course's
    assert not _run(catalogue, "/2026-09", "?o elm:additionalNote ?v")


def test_placeholder_dates_are_a_flexible_start_never_a_date(server, catalogue):
    outcome = _rich(server, catalogue)
    assert not _run(catalogue, "/anytime", "?o dcterms:temporal ?v") and not _run(catalogue, "/anytime", "?o elm:applicationDeadline ?v")
    schedule = _run(catalogue, "/anytime", "?o elm:scheduleInformation/elm:noteLiteral ?v")
    assert schedule == {"Evening"}
    flexible = "?o elm:additionalNote ?n . ?n dcterms:subject <https://w3id.org/mc-catalogue/note-topic/flexible-start> ; elm:noteLiteral ?v"
    assert _run(catalogue, "/anytime", flexible) == {"Flexible start: you can start at any time."}
    assert {(n.field, n.value) for n in notes(outcome, "guessed") if "placeholder" in n.detail} == {
        ("presentation/start", "1900-01-01"), ("presentation/end", "2099-12-31"), ("presentation/applyUntil", "9999-12-31")}
    assert _run(catalogue, "/2026-09", "?o dcterms:temporal/elm:startDate ?v") == {"2026-09-07T00:00:00Z"}


def test_regional_prices_become_one_price_detail_each(server, catalogue):
    _rich(server, catalogue)
    pattern = "?o elm:priceDetail ?p . ?p skos:prefLabel ?l ; dcterms:description ?d ; elm:amount [ rdf:value ?a ; elm:unit ?u ] BIND(CONCAT(?l, '|', ?d, '|', STR(?a), '|', STR(?u)) AS ?v)"
    assert _run(catalogue, "/anytime", pattern) == {f"UK|£9,250 (UK)|9250|{CURRENCY}GBP", f"International|£14,500 (International)|14500|{CURRENCY}GBP"}
    assert _run(catalogue, "/2026-09", pattern) == {f"Home|Home: £1,200|1200|{CURRENCY}GBP", f"EU|EU: £2,000|2000|{CURRENCY}GBP"}


def test_credit_schemes_and_levels_are_kept(server, catalogue):
    outcome = _rich(server, catalogue)
    spec = "?o elm:learningAchievementSpecification "
    assert _run(catalogue, "/anytime", spec + "[ elm:creditPoint [ elm:point ?v ; elm:framework <%s> ] ]" % ECTS) == {"30"}
    assert _run(catalogue, "/anytime", spec + "[ elm:educationLevel ?v ]") == {EQF + "6"}  # the ECTS credit's level said EQF 6
    assert _run(catalogue, "/anytime", spec + "[ elm:additionalNote/elm:noteLiteral ?v ]") == {
        "Credits: 60 (CATS), level 4", "Level: SCQF 7",
        'The qualification "Professional Development Award in Data Analysis" is accredited by SQA Accreditation.'}
    assert any(n.value == "60 credits, scheme CATS, level 4" for n in notes(outcome, "unmapped", "credit"))
    assert any(n.value == "SCQF 7" for n in notes(outcome, "unmapped", "course/level"))


def test_the_provider_address_is_written_once(server, catalogue):
    _rich(server, catalogue)
    rows = catalogue.store.query("SELECT DISTINCT ?a WHERE { GRAPH ?g { ?a a elm:Address } }", default_graphs=[])
    addresses = {r["a"].value for r in rows}
    assert len([a for a in addresses if "/org/shannon/https-www.firth-college.example" in a]) == 1  # not the venue's copy
    venue = "?o elm:location ?l . ?l elm:geographicName ?name ; elm:address ?a . ?o elm:providedBy/elm:location/elm:address ?a BIND(STR(?name) AS ?v)"
    assert _run(catalogue, "/anytime", venue) == {"Harbour Street Campus"}


def test_every_element_of_a_rich_feed_is_mapped_or_noted(server, catalogue):
    from xml.etree import ElementTree

    outcome = _rich(server, catalogue)
    rows = catalogue.store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", default_graphs=[])
    values = {r["o"].value for r in rows}
    noted = [n.field for n in outcome.notes]
    # Elements read as codes of EU lists: present if the offer has the property they map to.
    concepts = {"studyMode": "elm:learningSchedule", "attendanceMode": "elm:mode", "languageOfInstruction": "elm:defaultLanguage",
                "duration": "elm:duration"}
    xhtml = "{http://www.w3.org/1999/xhtml}"

    def found(value: str) -> bool:
        whole_word = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")
        return value in values or any(v.endswith("/" + value) for v in values) or (len(value) >= 4 and any(whole_word.search(v) for v in values))

    def name(element) -> str:
        namespace, _, local = element.tag[1:].partition("}")
        return {"http://purl.org/dc/elements/1.1/": "dc:", "http://purl.org/net/cm": "credit:"}.get(namespace, "") + local

    missing = []
    for parent in ElementTree.parse(RICH).iter():
        for element in parent:
            if [c for c in element if not c.tag.startswith(xhtml)]:
                continue  # a container: its parts are checked one by one
            texts = [t.strip() for t in element.itertext() if t.strip()]
            attributes = [v for k, v in element.attrib.items() if not k.startswith("{")]
            covered = (texts and all(found(t) for t in texts)) or any(found(a) for a in attributes)
            # A note names the element, or is about its whole group (e.g. "credit" for scheme, level and value).
            covered = covered or any(name(element) in field.split("/") or field == name(parent) for field in noted)
            covered = covered or (name(element) in concepts and catalogue.anywhere(f"?o {concepts[name(element)]} ?v"))
            if not covered:
                missing.append(f"{name(parent)}/{name(element)}: {texts or attributes}")
    assert not missing, missing
