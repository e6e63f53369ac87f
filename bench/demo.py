"""``make demo`` on a fresh clone: the wall seconds of ``python -m live_assets.devtools.demo`` after the install.

The project's committed tree is cloned into a new folder (no ``.dagster_home``, no data, no ``.env``, no
token cache: what a newcomer has), and the demo runs there with this interpreter (the installed
environment: the install is not part of the figure), its own folder first on ``PYTHONPATH``, on every
core of the machine and with no ``LIVE_*`` or ``DAGSTER_*`` variable of the caller's::

    .venv/bin/python -m bench.demo [--days 14] [--dir /tmp/demo-clone]

``python -m bench --demo`` adds the figure to its block.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from live_assets.devtools.stack import PROJECT_DIR

DEMO_MODULE = "live_assets.devtools.demo"
CALLER_PREFIXES = ("LIVE_", "DAGSTER_")


@dataclass(frozen=True)
class DemoRun:
    """One demo on a fresh clone: its wall time, exit code and the commit it ran."""

    seconds: float
    returncode: int
    commit: str
    days: int | None  # None: the demo's default


def clean_environment(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CALLER_PREFIXES) and k != "PYTHONPATH"}
    return env | {"PYTHONPATH": str(clone)}


def measure_demo(
    work: Path, *, days: int | None = None, prefix: Sequence[str] = (), timeout: float = 1800.0
) -> DemoRun:
    """Clone the project into ``work/clone`` (replacing an earlier one) and time the demo there."""
    clone = work / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True, timeout=300)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    command = [*prefix, sys.executable, "-m", DEMO_MODULE, *(["--days", str(days)] if days else [])]
    with (work / "demo.log").open("wb") as log:
        began = time.monotonic()
        done = subprocess.run(
            command, cwd=clone, env=clean_environment(clone), stdout=log, stderr=subprocess.STDOUT, timeout=timeout
        )
        seconds = time.monotonic() - began
    return DemoRun(seconds, done.returncode, commit, days)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, help="the demo's --days (default: the demo's own default)")
    parser.add_argument("--dir", type=Path, help="where the clone goes (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="live-demo-"))
    try:
        run = measure_demo(work, days=args.days)
        if run.returncode != 0:
            print((work / "demo.log").read_text(errors="replace")[-4000:], file=sys.stderr)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"make demo on a fresh clone of {run.commit}: {run.seconds:.1f} s after the install (exit {run.returncode})")
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
