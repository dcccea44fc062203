"""The pace of study (studietakt) an offer's schedule text states, as a percentage of full-time study.

Only a percentage the text ties to the pace is read: "Studietakt 50 %", "Study pace 25 %", "pace of study: 75 %",
"50 % studietakt", "Studientempo 50 %"; and the Swedish names that mean one by definition: helfart (100 %),
trekvartsfart (75 %), halvfart (50 %), kvartsfart (25 %). Words such as "deltid" or "part time" name no percentage and
give nothing; a text that states two different paces gives nothing either.
"""

from __future__ import annotations

import re

from .result import Derived

_KEYWORDS = r"(?:studietakt|studiefart|study\s+pace|pace\s+of\s+study|pace|studientempo|studietempo|studiebelastning|studieomfang)"
_PERCENT = r"(\d{1,3}(?:[.,]\d+)?)\s*(?:%|procent\b|percent\b|prozent\b)"
_STATED = re.compile(rf"(?i)\b{_KEYWORDS}\s*(?::|=|är|is|of|på|von|van|at)?\s*{_PERCENT}|{_PERCENT}\s*{_KEYWORDS}\b")
_NAMED = {"helfart": 100.0, "trekvartsfart": 75.0, "halvfart": 50.0, "kvartsfart": 25.0}
_NAMES = re.compile(r"(?i)\b(" + "|".join(_NAMED) + r")\b")


def derive_pace(texts: list[str]) -> Derived | None:
    """The pace the ``texts`` state, with how it was found; None when they state none, or several."""
    found: dict[float, tuple[str, str]] = {}
    for text in texts:
        for match in _STATED.finditer(text or ""):
            number = float((match.group(1) or match.group(2)).replace(",", "."))
            if 0 < number <= 100:
                found.setdefault(number, (match.group(0).strip(), "pace/percentage"))
        for match in _NAMES.finditer(text or ""):
            found.setdefault(_NAMED[match.group(1).lower()], (match.group(0), "pace/named"))
    if len(found) != 1:
        return None
    (number, (evidence, rule)), = found.items()
    shown = f"{number:g}"
    return Derived(
        value=shown, confidence=0.95 if rule == "pace/percentage" else 0.9, rule=rule, evidence=f"“{evidence}”",
        explanation={
            "en": f"The schedule says “{evidence}”: a pace of study of {shown} % of full time (rule {rule}).",
            "sv": f"Schemat anger ”{evidence}”: studietakt {shown.replace('.', ',')} % av heltid (regel {rule}).",
        },
    )
