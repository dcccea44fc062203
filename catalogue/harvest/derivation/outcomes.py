"""Learning outcomes, taken word for word from a section of a description that is explicitly titled as such.

A section counts only under a heading that names outcomes or objectives ("Learning outcomes", "Lärandemål",
"Förväntade studieresultat", "Lernziele", "Leerdoelen", "Objectifs", "Acquis d'apprentissage" …) or a lead-in
that says what the learner will be able to do ("After the course you will be able to", "Efter kursen ska du
kunna", "Nach Abschluss des Kurses können Sie", "Na afloop van de cursus kun je", "À l'issue de la formation,
vous serez capable de"). The section's list items (bullets or numbers) are the outcomes; without a list, its
lines or sentences are. Nothing is reworded or invented; without such a section the result is ``([], None)``.
Plain text and simple HTML (headings, bold paragraphs, lists) are understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import ClassVar

from .result import Derived

_TITLES = {
    "en": r"(?:intended |expected |course |programme |module )?learning outcomes?|(?:course |learning |training )?objectives|"
    r"(?:course )?aims and (?:learning )?(?:outcomes|objectives)|outcomes|what you(?:'ll| will) learn",
    "sv": r"lärandemål|förväntade studieresultat|kursens mål|mål för kursen|kursmål|mål|utbildningens mål",
    "de": r"lernziele|lernergebnisse|qualifikationsziele|kompetenzziele|ziele(?: des kurses| der weiterbildung)?",
    "nl": r"leerdoelen|leerresultaten|leeruitkomsten|doelstellingen",
    "fr": r"objectifs?(?: pédagogiques| de (?:la )?formation| d'apprentissage| du cours)?|acquis d'apprentissage(?: visés)?|"
    r"compétences visées",
}
_LEADS = {
    "en": r"(?:after|upon|on|by the end of|at the end of) (?:the )?(?:successful )?(?:completion of |completing )?"
    r"(?:the|this) (?:course|module|programme|program|training|unit),? (?:you|students?|the students?|participants?|learners?) "
    r"(?:will|should|shall) be able to",
    "sv": r"(?:efter|vid) (?:genomgången |avslutad |fullgjord )?(?:kurs(?:en)?|utbildning(?:en)?|kursens slut),? "
    r"(?:ska|skall|kommer) (?:du|studenten|den studerande|deltagaren|deltagarna|kursdeltagaren|eleven) (?:att )?kunna|"
    r"för godkänt resultat på kursen ska (?:studenten|du|den studerande) kunna",
    "de": r"(?:nach|am ende) (?:dem |erfolgreichem )?(?:abschluss |besuch )?(?:des|der|dieses|dieser) "
    r"(?:kurses|moduls|weiterbildung|schulung|lehrgangs|seminars),? (?:können|sind|kennen) "
    r"(?:sie|die teilnehmenden|die teilnehmer(?:innen)?|die studierenden)",
    "nl": r"na (?:afloop van |het volgen van )?(?:de|deze) (?:cursus|opleiding|training|module),? "
    r"(?:kun je|kan de (?:student|deelnemer|cursist)|ben je in staat|weet je)",
    "fr": r"(?:à l'issue|à la fin|au terme) de (?:la|cette|ce) (?:formation|cours|module),? "
    r"(?:vous (?:serez capables? de|saurez|pourrez)|les (?:participants|stagiaires|apprenants) (?:seront capables de|sauront|pourront))",
}
_BULLET = re.compile(r"^\s*(?:[-*•–·▪●◦]|\d{1,2}[.)]|[a-z][.)])\s+(.*\S)\s*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖÜÉÈÀ0-9])")


@dataclass(frozen=True)
class _Block:
    kind: str  # "heading", "item", "para" or "blank"
    text: str


def derive_outcomes(description: str, language: str | None) -> tuple[list[str], Derived | None]:
    """The outcomes listed under an outcomes heading of ``description``, and how they were found."""
    if not description or not description.strip():
        return [], None
    blocks = _html_blocks(description) if re.search(r"<(?:p|li|ul|ol|h[1-6]|br|div|strong|b)\b", description, re.IGNORECASE) else _text_blocks(description)
    for index, block in enumerate(blocks):
        if block.kind not in ("heading", "para"):
            continue
        found = _heading(block.text, language)
        if found is None:
            continue
        heading, rest = found
        items, from_list = _section(blocks[index + 1 :], rest)
        if items:
            return items, _result(heading, items, from_list)
    return [], None


# -- headings -----------------------------------------------------------------------------------------

def _patterns(language: str | None) -> list[tuple[str, str]]:
    primary = (language or "").lower().split("-")[0]
    order = sorted(_TITLES, key=lambda lang: lang != primary)
    return [(kind, table[lang]) for lang in order for kind, table in (("title", _TITLES), ("lead", _LEADS))]


def _heading(text: str, language: str | None) -> tuple[str, str] | None:
    """(heading as written, what follows it on the same line) if ``text`` opens an outcomes section."""
    line = " ".join(text.split()).replace("’", "'")
    bare = line.rstrip(":").strip().casefold()
    for kind, pattern in _patterns(language):
        if kind == "title":
            if re.fullmatch(pattern, bare):
                return line.rstrip(":").strip(), ""
            inline = re.match(rf"({pattern})\s*:\s*(.+)", line, re.IGNORECASE)
            if inline:
                return inline.group(1), inline.group(2).strip()
        else:
            lead = re.match(rf"({pattern})\b[:\s]*(.*)", line, re.IGNORECASE)
            if lead:
                return lead.group(1), lead.group(2).strip()
    return None


# -- sections ------------------------------------------------------------------------------------------

def _section(blocks: list[_Block], rest: str) -> tuple[list[str], bool]:
    """The outcomes after a heading: its list if it has one, else its lines or sentences."""
    items: list[str] = []
    lead_seen = bool(rest)
    for block in blocks:
        if block.kind == "item":
            items.append(_clean(block.text))
            continue
        if items:
            if block.kind == "blank":
                continue
            break  # the list has ended
        if block.kind == "heading":
            break
        if block.kind == "para" and not lead_seen and _is_lead_in(block.text):
            lead_seen = True  # "On completion the student should be able to:" before the list
            continue
        if block.kind == "para" and not rest:
            # No list follows the heading: its first paragraph is the section (lead-in and all).
            return _sentences(block.text), False
        if block.kind == "blank":
            continue
        break
    if items:
        return [item for item in items if item], True
    if rest and not rest.endswith(":"):
        return _sentences(rest), False
    return [], False


def _is_lead_in(text: str) -> bool:
    """A sentence that introduces a list: ends with a colon, or is nothing but a lead-in phrase."""
    text = " ".join(text.split()).replace("’", "'")
    if text.endswith(":") and len(text) <= 160:
        return True
    return any(re.fullmatch(rf"(?:{pattern})\W*", text.casefold()) for pattern in _LEADS.values())


def _sentences(text: str) -> list[str]:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        return [_clean(line) for line in lines]
    return [_clean(part) for part in _SENTENCE.split(" ".join(text.split())) if part.strip()]


def _clean(text: str) -> str:
    return " ".join(text.split()).rstrip(";").strip()


# -- reading plain text and HTML ----------------------------------------------------------------------

def _text_blocks(text: str) -> list[_Block]:
    blocks = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            blocks.append(_Block("blank", ""))
        elif (bullet := _BULLET.match(line)) is not None:
            blocks.append(_Block("item", bullet.group(1)))
        elif (markdown := re.match(r"^\s*#{1,6}\s+(.*\S)", line)) is not None:
            blocks.append(_Block("heading", markdown.group(1)))
        else:
            blocks.append(_Block("para", line.strip()))
    return blocks


class _Blocks(HTMLParser):
    """Turns simple HTML into headings, list items and paragraphs; a paragraph that is all bold is a heading."""

    _BREAKS: ClassVar[frozenset[str]] = frozenset({"p", "div", "br", "ul", "ol", "table", "tr", "section", "article", "dl", "dt", "dd"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._text: list[str] = []
        self._bold: list[str] = []
        self._kind = "para"
        self._bold_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in self._BREAKS:
            self._flush()
            self._kind = "heading" if tag.startswith("h") and len(tag) == 2 else "item" if tag == "li" else "para"
        elif tag in ("strong", "b"):
            self._bold_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b"):
            self._bold_depth = max(0, self._bold_depth - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in self._BREAKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._bold_depth:
            self._bold.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        bold = " ".join("".join(self._bold).split())
        if text:
            kind = self._kind
            if kind == "para" and bold and bold == text and len(text) <= 120:
                kind = "heading"
            elif kind == "para" and bold and text.startswith(bold) and bold != text:
                # "<strong>Learning outcomes:</strong> After the course …": the bold part heads what follows
                self.blocks.append(_Block("heading", bold))
                text, kind = text[len(bold):].strip(), "para"
            self.blocks.append(_Block(kind, text))
        self._text, self._bold, self._kind = [], [], "para"

    def close(self) -> None:
        super().close()
        self._flush()


def _html_blocks(html: str) -> list[_Block]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _result(heading: str, items: list[str], from_list: bool) -> Derived:
    one = len(items) == 1
    shape_en = ("list item" if one else "list items") if from_list else ("sentence" if one else "sentences")
    shape_sv = ("listpunkten" if one else "listpunkter") if from_list else ("meningen" if one else "meningar")
    return Derived(
        value=str(len(items)),
        confidence=0.9 if from_list else 0.75,
        rule="outcomes/section",
        evidence=f"section “{heading}” ({len(items)} {shape_en})",
        explanation={
            "en": f"The learning outcomes are the {len(items)} {shape_en} under the heading “{heading}” in the "
            "course description, copied word for word (rule outcomes/section).",
            "sv": f"Lärandemålen är {'den' if one else 'de'} {len(items)} {shape_sv} under rubriken ”{heading}” i kursbeskrivningen, "
            "återgivna ordagrant (regel outcomes/section).",
        },
    )
