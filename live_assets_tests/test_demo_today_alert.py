"""The demo's degraded stretch is judgeable, and off target, at any hour of the bot's day.

The clock is injected: for each time of day, the stretch the demo would ask for, the conversations the
simulator generates for that day with it, those the API lists by then (``visible_at``), and the degraded
group's day so far judged against the default targets (80 %, from 20 offered) by the monitoring's own
judging. The through-Dagster path is ``test_monitor_first_refresh.py`` and the demo's own test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from live_assets.devtools.demo import today
from live_assets.monitor.judging import GroupFigures, Verdict, judge
from live_assets.monitor.targets import Targets
from live_assets.simulator import SimulatorConfig
from live_assets.simulator.generate import generate_day
from live_assets.simulator.store import DataStore

DAY = dt.date(2026, 3, 4)  # a Wednesday


@pytest.mark.parametrize("at", ["00:30", "03:00", "14:00", "23:50"])
def test_the_demo_stretch_is_off_target_and_judgeable_at(at: str) -> None:
    now = dt.datetime.combine(DAY, dt.time.fromisoformat(at), tzinfo=dt.UTC)
    stretch = today.degraded_stretch(now)
    config = SimulatorConfig(seed=7, conversations_per_day=300, timezone="UTC", degraded=stretch)
    (bot,) = config.bot_profiles()
    world = DataStore(config).world(bot)
    listed = [
        c
        for c in generate_day(bot.seed, bot.bot_id, world, DAY, 300, stretch)
        if c.group_id == today.DEGRADED_GROUP and c.visible_at <= now.replace(tzinfo=None)
    ]
    (group,) = [g for g in world.groups if g.id == today.DEGRADED_GROUP]
    within = sum(c.agent_id is not None and c.wait_time <= group.sla_threshold for c in listed)
    figures = GroupFigures(
        bot="default",
        day=DAY,
        group_id=group.id,
        group_name=group.name,
        window_start=now,
        window_end=now,
        offered=len(listed),
        lost=sum(c.status == "lost" for c in listed),
        values={"sla_pct": 100 * within / len(listed), "abandonment_rate": None, "wait_p90_s": None},
    )
    (sla,) = judge(figures, Targets().for_group("default", group.id, group.name))
    assert sla.verdict is Verdict.OFF_TARGET, (at, len(listed), sla.value)
