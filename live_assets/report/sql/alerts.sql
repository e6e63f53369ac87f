-- The bot's alerts that were open at some moment of the period [$period_start, $period_end). Every
-- column, so that the report reads the group by name (group_name, else group) whichever the table has.
SELECT *
FROM monitor.alerts
WHERE bot = $bot AND opened_at < $period_end AND (resolved_at IS NULL OR resolved_at >= $period_start)
ORDER BY opened_at, metric
