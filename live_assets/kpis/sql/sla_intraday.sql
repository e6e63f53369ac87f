-- kpi.sla_intraday: today's figures per half hour and group (span half_hour), then the day so far per
-- group (span day_so_far), from kpi_sla_figures (sla.sql: the definition kpi.sla_daily uses), over
-- kpi_facts of raw.conversations_today. The table holds the current day only: each refresh replaces
-- every row of the bot, so yesterday's provisional figures go as today's arrive (kpi.sla_daily has
-- the final ones). as_of is when the day so far was read from the API (the raw rows' load).
DELETE FROM kpi.sla_intraday WHERE _bot = $bot;

CREATE OR REPLACE TEMP VIEW kpi_grain AS SELECT *, half_hour AS period, NULL AS channel_id FROM kpi_facts;

INSERT INTO kpi.sla_intraday BY NAME
SELECT
    CAST(period AS DATE) AS day,
    'half_hour' AS span,
    period AS bucket_start,
    period + INTERVAL 30 MINUTE AS bucket_end,
    * EXCLUDE (period, protocol_id, protocol, sla_threshold_s, first_half_hour, last_half_hour),
    (SELECT max(_loaded_at) FROM kpi_conversations WHERE _bot = $bot) AS as_of,
    $bot AS _bot,
    CAST($computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at
FROM kpi_sla_figures;

CREATE OR REPLACE TEMP VIEW kpi_grain AS SELECT *, CAST(day AS TIMESTAMP) AS period, NULL AS channel_id FROM kpi_facts;

INSERT INTO kpi.sla_intraday BY NAME
SELECT
    CAST(period AS DATE) AS day,
    'day_so_far' AS span,
    first_half_hour AS bucket_start,
    last_half_hour + INTERVAL 30 MINUTE AS bucket_end,
    * EXCLUDE (period, protocol_id, protocol, sla_threshold_s, first_half_hour, last_half_hour),
    (SELECT max(_loaded_at) FROM kpi_conversations WHERE _bot = $bot) AS as_of,
    $bot AS _bot,
    CAST($computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at
FROM kpi_sla_figures;

SELECT * FROM kpi.sla_intraday WHERE _bot = $bot ORDER BY span, bucket_start, group_id;
