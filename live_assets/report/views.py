"""The report's tables, defined once for both outputs: the terminal (text) and the HTML report.

A view is a list of columns (header, formatter, alignment) and rows of raw values, so the two outputs
can never disagree on what a column means or how a number is rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from live_assets.report.data import AgentRow, ReportData, SlaRow
from live_assets.report.tables import Column, fmt_float, fmt_int, fmt_pct, fmt_seconds, format_table

MAX_AGENTS = 20


@dataclass(frozen=True)
class View:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    footer_rows: int = 0
    note: str = ""

    def cells(self) -> list[list[str]]:
        return [[c.format(v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]

    def text(self) -> str:
        table = format_table(self.columns, self.rows, title=self.title, footer_rows=self.footer_rows)
        return table + (f"\n{self.note}" if self.note else "")


SLA_COLUMNS = (
    Column("Group"),
    Column("Offered", fmt_int, numeric=True),
    Column("Attended", fmt_int, numeric=True),
    Column("Lost", fmt_int, numeric=True),
    Column("Abandon.", fmt_pct, numeric=True),
    Column("SLA %", fmt_pct, numeric=True),
    Column("Wait avg", fmt_seconds, numeric=True),
    Column("Wait p90", fmt_seconds, numeric=True),
    Column("CSAT", fmt_pct, numeric=True),
)

AGENT_COLUMNS = (
    Column("#", fmt_int, numeric=True),
    Column("Agent"),
    Column("Handled", fmt_int, numeric=True),
    Column("Hours", fmt_float, numeric=True),
    Column("Handle avg", fmt_seconds, numeric=True),
    Column("1st resp.", fmt_seconds, numeric=True),
    Column("Transfer", fmt_pct, numeric=True),
    Column("CSAT", fmt_pct, numeric=True),
    Column("Max conc.", fmt_int, numeric=True),
    Column("Avg conc.", lambda v: fmt_float(v, 2), numeric=True),
)


def _sla_cells(row: SlaRow) -> tuple[object, ...]:
    return (
        row.group,
        row.offered,
        row.attended,
        row.lost,
        row.abandonment_rate,
        row.sla_pct,
        row.wait_avg_s,
        row.wait_p90_s,
        row.csat_pct,
    )


def sla_view(data: ReportData) -> View:
    period = data.period.label if data.period else "no KPI rows"
    rows = [_sla_cells(row) for row in data.sla]
    total = data.sla_total()
    footer = 0
    if total is not None and len(data.sla) > 1:
        rows.append(_sla_cells(total))
        footer = 1
    note = "SLA % = answered within the group's threshold / offered (lost count against it)."
    if data.period is not None and not data.period.weekly:
        note += " No whole week in range: summed from the daily tables; percentiles are not summable (–)."
    elif footer:
        note += " The total's p90 is left out: percentiles of groups do not combine."
    return View(f"SLA by group — {period}", SLA_COLUMNS, tuple(rows), footer, note)


def _agent_cells(rank: int, row: AgentRow) -> tuple[object, ...]:
    return (
        rank,
        row.agent,
        row.handled,
        row.handled_hours,
        row.handle_time_avg_s,
        row.first_response_avg_s,
        row.transfer_rate,
        row.csat_pct,
        row.concurrency_max,
        row.concurrency_avg,
    )


def agent_view(data: ReportData, limit: int = MAX_AGENTS) -> View:
    period = data.period.label if data.period else "no KPI rows"
    agents: Sequence[AgentRow] = data.agents[:limit]
    rows = tuple(_agent_cells(rank, row) for rank, row in enumerate(agents, start=1))
    note = "Ranked by conversations handled (final agent)."
    if len(data.agents) > limit:
        note += f" Top {limit} of {len(data.agents)}."
    return View(f"Agents — {period}", AGENT_COLUMNS, rows, 0, note)
