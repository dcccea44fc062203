"""Per-offer validation reports: what they hold and how they read.

A report says whether the offer meets the publishing profile (``conforms``),
whether it is a complete micro-credential, which mandatory Annex I elements
are missing, and lists violations and warnings, each with the offer, the
property, the bad value and a plain message in English and Swedish.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from catalogue.vocab import Vocabulary, load_vocabulary

from .shacl import PROFILE_MICROCREDENTIAL, PROFILE_PUBLISHING


def _in_annex_order(keys: list[str]) -> list[str]:
    order = {e.key: e.order for e in load_vocabulary().annex_elements()}
    return sorted(dict.fromkeys(keys), key=lambda k: order.get(k, 99))


@dataclass
class Finding:
    severity: str  # "violation" or "warning"
    profile: str  # "publishing" or "microcredential"
    path: str
    value: str | None
    focus: str
    component: str
    shape: str
    messages: dict[str, str]
    element: str | None = None

    def message(self, lang: str = "en") -> str:
        return self.messages.get(lang) or self.messages.get("en") or next(iter(self.messages.values()), "")

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
        return [f for f in self.findings if f.profile == PROFILE_PUBLISHING and f.severity == "violation"]

    @property
    def warnings(self) -> list[Finding]:
        """Everything else worth fixing: recommendations and missing micro-credential elements."""
        return [f for f in self.findings if not (f.profile == PROFILE_PUBLISHING and f.severity == "violation")]

    @property
    def conforms(self) -> bool:
        return not self.violations

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
            "conforms": self.conforms,
            "microcredential": self.microcredential,
            "missing": self.missing,
            "violations": [f.as_json(lang) for f in self.violations],
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
            "findings": [asdict(f) for f in self.findings],
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
