"""The static site's search index: Pagefind, one index per language, read by the browser a chunk at a time.

The browser used to download the whole catalogue as one JSON file before its first search; at a million
offers that cannot work on a phone. Pagefind (https://pagefind.app) splits the word index into chunks by
word range, keeps what a result card shows in one small fragment per offer, and keeps each filter's
values apart, so a query downloads the chunks of its words, the filters it uses and the fragments of
the page of results shown. Its Swedish and English stemmers are picked by each record's language.

Records are written through Pagefind's Python API (``pagefind.index``), which drives the ``pagefind``
binary from the ``pagefind-bin`` wheel as a service over its standard input. The API reads the
service's answers with a pause of 0.1 s after each one (ten records a second); :class:`_Service`
reads them as they come, and records are sent in windows of :data:`WINDOW`, so a build is bound by
the binary's own work.

The comparison page needs, for a handful of IRIs, where each offer's page is: :func:`shard_file`
splits that lookup into small JSON files by a hash of the IRI (the same FNV-1a the page computes), so
a comparison downloads one small file per offer compared, whatever the size of the catalogue.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path
from typing import TypedDict

from pagefind.service import PagefindService

# A word every record carries: Pagefind answers a search without words (filters only, or nothing yet) by loading
# every word chunk, the whole index; the search page asks for this word instead, one chunk.
EVERY_OFFER = "zzzeveryofferzzz"
WINDOW = 2_000  # records in flight to the Pagefind service at once
UNUSED = ("pagefind-ui.*", "pagefind-component-ui.*", "pagefind-modular-ui.*", "pagefind-highlight.js")
SHARD_DIGITS = 3  # 4,096 lookup files: about 250 offers in each at a million offers


class Record(TypedDict):
    url: str
    content: str
    language: str
    meta: dict[str, str]
    filters: dict[str, list[str]]
    sort: dict[str, str]


class _Service(PagefindService):
    """Pagefind's service client without the 0.1 s pause after each answer it reads."""

    async def _wait_for_responses(self) -> None:
        assert self._backend.stdout is not None
        while True:
            output = await self._backend.stdout.readuntil(b",")
            answer = json.loads(base64.b64decode(output[:-1]))
            if answer is None:
                continue
            waiting = self._responses.pop(answer.get("message_id"), None)
            if waiting is None or waiting.done():
                continue
            payload = answer["payload"]
            if payload.get("type") == "Error":
                waiting.set_exception(RuntimeError(f"Pagefind: {payload.get('message')}"))
            else:
                waiting.set_result(payload)


async def _write(records: Iterable[Record], folder: Path) -> int:
    service = await _Service().launch()
    try:
        index = await service.create_index(None)
        count = 0
        pending = []
        for record in records:
            pending.append(index.add_custom_record(**record))
            count += 1
            if len(pending) >= WINDOW:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        await index.write_files(output_path=str(folder))
        return count
    finally:
        await service.close()


def write_index(records: Iterable[Record], out: Path, name: str = "pagefind") -> int:
    """Write the Pagefind bundle to ``out/name``: built beside it, then put in place of the old one.

    Returns the number of records indexed.
    """
    target = out / name
    fresh = out / f".{name}-new"
    old = out / f".{name}-old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    count = asyncio.run(_write(records, fresh))
    for unused in UNUSED:  # Pagefind's own search interfaces: the site's search page is its own
        for path in fresh.glob(unused):
            path.unlink()
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return count


def is_written(out: Path, name: str = "pagefind") -> bool:
    return (out / name / "pagefind-entry.json").exists() and (out / name / "pagefind.js").exists()


def remove_index(out: Path, name: str = "pagefind") -> None:
    """Remove the Pagefind bundle (and any half-made one) from ``out``."""
    for folder in (out / name, out / f".{name}-new", out / f".{name}-old"):
        shutil.rmtree(folder, ignore_errors=True)


def fingerprint(records: Iterable[Record]) -> str:
    """The digest of what would be indexed, and by which Pagefind: the same digest needs no new index."""
    digest = hashlib.sha256(version("pagefind_bin").encode())
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def shard(iri: str) -> str:
    """FNV-1a (32 bits) of the IRI's UTF-8 bytes, as hexadecimal digits: compare.js computes the same."""
    value = 0x811C9DC5
    for byte in iri.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"[:SHARD_DIGITS]


def shard_file(key: str, pages: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(file path, JSON) of the comparison's lookup file ``key``: (IRI, offer page path below the language folder)
    of each offer in it, by IRI."""
    return f"assets/offers/{key}.json", json.dumps(dict(sorted(pages)), ensure_ascii=False, separators=(",", ":"))
