"""The ``catalogue`` command: harvest, validate, publish, build the site and serve, with progress and reports.

Commands import their stage when they run, so ``catalogue --help`` starts at once.
"""

from typing import Any

from catalogue.garbage_collection import tune_for_batch_work

from .commands import main as commands


def main(*args: Any, **options: Any) -> Any:
    """The ``catalogue`` program (the console script and ``python -m catalogue``): the commands, with the garbage
    collector set for batch work. (Tests call ``commands`` in their own process, whose collector is left alone.)"""
    tune_for_batch_work()
    return commands(*args, **options)


__all__ = ["commands", "main"]
