"""Entry point of ``python -m live_assets.devtools.demo``; see :mod:`live_assets.devtools.demo.run`."""

import sys

from live_assets.devtools.demo.run import main

if __name__ == "__main__":
    sys.exit(main())
