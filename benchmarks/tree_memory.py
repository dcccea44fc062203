"""The memory a process tree uses: the proportional set size (PSS) of each process, summed.

Summing resident sizes counts a page as often as processes map it. Two cases made the harvest's peak look twice what
it was:

* a process started with ``subprocess`` (``sort`` and ``comm`` at every staged write) is, between Python's ``vfork``
  and its ``exec``, a second view of its parent's whole memory: one sample out of about forty in a million-offer run
  caught one, and a tree summed then reads as the harvest twice over;
* workers forked from the harvest (validation) share its pages copy-on-write.

PSS divides each page among the processes that map it, and a process that shares its parent's address space (found
with ``kcmp``) is not counted again. Where ``smaps_rollup`` is missing (Linux before 4.14) the resident size is used.

Reading ``smaps_rollup`` walks the process's page tables: 33 ms for a harvest holding 2 GB, so sampling five times a
second took a sixth of a core from the run it measured. ``TreePeak`` reads it only when the resident sizes (a counter,
15 µs) say the tree could be above its highest PSS so far: a process's PSS is never more than its resident size.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

_KCMP_VM = 1
_KCMP_SYSCALL = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
_libc = ctypes.CDLL(None, use_errno=True)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def children() -> dict[int, list[int]]:
    """Every process's children, by parent pid."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                tree.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    return tree


def tree_memory(pid: int) -> int:
    """Bytes used by ``pid`` and all its descendants, each page counted once."""
    return sum(_process_memory(member) for member in _members(pid))


class TreePeak:
    """The highest ``tree_memory`` of ``pid``'s tree over the samples taken, reading each process's PSS only when
    the tree's resident sizes exceed that highest figure (below it, its PSS cannot be a new high).

    As a context manager it samples every ``interval`` seconds in a thread of its own until the block ends."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.peak = 0
        self.interval = interval
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_done, daemon=True)

    def __enter__(self) -> TreePeak:
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._sampler.join()

    def _sample_until_done(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def sample(self) -> int:
        members = _members(self.pid)
        if sum(_resident(member) for member in members) > self.peak:
            self.peak = max(self.peak, sum(_process_memory(member) for member in members))
        return self.peak


def _members(pid: int) -> list[int]:
    """``pid`` and its descendants, leaving out a process that shares its parent's address space."""
    tree = children()
    found, stack = [], [(pid, None)]
    while stack:
        current, parent = stack.pop()
        stack.extend((child, current) for child in tree.get(current, []))
        if parent is None or not _same_memory(parent, current):
            found.append(current)
    return found


def _process_memory(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    except OSError:
        return 0  # gone
    return _resident(pid)


def _resident(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def _same_memory(a: int, b: int) -> bool:
    if _KCMP_SYSCALL is None:
        return False
    return _libc.syscall(_KCMP_SYSCALL, a, b, _KCMP_VM, 0, 0) == 0
