"""The architecture holds: imports flow one way between the stages (import-linter contracts in pyproject.toml),
and every file a fingerprint names exists, so a move cannot silently stop a fingerprint from noticing changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue.publish.generations import SEARCH_INDEX_CODE
from catalogue.resources import (
    VALIDATION_CODE,
    code_fingerprint,
    module_file,
    rules_fingerprint,
)
from catalogue.site.builder import SITE_CODE, site_fingerprint, template_modules

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint is not None, "import-linter is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "Contracts: " in result.stdout


def test_every_fingerprinted_module_exists():
    named = VALIDATION_CODE + SEARCH_INDEX_CODE + SITE_CODE + template_modules() + (
        "catalogue.store.base", "catalogue.store.oxigraph", "catalogue.publish.dumps")
    for name in named:
        assert module_file(name).is_file(), name
    assert len({rules_fingerprint(), site_fingerprint(), code_fingerprint(*SEARCH_INDEX_CODE)}) == 3


def test_a_missing_module_in_a_fingerprint_is_an_error():
    with pytest.raises(FileNotFoundError, match="catalogue.store_gone"):
        code_fingerprint("catalogue.store_gone")
