"""Operating a running Dagster for live-assets: backfills through the webserver, the local stack.

Everything here drives Dagster from the outside, the way a user does in the UI: through the
webserver's GraphQL API and the daemon. Nothing imports the code location (``live_assets.definitions``),
so a launcher never builds the asset graph itself and cannot disagree with what the UI shows.
"""
