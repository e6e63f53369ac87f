"""The report's settings: where the files go and which language they speak.

Read by the caller (the code location's builder, the command line) and passed in: nothing here reads
the environment at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from live_assets import contract
from live_assets.settings import _parse_lang, _text

REPORT_DIR_ENV: Final = "LIVE_REPORT_DIR"
REPORT_LANG_ENV: Final = "LIVE_REPORT_LANG"
EXPORT_LANG_ENV: Final = "LIVE_EXPORT_LANG"
DEFAULT_REPORT_DIR: Final = Path("data/reports")


@dataclass(frozen=True)
class ReportSettings:
    report_dir: Path = DEFAULT_REPORT_DIR
    lang: str = contract.DEFAULT_EXPORT_LANGUAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReportSettings:
        """``LIVE_REPORT_DIR``; ``LIVE_REPORT_LANG``, else the export's ``LIVE_EXPORT_LANG``, else ``es``."""
        lang = contract.DEFAULT_EXPORT_LANGUAGE
        for name in (EXPORT_LANG_ENV, REPORT_LANG_ENV):  # the later one wins
            value = _text(env, name)
            if value is not None:
                lang = _parse_lang(name, value)
        directory = _text(env, REPORT_DIR_ENV)
        return cls(report_dir=Path(directory) if directory else DEFAULT_REPORT_DIR, lang=lang)
