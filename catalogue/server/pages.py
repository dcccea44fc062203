"""Site pages the server renders, handed in by whoever starts it (the CLI gives the site's ``LivePages``).

The server and the site are separate stages: the server does not import the site. It asks a ``PageRenderer``
for the search page and for error pages when one was given, and answers as a plain API server otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from catalogue.publish.search_index import SearchIndex

LANGUAGES = ("sv", "en")


class PageRenderer(Protocol):
    def search(self, lang: str, params: Iterable[tuple[str, str]], index: SearchIndex) -> str: ...

    def error(self, lang: str, status: int, path: str, withdrawn_on: str | None = None) -> str: ...


def reader_language(path: str, accept_language: str | None) -> str:
    """The language of the page asked for (/sv/…, /en/…), else the reader's first supported one, else Swedish."""
    first = path.lstrip("/").split("/", 1)[0]
    if first in LANGUAGES:
        return first
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "sv"
