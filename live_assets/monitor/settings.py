"""The monitoring's settings: where alerts go (``LIVE_ALERT_URLS``) and where the UI is (``LIVE_DAGSTER_URL``).

Alert URLs often hold a secret (a Slack or Teams webhook's token, a mail password), so each is a
:class:`Secret`, and an error names the variable and the URL's position and scheme, never the URL.
Read in the run's process (``MonitorSettings.from_env(os.environ)``), as the API's secrets are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from live_assets.secret import Secret
from live_assets.settings import SettingsError, _parse_url, _text

ALERT_URLS_ENV: Final = "LIVE_ALERT_URLS"
DAGSTER_URL_ENV: Final = "LIVE_DAGSTER_URL"


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] + "://" if "://" in url else "(no scheme)"


def parse_alert_urls(name: str, value: str) -> tuple[Secret, ...]:
    """Apprise URLs separated by spaces or new lines; each must be one Apprise knows."""
    import apprise

    urls = []
    for position, url in enumerate(value.split(), start=1):
        if apprise.Apprise.instantiate(url) is None:
            raise SettingsError(
                f"{name}: URL #{position} ({_scheme(url)}) is not an Apprise URL it can send to "
                "(see https://github.com/caronc/apprise/wiki for the schemes)"
            )
        urls.append(Secret(url))
    return tuple(urls)


@dataclass(frozen=True)
class MonitorSettings:
    alert_urls: tuple[Secret, ...] = field(default=(), repr=False)
    dagster_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MonitorSettings:
        urls = _text(env, ALERT_URLS_ENV)
        dagster_url = _text(env, DAGSTER_URL_ENV)
        return cls(
            alert_urls=parse_alert_urls(ALERT_URLS_ENV, urls) if urls else (),
            dagster_url=_parse_url(DAGSTER_URL_ENV, dagster_url) if dagster_url else None,
        )
