-- kpi.agent_weekly: one row per week (Monday to Sunday) and agent of the bot, from kpi_facts
-- (facts.sql), recomputed from the week's conversations: p90s are true percentiles of the week, and
-- concurrency sees sessions of adjacent days that overlap. A conversation counts for its final agent
-- (CONTRACT.md §6). Statements run in order in one transaction; the last one's rows are what was written.
CREATE SCHEMA IF NOT EXISTS kpi;

CREATE TABLE IF NOT EXISTS kpi.agent_weekly (
    week_start DATE NOT NULL,
    agent_id BIGINT NOT NULL,
    agent_name VARCHAR,
    handled BIGINT NOT NULL,
    handled_hours DOUBLE,
    handle_time_avg_s DOUBLE,
    first_response_avg_s DOUBLE,
    first_response_p90_s DOUBLE,
    transferred BIGINT NOT NULL,
    transfer_rate DOUBLE,
    resolved BIGINT NOT NULL,
    resolution_rate DOUBLE,
    feedback_count BIGINT NOT NULL,
    csat_pct DOUBLE,
    feedback_score_avg DOUBLE,
    concurrency_max INTEGER,
    concurrency_avg DOUBLE,
    _bot VARCHAR NOT NULL,
    _computed_at TIMESTAMP WITH TIME ZONE NOT NULL
);

DELETE FROM kpi.agent_weekly WHERE _bot = $bot AND week_start BETWEEN $first_day AND $last_day;

INSERT INTO kpi.agent_weekly BY NAME
WITH handled AS (
    SELECT * FROM kpi_facts WHERE is_attended
),
-- Each session [started_at, ended_at) opens (+1) and closes (-1) a chat. At equal instants closes
-- sort first: a chat ending as another starts is not concurrent with it.
events AS (
    SELECT week_start, agent_id, started_at AS moment, 1 AS delta FROM handled WHERE started_at IS NOT NULL
    UNION ALL
    SELECT week_start, agent_id, ended_at AS moment, -1 AS delta FROM handled WHERE started_at IS NOT NULL
),
held AS (
    SELECT
        week_start,
        agent_id,
        sum(delta) OVER timeline AS chats,
        epoch(lead(moment) OVER timeline - moment) AS seconds_to_next
    FROM events
    WINDOW timeline AS (PARTITION BY week_start, agent_id ORDER BY moment, delta ROWS UNBOUNDED PRECEDING)
),
concurrency AS (
    SELECT
        week_start,
        agent_id,
        max(chats) AS chats_max,
        sum(seconds_to_next) FILTER (WHERE chats >= 1) AS busy_seconds
    FROM held
    GROUP BY week_start, agent_id
),
sessions AS (
    SELECT week_start, agent_id, sum(epoch(ended_at - started_at)) AS session_seconds
    FROM handled
    WHERE started_at IS NOT NULL
    GROUP BY week_start, agent_id
)
SELECT
    h.week_start,
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
    any_value(s.session_seconds) / nullif(any_value(c.busy_seconds), 0) AS concurrency_avg,
    $bot AS _bot,
    CAST($computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at
FROM handled AS h
LEFT JOIN concurrency AS c ON c.week_start = h.week_start AND c.agent_id = h.agent_id
LEFT JOIN sessions AS s ON s.week_start = h.week_start AND s.agent_id = h.agent_id
GROUP BY h.week_start, h.agent_id
ORDER BY h.week_start, h.agent_id;

-- What was written (a SELECT, not INSERT ... RETURNING, which DuckLake does not support).
SELECT * FROM kpi.agent_weekly
WHERE _bot = $bot AND week_start BETWEEN $first_day AND $last_day
ORDER BY week_start, agent_id;
