-- When a list ({table}: raw.groups, raw.agents) was last loaded for the bot; NULL if it never was.
SELECT max(_loaded_at) AS loaded_at FROM {table} WHERE _bot = $bot
