"""Loading DuckDB extensions from Python packages, so that DuckLake works with no internet.

The wheels ``duckdb-extension-<name>`` (one per extension, built for one DuckDB release) hold the
binary at ``duckdb_extension_<name>/extensions/v<duckdb version>/<name>.duckdb_extension``; DuckDB
``LOAD``s it from that path, and nothing is written to ``~/.duckdb``. ``pyproject.toml`` pins DuckDB
to the release the ``ducklake`` and ``postgres_scanner`` wheels are built for. Without a matching
wheel (another DuckDB, an extension not shipped), DuckDB's own ``INSTALL`` downloads it instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from live_assets.warehouse.base import sql_string


class ExtensionError(RuntimeError):
    """An extension is neither shipped for this DuckDB nor downloadable here."""


def packaged_extension(name: str) -> Path | None:
    """The extension file the ``duckdb-extension-<name>`` wheel ships for the running DuckDB, if any."""
    package = "duckdb_extension_" + name.replace("-", "_")
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        return None
    path = Path(str(root)) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    return path if path.is_file() else None


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> str:
    """Load ``name`` into ``connection`` from its wheel, or else by DuckDB's ``INSTALL``; where it came from."""
    path = packaged_extension(name)
    if path is not None:
        connection.execute(f"LOAD {sql_string(str(path))}")
        return str(path)
    try:
        connection.execute(f"INSTALL {name}")
        connection.execute(f"LOAD {name}")
    except duckdb.Error as error:
        raise ExtensionError(
            f"the DuckDB extension {name} is not installed for DuckDB {duckdb.__version__} "
            f"(pip install duckdb-extension-{name.replace('_', '-')}=={duckdb.__version__}) and INSTALL {name} "
            f"failed: {error}"
        ) from error
    return f"INSTALL {name}"
