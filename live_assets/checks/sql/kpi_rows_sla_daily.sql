-- The rows of kpi.sla_daily of the bot for the days $first_day..$last_day, for the range checks.
SELECT * FROM kpi.sla_daily WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day;
