"""How ``make test`` shares the suite between pytest-xdist workers (``-n``, ``--dist loadgroup``).

Each test has its own ports (``free_port``, the simulator's port 0), folders (``tmp_path``) and DuckDB
files, so tests go to any worker one at a time, except the modules of :data:`XDIST_GROUPS`: each
group goes whole to one worker, for the reason written beside it.

xdist's own ``loadgroup`` reads ``xdist_group`` marks through a node id suffix that pytest 9.2's node
ids no longer take (xdist 3.8 sets ``item._nodeid``, which pytest 9.2 does not read), so the groups are
given here by module, through xdist's scheduler hook (``pytest_xdist_make_scheduler`` in conftest.py).
"""

from __future__ import annotations

from typing import Final

from xdist.scheduler import LoadScopeScheduling

POSTGRES_GROUP: Final = "postgres"
XDIST_GROUPS: Final[dict[str, str]] = {
    # The local PostgreSQL of `make postgres` is one server shared by these modules: each test session
    # sets the password of the test roles (live_assets, live_assets_lake) to a fresh random value, so two
    # workers would lock each other out. They run one after another, on one worker.
    "test_ducklake.py": POSTGRES_GROUP,
    "test_many_bots.py": POSTGRES_GROUP,
    "test_monitor_publish.py": POSTGRES_GROUP,
    "test_publish.py": POSTGRES_GROUP,
    "test_bench_smoke.py": POSTGRES_GROUP,
    # One expensive module fixture (a backfill, a loaded day, a report, a simulated world) read by every
    # test of the module: built once, on one worker, rather than once per worker.
    "test_backfill_cli.py": "test_backfill_cli",
    "test_monitor_alerts.py": "test_monitor_alerts",
    "test_privacy.py": "test_privacy",
    "test_report.py": "test_report",
    "test_report_browser.py": "test_report_browser",
    "test_simulator_consistency.py": "test_simulator_consistency",
    "test_simulator_data.py": "test_simulator_data",
}


def group_of(nodeid: str) -> str | None:
    """The group of a test by its node id (``live_assets_tests/test_x.py::test_y[...]``), or None."""
    return XDIST_GROUPS.get(nodeid.split("::", 1)[0].rsplit("/", 1)[-1])


class GroupedModulesScheduling(LoadScopeScheduling):
    """Load scheduling one test at a time, except that a group's tests are one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        group = group_of(nodeid)
        return nodeid if group is None else f"group:{group}"
