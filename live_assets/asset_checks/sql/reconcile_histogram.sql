-- The histogram's buckets summed per day (columns as in reconcile_conversations.sql): the sum of transfers is
-- its only transfer figure, and it has no attended count.
SELECT
    _partition_day AS day,
    sum(total) AS total,
    NULL AS attended,
    sum(lost) AS lost,
    NULL AS transferred,
    sum(transfers) AS transfers,
    count(*) AS rows
FROM raw.histogram
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL;
