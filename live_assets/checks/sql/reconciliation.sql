-- One row per day of $first_day..$last_day: the total, attended, lost, transferred and transfers
-- counts each endpoint gives for the day, as <source>_<measure> columns. A source that has no rows
-- for a day counts 0 (an empty day has none), except stats, which always answers one row per day:
-- its columns are NULL when that row is missing.
--   transferred = conversations with transfers > 0; transfers = the sum of transfers (the histogram
--   only gives the latter, the summary and stats only the former).
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST($first_day AS TIMESTAMP), CAST($last_day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
),
list AS (
    SELECT
        _partition_day AS day,
        count(*) AS total,
        count(agent_id) AS attended,
        count(*) FILTER (WHERE status = 'lost') AS lost,
        count(*) FILTER (WHERE transfers > 0) AS transferred,
        sum(transfers) AS transfers
    FROM raw.conversations
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
export AS (
    SELECT
        _partition_day AS day,
        count(*) AS total,
        count(*) FILTER (WHERE status = 'lost') AS lost,
        count(*) FILTER (WHERE transfers > 0) AS transferred,
        sum(transfers) AS transfers
    FROM raw.export_conversations
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
stats AS (
    SELECT
        _partition_day AS day,
        sum(total) AS total,
        sum(attended) AS attended,
        sum(lost) AS lost,
        sum(transferred) AS transferred,
        count(*) AS rows
    FROM raw.conversation_stats
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
histogram AS (
    SELECT _partition_day AS day, sum(total) AS total, sum(lost) AS lost, sum(transfers) AS transfers
    FROM raw.histogram
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
summary AS (
    SELECT _partition_day AS day, sum(total) AS total, sum(lost) AS lost, sum(transferred) AS transferred
    FROM raw.summary
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
sla AS (
    SELECT _partition_day AS day, sum(total) AS total, sum(attended) AS attended, sum(lost) AS lost
    FROM raw.sla_by_group
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
    GROUP BY ALL
)
SELECT
    days.day,
    coalesce(list.total, 0) AS list_total,
    coalesce(list.attended, 0) AS list_attended,
    coalesce(list.lost, 0) AS list_lost,
    coalesce(list.transferred, 0) AS list_transferred,
    coalesce(list.transfers, 0) AS list_transfers,
    coalesce(export.total, 0) AS export_total,
    coalesce(export.lost, 0) AS export_lost,
    coalesce(export.transferred, 0) AS export_transferred,
    coalesce(export.transfers, 0) AS export_transfers,
    stats.total AS stats_total,
    stats.attended AS stats_attended,
    stats.lost AS stats_lost,
    stats.transferred AS stats_transferred,
    coalesce(stats.rows, 0) AS stats_rows,
    coalesce(histogram.total, 0) AS histogram_total,
    coalesce(histogram.lost, 0) AS histogram_lost,
    coalesce(histogram.transfers, 0) AS histogram_transfers,
    coalesce(summary.total, 0) AS summary_total,
    coalesce(summary.lost, 0) AS summary_lost,
    coalesce(summary.transferred, 0) AS summary_transferred,
    coalesce(sla.total, 0) AS sla_total,
    coalesce(sla.attended, 0) AS sla_attended,
    coalesce(sla.lost, 0) AS sla_lost
FROM days
LEFT JOIN list USING (day)
LEFT JOIN export USING (day)
LEFT JOIN stats USING (day)
LEFT JOIN histogram USING (day)
LEFT JOIN summary USING (day)
LEFT JOIN sla USING (day)
ORDER BY days.day;
