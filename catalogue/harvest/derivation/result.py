"""The value of a derivation rule together with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Derived:
    """A value the catalogue filled in itself, with its provenance.

    ``value`` is a concept IRI (ISCED-F, country, language, mode, schedule) or a literal
    (a number as text); ``confidence`` is 0..1; ``rule`` is a stable id such as
    ``"isced-f/sun-2020"``; ``evidence`` names what it came from; ``explanation`` holds one
    plain sentence in ``"en"`` and ``"sv"`` that names the rule.
    """

    value: str
    confidence: float
    rule: str
    evidence: str
    # Frozen dataclasses hash their fields; a dict is unhashable, so leave it out of the hash.
    explanation: dict[str, str] = field(hash=False, compare=True)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, not {self.confidence}")
        if not {"en", "sv"} <= self.explanation.keys():
            raise ValueError("explanation needs an 'en' and an 'sv' sentence")
