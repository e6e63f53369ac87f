-- The SLA figures (docs/kpis.md) of every value of a grain: the one definition behind kpi.sla_daily
-- (day x group x channel), kpi.sla_weekly (week x group) and kpi.sla_intraday (half hour x group, and
-- the day so far x group). A view over kpi_grain, which the refresh points at kpi_facts (facts.sql) with
-- the grain's period as `period` and its channel as `channel_id` (NULL for tables not split by channel);
-- the table's insert keeps the columns it has.
CREATE OR REPLACE TEMP VIEW kpi_sla_figures AS
SELECT
    period,
    group_id,
    arg_max(group_name, queued_at) AS group_name,
    channel_id AS protocol_id,
    arg_max(protocol_name, queued_at) AS protocol,
    count(*) AS offered,
    count(*) FILTER (WHERE is_attended) AS attended,
    count(*) FILTER (WHERE is_lost) AS lost,
    100.0 * count(*) FILTER (WHERE is_lost) / count(*) AS abandonment_rate,
    max(sla_threshold) AS sla_threshold_s,
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
    -- The half hours of the grain's first and last conversation (the window an intraday figure covers).
    min(half_hour) AS first_half_hour,
    max(half_hour) AS last_half_hour
FROM kpi_grain
GROUP BY period, group_id, channel_id;
