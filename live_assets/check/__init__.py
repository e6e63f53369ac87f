"""``python -m live_assets.check``: check a bot's settings and connection, and how its API differs from the contract.

Run it before a first backfill, with the settings the assets use (``.env``, the bots file, ``--bot``).
First it validates every setting the code location reads (the ``LIVE_*`` variables, the bots and
targets files, the first day, privacy, the warehouse, the alert URLs): any problem is one line naming
the setting (and a file's line and key), and exit 2 before a request is sent. Then it logs in (or
presents the static token) and says, each on its own line, whether the login works, whether the token
will renew and when it expires, whether the X-token is accepted and the user has the Reports
permission; reads the agent and group lists and one recent complete day of every registry endpoint (the
details of three conversations only) and compares each with the registry; probes the ``HOUR`` range
limit and, with ``--probe-concurrency`` only (it breaks the one-request rule while it runs), whether a
second concurrent request is refused; estimates, from the measured latencies and the minimal request
plan, the requests and time of an N-day backfill; and, when ``LIVE_START_DATE`` is unset, suggests a
first day from the day it sampled. Exit 0 (all OK), 1 (warnings) or 2 (a wrong setting, or a mismatch
that would lose or misplace data). ``--json FILE`` writes the report, which holds no secret and no
end-user data. About 20 requests in all.
"""

from live_assets.check.findings import Finding, Report, Status
from live_assets.check.probes import recent_complete_day, run_check

__all__ = ["Finding", "Report", "Status", "recent_complete_day", "run_check"]
