"""Names shared by the code location, the command-line tools and the launchers, defined once.

Kept free of imports: the launchers use them without loading Dagster's asset graph or the code location.
"""

from __future__ import annotations

from typing import Final

# The bot of a deployment without a bots file: the ``_bot`` value of its rows.
DEFAULT_BOT: Final = "default"
# The dimensions of a bot x date partitions definition, and Dagster's separator of a multi-partition
# key's parts (dimensions in name order: bot, then date).
BOT_DIMENSION: Final = "bot"
DATE_DIMENSION: Final = "date"
MULTI_KEY_SEPARATOR: Final = "|"
# Dagster's run tags: a run's partition range, and its run-queue priority (higher goes first).
RANGE_START_TAG: Final = "dagster/asset_partition_range_start"
RANGE_END_TAG: Final = "dagster/asset_partition_range_end"
PRIORITY_TAG: Final = "dagster/priority"
# The first segment of every asset key that calls the API (the raw assets).
API_ASSET_PREFIX: Final = "raw"
# The Dagster pool every API step is in, and the op names of those steps (``live_raw_<cadence>``).
API_POOL: Final = "live_api"
API_STEP_PREFIX: Final = "live_raw_"
