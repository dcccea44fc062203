"""display_text: provider names and titles without the invisible characters that change what labels beside them say."""

from __future__ import annotations

import unicodedata

import pytest

from catalogue.text import REMOVED, display_text


def test_a_right_to_left_override_in_a_swedish_name_is_removed():
    # Left open, the override would draw everything after it (the catalogue's own "(3)") reversed.
    assert display_text("Malmö folkhögskola \u202e(Skåne)") == "Malmö folkhögskola (Skåne)"
    assert display_text("\u202dNorr\u200bsunda\u2060 universitet\u202c") == "Norrsunda universitet"
    assert display_text("\ufeffRättviks \u2066folkhögskola\u2069 \u2067Dalarna\u2069\u2068\u202a\u202b") == "Rättviks folkhögskola Dalarna"


@pytest.mark.parametrize("name", [
    "جامعة الملك سعود",  # Arabic
    "الجامعة\u061c الأردنية (عمّان)",  # Arabic with an ARABIC LETTER MARK
    "האוניברסיטה העברית בירושלים",  # Hebrew
    "מכללת תל-חי\u200f (2027)",  # Hebrew with a RIGHT-TO-LEFT MARK
    "Université de Genève\u200e",  # with a LEFT-TO-RIGHT MARK
    "دانشگاه\u200cهای علوم پزشکی",  # Persian: the ZERO WIDTH NON-JOINER keeps "دانشگاه" and "های" apart
    "क्\u200dषत्रिय प्रशिक्षण संस्थान",  # Devanagari with a ZERO WIDTH JOINER (half form)
    "Kurs för 👩\u200d💻 utvecklare",  # an emoji sequence joined with ZWJ
    "Ålands yrkesgymnasium",
])
def test_legitimate_names_in_every_script_are_kept_as_they_are(name):
    assert display_text(name) == name


def test_exactly_the_listed_characters_are_removed():
    removed = {f"U+{ord(c):04X}" for c in REMOVED}
    assert removed == {"U+202A", "U+202B", "U+202C", "U+202D", "U+202E", "U+2066", "U+2067", "U+2068", "U+2069",
                       "U+200B", "U+2060", "U+FEFF"}
    for character in REMOVED:
        assert unicodedata.category(character) == "Cf"
        assert display_text(f"a{character}b") == "ab"
    for kept in ("\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u00ad", " ", "\u00a0"):
        assert display_text(f"a{kept}b") == f"a{kept}b"


def test_cleaning_twice_changes_nothing():
    once = display_text("\u202eabc\u200bdef\ufeff")
    assert once == "abcdef" and display_text(once) == once


def test_a_name_of_nothing_but_invisible_characters_is_left_out_when_offers_are_read():
    import pyoxigraph as ox

    from catalogue.publish.offer_walk import _add_name, term

    names: dict[str, str] = {}
    # As the offer walk reads them: each from the N-Triples text of the literal.
    _add_name(names, term(str(ox.Literal("\u202e\u200b\ufeff", language="sv"))))
    _add_name(names, term(str(ox.Literal("Mal\u200bmö \u2067högskola\u2069", language="en"))))
    _add_name(names, term(str(ox.Literal("دانشگاه\u200cها"))))
    assert names == {"en": "Malmö högskola", "": "دانشگاه\u200cها"}
