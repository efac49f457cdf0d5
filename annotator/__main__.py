"""``python -m annotator``: the command line (see docs/CLI.md)."""

import sys

from .cli import main

sys.exit(main())
