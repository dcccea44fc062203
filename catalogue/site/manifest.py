"""What the last site build wrote, kept in SQLite beside the site (``.build-manifest.sqlite``).

A site of a million offers has about two and a half million pages: a manifest read whole into memory at
every build (it was JSON) costs seconds and hundreds of megabytes before anything is known to have
changed. Here every page is a row (its path, the SHA-256 of its bytes, and the *unit* that writes it:
an offer, a provider, the sitemaps, one lookup file of the comparison, the listings, the fixed pages),
and every offer a row with what its pages were made from. A build asks only for the rows it needs, and
compares the offers with the published search index inside SQLite (the index is attached read-only).

The whole build is one transaction: a build that stops half way leaves the manifest as the last
finished build left it, so the next build writes again whatever the stopped one may have changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from catalogue.publish.time_relevance import HIDDEN

FILE = ".build-manifest.sqlite"
LEGACY = ".build-manifest.json"  # the manifest of earlier releases: its pages are taken over once

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (path TEXT PRIMARY KEY, digest TEXT NOT NULL, unit TEXT NOT NULL, folder TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pages_by_unit ON pages (unit);
CREATE INDEX IF NOT EXISTS pages_by_folder ON pages (folder);
-- key: what the offer's pages were made from (the search index row's fingerprint); listed: shown in listings and
-- the sitemap (not ended or cancelled); card_until: the day its card (its next application deadline) changes after.
CREATE TABLE IF NOT EXISTS offers (iri TEXT PRIMARY KEY, key TEXT NOT NULL, source TEXT NOT NULL, provider TEXT,
                                   listed INTEGER NOT NULL, card_until TEXT, shard TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS offers_by_provider ON offers (provider);
CREATE INDEX IF NOT EXISTS offers_by_shard ON offers (shard);
CREATE INDEX IF NOT EXISTS offers_by_card ON offers (card_until);
-- Each provider with listed offers: what the register and its page show (JSON), worked out when its offers change.
CREATE TABLE IF NOT EXISTS providers (iri TEXT PRIMARY KEY, data TEXT NOT NULL);
-- Listing pages rendered only when what they show changed: page -> digest of what it showed.
CREATE TABLE IF NOT EXISTS inputs (path TEXT PRIMARY KEY, key TEXT NOT NULL);
"""


def listed(status: str | None) -> bool:
    return status not in HIDDEN


class BuildManifest:
    """The manifest of the site in ``out``, open for one build (``commit`` at its end, else nothing is kept)."""

    def __init__(self, out: Path, index: Path):
        self.path = out / FILE
        self.db = sqlite3.connect(self.path.resolve().as_uri(), uri=True, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.executescript(_SCHEMA)
        # The published search index, read-only, to compare its offers with the last build's inside SQLite.
        self.db.execute("ATTACH DATABASE ? AS published", (index.resolve().as_uri() + "?mode=ro",))
        self.db.execute("BEGIN")
        self._take_over(out / LEGACY)

    def _take_over(self, legacy: Path) -> None:
        """An earlier release's JSON manifest: its pages are kept (so that pages it wrote and no build writes again
        are removed), under the fixed pages' unit; every offer is rendered again."""
        if not legacy.exists():
            return
        import json

        try:
            pages = json.loads(legacy.read_text(encoding="utf-8")).get("pages", {})
        except (OSError, ValueError):
            pages = {}
        self.db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, 'fixed', ?)",
                            ((path, digest, folder_of(path)) for path, digest in pages.items()))
        legacy.unlink()

    # -- meta -------------------------------------------------------------------------------------

    def get(self, key: str) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def forget_content(self) -> None:
        """New templates, rules or code: every offer, provider and listing is made again (pages stay, so that a
        page whose bytes come out the same is not written)."""
        self.db.execute("DELETE FROM offers")
        self.db.execute("DELETE FROM providers")
        self.db.execute("DELETE FROM inputs")

    # -- pages ------------------------------------------------------------------------------------

    def digest(self, path: str) -> str | None:
        row = self.db.execute("SELECT digest FROM pages WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def written(self, path: str, digest: str, unit: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)", (path, digest, unit, folder_of(path)))

    def seen(self, path: str, unit: str) -> None:
        """An unchanged page now belongs to ``unit`` (a page may move between units from one release to the next)."""
        self.db.execute("UPDATE pages SET unit = ? WHERE path = ? AND unit != ?", (unit, path, unit))

    def pages_of(self, unit: str) -> list[str]:
        return [path for (path,) in self.db.execute("SELECT path FROM pages WHERE unit = ?", (unit,))]

    def forget_page(self, path: str) -> None:
        self.db.execute("DELETE FROM pages WHERE path = ?", (path,))

    def page_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]

    def folders(self) -> Iterator[tuple[str, int]]:
        """Each folder of the site's pages, and how many pages it should hold."""
        yield from self.db.execute("SELECT folder, COUNT(*) FROM pages GROUP BY folder")

    def units_in(self, folder: str) -> list[tuple[str, str]]:
        return self.db.execute("SELECT path, unit FROM pages WHERE folder = ?", (folder,)).fetchall()

    # -- offers -----------------------------------------------------------------------------------

    def changed_offers(self) -> list[int]:
        """Row numbers in the attached index of offers that are new or whose row changed since the last build (an
        offer without a fingerprint, whose record is missing, is always taken as changed)."""
        return [number for (number,) in self.db.execute(
            "SELECT i.id FROM published.offers i LEFT JOIN main.offers m ON m.iri = i.iri "
            "WHERE i.fingerprint IS NULL OR m.key IS NOT i.fingerprint ORDER BY i.id")]

    def gone_offers(self) -> list[tuple[str, str | None, int, str]]:
        """(IRI, provider, listed, shard) of offers of the last build that the index no longer has."""
        return self.db.execute(
            "SELECT iri, provider, listed, shard FROM main.offers m "
            "WHERE NOT EXISTS (SELECT 1 FROM published.offers i WHERE i.iri = m.iri)").fetchall()

    def index_numbers(self, iris: list[str]) -> list[int]:
        """Row numbers in the attached index of the offers ``iris``."""
        found = []
        for first in range(0, len(iris), 500):
            chunk = iris[first:first + 500]
            found += [n for (n,) in self.db.execute(f"SELECT id FROM published.offers WHERE iri IN ({','.join('?' * len(chunk))})", chunk)]
        return found

    def index_rows(self, numbers: list[int]) -> list[tuple[str, str, str | None, str]]:
        """(IRI, fingerprint, provider, summary JSON) of the index's rows ``numbers``."""
        marks = ",".join("?" * len(numbers))
        return self.db.execute(f"SELECT iri, fingerprint, provider, summary FROM published.offers WHERE id IN ({marks}) ORDER BY id",
                               numbers).fetchall()

    def offer(self, iri: str) -> tuple[str, str | None, int, str] | None:
        """(source, provider, listed, shard) of the offer as the last build left it."""
        return self.db.execute("SELECT source, provider, listed, shard FROM offers WHERE iri = ?", (iri,)).fetchone()

    def keep_offer(self, iri: str, key: str, source: str, provider: str | None, is_listed: bool, card_until: str | None, shard: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO offers VALUES (?, ?, ?, ?, ?, ?, ?)", (iri, key, source, provider, int(is_listed), card_until, shard))

    def forget_offer(self, iri: str) -> None:
        self.db.execute("DELETE FROM offers WHERE iri = ?", (iri,))

    def card_until(self, iri: str, day: str | None) -> None:
        self.db.execute("UPDATE offers SET card_until = ? WHERE iri = ?", (day, iri))

    def providers_with_changed_cards(self, today: str) -> set[str]:
        """Providers with a listed offer whose card shows an application deadline that has passed."""
        return {p for (p,) in self.db.execute("SELECT DISTINCT provider FROM offers WHERE card_until < ? AND listed AND provider IS NOT NULL", (today,))}

    def provider_offers(self, provider: str) -> list[str]:
        """Summaries (JSON) of the provider's offers in the attached index."""
        return [s for (s,) in self.db.execute("SELECT summary FROM published.offers WHERE provider = ? ORDER BY iri", (provider,))]

    def published_providers(self) -> set[str]:
        """Every provider of an offer in the attached index."""
        return {p for (p,) in self.db.execute("SELECT DISTINCT provider FROM published.offers WHERE provider IS NOT NULL")}

    def shards(self) -> set[str]:
        """The comparison's lookup files that hold an offer of the last build."""
        return {key for (key,) in self.db.execute("SELECT DISTINCT shard FROM offers")}

    def listed_offers(self) -> Iterator[tuple[str, str]]:
        """(IRI, source) of every listed offer, by IRI."""
        yield from self.db.execute("SELECT iri, source FROM offers WHERE listed ORDER BY iri")

    def shard_offers(self, shard: str) -> list[tuple[str, str]]:
        return self.db.execute("SELECT iri, source FROM offers WHERE shard = ? AND listed", (shard,)).fetchall()

    def offer_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM offers").fetchone()[0]

    # -- providers and listings -------------------------------------------------------------------

    def provider_data(self) -> Iterator[str]:
        yield from (data for (data,) in self.db.execute("SELECT data FROM providers"))

    def provider_iris(self) -> list[str]:
        return [iri for (iri,) in self.db.execute("SELECT iri FROM providers ORDER BY iri")]

    def keep_provider(self, iri: str, data: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO providers VALUES (?, ?)", (iri, data))

    def provider_is_new(self, iri: str) -> bool:
        return self.db.execute("SELECT 1 FROM providers WHERE iri = ?", (iri,)).fetchone() is None

    def forget_provider(self, iri: str) -> bool:
        return self.db.execute("DELETE FROM providers WHERE iri = ?", (iri,)).rowcount > 0

    def input_key(self, path: str) -> str | None:
        row = self.db.execute("SELECT key FROM inputs WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def keep_input(self, path: str, key: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO inputs VALUES (?, ?)", (path, key))

    def forget_input(self, path: str) -> None:
        self.db.execute("DELETE FROM inputs WHERE path = ?", (path,))

    def forget_inputs_except(self, kept: Iterable[str]) -> None:
        keep = set(kept)
        for (path,) in self.db.execute("SELECT path FROM inputs").fetchall():
            if path not in keep:
                self.forget_input(path)

    # -- the end ----------------------------------------------------------------------------------

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()

    def abandon(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()


def folder_of(path: str) -> str:
    return path.rpartition("/")[0]
