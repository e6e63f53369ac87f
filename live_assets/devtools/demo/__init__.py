"""``python -m live_assets.devtools.demo`` (``make demo``): the whole pipeline through Dagster, on a simulator."""
