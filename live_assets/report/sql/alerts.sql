-- The bot's alerts that were open at some moment of the period [$period_start, $period_end).
SELECT
    "group",
    metric,
    "value",
    target,
    "window",
    opened_at,
    resolved_at,
    notified_at,
    resolved_notified_at
FROM monitor.alerts
WHERE bot = $bot AND opened_at < $period_end AND (resolved_at IS NULL OR resolved_at >= $period_start)
ORDER BY opened_at, "group", metric
