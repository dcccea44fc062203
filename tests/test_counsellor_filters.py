"""The questions counsellors ask, answered by the search index: where (distance from a town, the town), when
(open for application, closing soon, flexible start), cost and funding (free, student aid), for whom."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalogue.config import Config
from catalogue.publish import gazetteer, search_index
from catalogue.publish.offer_data import OfferSummary, Organisation, Place, Price
from catalogue.publish.search_index import ONLINE, SearchIndex, SearchQuery
from catalogue.site.live import LivePages

from .conftest import BASE

TODAY = date(2027, 3, 1)
SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
SEK = "http://publications.europa.eu/resource/authority/currency/SEK"
UMEA = gazetteer.find("Umeå", SWEDEN)


def _offer(key: str, **values) -> OfferSummary:
    offer = OfferSummary(f"https://offers.example/{key}", "s", titles={"sv": f"Kurs {key}", "en": f"Course {key}"},
                         provider=Organisation("https://offers.example/provider", {"sv": "Anordnaren"}, SWEDEN))
    for name, value in values.items():
        setattr(offer, name, value)
    return offer


def _day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "search.sqlite"
    offers = [
        # In Umeå by the data's own coordinates; applications close in 10 days; student aid; free.
        _offer("umea", places=[Place({"sv": "Campus"}, {}, SWEDEN, 63.8203, 20.3060)], deadlines=[_day(10)], start=_day(40),
               topics=[TOPIC + "student-aid"], prices=[Price(0.0, SEK)], eqf="http://data.europa.eu/snb/eqf/5"),
        # Vännäs, 26 km from Umeå, named but without coordinates; its last application day has passed.
        _offer("vannas", places=[Place({"sv": "Vännäs"}, {}, SWEDEN)], deadlines=[_day(-2)], start=_day(20),
               topics=[TOPIC + "no-student-aid"], prices=[Price(1500.0, SEK)], entry_requirements={"sv": "Gymnasieexamen"}),
        # Kiruna, far north, starts whenever the learner wants.
        _offer("kiruna", places=[Place({}, {"sv": "Skolgatan 1, 981 31 Kiruna"}, SWEDEN)], topics=[TOPIC + "flexible-start", TOPIC + "self-paced"],
               start=_day(-300)),
        # Online: shown beside any place asked for; no deadline, starts later.
        _offer("online", modes=[ONLINE], start=_day(60)),
        # Started already, no deadline: not open.
        _offer("started", places=[Place({"sv": "Umeå"}, {}, SWEDEN)], start=_day(-5)),
    ]
    search_index.build(path, offers)
    opened = SearchIndex(path)
    yield opened
    opened.close()


def _found(index: SearchIndex, **asked) -> set[str]:
    result = index.search(SearchQuery(page_size=100, **asked))
    return {item["iri"].rsplit("/", 1)[-1] for item in result.items}


def test_the_gazetteer_knows_swedish_towns_by_any_spelling():
    assert UMEA is not None and UMEA.name == "Umeå"
    assert gazetteer.find("umea") == UMEA and gazetteer.find("UMEÅ") == UMEA
    assert gazetteer.point("Umeå") == (UMEA.latitude, UMEA.longitude, "Umeå")
    assert gazetteer.town_in("Skolgatan 1, 981 31 Kiruna", SWEDEN).name == "Kiruna"
    assert gazetteer.point("63.8, 20.2") == (63.8, 20.2, "63.8000, 20.2000")
    assert gazetteer.point("Nowhere-at-all-ville") is None
    assert 20 < gazetteer.kilometres(UMEA.latitude, UMEA.longitude, *gazetteer.point("Vännäs")[:2]) < 30


def test_within_a_distance_of_a_town_and_online_beside_it(index):
    near = (UMEA.latitude, UMEA.longitude)
    assert _found(index, near=(*near, 30.0)) == {"umea", "vannas", "started", "online"}
    assert _found(index, near=(*near, 10.0)) == {"umea", "started", "online"}  # Vännäs is 26 km away
    assert _found(index, near=(*near, 1500.0)) == {"umea", "vannas", "started", "kiruna", "online"}


def test_towns_are_a_facet(index):
    towns = dict(index.search(SearchQuery()).facets["town"])
    assert towns == {"Umeå": 2, "Vännäs": 1, "Kiruna": 1}
    assert _found(index, filters={"town": ["Vännäs"]}) == {"vannas"}


def test_open_for_application_now_and_closing_soon(index):
    assert _found(index, open_on=TODAY.isoformat()) == {"umea", "kiruna", "online"}
    assert _found(index, open_on=TODAY.isoformat(), closes_by=_day(14)) == {"umea"}
    assert _found(index, open_on=TODAY.isoformat(), closes_by=_day(5)) == set()
    assert _found(index, flexible=True) == {"kiruna"}


def test_free_student_aid_and_entry_requirements(index):
    assert _found(index, free=True) == {"umea"}
    assert _found(index, filters={"funding": ["student-aid"]}) == {"umea"}
    assert _found(index, filters={"funding": ["no-student-aid"]}) == {"vannas"}
    assert _found(index, filters={"prerequisites": ["none-stated"]}) == {"umea", "kiruna", "online", "started"}
    assert _found(index, filters={"study_time": ["self-paced"]}) == {"kiruna"}


def test_the_counsellors_question_in_one_search(index):
    """Near Umeå, open now, with student aid or free: one search."""
    found = _found(index, near=(UMEA.latitude, UMEA.longitude, 30.0), open_on=TODAY.isoformat(), filters={"funding": ["student-aid"]})
    assert found == {"umea"}


def test_the_search_page_asks_and_shows_these(index):
    pages = LivePages(Config(base=BASE))
    html = pages.search("sv", [("near", "Umeå"), ("within_km", "30"), ("open_now", "1")], index, today=TODAY)
    assert "Antal träffar: 2." in html  # Umeå and the online offer
    assert "Sök senast 11 mars 2027" in html and "Var: <bdi>Campus</bdi>" in html and "Avgiftsfri" in html
    assert "inom 30 km från Umeå" in html and "öppen för ansökan nu" in html
    assert "(SeQF 5)" in html  # a Swedish provider's EQF level is its SeQF level
    unknown = pages.search("en", [("near", "Atlantis-under-the-sea")], index, today=TODAY)
    assert "The place “Atlantis-under-the-sea” is not known" in unknown


@pytest.fixture(scope="module")
def swedish(tmp_path_factory):
    path = tmp_path_factory.mktemp("swedish") / "search.sqlite"
    search_index.build(path, [
        _offer("solar", titles={"sv": "Installation av solcell på villatak"}),
        _offer("care", titles={"sv": "Undersköterska i vården"}),
        _offer("elderly", titles={"sv": "Omvårdnad inom äldreomsorgen"}),
        _offer("welding", titles={"sv": "Svetsning för nybörjare"}),
    ])
    opened = SearchIndex(path)
    yield opened
    opened.close()


@pytest.mark.parametrize(("words", "expected"), [
    ("solceller", {"solar"}),  # an inflection: both stem to "solcell"
    ("solcellsinstallation", set()),  # a compound is found by its first part only; this one is not in any title
    ("vård", {"care", "elderly"}),  # "vården", and "omvårdnad" from the table of other words
    ("jobb inom vården", {"care", "elderly"}),  # "jobb" and "inom" say what kind of thing is wanted
    ("svetsa", {"welding"}),
    ("undersköterskor", {"care"}),
])
def test_swedish_words_find_their_inflections_and_related_words(swedish, words, expected):
    assert _found(swedish, text=words) == expected
