-- monitor.verdicts: the service level as judged, one row per bot, span, day, group and metric with a
-- target. span 'day' is a final day (written by targets_met on kpi/sla_daily), 'today' the day so far
-- (written by kpi/sla_intraday with its alert evaluation). verdict is one of judging.Verdict's values:
-- 'on target', 'off target', 'too few' (under min_offered offered), 'unknown' (the figure cannot be
-- computed; reason says why). A (bot, span, day) is replaced whole, in one transaction. The alerts,
-- the report and the demo read this table; see docs/monitoring.md.
CREATE SCHEMA IF NOT EXISTS monitor;

CREATE TABLE IF NOT EXISTS monitor.verdicts (
    bot VARCHAR NOT NULL,
    span VARCHAR NOT NULL,
    day DATE NOT NULL,
    group_id VARCHAR,
    group_name VARCHAR,
    metric VARCHAR NOT NULL,
    verdict VARCHAR NOT NULL,
    value DOUBLE,
    target DOUBLE,
    reason VARCHAR,
    offered BIGINT,
    lost BIGINT,
    judged_at TIMESTAMPTZ NOT NULL
);
