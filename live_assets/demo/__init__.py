"""``python -m live_assets.demo`` (``make demo``): the whole pipeline through Dagster, on a simulator."""
