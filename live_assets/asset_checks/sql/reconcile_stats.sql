-- The stats endpoint's figures per day (columns as in reconcile_conversations.sql). It answers one row per day,
-- even an empty one: `rows` lets the check say when a loaded day holds none, or two.
SELECT
    _partition_day AS day,
    sum(total) AS total,
    sum(attended) AS attended,
    sum(lost) AS lost,
    sum(transferred) AS transferred,
    NULL AS transfers,
    count(*) AS rows
FROM raw.conversation_stats
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL;
