-- The verdicts of one bot and span over $first_day..$last_day, in a stable order.
SELECT *
FROM monitor.verdicts
WHERE bot = $bot AND span = $span AND day BETWEEN $first_day AND $last_day
ORDER BY day, group_name NULLS LAST, group_id, metric
