"""The monitoring tables' lock-free copy for BI tools: ``kpi.sla_intraday`` and ``monitor.alerts`` as Parquet.

Published after each intraday refresh, as the KPI partitions are after theirs
(``live_assets/warehouse/publish.py``, ``docs/bi.md``): ``<dir>/kpi/sla_intraday/_bot=<bot>/day=<day>/`` and
``<dir>/monitor/alerts/bot=<bot>/day=<day>/``, each file renamed into place. The intraday table keeps the
current day only, so its copy does too: every earlier day's file of the bot goes once today's is
written. The alerts keep their history; the days of the alerts an evaluation wrote are published again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Final

from live_assets.kpis.tables import SLA_INTRADAY
from live_assets.monitor.alerts import ALERTS_TABLE, ensure_alerts_table
from live_assets.warehouse.base import WarehouseBase
from live_assets.warehouse.publish import publish_partition

ALERTS_BOT_COLUMN: Final = "bot"  # monitor.alerts names its bot column plainly (the KPI tables: _bot)
ALERTS_DAY_COLUMN: Final = "day"
EARLIEST: Final = dt.date(1970, 1, 1)  # before any day the intraday table can have held


def publish_monitoring(
    warehouse: WarehouseBase, *, bot: str, day: dt.date, alert_days: Collection[dt.date], publish_dir: Path
) -> list[Path]:
    """Publish ``bot``'s intraday rows (of ``day``, the current one) and its alerts of ``alert_days``."""
    written = publish_partition(
        warehouse,
        SLA_INTRADAY.qualified_table,
        bot=bot,
        period_column=SLA_INTRADAY.period_column,
        first=EARLIEST,
        last=day,
        publish_dir=publish_dir,
        order_by=SLA_INTRADAY.key_columns,
    )
    if alert_days:
        with warehouse.connect() as connection:
            ensure_alerts_table(connection)
        written += publish_partition(
            warehouse,
            ALERTS_TABLE,
            bot=bot,
            period_column=ALERTS_DAY_COLUMN,
            first=min(alert_days),
            last=max(alert_days),
            publish_dir=publish_dir,
            order_by=("alert_id",),
            bot_column=ALERTS_BOT_COLUMN,
        )
    return written
