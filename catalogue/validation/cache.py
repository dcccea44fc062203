"""The validation cache: an offer whose content and rules have not changed is not validated again.

Keys are SHA-256 hashes of an offer's canonical N-Triples plus a fingerprint of
the shapes and vocabulary, so a change to either invalidates exactly what it
should. A second table remembers whole documents (the bytes of a file or feed)
so that re-checking an unchanged file costs one hash and one lookup.
SQLite (standard library) in WAL mode lets a harvest and a server share it.

The harvest's cache is unbounded (it holds what the catalogue publishes). A
cache fed by strangers, the validation service's, is given ``CacheLimits``:
entries older than ``max_age`` are neither read nor kept, and each table is
pruned, oldest first, to ``max_entries`` rows and half of ``max_bytes`` as
it grows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.resources import rules_fingerprint

_SCHEMA = """
CREATE TABLE IF NOT EXISTS offer_reports (key TEXT PRIMARY KEY, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, offer_keys TEXT NOT NULL, notes TEXT NOT NULL);
"""
_TABLES = ("offer_reports", "documents")


@dataclass(frozen=True)
class CacheLimits:
    max_entries: int = 10_000  # rows per table
    max_bytes: int = 64 * 1024 * 1024  # stored text, both tables together
    max_age: float = 24 * 3600.0  # seconds


def offer_key(content_hash: str) -> str:
    return hashlib.sha256(f"{rules_fingerprint()}:{content_hash}".encode()).hexdigest()


def document_key(content: bytes, source_kind: str, base: str) -> str:
    digest = hashlib.sha256(content)
    digest.update(f"\0{source_kind}\0{base}\0{rules_fingerprint()}".encode())
    return digest.hexdigest()


class ValidationCache:
    """``path=None`` keeps the cache in memory for the life of the object; ``limits`` bound it."""

    def __init__(self, path: Path | None, limits: CacheLimits | None = None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.limits = limits
        self.db = sqlite3.connect(str(path) if path else ":memory:", timeout=30, check_same_thread=False)
        if path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        if limits is not None:
            self._add_bookkeeping()

    def _add_bookkeeping(self) -> None:
        """When and how large each entry is: the columns pruning needs (added to a cache made without them)."""
        for table in _TABLES:
            columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            with self.db:
                if "stored" not in columns:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN stored REAL NOT NULL DEFAULT 0")
                if "size" not in columns:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN size INTEGER NOT NULL DEFAULT 0")
                self.db.execute(f"CREATE INDEX IF NOT EXISTS {table}_stored ON {table} (stored)")

    def _fresh(self) -> tuple[str, tuple]:
        """The SQL condition (and its parameter) that leaves out expired entries."""
        if self.limits is None:
            return "", ()
        return " AND stored >= ?", (time.time() - self.limits.max_age,)

    def get_reports(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        condition, parameters = self._fresh()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key, report FROM offer_reports WHERE key IN ({marks}){condition}", (*chunk, *parameters))
            for key, report in rows:
                found[key] = json.loads(report)
        return found

    def put_reports(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        rows = [(key, json.dumps(report, ensure_ascii=False, separators=(",", ":"))) for key, report in items]
        with self.db:
            if self.limits is None:
                self.db.executemany("INSERT OR REPLACE INTO offer_reports (key, report) VALUES (?, ?)", rows)
            else:
                now = time.time()
                self.db.executemany(
                    "INSERT OR REPLACE INTO offer_reports (key, report, stored, size) VALUES (?, ?, ?, ?)",
                    ((key, text, now, len(key) + len(text)) for key, text in rows),
                )
        self._prune("offer_reports")

    def get_document(self, key: str) -> tuple[list[str], list[str]] | None:
        condition, parameters = self._fresh()
        row = self.db.execute(f"SELECT offer_keys, notes FROM documents WHERE key = ?{condition}", (key, *parameters)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def put_document(self, key: str, offer_keys: list[str], notes: list[str]) -> None:
        keys_text, notes_text = json.dumps(offer_keys), json.dumps(notes, ensure_ascii=False)
        with self.db:
            if self.limits is None:
                self.db.execute("INSERT OR REPLACE INTO documents (key, offer_keys, notes) VALUES (?, ?, ?)", (key, keys_text, notes_text))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO documents (key, offer_keys, notes, stored, size) VALUES (?, ?, ?, ?, ?)",
                    (key, keys_text, notes_text, time.time(), len(key) + len(keys_text) + len(notes_text)),
                )
        self._prune("documents")

    def _prune(self, table: str) -> None:
        """Drop expired entries, then the oldest ones until the table is within its share of the limits."""
        if self.limits is None:
            return
        limits = self.limits
        with self.db:
            self.db.execute(f"DELETE FROM {table} WHERE stored < ?", (time.time() - limits.max_age,))
            count, size = self.db.execute(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM {table}").fetchone()
            budget = limits.max_bytes // 2
            if count <= limits.max_entries and size <= budget:
                return
            # Oldest first, until both bounds hold: walk the rows newest first (rowids grow with
            # every insert or replace) and delete from the first one that no longer fits.
            kept, kept_size, cut = 0, 0, None
            for rowid, row_size in self.db.execute(f"SELECT rowid, size FROM {table} ORDER BY rowid DESC"):
                if kept + 1 > limits.max_entries or kept_size + row_size > budget:
                    cut = rowid
                    break
                kept, kept_size = kept + 1, kept_size + row_size
            if cut is not None:
                self.db.execute(f"DELETE FROM {table} WHERE rowid <= ?", (cut,))

    def counts(self) -> dict[str, tuple[int, int]]:
        """Rows and stored bytes per table (bytes only where the cache is bounded)."""
        out = {}
        for table in _TABLES:
            if self.limits is None:
                out[table] = (self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0], 0)
            else:
                out[table] = tuple(self.db.execute(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM {table}").fetchone())
        return out

    def close(self) -> None:
        self.db.close()
