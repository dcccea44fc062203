"""Work handed to a pool of worker processes a few items ahead of the results taken, so that the work waiting for a
worker (each item's input, made when it is handed out) stays a few items long however many there are."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

Item = TypeVar("Item")


def in_order(pool: Executor, work: Callable[..., Any], items: Iterable[Item], arguments: Callable[[Item], tuple],
             ahead: int) -> Iterator[tuple[Item, Any]]:
    """(item, ``work(*arguments(item))``) for each of ``items``, in their order, with at most ``ahead`` items handed
    out beyond the one whose result is taken."""
    waiting: deque[tuple[Item, Future]] = deque()
    for item in items:
        waiting.append((item, pool.submit(work, *arguments(item))))
        if len(waiting) > ahead:
            done, future = waiting.popleft()
            yield done, future.result()
    while waiting:
        done, future = waiting.popleft()
        yield done, future.result()
