-- Service level per hour of the day over the chosen days ($days), from the HOUR summary: each row's
-- conversations within SLA are recovered from its sla_percentage (2 decimals, docs/api-contract.md §6) × total,
-- then summed over days, groups and channels, so the hour's SLA % is within ÷ offered like the KPIs'.
SELECT
    hour(period) AS hour,
    sum(total) AS offered,
    sum(round(sla_percentage * total / 100.0)) FILTER (WHERE sla_percentage IS NOT NULL) AS within_sla
FROM raw.summary
WHERE _bot = $bot AND list_contains($days, _partition_day)
GROUP BY hour
ORDER BY hour
