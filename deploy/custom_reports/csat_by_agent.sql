-- CSAT per agent over the period ($first_day..$last_day: the week) of one bot ($bot), from the
-- agents' days: the positive share of all the week's answers (each day's weighted by its answers).
SELECT
    agent_name AS agent,
    sum(handled) AS handled,
    sum(feedback_count) AS answers,
    round(sum(csat_pct * feedback_count) / nullif(sum(feedback_count), 0), 1) AS csat_pct
FROM kpi.agent_daily
WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
GROUP BY agent
ORDER BY csat_pct DESC NULLS LAST, agent
