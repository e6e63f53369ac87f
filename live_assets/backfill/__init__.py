"""``python -m live_assets.backfill``: partition backfills submitted to a running Dagster, as the UI does.

Everything here drives Dagster from the outside, the way a user does in the UI: through the
webserver's GraphQL API and the daemon. Nothing imports the code location (``live_assets.definitions``),
so a launcher never builds the asset graph itself and cannot disagree with what the UI shows. The demo
and the local stack (``live_assets.devtools``) use the same GraphQL client and run helpers.
"""
