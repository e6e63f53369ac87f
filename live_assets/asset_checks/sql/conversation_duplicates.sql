-- Conversation ids of the bot held more than once in raw.conversations, reported on each day of
-- $first_day..$last_day that holds one of the copies (the other copies may sit on any day).
WITH repeated AS (
    SELECT conversation_id, count(*) AS copies, list(DISTINCT _partition_day ORDER BY _partition_day) AS days
    FROM raw.conversations
    WHERE _bot = $bot
    GROUP BY conversation_id
    HAVING count(*) > 1
)
SELECT
    c._partition_day AS day,
    r.conversation_id,
    r.copies,
    r.days
FROM raw.conversations AS c
JOIN repeated AS r USING (conversation_id)
WHERE c._bot = $bot AND c._partition_day BETWEEN $first_day AND $last_day
GROUP BY ALL
ORDER BY day, conversation_id;
