"""What a publish worked out from some graphs, kept under the graphs' version stamps (``store.graph_versions``).

Each publish needs, per source, its offers' time facts, the published listing and the graphs' sizes. Worked out
from the store each time, that read every offer of the catalogue after a harvest that changed one (at 100,000
offers about 15 s of each publish, growing with the catalogue). Kept here, a source whose graphs were not written
since costs a file read. An entry is used only when every graph it was made from has the stamp it had then and the
code that made it is the same; a store that keeps no stamps (a remote server) is always asked.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalogue.resources import code_fingerprint


class KeptWork:
    """Entries of one kind (``kind``), each named and made from some graphs, in ``folder/kind``."""

    def __init__(self, folder: Path, kind: str, stamps: Callable[[], dict[str, str] | None], *modules: str):
        self.folder = folder / kind
        self.stamps = stamps  # the store's stamps now (they change as the publish writes)
        self.rules = code_fingerprint(*modules)

    @classmethod
    def in_data_dir(cls, data_dir: Path, kind: str, stamps: Callable[[], dict[str, str] | None], *modules: str) -> KeptWork:
        return cls(data_dir / "kept-work", kind, stamps, *modules)

    def _path(self, name: str) -> Path:
        return self.folder / f"{hashlib.sha256(name.encode('utf-8')).hexdigest()[:24]}.pickle"

    def _key(self, graphs: list[str]) -> tuple | None:
        stamps = self.stamps()
        if stamps is None or any(graph not in stamps for graph in graphs):
            return None
        return (self.rules, *(stamps[graph] for graph in graphs))

    def get(self, name: str, graphs: list[str]) -> Any | None:
        """What was kept as ``name`` if it was made from ``graphs`` as they are now, else None."""
        key = self._key(graphs)
        if key is None:
            return None
        try:
            with self._path(name).open("rb") as handle:
                kept_key, value = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None
        return value if kept_key == key else None

    def put(self, name: str, graphs: list[str], value: Any) -> None:
        """Keep ``value`` as made from ``graphs`` as they are now (call it after the publish's own writes of them)."""
        key = self._key(graphs)
        path = self._path(name)
        if key is None:
            path.unlink(missing_ok=True)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)

    def remember(self, name: str, graphs: list[str], work: Callable[[], Any]) -> Any:
        """The kept value for ``name``, or ``work()`` kept for next time."""
        value = self.get(name, graphs)
        if value is None:
            value = work()
            self.put(name, graphs, value)
        return value
