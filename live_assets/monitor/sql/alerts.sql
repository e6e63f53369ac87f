-- monitor.alerts: one row per alert, the record of every breach of a target and of its notifications.
-- An alert is one metric of one group of one bot off target on one day: it opens when the metric
-- crosses its target, stays open (value, counts and window kept current) while it stays off, and is
-- resolved when it is back on target or when its day ends. Each message is stored when its state
-- changes, so a failed delivery sends the very same text at the next evaluation; *_notified_to lists
-- the fingerprints of the alert URLs that accepted it, *_notified_at is set once every URL did.
-- alert_id is given by the insert (a hash of bot, day, group, metric and opening time): DuckLake has
-- neither sequences nor primary keys, and two bots' inserts at once do not conflict there, so a
-- counter read from the table could be given twice. Tables made before this keep their sequence.
CREATE SCHEMA IF NOT EXISTS monitor;

CREATE TABLE IF NOT EXISTS monitor.alerts (
    alert_id BIGINT NOT NULL,
    bot VARCHAR NOT NULL,
    day DATE NOT NULL,
    group_id BIGINT,
    group_name VARCHAR,
    metric VARCHAR NOT NULL,
    value DOUBLE,
    target DOUBLE NOT NULL,
    "window" VARCHAR NOT NULL,
    offered BIGINT NOT NULL,
    lost BIGINT NOT NULL,
    opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_evaluated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    resolved_at TIMESTAMP WITH TIME ZONE,
    open_message VARCHAR NOT NULL,
    resolve_message VARCHAR,
    notified_at TIMESTAMP WITH TIME ZONE,
    notified_to VARCHAR[],
    resolved_notified_at TIMESTAMP WITH TIME ZONE,
    resolved_notified_to VARCHAR[]
);
