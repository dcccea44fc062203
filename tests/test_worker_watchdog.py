"""Worker processes die with their parent: a harvest killed with ``kill -9`` leaves no validation worker behind.

A real ``catalogue harvest`` of generated offers runs in a subprocess with a pool of two validation
workers; once the pool is running, the harvest is killed with SIGKILL, and every process it started
(found by walking /proc before the kill) must be gone within a few seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def pool_workers(pids: set[int]) -> set[int]:
    """The processes that do the work: leaves of the tree (a fork server has children), not the resource tracker."""
    def command(pid: int) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return b""

    return {pid for pid in pids if not children(pid) and b"resource_tracker" not in command(pid)}


def alive(pid: int) -> bool:
    """Running, or stopped; a zombie has exited (only its parent's wait is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_killing_a_harvest_ends_its_validation_workers(tmp_path):
    feed = tmp_path / "offers.ttl"
    feed.write_bytes(generate_document(3000, seed=11))
    config = tmp_path / "catalogue.toml"
    config.write_text(
        f'[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "{tmp_path / "data"}"\n[validation]\nworkers = 2\n'
        f'[[sources]]\nid = "generated"\nname = "Generated"\nharvester = "rdf"\nurl = "{feed}"\n',
        encoding="utf-8",
    )
    harvest = subprocess.Popen([CATALOGUE, "--config", str(config), "harvest"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 120
        while len(pool_workers(workers)) < 2 and time.monotonic() < deadline and harvest.poll() is None:
            workers = descendants(harvest.pid)
            time.sleep(0.1)
        assert len(pool_workers(workers)) >= 2, "the validation pool never started"
        time.sleep(1.0)  # let the workers take their first batches
        workers |= descendants(harvest.pid)
        assert harvest.poll() is None, "the harvest finished before it could be killed: give it more offers"
        os.kill(harvest.pid, signal.SIGKILL)
        harvest.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = sorted(pid for pid in workers if alive(pid))
    finally:
        if harvest.poll() is None:
            harvest.kill()
            harvest.wait()
    for pid in left:  # never leave them behind, whatever the assertion says
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of {len(workers)} processes the harvest started outlived it"


WATCHED = """
import os, sys, time
from catalogue.worker_watchdog import watch_parent
child = os.fork()
if child == 0:
    watch_parent(interval=0.05)
    os.write(1, f"{os.getpid()}\\n".encode())
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


def test_the_watchdog_ends_a_worker_whose_parent_is_killed(tmp_path):
    """The reusable part on its own: a forked worker that started the watchdog exits when its parent is killed."""
    parent = subprocess.Popen([sys.executable, "-c", WATCHED], stdout=subprocess.PIPE)
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.3)  # several polls: a living parent leaves the worker alone
        assert alive(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 3
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        still = alive(worker)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
    if still:
        os.kill(worker, signal.SIGKILL)
    assert not still
