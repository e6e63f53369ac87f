"""``python -m live_assets.check``: check a bot's connection and discover how its API differs from the contract.

Run it before a first backfill, with the settings the assets use (``.env``, the bots file, ``--bot``).
It logs in (or presents the static token) and says whether renewal will work and when the token
expires; reads the agent and group lists and one recent complete day of every registry endpoint (the
details of three conversations only) and compares each with the registry; probes the ``HOUR`` range
limit and, with ``--probe-concurrency`` only (it breaks the one-request rule while it runs), whether a
second concurrent request is refused; and estimates, from the measured latencies
and the minimal request plan, the requests and time of an N-day backfill. Exit 0 (all OK), 1
(warnings) or 2 (a mismatch that would lose or misplace data). ``--json FILE`` writes the report,
which holds no secret and no end-user data. About 20 requests in all.
"""

from live_assets.check.findings import Finding, Report, Status
from live_assets.check.probes import recent_complete_day, run_check

__all__ = ["Finding", "Report", "Status", "recent_complete_day", "run_check"]
