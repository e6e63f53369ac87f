-- Counts per day of $first_day..$last_day from a table of one row per conversation: the conversation
-- list (raw.conversations, the reference of endpoints_reconcile) or the CSV export, named by $table.
-- Every reconcile_*.sql answers these columns, NULL where its endpoint does not report a measure:
--   attended = conversations an agent held (both tables carry the agent's name, NULL when lost);
--   transferred = conversations with transfers > 0; transfers = the sum of transfers.
SELECT
    _partition_day AS day,
    count(*) AS total,
    count(agent_name) AS attended,
    count(*) FILTER (WHERE status = 'lost') AS lost,
    count(*) FILTER (WHERE transfers > 0) AS transferred,
    sum(transfers) AS transfers,
    count(*) AS rows
FROM query_table($table)
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL;
