"""A version stamp per graph of the embedded store, so that what is worked out from a graph can be kept until the
graph is written again.

Every publish asked the whole store the same questions (each offer's dates for its time status, the published
listing, each graph's size) although a harvest of a national catalogue changes a few sources a day. Oxigraph keeps
no change counter, so the store keeps one beside itself: a random stamp per graph, replaced by each write of that
graph. Work done on a graph is kept under its stamp (``catalogue.publish.kept_work``) and reused while the stamp is
the same.

The stamps are only as good as the promise that nothing else writes the store, which holds for the embedded store
(RocksDB's lock); a remote server has none. They are removed before a write begins and set after it ends, so a
write stopped half way (a crash, a killed process) leaves its graphs without a stamp, and what was kept for them is
worked out again, never trusted. Opening the store gives every unstamped graph a new stamp (once the journal has
finished or undone such a write), so a store made before stamps were kept has them from its first opening.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


class GraphVersions:
    """The stamps of one store's graphs, in a JSON file beside the store."""

    def __init__(self, path: Path):
        self.path = path
        self._stamps: dict[str, str] | None = None

    @classmethod
    def beside(cls, store_path: Path) -> GraphVersions:
        return cls(store_path.parent / f"{store_path.name}.versions.json")

    def stamps(self) -> dict[str, str]:
        """Graph -> its stamp, for every graph written since stamps were kept and not being written now."""
        if self._stamps is None:
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
            self._stamps = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        return dict(self._stamps)

    @contextmanager
    def writing(self, graphs: Iterable[str], dropped: Iterable[str] = ()) -> Iterator[None]:
        """Around a write of ``graphs``: their stamps go before it starts and new ones come when it has ended, except
        for the ``dropped`` graphs, which are gone."""
        gone = set(dropped)
        names = set(graphs) | gone
        stamps = self.stamps()
        if not names:
            yield
            return
        for graph in names:
            stamps.pop(graph, None)
        self._save(stamps)
        yield
        for graph in names - gone:
            stamps[graph] = uuid.uuid4().hex
        self._save(stamps)

    def stamp_unstamped(self, graphs: Iterable[str]) -> None:
        """Give a stamp to each of ``graphs`` that has none: a graph written before stamps were kept, or by a write
        that stopped half way and was finished or undone since. Nothing was kept under a stamp it never had, so
        whatever it holds now is what will be worked out under the new one."""
        stamps = self.stamps()
        missing = [graph for graph in graphs if graph not in stamps]
        if missing:
            for graph in missing:
                stamps[graph] = uuid.uuid4().hex
            self._save(stamps)

    def _save(self, stamps: dict[str, str]) -> None:
        self._stamps = dict(stamps)
        partial = self.path.with_suffix(".tmp")
        with partial.open("w", encoding="utf-8") as out:
            json.dump(stamps, out, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(self.path)
