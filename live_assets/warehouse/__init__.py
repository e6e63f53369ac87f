"""The DuckDB warehouse: one file, written by one process at a time."""

from live_assets.warehouse.duckdb import Warehouse, WarehouseBusyError

__all__ = ["Warehouse", "WarehouseBusyError"]
