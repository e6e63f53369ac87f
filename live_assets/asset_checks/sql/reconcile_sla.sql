-- The SLA's groups summed per day (columns as in reconcile_conversations.sql).
SELECT
    _partition_day AS day,
    sum(total) AS total,
    sum(attended) AS attended,
    sum(lost) AS lost,
    NULL AS transferred,
    NULL AS transfers,
    count(*) AS rows
FROM raw.sla_by_group
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL;
