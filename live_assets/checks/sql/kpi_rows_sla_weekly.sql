-- The rows of kpi.sla_weekly of the bot for the weeks starting $first_day..$last_day, for the range checks.
SELECT * FROM kpi.sla_weekly WHERE _bot = $bot AND week_start BETWEEN $first_day AND $last_day;
