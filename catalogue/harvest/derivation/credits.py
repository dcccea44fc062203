"""ECTS credits from a national credit value, only where an official equivalence exists.

* Swedish högskolepoäng (hp): 1 hp = 1 ECTS credit (60 hp is a year of full-time study, Högskoleförordningen
  (1993:100) 6 kap. 2 §, the same workload as 60 ECTS).
* UK CATS credits (England, Wales, Northern Ireland) and Scottish SCQF credit points: 2 credits = 1 ECTS credit
  (QAA, Higher education credit framework for England; SCQF Partnership).
* ECTS stays ECTS.

Everything else has no official one-to-one equivalence and gives ``None``: Swedish YH-poäng (yrkeshögskolepoäng,
5 per week), folk high school weeks, the pre-2007 Swedish "poäng", US credit hours, ECVET points, and any
value whose unit is missing or unknown.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .result import Derived

# Checked before the accepted units: "YH-poäng" must not be read as "poäng", nor "ECVET" as "ECTS".
_REFUSED = re.compile(
    r"yh|yrkeshögskol|folkhögskol|veck|week|ecvet|credit[\s-]*hours?|semester[\s-]*hours?|quarter[\s-]*hours?|\bpoäng\b",
    re.IGNORECASE,
)
_SYSTEMS = (
    # (pattern on the unit text, factor to ECTS, rule, name en, name sv)
    (re.compile(r"\bhp\b|högskolepoäng|hogskolepoang|higher education credits?", re.IGNORECASE), Decimal(1), "credits/hp-ects",
     "Swedish higher education credits (högskolepoäng)", "högskolepoäng"),
    (re.compile(r"scqf", re.IGNORECASE), Decimal("0.5"), "credits/scqf-ects", "SCQF credit points", "SCQF-poäng"),
    (re.compile(r"\bcats\b|uk credits?|credits? \(uk\)", re.IGNORECASE), Decimal("0.5"), "credits/cats-ects",
     "UK CATS credits", "brittiska CATS-poäng"),
    (re.compile(r"\bects\b|european credits?", re.IGNORECASE), Decimal(1), "credits/ects", "ECTS credits", "ECTS-poäng"),
)
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,4}(?:[.,]\d{1,2})?)(?![\d])")


def derive_ects(value: str, system: str) -> Derived | None:
    """ECTS credits for ``value`` (``"7,5 hp"``, ``"15"``) in ``system`` (``"hp"``, ``"CATS"``, ``""``), or ``None``."""
    if not value or not value.strip():
        return None
    numbers = _NUMBER.findall(value)
    if len(numbers) != 1:
        return None  # no number, or a range ("7,5-15 hp") that has no single value
    try:
        amount = Decimal(numbers[0].replace(",", "."))
    except InvalidOperation:
        return None
    if amount <= 0 or amount > 400:
        return None
    unit = " ".join(part for part in (_NUMBER.sub(" ", value), system or "") if part).strip()
    if not unit or _REFUSED.search(unit):
        return None
    matched = [system_def for system_def in _SYSTEMS if system_def[0].search(unit)]
    if not matched or len({system_def[1] for system_def in matched}) != 1:
        return None  # no unit, or two that contradict each other ("15 hp" said to be CATS)
    _, factor, rule, name_en, name_sv = matched[0]  # "15 hp" said to be ECTS: the same number, named by hp
    ects = _plain(amount * factor)
    original = value.strip()
    return Derived(
        value=ects,
        confidence=0.98 if rule != "credits/ects" else 0.99,
        rule=rule,
        evidence=f"“{original}”" + (f" ({system.strip()})" if system and system.strip().lower() not in original.lower() else ""),
        explanation={
            "en": f"{original} in {name_en} equals {ects} ECTS credits by the official equivalence (rule {rule}).",
            "sv": f"{original} i {name_sv} motsvarar {ects.replace('.', ',')} ECTS-poäng enligt den officiella omräkningen (regel {rule}).",
        },
    )


def _plain(number: Decimal) -> str:
    """A number as text with a decimal point and no trailing zeros: 7.5, 15, 22.5."""
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
