"""KPI tables computed from the raw conversation rows: SLA and agent performance, daily and weekly."""
