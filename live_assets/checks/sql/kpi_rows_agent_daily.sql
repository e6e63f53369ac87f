-- The rows of kpi.agent_daily of the bot for the days $first_day..$last_day, for the range checks.
SELECT * FROM kpi.agent_daily WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day;
