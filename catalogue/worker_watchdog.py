"""Worker processes that end when the process that started them dies.

A pool worker waiting for its next task blocks on a queue for ever; when its
parent is killed (``kill -9``, the OOM killer) nothing tells it, and it keeps
its memory (hundreds of MB for a validation worker) until someone finds it.
``watch_parent`` starts a daemon thread in the worker that polls
``os.getppid()``: when the parent dies the kernel re-parents the worker (to
init or a subreaper), the parent pid changes, and the worker exits at once.

Not ``prctl(PR_SET_PDEATHSIG)``: that signal fires when the *thread* that
forked the worker exits, and pools fork from whichever thread first needs a
worker, so it would kill healthy workers. Polling has no such trap and costs
one system call every half second.

Use it as (or inside) a pool's initializer, or first thing in a worker's main
function::

    ProcessPoolExecutor(initializer=watch_parent)
"""

from __future__ import annotations

import os
import threading
import time

POLL_SECONDS = 0.5
EXIT_STATUS = 70  # EX_SOFTWARE: the worker did not finish its work


def watch_parent(interval: float = POLL_SECONDS) -> threading.Thread:
    """Exit this process (``os._exit``) as soon as the process that started it is gone."""
    parent = os.getppid()
    watcher = threading.Thread(target=_watch, args=(parent, interval), name="parent-watchdog", daemon=True)
    watcher.start()
    return watcher


def _watch(parent: int, interval: float) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    # os._exit, not sys.exit: the main thread may be deep in a C call (a SHACL run, a
    # parser) that no exception can interrupt, and nobody is left to read a result.
    os._exit(EXIT_STATUS)
