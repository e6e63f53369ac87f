-- The demo's open alerts of the bot: what is off target now, and whether it was sent.
SELECT group_name, metric, value, target, "window", offered, lost, opened_at, notified_at
FROM monitor.alerts
WHERE bot = $bot AND resolved_at IS NULL
ORDER BY opened_at, group_name, metric;
