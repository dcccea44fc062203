"""The ``catalogue`` command: harvest, validate, publish, build the site and serve, with progress and reports.

Commands import their stage when they run, so ``catalogue --help`` starts at once.
"""

from .commands import main

__all__ = ["main"]
