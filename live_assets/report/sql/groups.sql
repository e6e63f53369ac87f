-- The period's figures per group or per channel ($by_channel), summed from kpi.sla_daily (day × group
-- × channel rows): counts add up exactly, and the rates are rebuilt from them (docs/kpis.md). CSAT
-- answers scoring 4 or 5 are recovered from each row's csat_pct × feedback_count (a whole number).
SELECT
    CASE WHEN $by_channel THEN protocol_id ELSE group_id END AS id,
    arg_max(CASE WHEN $by_channel THEN protocol ELSE group_name END, day) AS name,
    sum(offered) AS offered,
    sum(attended) AS attended,
    sum(lost) AS lost,
    CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END AS within_sla,
    sum(feedback_count) AS feedback_count,
    coalesce(sum(round(csat_pct * feedback_count / 100.0)), 0) AS feedback_positive
FROM kpi.sla_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY id
ORDER BY name, id
