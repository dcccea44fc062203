"""``python -m catalogue``: the same as the ``catalogue`` command."""

from .cli import main

main()
