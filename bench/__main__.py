"""``python -m bench``: see ``bench/backfill.py``."""

import sys

from bench.backfill import main

sys.exit(main())
