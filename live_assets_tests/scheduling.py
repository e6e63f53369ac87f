"""How ``make test`` (and any ``pytest -n N``) shares the suite between pytest-xdist workers.

Each test has its own ports (``free_port``, the simulator's port 0), folders (``tmp_path``), DuckDB files
and PostgreSQL databases (a lake database of a random name per module; the lake role's password is the
same in every worker of a run, ``lake.py``), so tests go to any worker one at a time, except the modules
of :data:`XDIST_GROUPS`: each goes whole to one worker, for the reason written beside it.

xdist's own ``loadgroup`` reads ``xdist_group`` marks through a node id suffix that pytest 9.2's node
ids no longer take (xdist 3.8 sets ``item._nodeid``, which pytest 9.2 does not read), so the groups are
given here by module, through xdist's scheduler hook (:class:`GroupedScheduler`, registered by
conftest.py). It replaces xdist's ``load`` and ``loadgroup`` (``-n`` alone means ``load``), so that a plain
``pytest -n 2`` is as safe as ``make test``; ``--dist loadscope``, ``loadfile`` and the others stay xdist's.

The longest tests are handed out first (:data:`LONGEST_FIRST`, from ``make test``'s slowest durations):
a long test started last would leave the other workers idle while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pytest
from xdist.scheduler import LoadScopeScheduling

XDIST_GROUPS: Final[dict[str, str]] = {
    # Its module fixture drops and creates the suite's Dagster database (`make postgres`'s
    # live_assets_test) and runs a Dagster webserver on it; both tests read that stack.
    "test_many_bots.py": "test_many_bots",
    # One expensive module fixture (a backfill, a loaded day, a report, a simulated world) read by every
    # test of the module: built once, on one worker, rather than once per worker.
    "test_ducklake.py": "test_ducklake",
    "test_backfill_cli.py": "test_backfill_cli",
    "test_monitor_alerts.py": "test_monitor_alerts",
    "test_monitor_publish.py": "test_monitor_publish",  # test_monitor_alerts' loaded day
    "test_privacy.py": "test_privacy",
    # The report modules copy one two-week world (conftest.py's session fixture report_world): in one
    # group, it is built once in the run instead of once per worker that runs one of their tests.
    "test_report.py": "report_world",
    "test_report_browser.py": "report_world",
    "test_report_custom.py": "report_world",
    "test_report_delivery.py": "report_world",
    "test_report_service_level.py": "report_world",
    # Its module fixtures: the pages of two refreshes and a browser (which also clears the screenshots'
    # folder: two workers would clear each other's).
    "test_report_today.py": "test_report_today",
    "test_token_lock_postgres.py": "test_token_lock_postgres",  # a PostgreSQL database and role of its own
    "test_simulator_consistency.py": "test_simulator_consistency",
    "test_simulator_data.py": "test_simulator_data",
}
# Modules by their tests' longest duration, longest first (the rest keep their collection order).
LONGEST_FIRST: Final = (
    "test_ui_browser.py",
    "test_many_bots.py",
    "test_bench_smoke.py",
    "test_faults.py",
    "test_demo.py",
    "test_memory.py",
    "test_intraday_bound.py",
    "test_parallel_writers.py",
    "test_warehouse_lock.py",
    "test_ducklake.py",
    "test_safety.py",
    "test_privacy.py",
    "test_backfill_cli.py",
    "test_demo_dev.py",
    "test_kill.py",
)


def module_of(nodeid: str) -> str:
    """``test_x.py`` of ``live_assets_tests/test_x.py::test_y[...]``."""
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def longest_first(items: Sequence[Any]) -> list[Any]:
    """``items`` with the modules of :data:`LONGEST_FIRST` first, in its order (a stable sort)."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    return sorted(items, key=lambda item: rank.get(module_of(item.nodeid), len(rank)))


class GroupedModulesScheduling(LoadScopeScheduling):
    """Load scheduling one test at a time, except that a group's tests are one unit of work; the units in
    the order of the collection (longest first, see conftest.py), not by their number of tests."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        group = XDIST_GROUPS.get(module_of(nodeid))
        return nodeid if group is None else f"group:{group}"


class GroupedScheduler:
    """The plugin that gives xdist :class:`GroupedModulesScheduling` for ``--dist load`` and ``loadgroup``."""

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return GroupedModulesScheduling(config, log) if config.getvalue("dist") in ("load", "loadgroup") else None
