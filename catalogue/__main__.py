"""``python -m catalogue``: the same as the ``catalogue`` command."""

from catalogue.cli import main

main()
