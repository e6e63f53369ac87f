"""The report's settings: where the files go, which language they speak, where they are sent, and the
folder of the user's own reports.

Read by the caller (the code location's builder, the command line) and passed in: nothing here reads
the environment at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from live_assets import contract
from live_assets.monitor.settings import parse_alert_urls
from live_assets.secret import Secret
from live_assets.settings import _parse_lang, _text

REPORT_DIR_ENV: Final = "LIVE_REPORT_DIR"
REPORT_LANG_ENV: Final = "LIVE_REPORT_LANG"
EXPORT_LANG_ENV: Final = "LIVE_EXPORT_LANG"
REPORT_URLS_ENV: Final = "LIVE_REPORT_URLS"
CUSTOM_REPORTS_DIR_ENV: Final = "LIVE_CUSTOM_REPORTS_DIR"
DEFAULT_REPORT_DIR: Final = Path("data/reports")


@dataclass(frozen=True)
class ReportSettings:
    report_dir: Path = DEFAULT_REPORT_DIR
    lang: str = contract.DEFAULT_EXPORT_LANGUAGE
    # Apprise URLs the reports are sent to: secrets, as the alert URLs (a mail password, a webhook token).
    report_urls: tuple[Secret, ...] = field(default=(), repr=False)
    custom_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReportSettings:
        """``LIVE_REPORT_DIR``; ``LIVE_REPORT_LANG``, else the export's ``LIVE_EXPORT_LANG``, else ``es``;
        ``LIVE_REPORT_URLS`` (space-separated Apprise URLs); ``LIVE_CUSTOM_REPORTS_DIR``."""
        lang = contract.DEFAULT_EXPORT_LANGUAGE
        for name in (EXPORT_LANG_ENV, REPORT_LANG_ENV):  # the later one wins
            value = _text(env, name)
            if value is not None:
                lang = _parse_lang(name, value)
        directory = _text(env, REPORT_DIR_ENV)
        urls = _text(env, REPORT_URLS_ENV)
        custom = _text(env, CUSTOM_REPORTS_DIR_ENV)
        return cls(
            report_dir=Path(directory) if directory else DEFAULT_REPORT_DIR,
            lang=lang,
            report_urls=parse_alert_urls(REPORT_URLS_ENV, urls) if urls else (),
            custom_dir=Path(custom) if custom else None,
        )
