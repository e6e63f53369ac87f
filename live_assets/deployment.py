"""What one code location serves: the settings, the bots, and the partitions cut from them.

Built once per code location by ``live_assets.definitions.build_definitions`` and handed to every
factory of assets, checks and schedules, so that nothing reads the environment or the bots file at
import time and one process can hold a one-bot and a many-bot code location side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from live_assets.bots import BotSpec
from live_assets.names import DEFAULT_BOT
from live_assets.partitions import (
    by_bot,
    daily_partitions_for,
    date_dimension_settings,
    monthly_partitions_for,
    weekly_partitions_for,
)
from live_assets.settings import LiveSettings


@dataclass(frozen=True)
class Deployment:
    """The settings, the bots (None: one bot from the ``LIVE_*`` variables) and every partitions definition.

    With a bots file, the daily and weekly partitions are ``bot`` x ``date`` and the unpartitioned API
    assets (the agent and group lists, today's conversations) are partitioned by ``bot`` alone, so that
    every API run can cover one bot.
    """

    settings: LiveSettings
    bots: tuple[BotSpec, ...] | None
    bots_file: Path | None
    daily: dg.PartitionsDefinition
    weekly: dg.PartitionsDefinition
    per_bot: dg.StaticPartitionsDefinition | None

    @classmethod
    def build(
        cls, settings: LiveSettings, bots: tuple[BotSpec, ...] | None = None, bots_file: Path | None = None
    ) -> Deployment:
        if bots is None:
            return cls(settings, None, None, daily_partitions_for(settings), weekly_partitions_for(settings), None)
        dates = date_dimension_settings(settings, bots)
        return cls(
            settings,
            bots,
            bots_file,
            by_bot(bots, daily_partitions_for(dates)),
            by_bot(bots, weekly_partitions_for(dates)),
            dg.StaticPartitionsDefinition([bot.name for bot in bots]),
        )

    @property
    def monthly(self) -> dg.PartitionsDefinition:
        """Calendar months (``bot`` x ``month`` with a bots file): only the reports of the user's own use them."""
        if self.bots is None:
            return monthly_partitions_for(self.settings)
        return by_bot(self.bots, monthly_partitions_for(date_dimension_settings(self.settings, self.bots)))

    @property
    def bot_names(self) -> list[str]:
        return [DEFAULT_BOT] if self.bots is None else [bot.name for bot in self.bots]
