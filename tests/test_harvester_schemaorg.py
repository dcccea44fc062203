"""The schemaorg harvester: course pages with JSON-LD, microdata and RDFa, found through sitemaps.

Driven through the real pipeline (real Oxigraph store, real validation) against the bundled
example site and a real HTTP server on 127.0.0.1 that misbehaves on request.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from catalogue.harvest.contract import slug

from .conftest import BASE, ROOT
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

EXAMPLE = ROOT / "examples" / "feeds" / "schemaorg" / "alvdalen" / "sitemap.xml"
ELM = "http://data.europa.eu/snb/model/elm/"
HOSTILE = "</script><script>alert(1)</script> & <b>bold</b>"
PROVIDER = {
    "@type": "EducationalOrganization", "name": "Älvdalens folkhögskola", "url": "https://www.alvdalen-fhs.example/",
    "address": {"@type": "PostalAddress", "addressLocality": "Älvdalen", "addressCountry": "SE"},
}


# -- pages ---------------------------------------------------------------------------------------------


def jsonld_page(course: dict, lang: str = "sv") -> str:
    # Inside <script>, "</" must be escaped, as every JSON-LD writer does.
    data = json.dumps({"@context": "https://schema.org", **course}, ensure_ascii=False).replace("</", "<\\/")
    return f'<!DOCTYPE html><html lang="{lang}"><head><title>t</title><script type="application/ld+json">{data}</script></head><body></body></html>'


def course(code: str, name: str, **extra) -> dict:
    """A publishable course: title, homepage, provider, outcome, ISCED-F field, language."""
    return {
        "@type": "Course", "@id": f"https://www.alvdalen-fhs.example/kurser/{code}#kurs", "courseCode": code, "name": name,
        "url": f"https://www.alvdalen-fhs.example/kurser/{code}", "provider": PROVIDER, "inLanguage": "sv",
        "about": "ISCED-F 0211", "teaches": ["Berätta med bild och ljud"], **extra,
    }


MICRODATA_PAGE = """<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>t</title></head><body>
<div itemscope itemtype="http://schema.org/Course" itemid="https://www.alvdalen-fhs.example/kurser/md#kurs">
  <h1 itemprop="name">Mikrodata-kurs</h1><p lang="en" itemprop="name">Microdata course</p>
  <link itemprop="url" href="https://www.alvdalen-fhs.example/kurser/md">
  <meta itemprop="inLanguage" content="sv"><meta itemprop="about" content="0211">
  <span itemprop="teaches">Tälja en sked</span>
  <div itemprop="provider" itemscope itemtype="https://schema.org/EducationalOrganization">
    <span itemprop="name">Älvdalens folkhögskola</span><link itemprop="url" href="https://www.alvdalen-fhs.example/">
    <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress"><meta itemprop="addressCountry" content="SE"></div>
  </div>
  <div itemprop="hasCourseInstance" itemscope itemtype="https://schema.org/CourseInstance">
    <meta itemprop="courseMode" content="onsite"><time itemprop="startDate" datetime="2026-09-15">15/9</time>
    <meta itemprop="courseWorkload" content="PT90M">
  </div>
</div></body></html>"""

RDFA_PAGE = """<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>t</title></head>
<body vocab="https://schema.org/">
<div typeof="Course" resource="https://www.alvdalen-fhs.example/kurser/rdfa#kurs">
  <h1 property="name">RDFa-kurs</h1><p lang="en" property="name">RDFa course</p>
  <link property="url" href="https://www.alvdalen-fhs.example/kurser/rdfa">
  <meta property="inLanguage" content="sv"><meta property="about" content="0211">
  <span property="teaches">Skriva ett manus</span>
  <div property="provider" typeof="EducationalOrganization"><span property="name">Älvdalens folkhögskola</span>
    <link property="url" href="https://www.alvdalen-fhs.example/">
    <div property="address" typeof="PostalAddress"><meta property="addressCountry" content="SE"></div></div>
  <div property="hasCourseInstance" typeof="CourseInstance"><meta property="courseMode" content="distans">
    <time property="startDate" datetime="2026-10-01">1/10</time><meta property="courseWorkload" content="PT40H"></div>
</div></body></html>"""


def sitemap(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


# -- harness -------------------------------------------------------------------------------------------------


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = "alvdalen", "Älvdalens folkhögskola", "schemaorg"
    defaults = {"retries": 0}

    def select(self, query: str, graph: str = "source") -> list[tuple]:
        name = self.store.source_graph("alvdalen") if graph == "source" else self.store.quarantine_graph("alvdalen")
        variables = " ".join(dict.fromkeys(re.findall(r"\?\w+", query)))  # columns in the order they appear
        text = f"PREFIX elm: <{ELM}> PREFIX dcterms: <http://purl.org/dc/terms/> SELECT {variables} WHERE {{ GRAPH <{name}> {{ {query} }} }}"
        return [tuple(getattr(v, "value", None) for v in row) for row in self.store.query(text)]

    def titles(self, graph: str = "source") -> set[tuple[str, str]]:
        rows = self.select("?o a elm:LearningOpportunity ; dcterms:title ?t . BIND(LANG(?t) AS ?l)", graph)
        return {(t, lang) for _, t, lang in rows}

    def offers(self) -> set[str]:
        return {o for (o,) in self.select("?o a elm:LearningOpportunity")}


@pytest.fixture()
def catalogue(tmp_path, validator) -> Catalogue:
    return Catalogue(tmp_path, validator)


def codes(outcome) -> dict[str, str]:
    return {Path(e.record).name or e.record: e.code for e in outcome.errors}


def notes(outcome, kind: str | None = None) -> list[tuple[str, str]]:
    return [(n.field, n.value) for n in outcome.notes if kind is None or n.kind == kind]


# -- the bundled example -------------------------------------------------------------------------------------


def test_example_site_every_syntax_and_field(catalogue):
    outcome = catalogue.harvest(str(EXAMPLE))
    run = outcome.run
    assert run.outcome == "partial" and run.published + run.quarantined == 6  # the shapes decide which are listed
    assert codes(outcome) == {"keramik-sommarkurs.html": "jsonld-syntax"}
    assert outcome.errors[0].position == "line 16"
    assert ("page", "EducationalOrganization") in notes(outcome, "dropped")  # om-skolan.html has no course
    titles = catalogue.titles()
    assert {("Fjällnatur och friluftsliv", "sv"), ("Mountain nature and outdoor life", "en")} <= titles  # JSON-LD @language
    assert {("Traditionellt hantverk: näver och trä", "sv"), ("Traditional crafts: birch bark and wood", "en")} <= titles  # microdata lang
    assert {("Svenska för vårdpersonal", "sv"), ("Swedish for health-care staff", "en")} <= titles  # RDFa lang
    assert ("Digital storytelling", "en") in titles  # http://schema.org/ context with @graph
    assert {("Ledarskap i ideell sektor", "sv"), ("Leadership in the non-profit sector", "en")} <= titles | catalogue.titles("quarantine")
    # One course, two instances: two offers, told apart by @id and by start date.
    fjall = catalogue.select("""?o dcterms:title "Fjällnatur och friluftsliv"@sv ; elm:mode ?mode ; dcterms:temporal/elm:startDate ?start ;
        elm:learningAchievementSpecification/elm:volumeOfLearning ?hours ;
        elm:priceDetail/elm:amount [ elm:unit ?currency ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?price ] .""")
    assert sorted(row[1:] for row in fjall) == [
        ("http://data.europa.eu/snb/learning-assessment/9191af2ed9", "2026-08-24T00:00:00Z", "P25D", "http://publications.europa.eu/resource/authority/currency/SEK", "9800"),
        ("http://data.europa.eu/snb/learning-assessment/e92d221e4d", "2027-01-18T00:00:00Z", "P16DT16H", "http://publications.europa.eu/resource/authority/currency/SEK", "3200"),
    ]


def test_example_specification_fields(catalogue):
    catalogue.harvest(str(EXAMPLE))
    spec = catalogue.select("""?o dcterms:title "Fjällnatur och friluftsliv"@sv ; elm:learningAchievementSpecification ?s ; elm:applicationDeadline ?deadline ;
        elm:location/elm:address/elm:countryCode ?country ; elm:providedBy/elm:location/elm:address/elm:countryCode ?providerCountry .
        ?s elm:educationLevel ?eqf ; elm:ISCEDFCode ?isced ; dcterms:language ?lang ; elm:entryRequirement/elm:noteLiteral ?entry ;
        elm:awardingOpportunity/elm:awardingBody/<http://www.w3.org/ns/regorg#legalName> ?awarding ;
        elm:additionalNote/elm:noteLiteral ?quality . FILTER(LANG(?quality) = "en")""")
    assert {row[2:] for row in spec} == {(
        "2026-05-15T23:59:59Z", "http://publications.europa.eu/resource/authority/country/SWE", "http://publications.europa.eu/resource/authority/country/SWE",
        "http://data.europa.eu/snb/eqf/4", "http://data.europa.eu/snb/isced-f/1015", "http://publications.europa.eu/resource/authority/language/SWE",
        "Inga förkunskaper krävs, men du behöver kunna gå flera timmar i terräng med packning.", "Älvdalens folkhögskola", "Recognised by Folkbildningsrådet.",
    ), (
        "2026-11-15T23:59:59Z", "http://publications.europa.eu/resource/authority/country/SWE", "http://publications.europa.eu/resource/authority/country/SWE",
        "http://data.europa.eu/snb/eqf/4", "http://data.europa.eu/snb/isced-f/1015", "http://publications.europa.eu/resource/authority/language/SWE",
        "Inga förkunskaper krävs, men du behöver kunna gå flera timmar i terräng med packning.", "Älvdalens folkhögskola", "Recognised by Folkbildningsrådet.",
    )}
    outcomes = catalogue.select('?o dcterms:title "Traditionellt hantverk: näver och trä"@sv ; elm:learningAchievementSpecification/elm:learningOutcome/dcterms:title ?t')
    assert len(outcomes) == 3
    schedule = catalogue.select('?o dcterms:title "Traditionellt hantverk: näver och trä"@sv ; elm:scheduleInformation/elm:noteLiteral ?t ; '
                                'elm:learningAchievementSpecification/elm:volumeOfLearning ?h')
    assert {row[1:] for row in schedule} == {("3 tim, varje vecka, 12 gånger, tisdag, 18:00–21:00", "P1DT12H"), ("3 h, weekly, 12 times, Tuesday, 18:00–21:00", "P1DT12H")}
    online = catalogue.select('?o dcterms:title "Digitalt berättande"@sv ; elm:mode ?m ; elm:duration ?d ; elm:priceDetail/elm:amount/<http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?p ; '
                              'elm:learningAchievementSpecification/dcterms:language ?l')
    assert {row[1:] for row in online} == {
        ("http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "P56D", "0", f"http://publications.europa.eu/resource/authority/language/{code}") for code in ("SWE", "ENG")
    }


def test_example_guesses_are_noted(catalogue):
    outcome = catalogue.harvest(str(EXAMPLE))
    guessed = dict(notes(outcome, "guessed"))
    assert guessed["numberOfCredits"] == "15"  # no unit: read as ECTS
    assert guessed["courseSchedule"] == "3 h × 12"  # hours from the schedule
    assert guessed["location"] == "Folkhögskolevägen 1, 796 30 Älvdalen"  # country from the provider
    assert guessed["mode"] in ("distans med träffar", "onsite")
    dropped = {field for field, _ in notes(outcome, "dropped")}
    assert {"Course/hasCourseInstance/instructor", "Course/financialAidEligible", "EducationalOccupationalProgram/occupationalCategory"} <= dropped
    credits = catalogue.select("?o elm:learningAchievementSpecification/elm:creditPoint [ elm:point ?p ; elm:framework ?f ] ; "
                               "elm:learningSchedule ?schedule ; elm:applicationDeadline ?deadline", "quarantine")
    credits += catalogue.select("?o elm:learningAchievementSpecification/elm:creditPoint [ elm:point ?p ; elm:framework ?f ] ; "
                                "elm:learningSchedule ?schedule ; elm:applicationDeadline ?deadline")
    assert [row[1:] for row in credits] == [("15", "http://data.europa.eu/snb/education-credit/6fcec5c5af",
                                             "http://data.europa.eu/snb/learning-schedule/f230bae523", "2026-06-15T23:59:59Z")]


# -- over HTTP ----------------------------------------------------------------------------------------------------


def good_site(server: FeedServer) -> dict[str, str]:
    pages = {
        "/kurser/json.html": jsonld_page(course("JS01", "JSON-LD-kurs", hasCourseInstance={"@type": "CourseInstance", "courseMode": "online", "startDate": "2026-09-01", "courseWorkload": "PT40H"})),
        "/kurser/md.html": MICRODATA_PAGE,
        "/kurser/rdfa.html": RDFA_PAGE,
        "/kurser/hostile.html": jsonld_page(course("HX01", HOSTILE)),
    }
    for path, body in pages.items():
        server.add(path, body, "text/html", charset="utf-8")
    server.add("/sitemap.xml", sitemap([server.url(p) for p in pages]), "application/xml")
    return pages


def test_http_sitemap_three_syntaxes_and_hostile_text(catalogue):
    with FeedServer() as server:
        good_site(server)
        outcome = catalogue.harvest(server.url("/sitemap.xml"))
    assert (outcome.run.outcome, outcome.run.published, outcome.run.quarantined) == ("published", 4, 0), outcome.errors
    titles = catalogue.titles()
    assert {("Mikrodata-kurs", "sv"), ("Microdata course", "en"), ("RDFa-kurs", "sv"), ("RDFa course", "en"), ("JSON-LD-kurs", "sv")} <= titles
    assert (HOSTILE, "sv") in titles  # stored as text, exactly as written
    hours = catalogue.select('?o dcterms:title "Mikrodata-kurs"@sv ; elm:learningAchievementSpecification/elm:volumeOfLearning ?h')
    assert hours[0][1] == "PT2H"  # PT90M rounded to whole hours, with a note
    assert ("courseWorkload", "PT90M") in notes(outcome, "guessed")


def test_404_among_good_pages(catalogue):
    with FeedServer() as server:
        pages = good_site(server)
        server.add("/sitemap.xml", sitemap([server.url(p) for p in [*pages, "/kurser/borttagen.html"]]), "application/xml")
        outcome = catalogue.harvest(server.url("/sitemap.xml"))
    assert (outcome.run.outcome, outcome.run.published) == ("partial", 4)
    assert codes(outcome) == {"borttagen.html": "http-status"}
    assert "404" in outcome.errors[0].message and "borttagen.html" in outcome.errors[0].message


def test_faults_keep_previous_offers(catalogue):
    with FeedServer() as server:
        pages = good_site(server)
        first = catalogue.harvest(server.url("/sitemap.xml"), timeout=1)
        assert first.run.published == 4
        before = catalogue.offers()
        server.fault("/kurser/json.html", "status", status=404)
        server.fault("/kurser/md.html", "hang", seconds=5)
        server.add("/kurser/rdfa.html", RDFA_PAGE.replace('property="name">RDFa-kurs', 'property="name">RDFa-kurs <b'), "text/html")
        server.add("/kurser/hostile.html", pages["/kurser/hostile.html"].replace('"name":', '"name"'), "text/html")
        server.add("/robots.txt", "User-agent: *\nDisallow: /kurser/rdfa.html\n", "text/plain")
        second = catalogue.harvest(server.url("/sitemap.xml"), timeout=1)
    assert second.run.outcome == "partial"
    assert codes(second) == {"json.html": "http-status", "md.html": "unreachable", "rdfa.html": "robots-disallowed", "hostile.html": "jsonld-syntax"}
    assert catalogue.offers() == before  # every page failed, so every offer was kept from the first run
    assert second.run.carried_over == 4


def test_unchanged_second_run_uses_conditional_requests(catalogue):
    with FeedServer() as server:
        good_site(server)
        first = catalogue.harvest(server.url("/sitemap.xml"))
        iris = catalogue.offers()
        seen = len(server.requests)
        second = catalogue.harvest(server.url("/sitemap.xml"))
        conditional = [h for _, path, h in server.requests[seen:] if path != "/robots.txt"]
    assert first.run.outcome == "published" and second.run.outcome == "unchanged"
    assert len(conditional) == 5 and all("If-None-Match" in headers for headers in conditional)
    assert catalogue.offers() == iris and len(iris) == 4  # stable IRIs


def test_stable_iris_and_keys(catalogue):
    with FeedServer() as server:
        good_site(server)
        catalogue.harvest(server.url("/sitemap.xml"))
    iris = catalogue.offers()
    # Keys come from the provider's identifiers: the CourseInstance's start date under the course's @id.
    assert f"{BASE}offer/alvdalen/{slug('https://www.alvdalen-fhs.example/kurser/md#kurs/2026-09-15')}" in iris
    catalogue2 = Catalogue(Path(catalogue.config.data_dir).parent / "again", catalogue.validator)
    with FeedServer() as server:  # another server, another port: the same offers
        good_site(server)
        catalogue2.harvest(server.url("/sitemap.xml"))
    assert catalogue2.offers() == iris


def test_sitemap_index_gzip_and_page_list(catalogue):
    with FeedServer() as server:
        good_site(server)
        child = gzip.compress(sitemap([server.url("/kurser/md.html"), server.url("/kurser/rdfa.html")]).encode())
        server.add("/sitemaps/kurser.xml.gz", child, "application/gzip")
        index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{server.url("/sitemaps/kurser.xml.gz")}</loc></sitemap>' \
                f'<sitemap><loc>{server.url("/sitemaps/missing.xml")}</loc></sitemap></sitemapindex>'
        server.add("/sitemap_index.xml", index, "application/xml")
        from_index = catalogue.harvest(server.url("/sitemap_index.xml"))
        assert catalogue.titles() >= {("Mikrodata-kurs", "sv"), ("RDFa-kurs", "sv")}
        assert from_index.run.outcome == "partial" and [e.code for e in from_index.errors] == ["sitemap-unreadable"]
        listed = catalogue.harvest(server.url("/kurser/json.html"), server.url("/kurser/md.html"), server.url("/kurser/rdfa.html"))
        chosen = catalogue.harvest(server.url("/sitemap.xml"), include=r"/kurser/(md|rdfa)\.html$")
    assert listed.run.outcome == "published" and listed.run.seen == 3
    assert chosen.run.seen == 2  # the include option picks course pages out of a whole-site sitemap


def test_record_without_identifier_and_page_without_course(catalogue):
    twins = jsonld_page({"@graph": [{"@type": "Course", "name": "A"}, {"@type": "Course", "name": "B"}]})
    with FeedServer() as server:
        good_site(server)
        server.add("/kurser/twins.html", twins, "text/html")
        server.add("/om.html", jsonld_page({"@type": "WebPage", "name": "Om oss"}), "text/html")
        urls = [server.url(p) for p in ("/kurser/json.html", "/kurser/twins.html", "/om.html")]
        server.add("/sitemap.xml", sitemap(urls), "application/xml")
        outcome = catalogue.harvest(server.url("/sitemap.xml"))
    assert codes(outcome) == {"twins.html": "missing-identifier"}
    assert outcome.errors[0].position == "course[1]"
    assert ("page", "WebPage") in notes(outcome, "dropped")
    assert outcome.run.published == 1


def test_one_course_without_identifier_uses_the_page_address(catalogue):
    page = jsonld_page({k: v for k, v in course("X", "Utan id").items() if k not in ("@id", "courseCode", "url")})
    with FeedServer() as server:
        server.add("/kurs.html", page, "text/html")
        outcome = catalogue.harvest(server.url("/kurs.html"))
        homepage = catalogue.select("?o elm:providedBy ?p ; <http://xmlns.com/foaf/0.1/homepage>/elm:contentUrl ?u")
        assert homepage[0][2] == server.url("/kurs.html")
    assert outcome.run.published == 1


@pytest.mark.parametrize("fault, options", [("status", {"status": 500}), ("truncate", {"body": b"<?xml version='1.0'?><urlset>"}), ("hang", {"seconds": 5})])
def test_sitemap_unreadable_keeps_everything(catalogue, fault, options):
    with FeedServer() as server:
        good_site(server)
        catalogue.harvest(server.url("/sitemap.xml"))
        before = catalogue.offers()
        server.fault("/sitemap.xml", fault, **options)
        outcome = catalogue.harvest(server.url("/sitemap.xml"), timeout=1)
    assert outcome.run.outcome == "failed" and "sitemap" in outcome.run.message
    assert catalogue.offers() == before and len(before) == 4


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol4;</loc></url></urlset>"""


def test_malformed_sitemaps_fail_safely(catalogue, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY xxe SYSTEM "file://{secret}">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://127.0.0.1:1/&xxe;</loc></url></urlset>"""
    with FeedServer() as server:
        good_site(server)
        catalogue.harvest(server.url("/sitemap.xml"))
        latin = sitemap([server.url("/kurser/räksmörgås.html")]).encode("iso-8859-1")  # says UTF-8, is not
        for body, expected in ((BOMB, "DOCTYPE"), (xxe, "DOCTYPE"), ("<urlset><url><loc>x</url>", "not well-formed"), ("<rss/>", "not a sitemap"),
                               (latin, "not valid UTF-8")):
            server.add("/sitemap.xml", body, "application/xml")
            outcome = catalogue.harvest(server.url("/sitemap.xml"))
            assert outcome.run.outcome == "failed" and expected in outcome.run.message, outcome.run.message
    dump = "\n".join(str(q) for q in catalogue.store.store.quads_for_pattern(None, None, None, None))
    assert "TOP-SECRET" not in dump and len(catalogue.offers()) == 4


def test_wrong_and_declared_encodings(catalogue):
    latin = jsonld_page(course("L1", "Älvdalsk slöjd")).replace("<head>", '<head><meta charset="iso-8859-1">').encode("iso-8859-1")
    with FeedServer() as server:
        server.add("/declared.html", latin, "text/html")  # no HTTP charset: <meta charset> decides
        server.add("/wrong.html", latin, "text/html", charset="utf-8")  # the header says UTF-8: an error naming the place
        outcome = catalogue.harvest(server.url("/declared.html"), server.url("/wrong.html"))
    assert ("Älvdalsk slöjd", "sv") in catalogue.titles()
    assert codes(outcome) == {"wrong.html": "encoding"}
    assert outcome.errors[0].position.startswith("line 1, column")
    assert "UTF-8" in outcome.errors[0].message and "wrong.html" in outcome.errors[0].message


def test_rdfa_and_jsonld_fetch_nothing_else(catalogue):
    page = RDFA_PAGE.replace('vocab="https://schema.org/"', 'vocab="https://schema.org/" prefix="ex: {vocab}"')
    with FeedServer() as server:
        vocab = server.url("/vocab")
        server.add("/rdfa.html", page.replace("{vocab}", vocab), "text/html")
        server.add("/remote.html", jsonld_page(course("R1", "Fjärrkontext")).replace('"https://schema.org"', f'["https://schema.org", "{server.url("/context.jsonld")}"]'), "text/html")
        outcome = catalogue.harvest(server.url("/rdfa.html"), server.url("/remote.html"))
        assert server.hits("/vocab") == 0 and server.hits("/context.jsonld") == 0
    assert outcome.run.published == 2


def test_cancelled_instances_and_duplicates(catalogue):
    twice = jsonld_page(course("D1", "Dubbel", hasCourseInstance=[
        {"@type": "CourseInstance", "startDate": "2026-09-01", "courseMode": "online"},
        {"@type": "CourseInstance", "startDate": "2026-10-01", "eventStatus": "https://schema.org/EventCancelled"},
    ]))
    with FeedServer() as server:
        server.add("/a.html", twice, "text/html")
        server.add("/b.html", twice, "text/html")  # the same course on a second page
        outcome = catalogue.harvest(server.url("/a.html"), server.url("/b.html"))
    assert outcome.run.published == 1
    dropped = [f for f, _ in notes(outcome, "dropped")]
    assert "hasCourseInstance/eventStatus" in dropped and "@id" in dropped


# -- a rich course page: free prices, place names, mixed courseMode; nothing lost silently ------------------------------

RICH = ROOT / "tests" / "fixtures" / "feeds" / "schemaorg-rich.html"
DESIGN = "https://www.hogskola.example/kurser/design#"


def _rich(catalogue, **options):
    with FeedServer() as server:
        outcome = catalogue.harvest(server.add("/kurser/design", RICH.read_bytes(), "text/html"), **options)
    assert not outcome.errors, outcome.run.message
    return outcome


def _of(catalogue, instance: str, path: str) -> set[str]:
    """Values for the offer of one course instance, published or set aside (the shapes decide which)."""
    rows = catalogue.select(f"?o a elm:LearningOpportunity ; {path} ?v FILTER(CONTAINS(STR(?o), '{instance}'))", "source")
    rows += catalogue.select(f"?o a elm:LearningOpportunity ; {path} ?v FILTER(CONTAINS(STR(?o), '{instance}'))", "quarantine")
    return {v for _, v in rows}


def test_price_zero_without_currency_is_free_of_charge(catalogue):
    outcome = _rich(catalogue)
    assert _of(catalogue, "ht26", "elm:priceDetail/<http://www.w3.org/2004/02/skos/core#prefLabel>") == {"Free of charge", "Avgiftsfri"}
    assert _of(catalogue, "ht26", "elm:priceDetail/dcterms:description") == {"Studieavgift"}
    assert not _of(catalogue, "ht26", "elm:priceDetail/elm:amount")  # no currency known: no amount
    assert ("offers/price", "0") in notes(outcome, "guessed")
    _rich(catalogue, currency="SEK")
    assert _of(catalogue, "vt27", "elm:priceDetail/elm:amount/<http://www.w3.org/1999/02/22-rdf-syntax-ns#value>") == {"0"}


def test_a_text_location_is_kept_as_a_place_name(catalogue):
    _rich(catalogue)
    assert _of(catalogue, "ht26", "elm:location/elm:geographicName") == {"Stockholm"}
    assert _of(catalogue, "vt27", "elm:location/elm:geographicName") == {"Göteborg"}


def test_course_mode_is_split_into_mode_and_schedule(catalogue):
    _rich(catalogue)
    mode, schedule = "http://data.europa.eu/snb/learning-assessment/", "http://data.europa.eu/snb/learning-schedule/"
    assert _of(catalogue, "ht26", "elm:mode") == {mode + "920fbb3cbe"} and _of(catalogue, "ht26", "elm:learningSchedule") == {schedule + "f230bae523"}
    assert _of(catalogue, "vt27", "elm:mode") == {mode + "9191af2ed9"} and not _of(catalogue, "vt27", "elm:learningSchedule")
    assert _of(catalogue, "st27", "elm:mode") == {mode + "e92d221e4d"} and _of(catalogue, "st27", "elm:learningSchedule") == {schedule + "72a0ab92fa"}


def test_every_property_of_a_rich_page_is_mapped_or_noted(catalogue):
    outcome = _rich(catalogue)
    values = {row[-1] for graph in ("source", "quarantine") for row in catalogue.select("?s ?p ?v", graph)}
    noted = [n.field for n in outcome.notes]
    # Properties read as codes of EU lists or by their meaning: present if some offer has the property they map to.
    concepts = {"courseMode": "elm:mode", "inLanguage": "elm:defaultLanguage", "about": "elm:learningAchievementSpecification/elm:ISCEDFCode",
                "educationalLevel": "elm:learningAchievementSpecification/elm:educationLevel", "price": "elm:priceDetail",
                "numberOfCredits": "elm:learningAchievementSpecification/elm:creditPoint"}
    data = json.loads(re.search(r"<script[^>]*>(.*?)</script>", RICH.read_text(encoding="utf-8"), re.S).group(1))

    def leaves(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if not key.startswith("@") or key == "@id" and path:
                    yield from leaves(value, [*path, key])
        elif isinstance(node, list):
            for item in node:
                yield from leaves(item, path)
        else:
            yield path, str(node)

    def found(value: str) -> bool:
        return value in values or any(value in v for v in values if len(value) >= 4)

    missing = [f"{'/'.join(p)} = {v}" for p, v in leaves(data, []) if not (
        found(v) or p[-1] == "@id" or any(p[-1] in f.split("/") for f in noted)
        or (p[-1] in concepts and _of(catalogue, "kurser-design", concepts[p[-1]])))]
    assert not missing, missing
