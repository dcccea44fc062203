"""Provider names and titles made safe to show next to the catalogue's own words.

A provider name or offer title is shown beside the catalogue's labels and numbers
("Provider name (3)", "Title – Micro-credential catalogue"). Invisible Unicode
format characters in such text can change what those labels say: a RIGHT-TO-LEFT
OVERRIDE (U+202E) left open in a name reverses the count or the words that follow
it, and zero-width characters hide inside a name so that two providers look alike
or a search for the name finds nothing. ``display_text`` removes what has no use in
a name or a title:

* the bidirectional embeddings, overrides and isolates U+202A..U+202E and
  U+2066..U+2069 (whatever direction a name needs comes from its letters; the site
  isolates every piece of provider text itself with ``<bdi>``);
* ZERO WIDTH SPACE (U+200B), WORD JOINER (U+2060) and ZERO WIDTH NO-BREAK SPACE /
  byte order mark (U+FEFF).

It keeps ZERO WIDTH NON-JOINER and JOINER (U+200C, U+200D), which Persian, Indic
scripts and emoji sequences need, and the marks LRM, RLM and ALM (U+200E, U+200F,
U+061C), which only set the direction of the punctuation and spaces next to them and
cannot reverse words. Descriptions, addresses and notes are not cleaned (isolates may
be used rightly in running text): the site isolates them on the page instead.
"""

from __future__ import annotations

REMOVED = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff"
_TABLE = dict.fromkeys(map(ord, REMOVED))


def display_text(value: str) -> str:
    """``value`` without bidirectional controls and invisible zero-width characters (see the module)."""
    return value.translate(_TABLE)
