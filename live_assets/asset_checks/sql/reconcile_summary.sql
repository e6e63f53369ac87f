-- The summary's rows summed per day (columns as in reconcile_conversations.sql).
SELECT
    _partition_day AS day,
    sum(total) AS total,
    NULL AS attended,
    sum(lost) AS lost,
    sum(transferred) AS transferred,
    NULL AS transfers,
    count(*) AS rows
FROM raw.summary
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL;
