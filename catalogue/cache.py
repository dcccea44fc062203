"""The validation cache: an offer whose content and rules have not changed is not validated again.

Keys are SHA-256 hashes of an offer's canonical N-Triples plus a fingerprint of
the shapes and vocabulary, so a change to either invalidates exactly what it
should. A second table remembers whole documents (the bytes of a file or feed)
so that re-checking an unchanged file costs one hash and one lookup.
SQLite (standard library) in WAL mode lets a harvest and a server share it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .resources import rules_fingerprint

_SCHEMA = """
CREATE TABLE IF NOT EXISTS offer_reports (key TEXT PRIMARY KEY, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, offer_keys TEXT NOT NULL, notes TEXT NOT NULL);
"""


def offer_key(content_hash: str) -> str:
    return hashlib.sha256(f"{rules_fingerprint()}:{content_hash}".encode()).hexdigest()


def document_key(content: bytes, source_kind: str, base: str) -> str:
    digest = hashlib.sha256(content)
    digest.update(f"\0{source_kind}\0{base}\0{rules_fingerprint()}".encode())
    return digest.hexdigest()


class ValidationCache:
    """``path=None`` keeps the cache in memory for the life of the object."""

    def __init__(self, path: Path | None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path else ":memory:", timeout=30, check_same_thread=False)
        if path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def get_reports(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, report in self.db.execute(f"SELECT key, report FROM offer_reports WHERE key IN ({marks})", chunk):
                found[key] = json.loads(report)
        return found

    def put_reports(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO offer_reports (key, report) VALUES (?, ?)",
                ((key, json.dumps(report, ensure_ascii=False, separators=(",", ":"))) for key, report in items),
            )

    def get_document(self, key: str) -> tuple[list[str], list[str]] | None:
        row = self.db.execute("SELECT offer_keys, notes FROM documents WHERE key = ?", (key,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def put_document(self, key: str, offer_keys: list[str], notes: list[str]) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO documents (key, offer_keys, notes) VALUES (?, ?, ?)",
                (key, json.dumps(offer_keys), json.dumps(notes, ensure_ascii=False)),
            )

    def close(self) -> None:
        self.db.close()
