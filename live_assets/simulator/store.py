"""The conversations every endpoint reads, generated once per (bot, day) and kept in a bounded cache.

Selection applies, in order: the range (by ``queueddatetime``, bisected within each day), the
"not real-time" rule (a conversation is visible once the bot's wall clock reaches its ``visible_at``)
and the filters. Every endpoint selects through :meth:`DataStore.select`, so they all see the same
conversations and agree to the unit.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from live_assets.simulator.aggregate import matches
from live_assets.simulator.config import BotProfile, SimulatorConfig
from live_assets.simulator.generate import IDS_PER_DAY, Conversation, day_of_conversation, generate_day
from live_assets.simulator.late import with_late_data
from live_assets.simulator.params import DateRange, Filters
from live_assets.simulator.world import World, build_world


@dataclass
class DayData:
    conversations: tuple[Conversation, ...]
    queued: list[dt.datetime]  # for bisecting a partial day
    last_visible_at: dt.datetime | None  # when the whole day has appeared
    csv_rows: dict[str, list[bytes]] = field(default_factory=dict)  # per export language, filled lazily
    # Where each conversation sits when late data broke "id = day's rank" (None: it holds).
    positions: dict[int, int] | None = None

    def position(self, conversation_id: int) -> int:
        if self.positions is None:
            return conversation_id % IDS_PER_DAY - 1
        return self.positions.get(conversation_id, len(self.conversations))


def now_in_zone(now_utc: dt.datetime, bot: BotProfile) -> dt.datetime:
    """The bot's current wall-clock time (naive), the reference of the "not real-time" rule."""
    return now_utc.astimezone(bot.zone).replace(tzinfo=None)


class DataStore:
    def __init__(self, config: SimulatorConfig, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._config = config
        self._clock = clock or (lambda: config.now or dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        self._days: OrderedDict[tuple[int, dt.date], DayData] = OrderedDict()
        self._worlds: dict[int, World] = {}
        self._cached = 0  # conversations held by ``_days``

    def world(self, bot: BotProfile) -> World:
        with self._lock:
            found = self._worlds.get(bot.index)
        if found is None:
            found = build_world(bot.seed, self._config.agents_per_bot)
            with self._lock:
                self._worlds[bot.index] = found
        return found

    def now(self, bot: BotProfile) -> dt.datetime:
        return now_in_zone(self._clock(), bot)

    def day(self, bot: BotProfile, day: dt.date) -> DayData:
        key = (bot.index, day)
        with self._lock:
            found = self._days.get(key)
            if found is not None:
                self._days.move_to_end(key)
                return found
        conversations = generate_day(
            bot.seed, bot.bot_id, self.world(bot), day, self._config.conversations_per_day, self._config.degraded
        )
        if self._config.late is not None:
            conversations = with_late_data(conversations, self._config.late, bot.seed)
        data = DayData(
            conversations=conversations,
            queued=[c.queued for c in conversations],
            last_visible_at=max((c.visible_at for c in conversations), default=None),
            positions=None if self._config.late is None else {c.id: i for i, c in enumerate(conversations)},
        )
        with self._lock:
            if key not in self._days:
                self._days[key] = data
                self._cached += len(conversations)
            while self._cached > self._config.cache_conversations and len(self._days) > 1:
                _, evicted = self._days.popitem(last=False)
                self._cached -= len(evicted.conversations)
        return data

    def select_indexed(
        self, bot: BotProfile, window: DateRange, filters: Filters
    ) -> list[tuple[DayData, int, Conversation]]:
        """Visible conversations in ``window`` passing ``filters``, in list order, with their day and index."""
        now = self.now(bot)
        out: list[tuple[DayData, int, Conversation]] = []
        no_filter = filters == Filters()
        for day in window.days():
            data = self.day(bot, day)
            low = bisect.bisect_left(data.queued, window.start) if day == window.start.date() else 0
            high = bisect.bisect_right(data.queued, window.end) if day == window.end.date() else len(data.queued)
            all_visible = data.last_visible_at is not None and data.last_visible_at <= now
            for index in range(low, high):
                conversation = data.conversations[index]
                if (all_visible or conversation.visible_at <= now) and (no_filter or matches(conversation, filters)):
                    out.append((data, index, conversation))
        return out

    def select(self, bot: BotProfile, window: DateRange, filters: Filters) -> list[Conversation]:
        return [conversation for _, _, conversation in self.select_indexed(bot, window, filters)]

    def find(self, bot: BotProfile, conversation_id: int) -> Conversation | None:
        """A visible conversation by id, or None (unknown ids and not-yet-visible ones alike)."""
        day = day_of_conversation(conversation_id)
        if day is None or not dt.date.min < day < dt.date.max:
            return None
        data = self.day(bot, day)
        index = data.position(conversation_id)
        if not 0 <= index < len(data.conversations):
            return None
        conversation = data.conversations[index]
        return conversation if conversation.visible_at <= self.now(bot) else None
