"""Tools for trying and developing live-assets, never deployed: ``make dev``'s local stack, the demo and
the development daemon. The stand-in API they run against is ``live_assets.simulator``."""
