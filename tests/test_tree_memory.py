"""The benchmarks' memory of a process tree counts each page once (``benchmarks/tree_memory.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A process holding 300 MiB forks a child that only waits: together they map the 300 MiB twice and use them once.
SCRIPT = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
from tree_memory import tree_memory
held = bytearray(300 * 2**20)
for i in range(0, len(held), 4096):
    held[i] = 1
alone = tree_memory(os.getpid())
read, write = os.pipe()
child = os.fork()
if child == 0:
    os.read(read, 1)
    os._exit(0)
time.sleep(0.2)
both = tree_memory(os.getpid())
def resident(pid):
    return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
summed = resident(os.getpid()) + resident(child)
os.write(write, b"x")
os.waitpid(child, 0)
print(alone // 2**20, both // 2**20, summed // 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_forked_child_sharing_its_parents_pages_is_not_counted_twice() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "benchmarks")], capture_output=True, text=True,
                            timeout=60, check=True)
    alone, both, summed = (int(n) for n in result.stdout.split())
    assert alone >= 300
    assert summed >= 2 * 300, "the resident sizes count the shared pages in both processes"
    assert both < alone * 1.2, f"the tree uses what the parent alone used ({alone} MiB), not {both} MiB"


# The peak sampler reads the page tables (smaps_rollup) only while the tree may be above its highest figure so far.
PEAK_SCRIPT = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
import tree_memory
reads = []
counted = tree_memory._process_memory
tree_memory._process_memory = lambda pid: reads.append(pid) or counted(pid)
peak = tree_memory.TreePeak(os.getpid())
start = peak.sample()
held = bytearray(300 * 2**20)
for i in range(0, len(held), 4096):
    held[i] = 1
high = peak.sample()
direct = tree_memory.tree_memory(os.getpid())
reads.clear()
del held  # a block this large is its own mapping, handed back to the kernel at once
after = peak.sample()
below = len(reads)
import time
with tree_memory.TreePeak(os.getpid(), interval=0.05) as sampled:
    again = bytearray(200 * 2**20)
    for i in range(0, len(again), 4096):
        again[i] = 1
    time.sleep(0.5)
    del again
    time.sleep(0.2)
print(start // 2**20, high // 2**20, direct // 2**20, after // 2**20, below, sampled.peak // 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_peak_sampler_keeps_the_highest_figure_and_skips_the_page_tables_below_it() -> None:
    result = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(ROOT / "benchmarks")], capture_output=True, text=True,
                            timeout=60, check=True)
    start, high, direct, after, reads, sampled = (int(n) for n in result.stdout.split())
    assert high >= start + 300, f"the 300 MiB held are in the peak ({start} MiB before, {high} MiB after)"
    assert abs(high - direct) < 20, f"the peak is the tree's memory as tree_memory counts it ({high} against {direct} MiB)"
    assert after == high, "the peak stays when the memory is given back"
    assert reads == 0, "below the peak, no process's page tables were read"
    assert sampled >= start + 200, f"as a context manager it samples by itself and keeps the 200 MiB held a while ({sampled} MiB)"
