-- Per day of $first_day..$last_day and group: the SLA % recomputed from the conversations
-- (kpi.sla_daily, summed over channels) beside the API's own (raw.sla_by_group). Groups the API lists
-- with no conversation are left out: their percentage is NULL by contract and they have no KPI row.
WITH ours AS (
    SELECT
        day,
        group_id,
        any_value(group_name) AS group_name,
        sum(offered) AS offered,
        sum(attended) AS attended,
        sum(lost) AS lost,
        CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END AS within_sla
    FROM kpi.sla_daily
    WHERE _bot = $bot AND day BETWEEN $first_day AND $last_day
    GROUP BY ALL
),
api AS (
    SELECT
        _partition_day AS day,
        group_id,
        any_value(group_name) AS group_name,
        sum(total) AS total,
        sum(attended) AS attended,
        sum(lost) AS lost,
        sum(within_sla) AS within_sla,
        max(sla_percentage) AS sla_percentage,
        count(*) AS rows
    FROM raw.sla_by_group
    WHERE _bot = $bot AND _partition_day BETWEEN $first_day AND $last_day AND total > 0
    GROUP BY ALL
)
SELECT
    coalesce(ours.day, api.day) AS day,
    coalesce(ours.group_id, api.group_id) AS group_id,
    coalesce(ours.group_name, api.group_name) AS group_name,
    ours.offered,
    api.total AS api_total,
    ours.within_sla,
    api.within_sla AS api_within_sla,
    100.0 * ours.within_sla / ours.offered AS sla_pct,
    api.sla_percentage AS api_sla_percentage,
    coalesce(api.rows, 0) AS api_rows
FROM ours
FULL OUTER JOIN api ON api.day = ours.day AND api.group_id = ours.group_id
ORDER BY day, group_id;
