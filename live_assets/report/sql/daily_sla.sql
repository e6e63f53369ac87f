-- SLA % per day and per group or per channel (summed over the other), from kpi.sla_daily.
-- $by_channel picks the split: false = per group, true = per channel (protocol).
SELECT
    day,
    CASE WHEN $by_channel THEN protocol_id ELSE group_id END AS id,
    arg_max(CASE WHEN $by_channel THEN protocol ELSE group_name END, day) AS name,
    sum(offered) AS offered,
    CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END AS within_sla
FROM kpi.sla_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY day, id
ORDER BY day, id
