-- The 90th percentile of the wait of attended conversations, per group and for all groups, over the
-- period: percentiles do not add up, so they are taken from the conversations with the KPI tables'
-- own definition (docs/kpis.md: quantile_cont(wait_time, 0.9) of attended, final group, partition day).
-- For a Monday-to-Sunday week the per-group values are kpi.sla_weekly's wait_p90_s.
SELECT
    grouping(group_id) = 1 AS all_groups,
    group_id,
    quantile_cont(wait_time, 0.9) FILTER (WHERE agent_id IS NOT NULL) AS wait_p90_s
FROM raw.conversations
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY GROUPING SETS ((group_id), ())
