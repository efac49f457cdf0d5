"""Start the desktop app: ``python main.py [DB] [--open ID...] [--screenshot FILE.png]``."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
