"""Where the catalogue's data folders (shapes, vocabulary, site templates) are.

In a checkout they sit at the top of the repository; an installed wheel carries
them inside the package as ``catalogue/_data/<name>`` (see pyproject.toml).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (``shapes``, ``vocab`` or ``site``), wherever the catalogue is installed."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"The catalogue's {name}/ folder is missing: looked in {_PACKAGE / '_data'} and {_PACKAGE.parent}. "
        "Reinstall the package or run from a complete checkout."
    )


def shape_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def vocabulary_files() -> list[Path]:
    return sorted(data_dir("vocab").glob("*.ttl"))


# The modules whose code decides what a validation report says.
VALIDATION_CODE = (
    "catalogue.validation.offers", "catalogue.validation.shacl", "catalogue.validation.messages",
    "catalogue.validation.report", "catalogue.harvest.rdfio",
)


def module_file(name: str) -> Path:
    """The source file of module ``name``; an error, not a silent skip, when it is gone (a fingerprint would stop noticing changes)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise FileNotFoundError(f"The module {name}, named in a fingerprint, is not there: update the fingerprint's list of modules.")
    return Path(spec.origin)


@lru_cache(maxsize=None)
def rules_fingerprint() -> str:
    """A hash of the shapes, the vocabulary and the validation code: reports depend on all three."""
    digest = hashlib.sha256()
    for path in shape_files() + vocabulary_files() + [module_file(name) for name in VALIDATION_CODE]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=None)
def code_fingerprint(*modules: str) -> str:
    """``rules_fingerprint`` and the code of the catalogue's ``modules``: what something made from the data depends on."""
    digest = hashlib.sha256(rules_fingerprint().encode())
    for name in modules:
        digest.update(module_file(name).read_bytes())
    return digest.hexdigest()[:16]
