-- The agent figures (docs/kpis.md) of every value of a grain: the one definition behind kpi.agent_daily
-- (day x agent) and kpi.agent_weekly (week x agent), recomputed from the period's conversations, so
-- p90s are true percentiles and concurrency sees sessions of adjacent days that overlap. A conversation
-- counts for its final agent (docs/api-contract.md §6). A view over kpi_grain: kpi_facts (facts.sql) with the
-- grain's period as `period`, set up by the refresh.
CREATE OR REPLACE TEMP VIEW kpi_agent_figures AS
WITH handled AS (
    SELECT * FROM kpi_grain WHERE is_attended
),
-- Each session [started_at, ended_at) opens (+1) and closes (-1) a chat. At equal instants closes
-- sort first: a chat ending as another starts is not concurrent with it.
events AS (
    SELECT period, agent_id, started_at AS moment, 1 AS delta FROM handled WHERE started_at IS NOT NULL
    UNION ALL
    SELECT period, agent_id, ended_at AS moment, -1 AS delta FROM handled WHERE started_at IS NOT NULL
),
held AS (
    SELECT
        period,
        agent_id,
        sum(delta) OVER timeline AS chats,
        epoch(lead(moment) OVER timeline - moment) AS seconds_to_next
    FROM events
    WINDOW timeline AS (PARTITION BY period, agent_id ORDER BY moment, delta ROWS UNBOUNDED PRECEDING)
),
concurrency AS (
    SELECT
        period,
        agent_id,
        max(chats) AS chats_max,
        sum(seconds_to_next) FILTER (WHERE chats >= 1) AS busy_seconds
    FROM held
    GROUP BY period, agent_id
),
sessions AS (
    SELECT period, agent_id, sum(epoch(ended_at - started_at)) AS session_seconds
    FROM handled
    WHERE started_at IS NOT NULL
    GROUP BY period, agent_id
)
SELECT
    h.period,
    h.agent_id,
    arg_max(h.agent_name, h.queued_at) AS agent_name,
    count(*) AS handled,
    sum(h.session_time) / 3600.0 AS handled_hours,
    avg(h.session_time) AS handle_time_avg_s,
    avg(h.first_response_time) AS first_response_avg_s,
    quantile_cont(h.first_response_time, 0.9) AS first_response_p90_s,
    count(*) FILTER (WHERE h.is_transferred) AS transferred,
    100.0 * count(*) FILTER (WHERE h.is_transferred) / count(*) AS transfer_rate,
    count(*) FILTER (WHERE h.is_resolved) AS resolved,
    100.0 * count(*) FILTER (WHERE h.is_resolved) / count(*) AS resolution_rate,
    count(h.feedback_value) AS feedback_count,
    100.0 * count(*) FILTER (WHERE h.feedback_value >= 4) / nullif(count(h.feedback_value), 0) AS csat_pct,
    avg(h.feedback_value) AS feedback_score_avg,
    -- A chat of no length still counts as one held (as the API's max_concurrent does).
    CAST(CASE WHEN any_value(c.chats_max) IS NOT NULL THEN greatest(any_value(c.chats_max), 1) END AS INTEGER)
        AS concurrency_max,
    any_value(s.session_seconds) / nullif(any_value(c.busy_seconds), 0) AS concurrency_avg
FROM handled AS h
LEFT JOIN concurrency AS c ON c.period = h.period AND c.agent_id = h.agent_id
LEFT JOIN sessions AS s ON s.period = h.period AND s.agent_id = h.agent_id
GROUP BY h.period, h.agent_id;
