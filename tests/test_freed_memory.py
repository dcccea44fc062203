"""Memory freed by a harvest goes back to the system (``catalogue.freed_memory``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Blocks of 1 KiB go to the C allocator (CPython keeps only blocks up to 512 bytes itself). They are made in a thread,
# as a harvest makes them, and one block made after them and kept stops the heap from simply shrinking from its top:
# the freed blocks stay with the process until they are trimmed.
SCRIPT = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
from catalogue.freed_memory import give_back_freed_memory

def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) // 1024

kept = []
def work():
    blocks = [bytes(1024) + i.to_bytes(4, "little") for i in range(300_000)]
    kept.append(bytearray(1024))
    del blocks
thread = threading.Thread(target=work)
thread.start(); thread.join()
before = anon()
give_back_freed_memory()
print(before, anon())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_blocks_are_handed_back_to_the_system() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True, text=True, timeout=120, check=True)
    before, after = (int(n) for n in result.stdout.split())
    assert before > 150, f"the freed blocks (about 300 MiB) should still be held before the trim ({before} MiB)"
    assert after < before / 4, f"the trim should have handed back the freed blocks: {before} MiB before, {after} MiB after"
