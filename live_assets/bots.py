"""Many bots side by side: the bots file, read at definition time, and each bot's settings at run time.

Without a bots file nothing changes: the one bot of the ``LIVE_*`` variables is used, named
``default``, and the partitions are the plain daily and weekly ones. With a file (``bots.yaml`` beside
``dagster.yaml``, that is in ``DAGSTER_HOME``, or wherever ``LIVE_BOTS_FILE`` points), each bot has a
name, the *names* of the environment variables holding its X-token and credentials (never the values:
the file can be committed or mounted from a config map, the secrets come from the secret store as
environment variables), its time zone and its first day::

    bots:
      - name: acme                          # the _bot value in every table, a partition of the bot dimension
        x_token_env: ACME_X_TOKEN
        email_env: ACME_EMAIL               # renewable credentials ...
        password_env: ACME_PASSWORD
        # token_env: ACME_TOKEN             # ... or a static token issued by the vendor
        timezone: Europe/Madrid
        start_date: 2025-01-01

The file is read when the code location loads, so a bot added to it appears on the next reload of the
code location (UI "Reload", or a restart), without a code change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from live_assets.settings import (
    LiveSettings,
    SettingsError,
    _parse_date,
    _parse_zone,
    _secret,
    _text,
    config_file_path,
    load_settings,
)

BOTS_FILE_ENV = "LIVE_BOTS_FILE"
BOTS_FILE_NAME = "bots.yaml"
# A bot's name is a partition key: no "|" (Dagster's multi-key
# separator), no commas, at most 63 characters (a tag key's name part).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class BotSpec:
    """One bot of the file: where its secrets are (variable names), its zone and first day."""

    name: str
    x_token_env: str
    timezone: str
    start_date: dt.date
    email_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None

    def settings(self, env: Mapping[str, str] | None = None, base: LiveSettings | None = None) -> LiveSettings:
        """The shared settings (URL, paths, retries) with this bot's secrets, zone and first day.

        Called in the run's process, so the secrets are read there and nowhere else.
        """
        source = os.environ if env is None else env
        shared = base or load_settings(dict(source), dotenv=False)
        settings = dataclasses.replace(
            shared,
            x_token=_secret(source, self.x_token_env),
            email=_text(source, self.email_env) if self.email_env else None,
            password=_secret(source, self.password_env) if self.password_env else None,
            token=_secret(source, self.token_env) if self.token_env else None,
            timezone=self.timezone,
            start_date=self.start_date,
        )
        if settings.x_token is None:
            raise SettingsError(f"bot {self.name!r}: {self.x_token_env} (its X-token) is not set")
        return settings


def bots_file_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``LIVE_BOTS_FILE`` if set (it must exist), else ``$DAGSTER_HOME/bots.yaml`` if present, else None."""
    return config_file_path(os.environ if env is None else env, BOTS_FILE_ENV, BOTS_FILE_NAME)


def _env_name(where: str, entry: Mapping[str, object], key: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise SettingsError(f"{where}: {key} (the name of an environment variable) is required")
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        # Not echoed: a value that is no variable name is most likely the secret itself, pasted in.
        raise SettingsError(
            f"{where}: {key} must be the name of an environment variable (letters, digits, '_'), "
            "not the value; put the value in that variable"
        )
    return value


def parse_bots(document: object, *, source: str = BOTS_FILE_NAME) -> tuple[BotSpec, ...]:
    """Validate a parsed bots file; every error names the file, the bot and the field."""
    if not isinstance(document, Mapping) or not isinstance(document.get("bots"), list) or not document["bots"]:
        raise SettingsError(f"{source}: expected a non-empty list under 'bots'")
    bots: list[BotSpec] = []
    for index, entry in enumerate(document["bots"]):
        where = f"{source}: bots[{index}]"
        if not isinstance(entry, Mapping):
            raise SettingsError(f"{where}: expected a mapping")
        name = str(entry.get("name", ""))
        if not _NAME.match(name):
            raise SettingsError(f"{where}: name must be letters, digits, '_', '.', '-' (at most 63), got {name!r}")
        where = f"{source}: bot {name!r}"
        if name in {bot.name for bot in bots}:
            raise SettingsError(f"{where}: listed twice")
        email_env = _env_name(where, entry, "email_env")
        password_env = _env_name(where, entry, "password_env")
        token_env = _env_name(where, entry, "token_env")
        if bool(email_env) != bool(password_env):
            raise SettingsError(f"{where}: give both email_env and password_env, or neither")
        if not email_env and not token_env:
            raise SettingsError(f"{where}: give email_env and password_env, or token_env")
        start = entry.get("start_date")
        bots.append(
            BotSpec(
                name=name,
                x_token_env=str(_env_name(where, entry, "x_token_env", required=True)),
                timezone=_parse_zone(f"{where}: timezone", str(entry.get("timezone", "UTC"))),
                start_date=start if isinstance(start, dt.date) else _parse_date(f"{where}: start_date", str(start)),
                email_env=email_env,
                password_env=password_env,
                token_env=token_env,
            )
        )
    return tuple(bots)


def load_bots(env: Mapping[str, str] | None = None) -> tuple[BotSpec, ...] | None:
    """The bots of the bots file, or None when there is no file (one-bot mode)."""
    path = bots_file_path(env)
    return None if path is None else load_bots_file(path)


def load_bots_file(path: Path) -> tuple[BotSpec, ...]:
    """The bots of the file at ``path``, validated."""
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML: {error}") from None
    return parse_bots(document, source=str(path))
