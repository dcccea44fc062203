"""Worker processes that end when the process that started them dies.

A pool worker waiting for its next task blocks on a queue for ever; when its
parent is killed (``kill -9``, the OOM killer) nothing tells it, and it keeps
its memory (hundreds of MB for a validation worker) until someone finds it.
``watch_parent`` starts a daemon thread in the worker that polls
``os.getppid()``: when the parent dies the kernel re-parents the worker (to
init or a subreaper), the parent pid changes, and the worker exits at once.

Workers of a ``forkserver`` pool are children of the fork server, not of the
process that asked for them, and the fork server only stops once every worker
has closed its end of the server's "alive" pipe, which workers keep open: a
worker there must watch that process itself. Give its pid as ``owner``; it is
polled through ``/proc`` (its start time tells it from a later process given
the same pid, and a zombie counts as dead), or ``kill(pid, 0)`` elsewhere.

Not ``prctl(PR_SET_PDEATHSIG)``: that signal fires when the *thread* that
forked the worker exits, and pools fork from whichever thread first needs a
worker, so it would kill healthy workers. Polling has no such trap and costs
a system call or two every half second.

Use it as (or inside) a pool's initializer, or first thing in a worker's main
function::

    ProcessPoolExecutor(initializer=watch_parent)
    ProcessPoolExecutor(mp_context=forkserver, initializer=watch_parent, initargs=(0.5, os.getpid()))
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

POLL_SECONDS = 0.5
EXIT_STATUS = 70  # EX_SOFTWARE: the worker did not finish its work
_UNKNOWN = "?"  # the process exists, but /proc cannot say more about it


def watch_parent(interval: float = POLL_SECONDS, owner: int | None = None) -> threading.Thread:
    """Exit this process (``os._exit``) as soon as its parent, or ``owner`` when given, is gone."""
    parent = os.getppid()
    identity = _identity(owner) if owner is not None else None
    if owner is not None and identity is None:
        os._exit(EXIT_STATUS)  # the owner died before this worker was ready
    watcher = threading.Thread(target=_watch, args=(parent, owner, identity, interval), name="parent-watchdog", daemon=True)
    watcher.start()
    return watcher


def _watch(parent: int, owner: int | None, identity: str | None, interval: float) -> None:
    while os.getppid() == parent and (owner is None or _identity(owner) == identity):
        time.sleep(interval)
    # os._exit, not sys.exit: the main thread may be deep in a C call (a SHACL run, a
    # parser) that no exception can interrupt, and nobody is left to read a result.
    os._exit(EXIT_STATUS)


def _identity(pid: int) -> str | None:
    """Something that stays the same for the life of process ``pid`` (its start time); None once it has exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        return _signalable(pid)
    except OSError:
        return _signalable(pid)
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # exited; only its parent's wait() is missing
        return None
    return fields[19]  # field 22 of proc(5), starttime


def _signalable(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return _UNKNOWN
