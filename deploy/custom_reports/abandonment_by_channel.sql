-- Abandonment per channel over the period ($first_day..$last_day: the month) of one bot ($bot).
SELECT
    coalesce(protocol, 'unknown') AS channel,
    sum(offered) AS offered,
    sum(lost) AS lost,
    round(100.0 * sum(lost) / nullif(sum(offered), 0), 1) AS abandonment_pct
FROM kpi.sla_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY channel
ORDER BY abandonment_pct DESC NULLS LAST, channel
