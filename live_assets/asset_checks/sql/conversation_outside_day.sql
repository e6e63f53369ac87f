-- Per partition day of $first_day..$last_day: the rows of raw.conversations whose queued_at is not
-- inside the day's window (D 00:00:00 .. D 23:59:59, the bot's wall clock), and a few of their ids.
SELECT
    _partition_day AS day,
    count(*) AS rows,
    count(*) FILTER (WHERE queued_at IS NULL OR CAST(queued_at AS DATE) <> _partition_day) AS outside,
    min(queued_at) AS first_queued_at,
    max(queued_at) AS last_queued_at,
    list(conversation_id ORDER BY conversation_id)
        FILTER (WHERE queued_at IS NULL OR CAST(queued_at AS DATE) <> _partition_day)[1:10] AS sample_ids
FROM raw.conversations
WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day
GROUP BY _partition_day
ORDER BY day;
