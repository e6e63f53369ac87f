-- Conversations offered per half hour of the day, summed over the chosen days ($days), from the
-- HALF-HOUR histogram; with the number of those days the histogram holds (to average over).
SELECT
    CAST(period AS TIME) AS slot,
    sum(total) AS offered,
    count(DISTINCT _partition_day) AS days
FROM raw.histogram
WHERE _bot = $bot AND list_contains($days, _partition_day)
GROUP BY slot
ORDER BY slot
