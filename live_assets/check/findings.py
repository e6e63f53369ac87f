"""What the connection check found, per endpoint or probe: a status and its evidence, printable and as JSON.

Evidence names fields, types, counts and the *shape* of a value (digits as ``9``, letters as ``a``),
never a value itself: the report is meant to be attached to a support request, so it holds no end-user
data (names, phones, messages) and no secret.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(enum.IntEnum):
    """Ordered by severity; the exit code is the worst status's value."""

    OK = 0
    WARNING = 1  # differs from the contract, but nothing is lost or misplaced
    MISMATCH = 2  # would lose or misplace data, or fail the load


@dataclass
class Finding:
    """One row of the report: an endpoint (or a probe), its status, what was measured and why."""

    name: str
    status: Status = Status.OK
    summary: str = ""
    evidence: list[str] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)

    def flag(self, status: Status, evidence: str) -> None:
        """Add ``evidence``, raising the status to ``status`` if it is worse."""
        self.status = max(self.status, status)
        self.evidence.append(f"{status.name.lower()}: {evidence}")


def shape_of(value: object) -> str:
    """A value's form without its content: ``2025-11-05T10:00:00+01:00`` → ``9999-99-99a99:99:99+99:99``."""
    text = re.sub(r"[A-Za-zÀ-ÿ]", "a", re.sub(r"[0-9]", "9", str(value)))
    return text if len(text) <= 32 else text[:32] + "…"


@dataclass
class Report:
    bot: str
    base_url: str
    day: str
    findings: list[Finding] = field(default_factory=list)
    estimate: dict[str, Any] = field(default_factory=dict)

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    @property
    def exit_code(self) -> int:
        return int(max((finding.status for finding in self.findings), default=Status.OK))

    def to_json(self) -> str:
        payload = asdict(self)
        for finding in payload["findings"]:
            finding["status"] = Status(finding["status"]).name
        payload["exit_code"] = self.exit_code
        return json.dumps(payload, indent=2, ensure_ascii=False, default=str)

    def render(self) -> str:
        """The table a person reads: one line per endpoint or probe, then its evidence, then the estimate."""
        width = max((len(finding.name) for finding in self.findings), default=10)
        lines = [f"Live API check of bot {self.bot!r} at {self.base_url} (sample day {self.day})", ""]
        for finding in self.findings:
            latency = finding.measured.get("latency_ms")
            timing = f"{latency:>7.0f} ms" if isinstance(latency, int | float) else " " * 10
            lines.append(f"{finding.name:<{width}}  {finding.status.name:<8}  {timing}  {finding.summary}")
            lines.extend(f"{'':<{width}}    - {line}" for line in finding.evidence)
        if self.estimate:
            lines += ["", self.estimate["summary"]]
            lines.extend(f"  {line}" for line in self.estimate["lines"])
        verdict = {0: "OK", 1: "warnings", 2: "mismatches"}[self.exit_code]
        lines += ["", f"Result: {verdict} (exit {self.exit_code})"]
        return "\n".join(lines)
