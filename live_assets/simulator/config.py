"""The simulator's configuration: one frozen object shared by the command line, the fixtures and the app.

Everything that makes one simulated API differ from another (seed, volume, zones, accounts, knobs)
is a field here, so that a test states its whole setup in one ``SimulatorConfig(...)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from live_assets import contract
from live_assets.simulator.stablehash import stable_int

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"
DEMO_X_TOKEN = "demo-x-token"
# A registered user linked to every bot but without the Reports permission (403 FORBIDDEN).
VIEWER_EMAIL = "viewer@example.com"
VIEWER_PASSWORD = "viewer"
# A bot that exists but that no default user is linked to (403 FORBIDDEN, "not linked").
FOREIGN_X_TOKEN = "foreign-x-token"
FIRST_BOT_ID = 101
DEFAULT_AGENTS = 12
# Ids hold a day's rank below 1,000,000 (generate.IDS_PER_DAY); busy days run 11 % above the average.
MAX_CONVERSATIONS_PER_DAY = 800_000
CONVERSATIONS_PER_EXTRA_AGENT = 150  # volumes above 12 * 250 a day get more agents, to keep the queue sane


@dataclass(frozen=True)
class UserAccount:
    """A user of the vendor's console: credentials, the Reports permission and the bots it is linked to."""

    email: str
    password: str = field(repr=False)
    reports_permission: bool = True
    # None links the user to every served bot (not to the foreign one).
    x_tokens: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BotProfile:
    """One simulated bot: its X-token, its id in the data, its zone and the seed of its data."""

    index: int
    bot_id: int
    x_token: str
    timezone: str
    seed: int

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Degradation:
    """One group served badly for a stretch of every day: its conversations queued in ``[start, end)`` wait
    ``extra_wait_s`` more before an agent can take them, so they wait longer and more of them give up.

    ``surge_per_hour`` more conversations of the group arrive during the stretch (a campaign, an outage
    elsewhere), on ``surge_on`` only (None: every day): enough volume to judge the stretch even at
    night, when the day so far holds a handful."""

    group_id: int
    start: dt.time
    end: dt.time
    extra_wait_s: int = 600
    surge_per_hour: int = 0
    surge_on: dt.date | None = None

    def __post_init__(self) -> None:
        if not self.start < self.end or self.extra_wait_s < 0 or self.surge_per_hour < 0:
            raise ValueError(f"a degradation needs start < end, extra_wait_s >= 0 and surge_per_hour >= 0, got {self}")

    def surge_arrivals(self, day: dt.date, rng_random: Callable[[], float]) -> list[int]:
        """The surge's queue-entry times on ``day`` (seconds since midnight), evenly likely over the
        stretch, sorted; none on a day without it."""
        if self.surge_on not in (None, day):
            return []
        start = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        end = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        count = round(self.surge_per_hour * (end - start) / 3600)
        return sorted(start + int(rng_random() * (end - start)) for _ in range(count))

    def applies(self, group_id: int, seconds_of_day: int) -> bool:
        start = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        end = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return group_id == self.group_id and start <= seconds_of_day < end


@dataclass(frozen=True)
class LateData:
    """Data a past day gains after its first read (``simulator/late.py``): a share of its conversations
    served again under new ids, and a share of its surveys with another value and comment."""

    added_share: float = 0.05
    changed_survey_share: float = 0.2

    def __post_init__(self) -> None:
        if not (0.0 <= self.added_share <= 1.0 and 0.0 <= self.changed_survey_share <= 1.0):
            raise ValueError(f"late data shares must be between 0 and 1, got {self}")


@dataclass(frozen=True)
class SimulatorConfig:
    """Every knob of the simulator; the defaults are the demo set-up of the README."""

    seed: int = 7
    conversations_per_day: int = 300  # weekday average; weekends are lower
    timezone: str = contract.DEFAULT_TIMEZONE  # every bot's zone unless ``bot_timezones`` says otherwise
    token_ttl: float = contract.TOKEN_TTL_SECONDS
    latency_ms: float = 0.0  # base latency of every data request
    latency_per_row_us: float = 0.0  # extra latency per row returned
    fault_rate: float = 0.0  # share of data requests answered with a random gateway fault
    email: str = DEMO_EMAIL
    password: str = field(default=DEMO_PASSWORD, repr=False)
    x_token: str = field(default=DEMO_X_TOKEN, repr=False)
    bots: int = 1  # bots 2.. get X-tokens "<x_token>-2", "<x_token>-3", ... and their own data
    bot_timezones: tuple[str, ...] = ()  # zone of bot 1, 2, ... (missing entries use ``timezone``)
    users: tuple[UserAccount, ...] | None = None  # None: the demo user, the viewer and nothing else
    now: dt.datetime | None = None  # freeze the data clock (an aware instant); None is the real clock
    agents: int | None = None  # agents per bot; None scales with the volume (12 at the demo volume)
    degraded: Degradation | None = None  # one group served badly for a stretch of every day
    late: LateData | None = None  # every day as it is once late conversations and changed surveys came
    # Conversations kept generated in memory (about 2 KB each): 90 days at 3,000 a day fit.
    cache_conversations: int = 250_000
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    log_level: str = "warning"

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, got {self.fault_rate}")
        if not 0 <= self.conversations_per_day <= MAX_CONVERSATIONS_PER_DAY:
            raise ValueError(f"conversations_per_day must be between 0 and {MAX_CONVERSATIONS_PER_DAY}")
        if self.bots < 1:
            raise ValueError("bots must be at least 1")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        for zone in (self.timezone, *self.bot_timezones):
            ZoneInfo(zone)  # raises on an unknown zone

    @property
    def agents_per_bot(self) -> int:
        if self.agents is not None:
            return self.agents
        return max(DEFAULT_AGENTS, -(-self.conversations_per_day // CONVERSATIONS_PER_EXTRA_AGENT))

    def bot_profiles(self) -> tuple[BotProfile, ...]:
        """The served bots, in order; bot 1 uses ``x_token`` itself."""
        profiles = []
        for index in range(1, self.bots + 1):
            x_token = self.x_token if index == 1 else f"{self.x_token}-{index}"
            zone = self.bot_timezones[index - 1] if index <= len(self.bot_timezones) else self.timezone
            profiles.append(
                BotProfile(
                    index=index,
                    bot_id=FIRST_BOT_ID + index - 1,
                    x_token=x_token,
                    timezone=zone,
                    seed=stable_int(self.seed, "bot", index),
                )
            )
        return tuple(profiles)

    def foreign_bot(self) -> BotProfile:
        """A bot that exists on the platform but that no default user may read."""
        return BotProfile(
            index=0,
            bot_id=FIRST_BOT_ID - 1,
            x_token=FOREIGN_X_TOKEN,
            timezone=self.timezone,
            seed=stable_int(self.seed, "bot", "foreign"),
        )

    def accounts(self) -> tuple[UserAccount, ...]:
        if self.users is not None:
            return self.users
        return (
            UserAccount(self.email, self.password, reports_permission=True),
            UserAccount(VIEWER_EMAIL, VIEWER_PASSWORD, reports_permission=False),
        )
