"""Exceptions the catalogue raises on purpose.

Every message is a sentence a provider or operator can act on; it names the
source and, where known, the place in it.

    CatalogueError
    ├── ConfigError          catalogue.toml is missing a value or has a wrong one
    ├── InputError           an input cannot be read or parsed (file, URL, encoding, syntax)
    │   └── FetchError       an HTTP(S) fetch failed (status, timeout, size limit, redirect loop)
    ├── StoreError           the store cannot be opened, read or written
    └── HarvestError         a harvester could not gather, fetch or map a source
"""

from __future__ import annotations


class CatalogueError(Exception):
    """Base class; ``str(error)`` is the message shown to the user."""


class ConfigError(CatalogueError):
    pass


class InputError(CatalogueError):
    """An input that cannot be read or parsed.

    ``source`` names the file or URL, ``line`` and ``column`` the place when known.
    """

    def __init__(self, message: str, source: str = "", line: int | None = None, column: int | None = None):
        self.source = source
        self.line = line
        self.column = column
        where = source
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(InputError):
    def __init__(self, message: str, source: str = "", status: int | None = None):
        self.status = status
        super().__init__(message, source)


class StoreError(CatalogueError):
    pass


class HarvestError(CatalogueError):
    pass
