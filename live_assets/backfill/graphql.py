"""A small client for the Dagster webserver's GraphQL API: the same API the UI itself calls.

Going through the webserver (rather than ``DagsterInstance`` in this process) is what makes a
scripted backfill identical to one launched from the UI: the webserver validates and stores it,
the daemon picks it up and submits the runs to the run queue. It also works against a remote
deployment, where this process has no access to the instance's storage.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_TIMEOUT_SECONDS = 60.0
# The daemons whose absence makes a backfill wait forever: they are what a backfill needs to run.
BACKFILL_DAEMONS = ("BACKFILL", "QUEUED_RUN_COORDINATOR")


class DagsterGraphQLError(RuntimeError):
    """The webserver answered with GraphQL errors or with an error type instead of a result."""


class CodeLocationLoadError(DagsterGraphQLError):
    """A code location failed to load; ``cause`` is the user's own error (the last of Dagster's chain)."""

    def __init__(self, location: str, message: str, cause: str) -> None:
        super().__init__(f"code location {location} failed to load: {cause or message}")
        self.location, self.message, self.cause = location, message, cause


class DagsterUnreachableError(RuntimeError):
    """No Dagster webserver answered at the URL (not started, wrong port, still starting)."""


@dataclass(frozen=True)
class LocationStatus:
    name: str
    loaded: bool
    error: str | None
    # The chain's last error (the user's exception with its message), when there is a chain.
    cause: str = ""


@dataclass(frozen=True)
class DaemonStatus:
    daemon_type: str
    required: bool
    healthy: bool | None


WORKSPACE_QUERY = """
query LiveWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message errorChain { error { message } } } }
      }
    }
    ... on PythonError { message }
  }
}
"""

DAEMONS_QUERY = """
query LiveDaemons {
  instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } }
}
"""


class DagsterGraphQL:
    """POSTs queries to ``<url>/graphql`` and unwraps the answer, raising on errors.

    One client per caller; close it (or use it as a context manager) to release the connection pool.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def __enter__(self) -> DagsterGraphQL:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of one GraphQL request; transport failures become :class:`DagsterUnreachableError`."""
        try:
            payload = {"query": query, "variables": dict(variables or {})}
            response = self._client.post(f"{self.url}/graphql", json=payload)
        except httpx.TransportError as error:
            raise DagsterUnreachableError(f"no Dagster webserver at {self.url}: {error}") from error
        if response.status_code >= 400 and "application/json" not in response.headers.get("content-type", ""):
            raise DagsterGraphQLError(f"{self.url}/graphql answered HTTP {response.status_code}: {response.text[:300]}")
        body = response.json()
        if body.get("errors"):
            messages = "; ".join(str(error.get("message")) for error in body["errors"])
            raise DagsterGraphQLError(f"GraphQL error from {self.url}: {messages}")
        return body["data"]

    # --- readiness ------------------------------------------------------------------------------
    def locations(self) -> list[LocationStatus]:
        workspace = self.execute(WORKSPACE_QUERY)["workspaceOrError"]
        if workspace["__typename"] != "Workspace":
            raise DagsterGraphQLError(f"the workspace could not be read: {workspace.get('message')}")
        statuses = []
        for entry in workspace["locationEntries"]:
            outcome = entry.get("locationOrLoadError") or {}
            error = outcome.get("message") if outcome.get("__typename") == "PythonError" else None
            loaded = entry["loadStatus"] == "LOADED" and error is None and bool(outcome)
            chain = [link["error"]["message"] for link in outcome.get("errorChain") or []]
            statuses.append(LocationStatus(entry["name"], loaded, error, chain[-1].strip() if chain else ""))
        return statuses

    def daemons(self) -> list[DaemonStatus]:
        statuses = self.execute(DAEMONS_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
        return [DaemonStatus(s["daemonType"], s["required"], s["healthy"]) for s in statuses]

    def wait_until_loaded(self, *, timeout: float = 180.0, poll: float = 0.25, alive: Any = None) -> None:
        """Wait until the webserver answers and every code location has loaded (or failed to).

        ``alive`` is an optional callable that raises when the process serving ``url`` has died, so
        that a crash shows at once instead of after the whole timeout.
        """
        deadline = time.monotonic() + timeout
        last_problem = "not started"
        while time.monotonic() < deadline:
            if alive is not None:
                alive()
            try:
                statuses = self.locations()
            except (DagsterUnreachableError, DagsterGraphQLError) as error:
                last_problem = str(error)
            else:
                failed = next((s for s in statuses if s.error), None)
                if failed is not None:
                    raise CodeLocationLoadError(failed.name, str(failed.error), failed.cause)
                if statuses and all(s.loaded for s in statuses):
                    return
                last_problem = "code locations still loading"
            time.sleep(poll)
        raise DagsterUnreachableError(f"Dagster at {self.url} not ready after {timeout:.0f} s ({last_problem})")

    def missing_daemons(self, required: Sequence[str] = BACKFILL_DAEMONS) -> list[str]:
        """The daemons a backfill needs that have no healthy heartbeat (empty when all is well)."""
        healthy = {status.daemon_type for status in self.daemons() if status.healthy}
        return [name for name in required if name not in healthy]

    def wait_for_daemons(self, *, timeout: float = 180.0, poll: float = 0.5, alive: Any = None) -> None:
        """Wait until the daemons a backfill needs report healthy heartbeats (``alive`` as above)."""
        deadline = time.monotonic() + timeout
        while missing := self.missing_daemons():
            if alive is not None:
                alive()
            if time.monotonic() > deadline:
                raise DagsterUnreachableError(f"daemons not healthy after {timeout:.0f} s: {', '.join(missing)}")
            time.sleep(poll)
