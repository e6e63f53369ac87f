"""``python -m live_assets_tests.memory_probe ROOT DAY TABLE[,TABLE...]``: one Dagster run, its peak memory.

Run in a process of its own by ``test_memory.py``, so that the peak resident size it reports
(``VmHWM``, the kernel's high-water mark) belongs to the run alone: not to pytest, not to the
simulator (a process of its own too). The LIVE_* settings come from the environment. Prints one JSON
line: the peak after imports (the baseline), the peak at the end, rows loaded and bytes received.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.processes import peak_rss_mb


def peak_mb() -> float:
    """The probe's peak resident size so far, in MiB (``VmHWM``, see ``bench.processes.peak_rss_mb``)."""
    return peak_rss_mb()


def main(argv: list[str]) -> int:
    root, day, tables = argv
    import dagster as dg

    from live_assets.resources import LiveApiResource, WarehouseResource
    from live_assets_tests.layout import RAW_ASSETS, raw_keys

    selected = raw_keys(*tables.split(","))
    resources = {
        "live_api": LiveApiResource(),
        "warehouse": WarehouseResource(
            duckdb_path=str(Path(root) / "live.duckdb"), landing_dir=str(Path(root) / "landing")
        ),
    }
    baseline = peak_mb()
    result = dg.materialize(
        RAW_ASSETS, selection=selected, partition_key=day, resources=resources, raise_on_error=False
    )
    peak = peak_mb()
    metadata = [event.materialization.metadata for event in result.get_asset_materialization_events()]
    print(
        json.dumps(
            {
                "success": result.success,
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(peak, 1),
                "rows": sum(int(m["rows_loaded"].value) for m in metadata),
                "bytes_received": sum(int(m["bytes_received"].value) for m in metadata),
            }
        ),
        flush=True,
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
