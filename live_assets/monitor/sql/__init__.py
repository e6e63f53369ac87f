"""SQL of the monitoring (read with ``live_assets.kpis.queries.read_sql``)."""
