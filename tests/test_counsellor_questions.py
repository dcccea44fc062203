"""The questions counsellors ask, part 2: pace of study, language requirements, ESCO skills and occupations, and YH
points and folk high school weeks beside ECTS.

Every answer goes the whole way through real components: the harvesters read the bundled example feeds and EMIL 3
fixtures (served by a real HTTP server on 127.0.0.1), the pipeline derives and validates with the real shapes
(pyshacl) into a real Oxigraph store, a generation is published, and the offer summaries, the search index, the
JSON API (a real server), the server's search page and the offer pages are read as a reader or a client sees them.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import requests

from catalogue.config import Config, SourceConfig
from catalogue.harvest.pipeline import harvest_source
from catalogue.harvest.state import HarvestState
from catalogue.publish.generations import current_generation, publish_generation
from catalogue.publish.offer_data import read_offers
from catalogue.publish.search_index import SearchIndex, SearchQuery
from catalogue.site.environment import common_context, environment
from catalogue.site.live import LivePages
from catalogue.site.schema_org import schema_org
from catalogue.site.view import Presenter, offer_view
from catalogue.store.oxigraph import OxigraphStore
from catalogue.vocab import load_vocabulary

from .apiserver import LiveServer, settings_for
from .conftest import BASE, EXAMPLES, ROOT
from .feedserver import FeedServer

EMIL3 = Path(__file__).resolve().parent / "fixtures" / "emil3"
API = "/susa-navet/emil3"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
YH = "https://w3id.org/mc-catalogue/credit-system/yh"
FHS_WEEKS = "https://w3id.org/mc-catalogue/credit-system/folk-high-school-weeks"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
MACHINE_LEARNING = "http://data.europa.eu/esco/skill/3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43"
JAVA = "http://data.europa.eu/esco/skill/19a8293b-8e95-4de3-983f-77484079c389"  # no label in vocab/esco.ttl nor in the data
DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
ALL_STATUSES = [("status", s) for s in ("current", "ended", "cancelled")]

# A folk high school course in Susa-navet: its extent in weeks, full pace, and a language requirement with a CEFR level.
FOLK_HIGH_SCHOOL_INFO = {
    "id": "i.3", "status": "ACTIVE",
    "content": {
        "identifier": "i.3", "code": "FHS-SVA-1", "lastEdited": "2026-02-01T10:00:00",
        "title": {"strings": [{"lang": "swe", "value": "Svenska för yrkeslivet"}]},
        "description": {"strings": [{"lang": "swe", "value": "Svenska för dig som vill arbeta inom vården."}]},
        "type": {"type": "C_SchoolType", "code": "FHS"},
        "configuration": {"type": "C_Configuration", "code": "kurs"},
        "resultIsDegree": False,
        "extent": {"length": 34, "unit": {"type": "C_TimeType", "code": "weeks"}},
        "eligibility": {"strings": [{"lang": "swe", "value": "Svenska som andraspråk 3 eller svenska på nivå B1 enligt GERS."}]},
    },
}
FOLK_HIGH_SCHOOL_EVENT = {
    "id": "e.8", "status": "ACTIVE",
    "content": {
        "identifier": "e.8", "education": "i.3", "providers": ["p.1"], "lastEdited": "2026-03-01T12:30:00", "expires": "2028-09-30T00:00:00",
        "url": {"urls": [{"lang": "swe", "value": "https://norrsunda-yh.example/svenska-yrkesliv"}]},
        "execution": {"condition": {"type": "C_ExecutionCondition", "code": "1"}, "start": "2027-08-16", "end": "2028-05-26"},
        "paceOfStudy": {"percentage": 100},
        "languageOfInstructions": ["swe"],
    },
}


def _emil3_pages() -> dict[str, str]:
    """The EMIL 3 fixtures with the folk high school course added: every list on one page."""
    infos = json.loads((EMIL3 / "educationInfos.json").read_text("utf-8"))
    infos["educationInfos"].append(copy.deepcopy(FOLK_HIGH_SCHOOL_INFO))
    events = [e for n in range(3) for e in json.loads((EMIL3 / f"educationEvents.page-{n}.json").read_text("utf-8"))["educationEvents"]]
    events.append(copy.deepcopy(FOLK_HIGH_SCHOOL_EVENT))
    page = {"size": 1000, "totalPages": 1, "pageNumber": 0}
    return {
        "educationProviders": (EMIL3 / "educationProviders.json").read_text("utf-8"),
        "educationInfos": json.dumps({**infos, "page": {**page, "totalElements": len(infos["educationInfos"])}}),
        "educationEvents": json.dumps({"educationEvents": events, "page": {**page, "totalElements": len(events)}}),
    }


def _spreadsheet(folder: Path) -> Path:
    """The catalogue's own template example row, with a pace of study in percent and credits in YH points."""
    text = (ROOT / "examples" / "template" / "offers-template.csv").read_text("utf-8-sig")
    header, row = text.split("\n", 2)[:2]
    cells = row.split(";")
    columns = header.split(";")
    cells[next(i for i, c in enumerate(columns) if c.startswith("Studietakt"))] = "75 %"
    cells[next(i for i, c in enumerate(columns) if c.startswith("Poäng"))] = "25 YH-poäng"
    path = folder / "pace.csv"
    path.write_text(text.replace(row, ";".join(cells), 1), "utf-8")
    return path


def _occupation_offer(folder: Path) -> Path:
    """The providers' example offer (site/static/example-offer.ttl), entitling to an ESCO occupation and with an
    outcome linked to an ESCO skill that nothing labels."""
    text = (ROOT / "site" / "static" / "example-offer.ttl").read_text("utf-8")
    text += """
ex:spec-welding elm:entitlesTo ex:entitlement .
ex:entitlement a elm:LearningEntitlementSpecification ;
    dcterms:title "Work as a data scientist"@en ;
    dcterms:type <http://data.europa.eu/snb/entitlement/52f62180c2> ;
    elm:entitlementStatus <http://data.europa.eu/snb/entitlement-status/5b8d6b34fb> ;
    elm:limitOccupation <http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30> .
<http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30> a skos:Concept .
ex:outcome-1 elm:relatedESCOSkill <http://data.europa.eu/esco/skill/19a8293b-8e95-4de3-983f-77484079c389> .
<http://data.europa.eu/esco/skill/19a8293b-8e95-4de3-983f-77484079c389> a skos:Concept .
"""
    path = folder / "occupation.ttl"
    path.write_text(text, "utf-8")
    return path


class Published:
    def __init__(self, config: Config, offers: dict, index: SearchIndex, outcomes: dict):
        self.config, self.offers, self.index, self.outcomes = config, offers, index, outcomes
        self.api_url = ""

    def offer(self, ending: str):
        return next(o for iri, o in self.offers.items() if iri.endswith(ending))

    def api(self, lang: str = "en", **params) -> dict:
        query = [(k, v) for k, values in params.items() for v in (values if isinstance(values, list) else [values])] + ALL_STATUSES
        answer = requests.get(self.api_url + "/api/offers", params=[*query, ("lang", lang), ("page_size", "100")], timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def found(self, **params) -> set[str]:
        return {item["iri"].rsplit("/", 1)[-1] for item in self.api(**params)["items"]}

    def page(self, ending: str, lang: str) -> str:
        offer = self.offer(ending)
        p = Presenter(lang)
        view = offer_view(offer, p, self.config.base, offer.source, None)
        return environment(lang).get_template("offer.html").render(
            **common_context(self.config, lang, view.url, view.other_language_url), offer=view, p=p, jsonld=schema_org(offer, self.config.base, lang))


@pytest.fixture(scope="module")
def published(tmp_path_factory, validator):
    folder = tmp_path_factory.mktemp("counsellor")
    config = Config(base=BASE, data_dir=folder / "data")
    store = OxigraphStore.open(folder / "data" / "store", BASE)
    store.ensure_vocabulary(load_vocabulary())
    state = HarvestState(None)
    outcomes = {}
    with FeedServer() as feeds:
        for name, body in _emil3_pages().items():
            feeds.add(f"{API}/{name}", body, "application/json")
        sources = [
            ("susa", "emil3", feeds.url(API)),
            ("norrkust", "spreadsheet", str(ROOT / "examples" / "feeds" / "spreadsheet" / "norrkust-kompetens.csv")),
            ("template", "spreadsheet", str(_spreadsheet(folder))),
            ("norrsunda", "rdf", str(EXAMPLES / "norrsunda-universitet.ttl")),
            ("rheinau", "rdf", str(EXAMPLES / "hochschule-rheinau.ttl")),
            ("alvdalen", "schemaorg", str(ROOT / "examples" / "feeds" / "schemaorg" / "alvdalen" / "sitemap.xml")),
            ("welding", "rdf", str(_occupation_offer(folder))),
        ]
        for sid, kind, url in sources:
            source = SourceConfig(sid, sid, kind, (url,), {"retries": 0, "backoff": 0, "timeout": 5})
            outcomes[sid] = harvest_source(config, source, store, state, validator)
            assert outcomes[sid].run.outcome in ("published", "partial"), (sid, outcomes[sid].run.message)
    publish_generation(config, store)
    offers = {o.iri: o for o in read_offers(store)}
    store.close()
    index = SearchIndex(current_generation(config).search_path)
    result = Published(config, offers, index, outcomes)
    with LiveServer(config, settings_for(config)) as live:
        result.api_url = live.url
        yield result
    index.close()


# -- 1. pace of study ---------------------------------------------------------------------------------


def test_the_pace_of_study_is_read_from_each_format_and_kept_as_a_pace_note(published):
    assert published.offer("susa/e.1").pace == 50.0  # EMIL 3 paceOfStudy.percentage
    assert published.offer("susa/e.8").pace == 100.0
    template = published.offer("template/EX-ELS-2027")
    assert template.pace == 75.0  # the spreadsheet's Studietakt "75 %"
    assert template.schedule == "http://data.europa.eu/snb/learning-schedule/f230bae523"  # 75 % is part time, intensive
    # An ELM source that says "Studietakt 50 %" in its schedule text: derived, with its rule and evidence.
    engineers = published.offer("2027-swedish-engineers")
    assert engineers.pace == 50.0
    assert [d["rule"] for d in engineers.derived if d["rule"].startswith("pace/")] == ["pace/percentage"]
    assert published.offer("norrkust/YHK-SAK-2027").pace is None  # "Deltid, låg studietakt" states no percentage


def test_pace_is_a_facet_and_a_filter_in_the_index_and_the_api(published):
    counts = dict(published.index.search(SearchQuery(filters={"status": ["current", "ended", "cancelled"]})).facets["pace"])
    assert counts["50"] >= 3 and counts["75"] == 1 and counts["25"] == 1
    assert {"e.1", "2027-swedish-engineers"} <= published.found(pace="50")
    assert "e.1" not in published.found(pace="100") and "e.8" in published.found(pace="100")
    assert published.found(pace="75") == {"EX-ELS-2027"}
    answer = published.api(pace="100")
    labels = {f["value"]: f["label"] for f in answer["facets"]["pace"]}
    assert labels["100"] == "Full time (100 %)"
    item = next(i for i in published.api(pace="50")["items"] if i["iri"].endswith("e.1"))
    assert item["pace"] == 50.0 and item["pace_band"] == "50"


def test_pace_is_shown_on_cards_and_offer_pages_in_both_languages(published):
    pages = LivePages(published.config)
    swedish = pages.search("sv", [("pace", "50")], published.index)
    assert "Studietakt: 50 % (halvfart)" in swedish and "Halvfart eller mer (50–74 %)" in swedish
    english = pages.search("en", [("pace", "50")], published.index)
    assert "Pace: 50 % (half time)" in english and "How much of full-time study the offer takes" in english
    assert "<dt>Pace of study</dt>" in published.page("susa/e.1", "en")
    assert re.search(r"<dt>Studietakt</dt>\s*<dd><bdi>50 % \(halvfart\)</bdi></dd>", published.page("susa/e.1", "sv"))
    # A pace the catalogue read from the schedule's words says so, and why.
    derived = published.page("2027-swedish-engineers", "en")
    assert re.search(r"<dt>Pace of study</dt>\s*<dd><bdi>50 % \(half time\)</bdi> \(inferred by the catalogue\)</dd>", derived)
    assert "(The schedule says “Studietakt 50 %”: a pace of study of 50 % of full time (rule pace/percentage).)" in derived


# -- 2. language requirements -------------------------------------------------------------------------


def test_language_requirements_are_found_in_the_entry_requirements_with_a_cefr_level_only_where_stated(published):
    rheinau = published.offer("2027-ki-produktion")
    assert rheinau.language_requirements == [{"level": "B2", "texts": {"de": "Englisch auf Niveau B2", "en": "English at level B2"}}]
    explanation = next(d for d in rheinau.derived if d["rule"] == "language-requirement/cefr")
    assert explanation["value"] == "https://w3id.org/mc-catalogue/cefr/B2" and "“English at level B2”" in explanation["explanation"]["en"]
    # A Swedish course name states a requirement, never a level.
    assert published.offer("2027-data-analysis-python").language_requirements == [
        {"level": None, "texts": {"sv": "Engelska motsvarande Engelska 6", "en": "English equivalent to the Swedish upper-secondary course Engelska 6"}}]
    vard = next(o for iri, o in published.offers.items() if "svenska-for-vard" in iri)
    assert vard.language_requirements == [{"level": None, "texts": {"sv": "Svenska på nivå motsvarande SFI kurs D"}}]
    assert published.offer("susa/e.8").cefr_levels == ["B1"]  # "svenska på nivå B1 enligt GERS"
    # "Inga förkunskaper i finska krävs": saying none is needed is no requirement.
    assert published.offer("norrkust/NK-FIN-VO1").language_requirements == []
    # What the catalogue added still validates: the offers keep their level.
    assert rheinau.level == "complete" and vard.level == "europass-ready"


def test_language_requirements_are_a_facet_and_a_filter(published):
    assert published.found(language_requirement="B2") == {"2027-ki-produktion"}
    stated = published.found(language_requirement="stated")
    assert {"2027-ki-produktion", "2027-data-analysis-python", "e.8"} <= stated and "NK-FIN-VO1" not in stated
    assert "NK-FIN-VO1" in published.found(language_requirement="none-stated")
    item = published.api(lang="sv", language_requirement="B2")["items"][0]
    assert item["language_requirements"][0]["level"]["notation"] == "B2"
    assert item["language_requirements"][0]["text"] == "English at level B2"  # no Swedish text given: English before German
    labels = {f["value"]: f["label"] for f in published.api(lang="sv")["facets"]["language_requirement"]}
    assert labels["B2"] == "GERS-nivå B2 krävs" and labels["stated"] == "Språkkrav anges"


def test_language_requirements_are_shown_in_both_languages(published):
    english = published.page("2027-ki-produktion", "en")
    assert re.search(r"<dt>Language requirements</dt>\s*<dd><bdi>English at level B2</bdi> – <bdi>CEFR level B2</bdi> \(found by the catalogue", english)
    swedish = published.page("susa/e.8", "sv")
    assert "<dt>Språkkrav</dt>" in swedish and "GERS-nivå B1" in swedish and "Svenska som andraspråk 3 eller svenska på nivå B1 enligt GERS" in swedish
    page = LivePages(published.config).search("sv", [("language_requirement", "B1")], published.index)
    assert "Språkkrav" in page and "A1 och A2 är nybörjare" in page and "Svenska för yrkeslivet" in page


# -- 3. ESCO skills and occupations -------------------------------------------------------------------


def test_esco_skills_and_occupations_are_read_with_the_labels_the_data_and_the_catalogue_give(published):
    rheinau = published.offer("2027-ki-produktion")
    assert rheinau.skills == sorted([MACHINE_LEARNING, PYTHON])
    assert rheinau.concept_labels[PYTHON] == {"en": "Python (computer programming)"}
    welding = published.offer("offer-welding-2027")
    assert welding.occupations == [DATA_SCIENTIST] and welding.skills == [JAVA]
    assert welding.level == "complete"  # an occupation on an entitlement is valid ELM: the example offer stays complete


def test_skills_and_occupations_are_facets_filters_and_searchable_by_name(published):
    assert published.found(skill=PYTHON) == {"2027-ki-produktion", "2027-data-analysis-python"}
    assert published.found(occupation=DATA_SCIENTIST) == {"offer-welding-2027"}
    facets = published.api()["facets"]
    assert {f["value"]: f["label"] for f in facets["skill"]}[MACHINE_LEARNING] == "machine learning"
    assert {f["value"]: f["label"] for f in facets["skill"]}[JAVA] == "ESCO skill 19a8293b"  # nobody labelled it
    assert {f["value"]: f["label"] for f in facets["occupation"]} == {DATA_SCIENTIST: "data scientist"}
    # The names are in the text search (the example offer's own texts never say "data scientist").
    assert published.found(q="data scientist") == {"offer-welding-2027"}
    assert "2027-ki-produktion" in published.found(q="machine learning")
    item = next(i for i in published.api(skill=MACHINE_LEARNING)["items"])
    assert item["skills"][0] == {"iri": MACHINE_LEARNING, "label": "machine learning",
                                 "url": "https://esco.ec.europa.eu/en/classification/skill?uri=" + MACHINE_LEARNING.replace(":", "%3A").replace("/", "%2F")}


def test_skills_and_occupations_are_shown_and_linked_to_esco(published):
    english = published.page("offer-welding-2027", "en")
    assert "<h2 id=\"skills\">Skills and occupations</h2>" in english
    assert re.search(r'<a href="https://esco.ec.europa.eu/en/classification/occupation\?uri=[^"]+258e46f9[^"]+"><bdi>data scientist</bdi></a>', english)
    assert "<bdi>ESCO skill 19a8293b</bdi>" in english
    swedish = published.page("2027-ki-produktion", "sv")
    # ESCO's Swedish labels are not in the catalogue: the English one is shown, marked as English.
    assert re.search(r'classification/skill\?uri=[^"]+"><bdi lang="en">Python \(computer programming\)</bdi> <span class="fallback">\(på engelska\)', swedish)
    assert "<dt>Färdigheter</dt>" in swedish
    page = LivePages(published.config).search("en", [("skill", PYTHON)], published.index)
    assert "Skills (ESCO)" in page and "Python (computer programming)" in page and "2 offers found." in page


# -- 4. YH points and folk high school weeks beside ECTS ------------------------------------------------


def test_yh_points_and_folk_high_school_weeks_are_credit_points_never_converted_to_ects(published):
    e1 = published.offer("susa/e.1")
    assert e1.credits == [(YH, "200")] and e1.ects is None
    assert published.offer("susa/e.8").credits == [(FHS_WEEKS, "34")]
    # The spreadsheet template documents 5 YH-poäng = 1,5 ECTS: its ECTS value stays beside the YH points.
    assert sorted(published.offer("norrkust/YHK-SAK-2027").credits) == [(ECTS, "6"), (YH, "20")]
    assert sorted(published.offer("template/EX-ELS-2027").credits) == [(ECTS, "7.5"), (YH, "25")]
    # YH points are a notional workload: with them the EMIL offer gives the Annex I workload element.
    assert "workload" not in e1.missing


def test_credits_are_in_the_api_and_shown_beside_ects(published):
    item = next(i for i in published.api()["items"] if i["iri"].endswith("susa/e.1"))
    assert item["ects"] is None
    assert item["credits"] == [{"system": {"iri": YH, "label": "YH points (Swedish higher vocational education)", "notation": "YH"},
                                "points": 200.0, "full_time_weeks": 40.0}]
    sak = next(i for i in published.api()["items"] if i["iri"].endswith("YHK-SAK-2027"))
    assert sak["ects"] == 6.0 and sak["credits"][0]["points"] == 20.0
    cards = LivePages(published.config).search("en", [("q", "Drifttekniker")], published.index)
    assert "<li>200 YH points (40 weeks of full-time study)</li>" in cards
    swedish = LivePages(published.config).search("sv", [("q", "informationssäkerhet")], published.index)
    assert "<li>6 ECTS</li>" in swedish and "<li>20 yrkeshögskolepoäng (4 veckors heltidsstudier)</li>" in swedish
    folk = published.page("susa/e.8", "en")
    assert "34 study weeks (folk high school)" in folk


def test_the_comparison_reads_the_credits_from_the_workload_row(published):
    """The comparison (site/static/compare.js) shows each offer page's Annex I rows side by side: the workload row
    carries YH points beside ECTS, in both languages."""
    for lang, expected in (("en", "20 YH points (4 weeks of full-time study)"), ("sv", "20 yrkeshögskolepoäng (4 veckors heltidsstudier)")):
        row = re.search(r'<tr class="present" data-element="workload">.*?</tr>', published.page("norrkust/YHK-SAK-2027", lang), re.DOTALL).group(0)
        assert "6 ECTS" in row and expected in row
