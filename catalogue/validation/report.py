"""Per-offer validation reports: what they hold and how they read.

A report places the offer at one of the catalogue's levels of admission:

* **listed** (``conforms``): a learner can find and judge it; violations of the
  listing shapes (no title, no named provider, no way to learn more, broken
  values) keep it out, in quarantine;
* **Europass-ready**: it also meets what the official Europass LOQ shapes ask
  (``europass_gaps`` says what is missing);
* **complete micro-credential**: Europass-ready and it gives every mandatory
  Annex I element (``missing`` lists the ones it does not give).

Every finding names the offer, the property, the bad value and a plain message
in English and Swedish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalogue.levels import COMPLETE, EUROPASS_READY, LISTED, NEXT_LEVEL, QUARANTINED
from catalogue.vocab import Vocabulary, load_vocabulary

from .shacl import PROFILE_EUROPASS, PROFILE_LISTING, PROFILE_MICROCREDENTIAL


def _in_annex_order(keys: list[str]) -> list[str]:
    order = {e.key: e.order for e in load_vocabulary().annex_elements()}
    return sorted(dict.fromkeys(keys), key=lambda k: order.get(k, 99))


@dataclass
class Finding:
    severity: str  # "violation" or "warning"
    profile: str  # "listing", "europass" or "microcredential"
    path: str
    value: str | None
    focus: str
    component: str
    shape: str
    messages: dict[str, str]
    element: str | None = None

    def message(self, lang: str = "en") -> str:
        return self.messages.get(lang) or self.messages.get("en") or next(iter(self.messages.values()), "")

    def to_cache(self) -> dict[str, Any]:
        """Every field, as ``Finding(**...)`` reads it back (``dataclasses.asdict``, which copies deeply, took ten times
        as long: 20 µs a finding, about 75 µs an offer in the harvest's own process)."""
        return {"severity": self.severity, "profile": self.profile, "path": self.path, "value": self.value,
                "focus": self.focus, "component": self.component, "shape": self.shape,
                "messages": dict(self.messages), "element": self.element}

    def as_json(self, lang: str = "en") -> dict[str, Any]:
        out = {"path": self.path, "value": self.value, "message": self.message(lang), "focus": self.focus}
        if self.element:
            out["element"] = self.element
        out["constraint"] = self.component
        out["shape"] = self.shape
        return out


@dataclass
class OfferReport:
    offer: str
    titles: dict[str, str]
    content_hash: str
    findings: list[Finding] = field(default_factory=list)
    cached: bool = False

    @property
    def violations(self) -> list[Finding]:
        """What keeps the offer out of the catalogue."""
        return [f for f in self.findings if f.profile == PROFILE_LISTING and f.severity == "violation"]

    @property
    def europass_gaps(self) -> list[Finding]:
        """What keeps a listed offer out of the Europass-ready subset."""
        return [f for f in self.findings if f.profile == PROFILE_EUROPASS and f.severity == "violation"]

    @property
    def warnings(self) -> list[Finding]:
        """Everything else worth fixing: recommendations and missing micro-credential elements."""
        return [f for f in self.findings if f.severity == "warning" or f.profile == PROFILE_MICROCREDENTIAL]

    @property
    def conforms(self) -> bool:
        """Listed: the offer enters the catalogue."""
        return not self.violations

    @property
    def europass_ready(self) -> bool:
        return self.conforms and not self.europass_gaps

    @property
    def level(self) -> str:
        """"quarantined", "listed", "europass-ready" or "complete"."""
        if not self.conforms:
            return QUARANTINED
        if not self.europass_ready:
            return LISTED
        return COMPLETE if not self.missing else EUROPASS_READY

    def next_level_needs(self) -> list[Finding]:
        """The findings to fix to reach the next level (none at the top)."""
        return {
            QUARANTINED: self.violations,
            LISTED: self.europass_gaps,
            EUROPASS_READY: [f for f in self.findings if f.profile == PROFILE_MICROCREDENTIAL and f.severity == "violation"],
        }.get(self.level, [])

    @property
    def missing(self) -> list[str]:
        """Keys of the mandatory Annex I elements the offer does not give."""
        return _in_annex_order(
            [f.element for f in self.findings if f.profile == PROFILE_MICROCREDENTIAL and f.severity == "violation" and f.element]
        )

    @property
    def missing_optional(self) -> list[str]:
        return _in_annex_order(
            [f.element for f in self.findings if f.profile == PROFILE_MICROCREDENTIAL and f.severity == "warning" and f.element]
        )

    @property
    def microcredential(self) -> bool:
        return self.conforms and not self.missing

    def title(self, lang: str = "en") -> str:
        return self.titles.get(lang) or self.titles.get("en") or next(iter(self.titles.values()), "")

    def as_json(self, lang: str = "en", vocabulary: Vocabulary | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "offer": self.offer,
            "title": self.title(lang),
            "level": self.level,
            "conforms": self.conforms,
            "europass_ready": self.europass_ready,
            "microcredential": self.microcredential,
            "missing": self.missing,
            "next_level": {"level": NEXT_LEVEL.get(self.level), "needs": [f.as_json(lang) for f in self.next_level_needs()]},
            "violations": [f.as_json(lang) for f in self.violations],
            "europass_gaps": [f.as_json(lang) for f in self.europass_gaps],
            "warnings": [f.as_json(lang) for f in self.warnings],
            "content_hash": self.content_hash,
        }
        if vocabulary is not None:
            labels = {e.key: e.label(lang) for e in vocabulary.annex_elements()}
            out["missing_labels"] = [labels.get(k, k) for k in self.missing]
        return out

    def to_cache(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "titles": self.titles,
            "content_hash": self.content_hash,
            "findings": [f.to_cache() for f in self.findings],
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> OfferReport:
        findings = [Finding(**f) for f in data["findings"]]
        return cls(data["offer"], data["titles"], data["content_hash"], findings, cached=True)


@dataclass
class InputProblem:
    """An input that could not be read or parsed (exit status 2)."""

    source: str
    message: str
    line: int | None = None
    column: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "message": self.message, "line": self.line, "column": self.column}


@dataclass
class ValidationRun:
    reports: list[OfferReport] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources_without_offers: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        if self.problems:
            return 2
        if self.sources_without_offers or any(not r.conforms for r in self.reports):
            return 1
        return 0

    def summary(self) -> dict[str, int]:
        return {
            "offers": len(self.reports),
            "conforming": sum(r.conforms for r in self.reports),
            "violating": sum(not r.conforms for r in self.reports),
            "europass_ready": sum(r.europass_ready for r in self.reports),
            "microcredentials": sum(r.microcredential for r in self.reports),
            "unreadable_inputs": len(self.problems),
            "from_cache": sum(r.cached for r in self.reports),
        }

    def as_json(self, lang: str = "en", vocabulary: Vocabulary | None = None) -> dict[str, Any]:
        return {
            "offers": [r.as_json(lang, vocabulary) for r in self.reports],
            "summary": self.summary(),
            "errors": [p.as_json() for p in self.problems],
            "inputs_without_offers": self.sources_without_offers,
            "notes": self.notes,
        }
