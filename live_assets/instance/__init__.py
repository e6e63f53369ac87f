"""The project's Dagster instance plugins: the run coordinator's bot lanes, and the development daemon."""
