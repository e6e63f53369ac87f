-- kpi.sla_weekly: one row per week (Monday to Sunday) and group of the bot, from kpi_facts (facts.sql).
-- Recomputed from the week's conversations, never from daily rows, so its p90s are true percentiles.
-- Statements run in order in one transaction; the last one's rows are what was written.
CREATE SCHEMA IF NOT EXISTS kpi;

CREATE TABLE IF NOT EXISTS kpi.sla_weekly (
    week_start DATE NOT NULL,
    group_id BIGINT,
    group_name VARCHAR,
    offered BIGINT NOT NULL,
    attended BIGINT NOT NULL,
    lost BIGINT NOT NULL,
    abandonment_rate DOUBLE,
    within_sla BIGINT,
    sla_pct DOUBLE,
    wait_avg_s DOUBLE,
    wait_p90_s DOUBLE,
    first_response_avg_s DOUBLE,
    first_response_p90_s DOUBLE,
    handle_time_avg_s DOUBLE,
    transferred BIGINT NOT NULL,
    transfer_rate DOUBLE,
    resolved BIGINT NOT NULL,
    resolution_rate DOUBLE,
    feedback_count BIGINT NOT NULL,
    csat_pct DOUBLE,
    feedback_score_avg DOUBLE,
    _bot VARCHAR NOT NULL,
    _computed_at TIMESTAMP WITH TIME ZONE NOT NULL
);

DELETE FROM kpi.sla_weekly WHERE _bot = $bot AND week_start BETWEEN $first_day AND $last_day;

INSERT INTO kpi.sla_weekly BY NAME
SELECT
    week_start,
    group_id,
    arg_max(group_name, queued_at) AS group_name,
    count(*) AS offered,
    count(*) FILTER (WHERE is_attended) AS attended,
    count(*) FILTER (WHERE is_lost) AS lost,
    100.0 * count(*) FILTER (WHERE is_lost) / count(*) AS abandonment_rate,
    CASE WHEN count(sla_threshold) = count(*) THEN count(*) FILTER (WHERE is_within_sla) END AS within_sla,
    CASE WHEN count(sla_threshold) = count(*) THEN 100.0 * count(*) FILTER (WHERE is_within_sla) / count(*) END AS sla_pct,
    avg(wait_time) FILTER (WHERE is_attended) AS wait_avg_s,
    quantile_cont(wait_time, 0.9) FILTER (WHERE is_attended) AS wait_p90_s,
    avg(first_response_time) FILTER (WHERE is_attended) AS first_response_avg_s,
    quantile_cont(first_response_time, 0.9) FILTER (WHERE is_attended) AS first_response_p90_s,
    avg(session_time) FILTER (WHERE is_attended) AS handle_time_avg_s,
    count(*) FILTER (WHERE is_transferred) AS transferred,
    100.0 * count(*) FILTER (WHERE is_attended AND is_transferred) / nullif(count(*) FILTER (WHERE is_attended), 0)
        AS transfer_rate,
    count(*) FILTER (WHERE is_resolved) AS resolved,
    100.0 * count(*) FILTER (WHERE is_resolved) / nullif(count(*) FILTER (WHERE is_attended), 0) AS resolution_rate,
    count(feedback_value) AS feedback_count,
    100.0 * count(*) FILTER (WHERE feedback_value >= 4) / nullif(count(feedback_value), 0) AS csat_pct,
    avg(feedback_value) AS feedback_score_avg,
    $bot AS _bot,
    CAST($computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at
FROM kpi_facts
GROUP BY week_start, group_id
ORDER BY week_start, group_id;

-- What was written (a SELECT, not INSERT ... RETURNING, which DuckLake does not support).
SELECT * FROM kpi.sla_weekly
WHERE _bot = $bot AND week_start BETWEEN $first_day AND $last_day
ORDER BY week_start, group_id;
