import sys

from live_assets.report.cli import main

sys.exit(main())
