"""Run the simulator on a real uvicorn server in a background thread (tests) or in the foreground (CLI).

The listening socket is bound before uvicorn starts, so port 0 gives a free port that is known at
once; readiness is a ``threading.Event`` set by uvicorn's own startup, never a sleep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from live_assets.simulator.app import SimulatorApp
from live_assets.simulator.config import SimulatorConfig
from live_assets.simulator.params import DateRange, Filters

STARTUP_TIMEOUT_SECONDS = 30.0


class _Server(uvicorn.Server):
    """uvicorn's server, signalling an event once it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class SimulatorServer:
    """The simulated Live API on ``base_url``; a context manager, or ``start()``/``stop()``.

    The helper methods act on the running app directly (same process), equivalent to ``/_sim/...``.
    """

    def __init__(self, config: SimulatorConfig | None = None, **overrides: Any) -> None:
        base = config or SimulatorConfig()
        self.config = dataclasses.replace(base, **overrides)
        self.app = SimulatorApp(self.config)
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def _uvicorn(self) -> _Server:
        return _Server(
            uvicorn.Config(
                self.app,
                log_level=self.config.log_level,
                # No dictConfig of the process's logging (tests capture the root logger; uvicorn's own
                # config would detach its loggers), and no access log: nothing of a request is logged.
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
            )
        )

    def start(self) -> SimulatorServer:
        if self._thread is not None:
            return self
        self._socket = bind_socket(self.config.host, self.config.port)
        self._server = self._uvicorn()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="live-api-simulator", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(STARTUP_TIMEOUT_SECONDS) or not self._thread.is_alive():
            self.stop()
            raise RuntimeError("the simulator did not start")
        return self

    def wait(self) -> None:
        """Block until the server stops (the command line waits here for Ctrl-C)."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the simulator is not running")
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # --- test helpers ------------------------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        return self.app.counters.snapshot()

    def reset_counters(self) -> None:
        self.app.counters.reset()

    def wait_until_in_flight(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests are being served at once: lets a test act while one is in flight."""
        return self.app.counters.wait_in_flight(count, timeout)

    def schedule_fault(self, path: str, kind: str, times: int = 1) -> None:
        self.app.faults.schedule(str(path), kind, times)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def expire_tokens(self) -> None:
        self.app.auth.expire_all()

    def issue_token(self, email: str, ttl: float) -> str:
        """A token "handed out by the vendor" (the ``Authorization`` value), valid ``ttl`` seconds."""
        return self.app.auth.issue(email, ttl)

    def x_tokens(self) -> list[str]:
        """The X-tokens of the served bots, bot 1 first."""
        return [bot.x_token for bot in self.config.bot_profiles()]

    def conversations(self, day: dt.date, bot_x_token: str | None = None) -> list[dict[str, Any]]:
        """The conversations of ``day`` exactly as the list endpoint returns them now (visible ones)."""
        bot = self.app.auth.bots[bot_x_token or self.config.x_token]
        window = DateRange(dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time(23, 59, 59)))
        return [c.payload() for c in self.app.store.select(bot, window, Filters())]
