"""Launch one job run through a running Dagster webserver and wait for it, as the UI's "Launch run" does.

The run goes through the instance's run queue like a schedule's run: the tags given here are the ones a
schedule's ``RunRequest`` would carry (``dagster/priority`` for today's refresh).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from live_assets.backfill.graphql import DagsterGraphQL, DagsterGraphQLError
from live_assets.backfill.submit import FINISHED_RUN_STATUSES, RunInfo, parse_run

REPOSITORIES_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }
"""

LAUNCH_RUN = """
mutation LiveLaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_QUERY = """
query LiveRun($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status creationTime startTime endTime assetSelection { path } }
    ... on PythonError { message }
  }
}
"""


def repository_of(client: DagsterGraphQL) -> tuple[str, str]:
    """The (code location, repository) names of the webserver's first repository: the project's."""
    nodes = client.execute(REPOSITORIES_QUERY)["repositoriesOrError"]["nodes"]
    if not nodes:
        raise DagsterGraphQLError(f"{client.url} serves no repository")
    return nodes[0]["location"]["name"], nodes[0]["name"]


def launch_job(client: DagsterGraphQL, job: str, *, tags: Mapping[str, str], partition_key: str | None = None) -> str:
    """Queue one run of ``job`` (of one bot's partition with a bots file) with ``tags``; its run id."""
    location, repository = repository_of(client)
    all_tags = {**tags, **({"dagster/partition": partition_key} if partition_key is not None else {})}
    params = {
        "selector": {"repositoryLocationName": location, "repositoryName": repository, "jobName": job},
        "mode": "default",
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in sorted(all_tags.items())]},
    }
    outcome = client.execute(LAUNCH_RUN, {"executionParams": params})["launchRun"]
    if outcome["__typename"] != "LaunchRunSuccess":
        raise DagsterGraphQLError(f"the webserver refused a run of {job} ({outcome['__typename']}): {outcome}")
    return str(outcome["run"]["runId"])


def run_info(client: DagsterGraphQL, run_id: str) -> RunInfo:
    outcome = client.execute(RUN_QUERY, {"runId": run_id})["runOrError"]
    if outcome["__typename"] != "Run":
        raise DagsterGraphQLError(f"run {run_id}: {outcome.get('message', outcome['__typename'])}")
    return parse_run(outcome)


def wait_for_run(
    client: DagsterGraphQL,
    run_id: str,
    *,
    timeout: float,
    poll: float = 0.5,
    alive: Callable[[], None] | None = None,
) -> RunInfo:
    """Poll the run until it has ended (``alive`` raises if a process the caller started has died)."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        info = run_info(client, run_id)
        if info.status in FINISHED_RUN_STATUSES:
            return info
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} not finished after {timeout:.0f} s (status {info.status})")
        time.sleep(poll)
