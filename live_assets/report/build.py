"""One report, end to end: read the warehouse, render the page, write the file. What the assets, the
command line and the demo call, so the three can never produce different reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from live_assets.monitor.targets import Targets
from live_assets.report.completeness import CheckOutcome
from live_assets.report.data import ReportData, load_report
from live_assets.report.html import render_report, write_html
from live_assets.report.i18n import Words
from live_assets.report.period import Period
from live_assets.warehouse import Warehouse


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    data: ReportData

    def headline(self) -> dict[str, float | int | None]:
        """The period's headline figures, rounded as shown (Dagster metadata, the command line's output)."""
        total = self.data.total
        if total is None:
            return {"offered": 0}
        rounded = {
            "sla_pct": total.sla_pct,
            "abandonment_pct": total.abandonment_pct,
            "wait_p90_s": total.wait_p90_s,
            "csat_pct": total.csat_pct,
        }
        return {"offered": total.offered} | {k: None if v is None else round(v, 1) for k, v in rounded.items()}


def write_report(
    warehouse: Warehouse,
    period: Period,
    bot: str,
    path: Path,
    *,
    targets: Targets,
    timezone: str,
    lang: str,
    checks: Sequence[CheckOutcome] = (),
    generated_at: dt.datetime | None = None,
) -> WrittenReport:
    """Write ``bot``'s report of ``period`` to ``path`` (atomically) from the warehouse alone."""
    words = Words(lang)
    data = load_report(
        warehouse, period, bot, targets=targets, timezone=timezone, total_name=words("total"), checks=checks
    )
    write_html(path, render_report(data, lang, generated_at))
    return WrittenReport(path, data)
