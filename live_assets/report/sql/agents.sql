-- The period's agents, summed from kpi.agent_daily; the mean first response is taken from the
-- conversations with the agent tables' own definition (mean first_response_time of the conversations
-- the agent finally held), since the daily rows do not carry its weight. For a Monday-to-Sunday week
-- every value equals kpi.agent_weekly's.
WITH daily AS (
    SELECT
        agent_id,
        arg_max(agent_name, day) AS agent_name,
        sum(handled) AS handled,
        sum(handled_hours) AS handled_hours,
        sum(transferred) AS transferred,
        sum(feedback_count) AS feedback_count,
        coalesce(sum(round(csat_pct * feedback_count / 100.0)), 0) AS feedback_positive
    FROM kpi.agent_daily
    WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
    GROUP BY agent_id
),
responses AS (
    SELECT agent_id, avg(first_response_time) AS first_response_avg_s
    FROM raw.conversations
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day AND agent_id IS NOT NULL
    GROUP BY agent_id
)
SELECT d.*, r.first_response_avg_s
FROM daily AS d
LEFT JOIN responses AS r USING (agent_id)
ORDER BY d.handled DESC, d.agent_name, d.agent_id
