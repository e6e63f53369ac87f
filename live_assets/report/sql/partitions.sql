-- Completeness of one table over the period. {table}, {day} and {loaded} come from the report's fixed
-- list of tables (completeness.py), never from input; the values are bound parameters.
SELECT
    count(DISTINCT {day}) AS partitions,
    list(DISTINCT {day} ORDER BY {day}) AS present,
    count(*) AS rows,
    max({loaded}) AS loaded_at
FROM {table}
WHERE _bot = $bot AND {day} BETWEEN $first_day AND $last_day
