"""The warehouse: the DuckDB file (one writer at a time) or a DuckLake (many), behind one interface."""

from live_assets.warehouse.base import WarehouseBase, WarehouseBusyError, WarehouseConflictError
from live_assets.warehouse.duckdb import Warehouse, WarehouseLockedError

__all__ = ["Warehouse", "WarehouseBase", "WarehouseBusyError", "WarehouseConflictError", "WarehouseLockedError"]
