"""Entry point of ``python -m live_assets.backfill``; see :mod:`live_assets.backfill.cli`."""

import sys

from live_assets.backfill.cli import main

if __name__ == "__main__":
    sys.exit(main())
