"""The bots file's validation: each mistake is named, and a secret pasted in its place is never echoed."""

from __future__ import annotations

import pytest

from live_assets.bots import parse_bots
from live_assets.settings import SettingsError

PASTED_TOKEN = "xt-9f8e7d6c.5b4a-secret"


def test_a_secret_pasted_instead_of_a_variable_name_is_refused_without_quoting_it() -> None:
    document = {"bots": [{"name": "alpha", "x_token_env": PASTED_TOKEN, "token_env": "ALPHA_TOKEN"}]}
    with pytest.raises(SettingsError) as caught:
        parse_bots(document)
    message = str(caught.value)
    assert "x_token_env must be the name of an environment variable" in message and "alpha" in message
    assert PASTED_TOKEN not in message and "secret" not in message


def test_variable_names_are_accepted() -> None:
    entry = {"name": "alpha", "x_token_env": "ALPHA_X_TOKEN", "token_env": "ALPHA_TOKEN", "start_date": "2026-01-01"}
    (bot,) = parse_bots({"bots": [entry]})
    assert bot.name == "alpha" and bot.x_token_env == "ALPHA_X_TOKEN"
