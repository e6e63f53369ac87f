-- The demo's view of today: each group's day so far from kpi.sla_intraday, as the refresh wrote it.
SELECT
    day,
    group_name,
    offered,
    attended,
    within_sla,
    lost,
    sla_pct,
    abandonment_rate,
    wait_p90_s,
    bucket_start,
    bucket_end,
    as_of
FROM kpi.sla_intraday
WHERE _bot = $bot AND span = 'day_so_far'
ORDER BY group_id;
