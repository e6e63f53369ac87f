-- The bot's alerts still open (monitor.alerts, docs/monitoring.md), for today's page: newest first.
SELECT group_id, group_name, metric, value, target, opened_at
FROM monitor.alerts
WHERE bot = $bot AND resolved_at IS NULL
ORDER BY opened_at DESC, group_name, metric
