"""Handing memory that Python has freed back to the operating system.

CPython returns blocks of more than 512 bytes (and its own emptied arenas) to the C allocator, and glibc keeps what it
is given for reuse instead of returning it. Each harvesting thread allocates from its own malloc arena, so what one
source freed is not reused by another thread, and a run keeps the high-water mark of every arena: after a harvest of
100,000 offers the process held 2.3 GiB with little left in use, of which ``malloc_trim`` handed back 0.8 GiB.
Trimming after each large unit of work (a source, a publish step) keeps the process near what it really uses. On a C
library without ``malloc_trim`` (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from functools import cache

_lock = threading.Lock()  # one trim at a time: a second one while the first runs would find nothing more to return


@cache
def _trim():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def give_back_freed_memory() -> None:
    """Return the C allocator's free pages to the system (glibc only). Cyclic garbage is left to the collector: a full
    collection walks every live object (up to a second in a harvest), a trim takes tens of milliseconds, and what a
    later collection frees is returned by the next trim."""
    trim = _trim()
    if trim is None or not _lock.acquire(blocking=False):
        return
    try:
        trim(0)
    finally:
        _lock.release()
