-- One row per conversation of the bot queued between $first_day and $last_day (partition days, the
-- bot's wall clock), with the flags every KPI counts. A temp table: the KPI queries of one refresh
-- read it, and it disappears with the connection. It reads kpi_conversations, a view of the raw table
-- of conversations the KPI table is computed from (raw.conversations; for kpi.sla_intraday,
-- raw.conversations_today, the day so far), so that final days and today share every definition.
--
-- The SLA threshold of a conversation is the one the SLA endpoint reported for its group on its day
-- (raw.sla_by_group); when that row is missing, the group's current threshold from raw.groups. A
-- threshold changed mid-week thus applies to the days it was in force.
CREATE OR REPLACE TEMP TABLE kpi_facts AS
WITH day_thresholds AS (
    SELECT _partition_day AS day, group_id, max(sla_threshold) AS sla_threshold
    FROM raw.sla_by_group
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day AND sla_threshold IS NOT NULL
    GROUP BY ALL
),
current_thresholds AS (
    SELECT id AS group_id, max(sla_threshold) AS sla_threshold
    FROM raw.groups
    WHERE _bot = $bot AND sla_threshold IS NOT NULL
    GROUP BY ALL
),
conversations AS (
    SELECT
        c.*,
        coalesce(t.sla_threshold, g.sla_threshold) AS sla_threshold
    FROM kpi_conversations AS c
    LEFT JOIN day_thresholds AS t ON t.day = c._partition_day AND t.group_id = c.group_id
    LEFT JOIN current_thresholds AS g ON g.group_id = c.group_id
    WHERE c._bot = $bot AND c._partition_day BETWEEN $first_day AND $last_day
)
SELECT
    _partition_day AS day,
    CAST(date_trunc('week', _partition_day) AS DATE) AS week_start,
    time_bucket(INTERVAL 30 MINUTE, queued_at) AS half_hour,
    conversation_id,
    group_id,
    group_name,
    protocol_id,
    protocol_name,
    agent_id,
    agent_name,
    queued_at,
    started_at,
    -- A session ends no earlier than it starts (a chat of no length is an instant).
    greatest(ended_at, started_at) AS ended_at,
    wait_time,
    session_time,
    first_response_time,
    transfers,
    feedback_value,
    sla_threshold,
    agent_id IS NOT NULL AS is_attended,
    status = 'lost' AS is_lost,
    coalesce(transfers, 0) > 0 AS is_transferred,
    agent_id IS NOT NULL AND status = 'closed' AND coalesce(transfers, 0) = 0 AS is_resolved,
    -- NULL when no threshold is known: the SLA % of its grain is then unknown, not flattered.
    CASE WHEN sla_threshold IS NOT NULL THEN agent_id IS NOT NULL AND wait_time <= sla_threshold END AS is_within_sla
FROM conversations
