"""Regenerate the bundled spreadsheet template: ``python examples/template/make_template.py [FOLDER]``.

The same as ``catalogue template FOLDER``; the code lives in harvesters/spreadsheet_template.py.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a bare checkout too

from harvesters.spreadsheet_template import write_template  # noqa: E402

if __name__ == "__main__":
    write_template(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
