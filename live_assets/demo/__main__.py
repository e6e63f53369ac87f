"""Entry point of ``python -m live_assets.demo``; see :mod:`live_assets.demo.run`."""

import sys

from live_assets.demo.run import main

if __name__ == "__main__":
    sys.exit(main())
