-- The period's figures per channel (protocol), summed from kpi.sla_daily as groups.sql does per group.
SELECT
    protocol_id,
    arg_max(protocol, day) AS protocol,
    sum(offered) AS offered,
    sum(attended) AS attended,
    sum(lost) AS lost,
    CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END AS within_sla,
    sum(feedback_count) AS feedback_count,
    coalesce(sum(round(csat_pct * feedback_count / 100.0)), 0) AS feedback_positive
FROM kpi.sla_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY protocol_id
ORDER BY offered DESC, protocol_id
