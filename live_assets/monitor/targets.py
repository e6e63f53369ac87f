"""Service-level targets: defaults, per-group and per-bot overrides, from one YAML file.

The file (``LIVE_TARGETS_FILE``, default ``$DAGSTER_HOME/targets.yaml``; no file = the defaults
below) is read when the code location loads, so a malformed one fails the load with the file, line and
key at fault rather than a run hours later. Example: ``deploy/targets.example.yaml``::

    defaults:                    # every group of every bot
      sla_pct_min: 80            # SLA % at least (docs/kpis.md: within threshold / offered)
      abandonment_pct_max: 10    # abandonment % at most
      wait_p90_s_max: 120        # p90 of the wait of attended conversations, seconds, at most
      min_offered: 20            # judge a group only from this many offered conversations
    groups:                      # by the group's name (case-insensitive) or, unquoted, its id
      Billing: {sla_pct_min: 85}
      42: {wait_p90_s_max: 60}
    bots:                        # a bot of the bots file (or "default", the one bot without one)
      support:
        defaults: {sla_pct_min: 70}
        groups:
          VIP: {sla_pct_min: 95, abandonment_pct_max: null}   # null: no target for that metric

The most specific setting wins, metric by metric: the bot's entry for the group, then the group's
entry, then the bot's defaults, then the file's defaults, then the built-in ones (SLA 80 %, 20 offered).
A group is matched by id first, then by name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import yaml

from live_assets.settings import SettingsError, _text

TARGETS_FILE_ENV: Final = "LIVE_TARGETS_FILE"
TARGETS_FILE_NAME: Final = "targets.yaml"
DEFAULT_SLA_PCT_MIN: Final = 80.0
DEFAULT_MIN_OFFERED: Final = 20

# The metrics a target can be set on, each with the KPI column it judges and its direction.
METRIC_KEYS: Final = ("sla_pct_min", "abandonment_pct_max", "wait_p90_s_max")
SETTING_KEYS: Final = (*METRIC_KEYS, "min_offered")
_PERCENT_KEYS: Final = ("sla_pct_min", "abandonment_pct_max")


class TargetsError(SettingsError):
    """The targets file is malformed; the message names the file, the line and the key."""


@dataclass(frozen=True)
class GroupTargets:
    """The targets that apply to one group of one bot; a metric with no target is None."""

    sla_pct_min: float | None = DEFAULT_SLA_PCT_MIN
    abandonment_pct_max: float | None = None
    wait_p90_s_max: float | None = None
    min_offered: int = DEFAULT_MIN_OFFERED


# One level of the file: only the settings it names (a None value clears a target).
Overrides = Mapping[str, float | int | None]


@dataclass(frozen=True)
class BotTargets:
    defaults: Overrides = field(default_factory=dict)
    groups_by_id: Mapping[int, Overrides] = field(default_factory=dict)
    groups_by_name: Mapping[str, Overrides] = field(default_factory=dict)

    def group(self, group_id: int | None, group_name: str | None) -> Overrides:
        if group_id is not None and group_id in self.groups_by_id:
            return self.groups_by_id[group_id]
        if group_name is not None:
            return self.groups_by_name.get(group_name.casefold(), {})
        return {}


@dataclass(frozen=True)
class Targets:
    """Every target of the file, resolved per bot and group by :meth:`for_group`."""

    everywhere: BotTargets = field(default_factory=BotTargets)
    bots: Mapping[str, BotTargets] = field(default_factory=dict)
    source: str = "built-in defaults"

    def for_group(self, bot: str, group_id: int | None, group_name: str | None) -> GroupTargets:
        own = self.bots.get(bot, BotTargets())
        resolved = GroupTargets()
        for level in (
            self.everywhere.defaults,
            own.defaults,
            self.everywhere.group(group_id, group_name),
            own.group(group_id, group_name),
        ):
            resolved = dataclasses.replace(resolved, **level)  # type: ignore[arg-type]
        return resolved


def targets_file_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``LIVE_TARGETS_FILE`` if set (it must exist), else ``$DAGSTER_HOME/targets.yaml`` if present, else None."""
    source = os.environ if env is None else env
    explicit = _text(source, TARGETS_FILE_ENV)
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{TARGETS_FILE_ENV} points at {path}, which is not a file")
        return path
    home = _text(source, "DAGSTER_HOME")
    if home is not None and (Path(home) / TARGETS_FILE_NAME).is_file():
        return Path(home) / TARGETS_FILE_NAME
    return None


def load_targets(path: Path | None, *, known_bots: Collection[str] | None = None) -> Targets:
    """The targets of ``path``, or the built-in defaults when it is None.

    With ``known_bots`` (the bots file's names), a bot the file names but nobody runs is an error: a
    misspelt bot would otherwise silently keep the defaults.
    """
    if path is None:
        return Targets()
    return parse_targets(path.read_text(encoding="utf-8"), source=str(path), known_bots=known_bots)


class _Reader:
    """Walks the YAML node tree, so that every error can cite the line of the node at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, key: str, problem: str) -> TargetsError:
        mark = node.start_mark
        return TargetsError(f"{self.source}, line {mark.line + 1}, column {mark.column + 1}: {key}: {problem}")

    def mapping(self, node: yaml.Node, key: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, "expected a mapping")
        pairs: list[tuple[yaml.ScalarNode, yaml.Node]] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, key, "a key must be a plain name or number")
            if key_node.value in seen:
                raise self.fail(key_node, f"{key}.{key_node.value}", "given twice")
            seen.add(key_node.value)
            pairs.append((key_node, value_node))
        return pairs

    def only(self, pairs: list[tuple[yaml.ScalarNode, yaml.Node]], key: str, allowed: tuple[str, ...]) -> None:
        for key_node, _ in pairs:
            if key_node.value not in allowed:
                where = f"{key}.{key_node.value}" if key else key_node.value
                raise self.fail(key_node, where, f"unknown key (expected one of {', '.join(allowed)})")

    def overrides(self, node: yaml.Node, key: str) -> Overrides:
        pairs = self.mapping(node, key)
        self.only(pairs, key, SETTING_KEYS)
        return {key_node.value: self.setting(value_node, f"{key}.{key_node.value}") for key_node, value_node in pairs}

    def setting(self, node: yaml.Node, key: str) -> float | int | None:
        name = key.rsplit(".", 1)[-1]
        value = yaml.constructor.SafeConstructor().construct_object(node) if isinstance(node, yaml.ScalarNode) else node
        if value is None and name != "min_offered":
            return None
        if name == "min_offered":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(node, key, f"expected a whole number of at least 0, got {_shown(node)}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(node, key, f"expected a number of at least 0 (or null for no target), got {_shown(node)}")
        if name in _PERCENT_KEYS and value > 100:
            raise self.fail(node, key, f"a percentage is at most 100, got {value}")
        return float(value)

    def groups(self, node: yaml.Node, key: str) -> tuple[dict[int, Overrides], dict[str, Overrides]]:
        by_id: dict[int, Overrides] = {}
        by_name: dict[str, Overrides] = {}
        for key_node, value_node in self.mapping(node, key):
            where = f"{key}.{key_node.value}"
            overrides = self.overrides(value_node, where)
            if key_node.tag == "tag:yaml.org,2002:int":
                by_id[int(key_node.value)] = overrides
            else:
                name = key_node.value.strip().casefold()
                if not name or name in by_name:
                    raise self.fail(key_node, where, "a group's name must be non-empty and given once")
                by_name[name] = overrides
        return by_id, by_name

    def level(self, pairs: list[tuple[yaml.ScalarNode, yaml.Node]], prefix: str) -> BotTargets:
        values = {key_node.value: value_node for key_node, value_node in pairs}
        defaults = self.overrides(values["defaults"], f"{prefix}defaults") if "defaults" in values else {}
        by_id, by_name = self.groups(values["groups"], f"{prefix}groups") if "groups" in values else ({}, {})
        return BotTargets(defaults=defaults, groups_by_id=by_id, groups_by_name=by_name)


def _shown(node: yaml.Node) -> str:
    return repr(node.value) if isinstance(node, yaml.ScalarNode) else "a " + type(node).__name__.removesuffix("Node")


def parse_targets(text: str, *, source: str = TARGETS_FILE_NAME, known_bots: Collection[str] | None = None) -> Targets:
    """Validate a targets file's text; every error names ``source``, the line and the key."""
    reader = _Reader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise TargetsError(f"{source}{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if root is None:
        return Targets(source=source)
    pairs = reader.mapping(root, "(top level)")
    reader.only(pairs, "", ("defaults", "groups", "bots"))
    everywhere = reader.level(pairs, "")
    bots: dict[str, BotTargets] = {}
    for key_node, value_node in pairs:
        if key_node.value != "bots":
            continue
        for bot_node, bot_value in reader.mapping(value_node, "bots"):
            if known_bots is not None and bot_node.value not in known_bots:
                raise reader.fail(bot_node, f"bots.{bot_node.value}", f"no such bot (known: {', '.join(known_bots)})")
            bot_pairs = reader.mapping(bot_value, f"bots.{bot_node.value}")
            reader.only(bot_pairs, f"bots.{bot_node.value}", ("defaults", "groups"))
            bots[bot_node.value] = reader.level(bot_pairs, f"bots.{bot_node.value}.")
    return Targets(everywhere=everywhere, bots=bots, source=source)
