"""The derivation rules (catalogue/harvest/derivation): real tables, real language detection, no mocks."""

from __future__ import annotations

import csv
import re

import pytest

from catalogue.harvest.derivation import tables
from catalogue.harvest.derivation.country import country_iri, derive_country
from catalogue.harvest.derivation.credits import derive_ects
from catalogue.harvest.derivation.field_of_education import derive_field
from catalogue.harvest.derivation.language import derive_language
from catalogue.harvest.derivation.language_requirement import (
    derive_language_requirements,
)
from catalogue.harvest.derivation.outcomes import derive_outcomes
from catalogue.harvest.derivation.pace import derive_pace
from catalogue.harvest.derivation.participation import derive_modes
from catalogue.harvest.derivation.result import Derived

ISCED = "http://data.europa.eu/snb/isced-f/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
ONLINE = "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
ON_SITE = "http://data.europa.eu/snb/learning-assessment/9191af2ed9"
BLENDED = "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
FULL_TIME = "http://data.europa.eu/snb/learning-schedule/72a0ab92fa"
PART_TIME_INTENSIVE = "http://data.europa.eu/snb/learning-schedule/f230bae523"
PART_TIME_LIGHT = "http://data.europa.eu/snb/learning-schedule/67395e6b5a"


def _explained(derived: Derived) -> None:
    """Every result explains itself in both languages and names its rule."""
    assert 0.0 < derived.confidence <= 1.0
    for lang in ("en", "sv"):
        sentence = derived.explanation[lang]
        assert derived.rule in sentence, sentence
        assert sentence.endswith("."), sentence


# -- field of education ------------------------------------------------------------------------------

def test_sun_2020_code_with_letter_maps_through_its_group():
    derived = derive_field([("sun-2020", "481a")], [])
    assert derived.value == ISCED + "0613"
    assert derived.rule == "isced-f/sun-2020"
    assert "481" in derived.evidence and "Datavetenskap" in derived.evidence
    assert derived.confidence >= 0.85
    _explained(derived)
    assert "Programvaru" in derived.explanation["sv"]  # the Swedish label of 0613, not the English one


def test_hecos_code_maps_to_its_field():
    assert derive_field([("hecos", "100366")], []).value == ISCED + "0613"  # computer science
    nursing = derive_field([("hecos", "HECoS 100290")], [])
    assert (nursing.value, nursing.rule) == (ISCED + "0913", "isced-f/hecos")


@pytest.mark.parametrize(
    ("scheme", "code", "expected"),
    [
        ("jacs", "H310", "0715"),  # a detailed JACS code, found through its principal subject H300
        ("cip", "51.3801", "09"),  # a six-digit CIP code, found through its series
        ("isced-97", "482", "0611"),
        ("isced-97", "52.1", "0715"),
        ("ldcs", "SSA 15.3", "0413"),
        ("isced-f", "613", "0613"),  # a lost leading zero
    ],
)
def test_other_code_lists(scheme, code, expected):
    assert derive_field([(scheme, code)], []).value == ISCED + expected


def test_a_code_that_spans_fields_decides_nothing_and_an_unknown_code_nothing_either():
    assert derive_field([("isced-97", "85")], []) is None
    assert derive_field([("ldcs", "CJ.1")], []) is None  # a real LDCS code; the table has only SSA tiers
    assert derive_field([("hecos", "999999")], []) is None


def test_a_code_wins_over_the_title():
    derived = derive_field([("sun-2020", "521")], [("Grundläggande programmering", "sv")])
    assert derived.value == ISCED + "0715"
    assert derived.rule == "isced-f/sun-2020"


def test_codes_in_one_narrow_field_give_that_narrow_field():
    derived = derive_field([("hecos", "100164"), ("hecos", "100165")], [])  # electrical, electronic engineering
    assert derived.value == ISCED + "071"
    assert "100164" in derived.evidence and "100165" in derived.evidence


@pytest.mark.parametrize(
    ("title", "lang", "expected"),
    [
        ("Svetsteknik grundkurs", "sv", "0715"),
        ("Grundlagen der Datenanalyse", "de", "0542"),  # a German compound
        ("Painting and decorating level 2", "en", "0732"),  # the longer phrase hides "painting" (fine arts)
        ("IT-säkerhet för chefer", "sv", "0612"),
        ("Verpleegkunde", "nl", "0913"),
        ("Comptabilité générale", "fr", "0411"),
        ("Arbetsrätt i praktiken", "sv", "0421"),  # "rätt" as the end of a compound
    ],
)
def test_keywords_in_five_languages(title, lang, expected):
    derived = derive_field([], [(title, lang)])
    assert derived is not None, title
    assert derived.value == ISCED + expected
    assert derived.rule == "isced-f/keywords"
    assert title in derived.evidence
    _explained(derived)


@pytest.mark.parametrize("title", ["Introduktion för nybörjare", "Welcome to our course", "Kurs 1", "Grundkurs, del 2", "Fortsättning: nivå B"])
def test_a_vague_title_gives_none(title):
    assert derive_field([], [(title, None)]) is None


def test_transport_is_not_sport_and_construction_is_not_art():
    assert derive_field([], [("Transport", "de")]) is None or derive_field([], [("Transport", "de")]).value != ISCED + "1014"
    konstruktion = derive_field([], [("Konstruktion", "sv")])
    assert konstruktion is None or not konstruktion.value.startswith(ISCED + "021")


def test_two_fields_named_equally_fall_back_to_nothing_or_their_common_parent():
    # welding (0715) and electrical installation (0713): both engineering, so the narrow field 071
    derived = derive_field([], [("Svetsning och elinstallation", "sv")])
    assert derived.value == ISCED + "071"
    # accounting (04) and welding (07) share no field at all
    assert derive_field([], [("Bokföring och svetsning", "sv")]) is None


def test_the_threshold_is_respected():
    title = [("Svetsteknik grundkurs", "sv")]
    confidence = derive_field([], title).confidence
    assert derive_field([], title, threshold=confidence + 0.01) is None


# -- country -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "code"),
    [("Sverige", "SWE"), ("Sweden", "SWE"), ("Schweden", "SWE"), ("Zweden", "SWE"), ("Suède", "SWE"),
     ("se", "SWE"), ("SWE", "SWE"), ("UK", "GBR"), ("Scotland", "GBR"), ("the Netherlands", "NLD"),
     ("Pays-Bas", "NLD"), ("EL", "GRC"), ("Oostenrijk", "AUT")],
)
def test_country_names_and_codes(text, code):
    assert country_iri(text) == COUNTRY + code


def test_unknown_country_text_gives_none():
    assert country_iri("Narnia") is None
    assert country_iri("") is None


def test_a_stated_country_wins_over_everything_else():
    derived = derive_country(address_country="Deutschland", postcode="SE-831 40", urls=["https://x.se"], option="SE")
    assert (derived.value, derived.rule) == (COUNTRY + "DEU", "country/address")


def test_the_source_option_comes_next():
    derived = derive_country(postcode="1234 AB", option="Sverige")
    assert (derived.value, derived.rule) == (COUNTRY + "SWE", "country/option")


def test_swedish_postcode_with_prefix_and_no_other_hint():
    derived = derive_country(postcode="SE-831 40")
    assert derived.value == COUNTRY + "SWE"
    assert derived.rule == "country/postcode"
    assert derived.confidence == 0.9
    _explained(derived)


def test_a_shared_postcode_format_is_weak_and_says_which_countries_share_it():
    derived = derive_country(postcode="831 40")
    assert derived.value == COUNTRY + "SWE"
    assert derived.confidence < 0.5
    assert "Greece" in derived.evidence and "Slovakia" in derived.evidence
    assert "Grekland" in derived.explanation["sv"]
    with_domain = derive_country(postcode="831 40", urls=["https://www.norrsunda.se/kurser"])
    assert with_domain.value == COUNTRY + "SWE"
    assert with_domain.confidence > derived.confidence
    assert "norrsunda.se" in with_domain.evidence


@pytest.mark.parametrize(("postcode", "code"), [("SW1A 1AA", "GBR"), ("1234 AB", "NLD"), ("00-950", "POL"), ("D-10115", "DEU")])
def test_distinctive_postcodes(postcode, code):
    assert derive_country(postcode=postcode).value == COUNTRY + code


def test_a_bare_five_digit_postcode_decides_nothing():
    assert derive_country(postcode="10115") is None


def test_web_domain_country():
    derived = derive_country(urls=["https://www.ox.ac.uk/admissions"])
    assert (derived.value, derived.rule) == (COUNTRY + "GBR", "country/domain")
    assert "ox.ac.uk" in derived.evidence
    assert derive_country(urls=["www.norrsunda.se"]).value == COUNTRY + "SWE"


def test_generic_and_disagreeing_domains_give_none():
    assert derive_country(urls=["https://example.com", "https://example.org", "https://europa.eu"]) is None
    assert derive_country(urls=["https://a.de", "https://b.fr"]) is None


# -- language ----------------------------------------------------------------------------------------

SWEDISH = (
    "Kursen ger dig grundläggande kunskaper i svetsning och svetsteknik. Du lär dig att svetsa med olika "
    "metoder, läsa ritningar och arbeta säkert i verkstaden. Utbildningen passar dig som vill börja arbeta "
    "inom industrin eller bredda din kompetens."
)


def test_a_swedish_description_is_detected_as_swedish():
    derived = derive_language([(SWEDISH, None)])
    assert derived.value == LANGUAGE + "SWE"
    assert derived.rule == "language/detected"
    assert derived.confidence >= 0.7
    _explained(derived)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Der Kurs vermittelt Grundlagen der Datenanalyse mit Tabellenkalkulation und Statistik.", "DEU"),
        ("Deze cursus leert je de basis van het lassen met verschillende technieken en materialen.", "NLD"),
        ("Ce cours présente les bases de la comptabilité générale pour les petites entreprises.", "FRA"),
        ("This course introduces the basics of data analysis with spreadsheets and simple statistics.", "ENG"),
    ],
)
def test_other_languages_are_detected(text, code):
    assert derive_language([(text, None)]).value == LANGUAGE + code


def test_agreeing_tags_win_over_detection():
    derived = derive_language([(SWEDISH, "en-GB"), ("Another English text", "en")])
    assert (derived.value, derived.rule) == (LANGUAGE + "ENG", "language/tag")


def test_disagreeing_tags_fall_back_to_detection():
    derived = derive_language([(SWEDISH, "sv"), ("Short English title", "en")])
    assert (derived.value, derived.rule) == (LANGUAGE + "SWE", "language/detected")


def test_too_short_text_gives_none():
    assert derive_language([("Svetsning", None)]) is None
    assert derive_language([("", "sv")]) is None


# -- credits ------------------------------------------------------------------------------------------

def test_hogskolepoang_with_a_decimal_comma():
    derived = derive_ects("7,5 hp", "")
    assert (derived.value, derived.rule) == ("7.5", "credits/hp-ects")
    _explained(derived)
    assert "7,5" in derived.explanation["sv"]


@pytest.mark.parametrize(
    ("value", "system", "ects", "rule"),
    [
        ("15 CATS", "", "7.5", "credits/cats-ects"),
        ("20", "SCQF credit points", "10", "credits/scqf-ects"),
        ("15", "högskolepoäng", "15", "credits/hp-ects"),
        ("7.50", "ECTS", "7.5", "credits/ects"),
    ],
)
def test_official_equivalences(value, system, ects, rule):
    derived = derive_ects(value, system)
    assert (derived.value, derived.rule) == (ects, rule)


@pytest.mark.parametrize(
    ("value", "system"),
    [("30 YH-poäng", ""), ("30", "YH-poäng"), ("3", "US credit hours"), ("12", "ECVET"), ("20 veckor", "folkhögskola"),
     ("15 poäng", ""), ("15", ""), ("15 hp", "CATS"), ("7,5-15 hp", "")],
)
def test_no_official_equivalence_gives_none(value, system):
    assert derive_ects(value, system) is None


# -- study modes and schedules -----------------------------------------------------------------------

def _values(derived: list[Derived]) -> list[str]:
    return [item.value for item in derived]


def test_modes_in_several_languages():
    assert _values(derive_modes(["Distans"])) == [ONLINE]
    assert _values(derive_modes(["Präsenzunterricht"])) == [ON_SITE]
    assert _values(derive_modes(["Formation à distance"])) == [ONLINE]
    assert _values(derive_modes(["Afstandsonderwijs"])) == [ONLINE]


def test_the_longest_phrase_wins():
    assert _values(derive_modes(["Distansutbildning med träffar"])) == [BLENDED]
    assert _values(derive_modes(["Distance with attendance"])) == [BLENDED]


def test_a_negated_mode_is_ignored():
    assert _values(derive_modes(["Inte på distans, utan på plats i Umeå"])) == [ON_SITE]


def test_schedules_have_their_own_rule():
    derived = derive_modes(["Undervisningen sker på campus, heltid"])
    assert _values(derived) == [ON_SITE, FULL_TIME]
    assert [item.rule for item in derived] == ["participation/text", "schedule/text"]
    for item in derived:
        _explained(item)


@pytest.mark.parametrize(
    ("text", "schedule"),
    [("Kvällskurs", PART_TIME_LIGHT), ("Studietakt 50 %", PART_TIME_INTENSIVE), ("25 % studietakt", PART_TIME_LIGHT),
     ("Vollzeit", FULL_TIME)],
)
def test_schedules(text, schedule):
    assert _values(derive_modes([text])) == [schedule]


def test_text_without_a_mode_gives_nothing():
    assert derive_modes(["Kursen handlar om svetsning.", ""]) == []


# -- learning outcomes -------------------------------------------------------------------------------

def test_outcomes_under_a_learning_outcomes_heading():
    description = (
        "Welding for beginners, taught in our workshop.\n\n"
        "Learning outcomes\n"
        "- Weld a butt joint with MAG\n"
        "- Read a welding symbol on a drawing\n"
        "- Work safely in the workshop\n\n"
        "Prerequisites\nNone."
    )
    items, derived = derive_outcomes(description, "en")
    assert items == ["Weld a butt joint with MAG", "Read a welding symbol on a drawing", "Work safely in the workshop"]
    assert (derived.value, derived.rule) == ("3", "outcomes/section")
    assert "Learning outcomes" in derived.evidence
    _explained(derived)


def test_a_description_without_an_outcomes_heading_gives_nothing():
    assert derive_outcomes("This course covers welding basics. You will practise in our workshop.", "en") == ([], None)
    assert derive_outcomes("Kursens mål är att ge dig en bred grund.", "sv") == ([], None)


def test_outcomes_in_html_after_a_lead_in():
    html = (
        "<p>Om kursen</p><h2>Lärandemål</h2><p>Efter genomgången kurs ska studenten kunna:</p>"
        "<ul><li>redogöra för svetsmetoder</li><li>tillämpa säkerhetsregler</li></ul><h2>Innehåll</h2><p>Teori</p>"
    )
    items, derived = derive_outcomes(html, "sv")
    assert items == ["redogöra för svetsmetoder", "tillämpa säkerhetsregler"]
    assert derived.confidence == 0.9


def test_outcomes_under_a_bold_heading_and_as_sentences():
    items, _ = derive_outcomes("<p><strong>Lernziele</strong></p><ol><li>Daten analysieren</li><li>Diagramme erstellen</li></ol>", "de")
    assert items == ["Daten analysieren", "Diagramme erstellen"]
    items, derived = derive_outcomes("<p><b>Objectifs :</b> Maîtriser les bases du soudage. Connaître les règles de sécurité.</p>", "fr")
    assert items == ["Maîtriser les bases du soudage.", "Connaître les règles de sécurité."]
    assert derived.confidence < 0.9  # sentences, not a list


# -- the tables themselves ----------------------------------------------------------------------------

def _csv(name: str) -> list[dict[str, str]]:
    path = tables.derivation_dir() / name
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_every_isced_code_in_the_tables_exists_in_the_vocabulary():
    existing = set(tables.isced_codes())
    assert {"0613", "061", "06"} <= existing
    used = {row["isced_f"] for name in tables.CODE_TABLES.values() for row in _csv(name) if row["isced_f"]}
    used |= {row["isced_f"] for row in _csv("keywords.csv")}
    assert used - existing == set()


def test_every_country_and_mode_in_the_tables_exists_in_the_vocabulary():
    countries = {iri.removeprefix(COUNTRY) for iri in tables.concepts("country.ttl")}
    used = {row["country"] for name in ("domains.csv", "postcodes.csv", "country-names.csv") for row in _csv(name) if row["country"]}
    assert used - countries == set()
    modes = set(tables.concepts("learning-assessment.ttl")) | set(tables.concepts("learning-schedule.ttl"))
    assert {row["concept"] for row in _csv("modes.csv")} - modes == set()


def test_keyword_tables_cover_every_narrow_field_in_five_languages():
    narrow = {code for code in tables.isced_codes() if len(code) == 3 and not code.endswith(("0", "8", "9"))}
    covered: dict[str, set[str]] = {}
    for row in _csv("keywords.csv"):
        if len(row["isced_f"]) >= 3:
            covered.setdefault(row["isced_f"][:3], set()).add(row["language"])
    missing = {code: {"sv", "en", "de", "nl", "fr"} - covered.get(code, set()) for code in narrow}
    assert {code: langs for code, langs in missing.items() if langs} == {}


def test_postcode_patterns_compile_and_derived_rejects_bad_values():
    assert all(isinstance(pattern.pattern, re.Pattern) for pattern in tables.postcode_patterns())
    with pytest.raises(ValueError):
        Derived("x", 1.5, "r", "e", {"en": "a", "sv": "b"})
    with pytest.raises(ValueError):
        Derived("x", 0.5, "r", "e", {"en": "only English"})


# -- language requirements -----------------------------------------------------------------------------


@pytest.mark.parametrize(("texts", "expected"), [
    # A CEFR level together with a language or the framework's name: the level, and the words that state it.
    ([("Englisch auf Niveau B2.", "de"), ("English at level B2.", "en")], [("B2", {"de": "Englisch auf Niveau B2", "en": "English at level B2"})]),
    ([("Deutschkenntnisse auf Niveau C1 (GER).", "de")], [("C1", {"de": "Deutschkenntnisse auf Niveau C1 (GER)"})]),
    ([("Svenska som andraspråk 3 eller svenska på nivå B1.2 enligt GERS.", "sv")],
     [("B1", {"sv": "Svenska som andraspråk 3 eller svenska på nivå B1.2 enligt GERS"})]),
    # Courses, tests and "knowledge of a language" state a requirement, never a level.
    ([("Grundläggande behörighet samt Svenska 3 och Engelska 6.", "sv")], [(None, {"sv": "Grundläggande behörighet samt Svenska 3 och Engelska 6"})]),
    ([("Svenska på nivå motsvarande SFI kurs D.", "sv")], [(None, {"sv": "Svenska på nivå motsvarande SFI kurs D"})]),
    ([("A degree in engineering; IELTS 6.5 or equivalent.", "en")], [(None, {"en": "IELTS 6.5 or equivalent"})]),
    ([("Goda kunskaper i svenska och engelska.", "sv")], [(None, {"sv": "Goda kunskaper i svenska och engelska"})]),
    # Two requirements: one with a level, one without; a leading "and" is not part of the words kept.
    ([("An engineering degree, English equivalent to the Swedish course Engelska 6, and Swedish at level A2.", "en")],
     [("A2", {"en": "Swedish at level A2"}), (None, {"en": "English equivalent to the Swedish course Engelska 6"})]),
    # Nothing: no language named, a level with no language (a driving licence), or no language needed.
    ([("Grundläggande behörighet och Matematik 2.", "sv")], []),
    ([("Körkort C1 och B2-behörighet krävs.", "sv")], []),
    ([("Inga förkunskaper i finska krävs.", "sv"), ("No prior knowledge of Finnish required.", "en")], []),
    ([("General entry requirements for Swedish higher vocational education and knowledge equivalent to the upper-secondary "
       "course in electrical engineering.", "en")], []),
])
def test_language_requirements_and_cefr_levels_only_where_the_text_states_them(texts, expected):
    found = derive_language_requirements(texts)
    assert [(r.level, r.texts) for r in found] == expected
    for requirement in found:
        _explained(requirement.derived)
        if requirement.level:
            assert requirement.derived.value == "https://w3id.org/mc-catalogue/cefr/" + requirement.level
            assert requirement.derived.rule == "language-requirement/cefr"
        else:
            assert requirement.derived.value == "https://w3id.org/mc-catalogue/note-topic/language-requirement"


# -- pace of study --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("texts", "expected", "rule"), [
    (["Studietakt 50 %. Lektioner på campus måndagar."], "50", "pace/percentage"),
    (["Study pace 25 %. One scheduled live lecture a week."], "25", "pace/percentage"),
    (["Pace of study: 75%"], "75", "pace/percentage"),
    (["Kursen går på halvfart under våren."], "50", "pace/named"),
    (["Studietakt 50 %.", "Study pace 50 %."], "50", "pace/percentage"),  # the same pace in two languages
    (["Deltid, låg studietakt"], None, None),  # no percentage
    (["Praktiskt prov (60 %) och skriftlig tentamen (40 %)."], None, None),  # percentages that are not a pace
    (["Studietakt 50 % första terminen, sedan 100 % studietakt."], None, None),  # two paces: none is the pace
    (["Studietakt 150 %"], None, None),
])
def test_a_pace_only_where_the_text_ties_a_percentage_to_it(texts, expected, rule):
    derived = derive_pace(texts)
    assert (derived.value if derived else None) == expected
    if derived:
        assert derived.rule == rule
        _explained(derived)
