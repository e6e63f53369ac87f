-- The period's figures per group, summed from kpi.sla_daily (day × group × channel rows): counts add
-- up exactly, and the rates are rebuilt from them (docs/kpis.md). CSAT answers scoring 4 or 5 are
-- recovered from each row's csat_pct × feedback_count (an exact whole number, up to rounding noise).
SELECT
    group_id,
    arg_max(group_name, day) AS group_name,
    sum(offered) AS offered,
    sum(attended) AS attended,
    sum(lost) AS lost,
    CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END AS within_sla,
    sum(feedback_count) AS feedback_count,
    coalesce(sum(round(csat_pct * feedback_count / 100.0)), 0) AS feedback_positive
FROM kpi.sla_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY group_id
ORDER BY group_name, group_id
