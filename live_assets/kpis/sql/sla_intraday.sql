-- kpi.sla_intraday: today's figures per half hour and group (span half_hour), then the day so far per
-- group (span day_so_far), from kpi_sla_figures (sla.sql: the definition kpi.sla_daily uses), over
-- kpi_facts of raw.conversations_today. The table holds the current day only: each refresh replaces
-- every row of the bot, so yesterday's provisional figures go as today's arrive (kpi.sla_daily has
-- the final ones). as_of is when the day so far was read from the API (the raw rows' load).
DELETE FROM kpi.sla_intraday WHERE _bot = $bot;

-- One row shape for both spans: a half hour is its own bucket; the day so far runs from its first half
-- hour to the end of its last. The macro reads kpi_sla_figures as the grain view stands when it is called
-- (a macro takes no statement parameters: the bot and the time come as its arguments).
CREATE OR REPLACE TEMP MACRO kpi_intraday_rows(span, bot, computed_at) AS TABLE
SELECT
    CAST(period AS DATE) AS day,
    span AS span,
    CASE WHEN span = 'half_hour' THEN period ELSE first_half_hour END AS bucket_start,
    CASE WHEN span = 'half_hour' THEN period ELSE last_half_hour END + INTERVAL 30 MINUTE AS bucket_end,
    * EXCLUDE (period, protocol_id, protocol, sla_threshold_s, first_half_hour, last_half_hour),
    (SELECT max(_loaded_at) FROM kpi_conversations WHERE _bot = bot) AS as_of,
    bot AS _bot,
    CAST(computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at
FROM kpi_sla_figures;

CREATE OR REPLACE TEMP VIEW kpi_grain AS SELECT *, half_hour AS period, NULL AS channel_id FROM kpi_facts;
INSERT INTO kpi.sla_intraday BY NAME SELECT * FROM kpi_intraday_rows('half_hour', $bot, $computed_at);

-- A separate statement, not one grouping: the day's period (midnight) is also the 00:00 half hour's.
CREATE OR REPLACE TEMP VIEW kpi_grain AS SELECT *, CAST(day AS TIMESTAMP) AS period, NULL AS channel_id FROM kpi_facts;
INSERT INTO kpi.sla_intraday BY NAME SELECT * FROM kpi_intraday_rows('day_so_far', $bot, $computed_at);

SELECT * FROM kpi.sla_intraday WHERE _bot = $bot ORDER BY span, bucket_start, group_id;
