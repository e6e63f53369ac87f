-- monitor.report_deliveries: one row per version of a report sent to LIVE_REPORT_URLS (built-in weekly
-- and daily reports, and the custom reports that ask for it). A report of a bot and period is sent
-- once; materialized again with the same content (content_hash) it is not sent again; with other
-- figures it gets a new row of kind 'correction' whose message says what changed. sent_to lists the
-- fingerprints of the URLs that accepted the message (never the URLs: they hold tokens), sent_at is set
-- once every URL did; a row still unsent is sent again at the next evaluation (outcome: the latest
-- attempt's failures, by URL position and scheme). delivery_id: a hash given by the insert, as in
-- monitor.alerts (DuckLake has neither sequences nor primary keys).
CREATE SCHEMA IF NOT EXISTS monitor;

CREATE TABLE IF NOT EXISTS monitor.report_deliveries (
    delivery_id BIGINT NOT NULL,
    report VARCHAR NOT NULL,
    bot VARCHAR NOT NULL,
    first_day DATE NOT NULL,
    last_day DATE NOT NULL,
    content_hash VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    figures VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    attachment VARCHAR,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    attempted_at TIMESTAMP WITH TIME ZONE,
    sent_to VARCHAR[],
    sent_at TIMESTAMP WITH TIME ZONE,
    outcome VARCHAR NOT NULL
);
