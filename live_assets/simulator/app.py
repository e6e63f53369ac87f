"""The simulator's ASGI application: the vendor's HTTP behaviour around the pure handlers.

Plain ASGI rather than a framework, because the faults need control below a framework's reach:
dropping a connection without a response, or sending a full ``Content-Length`` and then half a body.

For a data request, in order: counters, an entry fault (gateway errors, 429, drop), the token (401),
one request in flight per token (429 + ``Retry-After``), the X-Token (403), the handler (400/404/200),
the latency (``asyncio.sleep``: the event loop is never blocked), then a response fault.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from live_assets import contract
from live_assets.contract import ErrorCode
from live_assets.simulator import faults
from live_assets.simulator.auth import Auth
from live_assets.simulator.config import SimulatorConfig
from live_assets.simulator.counters import Counters
from live_assets.simulator.csv_export import join_lines
from live_assets.simulator.endpoints import HANDLERS, Reply, dumps
from live_assets.simulator.errors import ApiError
from live_assets.simulator.faults import FaultError, FaultPlan
from live_assets.simulator.store import DataStore

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SIM_PREFIX = "/_sim"
CONCURRENCY_RETRY_AFTER = 1  # seconds a client should wait when its token is busy
MAX_BODY_BYTES = 1 << 20
log = logging.getLogger("live_assets.simulator")


class _ConnectionDropped(Exception):
    """The response was deliberately cut; no status to count."""


class _QuietUnfinishedResponses(logging.Filter):
    """uvicorn logs an error when an app leaves a response unfinished; ours do it on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietUnfinishedResponses())


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _query(scope: Scope) -> dict[str, str]:
    """Query parameters; for a repeated parameter the first value wins."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
    query: dict[str, str] = {}
    for name, value in pairs:
        query.setdefault(name, value)
    return query


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(ErrorCode.INVALID_PARAMETER, "Request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _error_reply(error: ApiError) -> Reply:
    return Reply(error.status, error.body(), headers=dict(error.headers))


async def _send(send: Send, reply: Reply) -> None:
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.content_type:
        headers.append((b"content-type", reply.content_type.encode()))
    headers.extend((name.lower().encode(), value.encode()) for name, value in reply.headers.items())
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


async def _close_connection(send: Send) -> None:
    """Close the client's connection now, flushing what was already written (uvicorn's transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:  # not uvicorn's own send: let the server close it after an unfinished response
        return
    transport.close()
    for _ in range(50):  # let the server notice before the app returns, so it does not answer a 500
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)


async def _drop(send: Send) -> None:
    await _close_connection(send)
    raise _ConnectionDropped


async def _truncate(send: Send, reply: Reply) -> None:
    """Headers with the full ``Content-Length``, then part of the body, then the connection closes."""
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.content_type:
        headers.append((b"content-type", reply.content_type.encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body[: len(reply.body) // 2], "more_body": True})
    await _close_connection(send)
    raise _ConnectionDropped


class SimulatorApp:
    """The whole simulated API for one configuration."""

    def __init__(self, config: SimulatorConfig, now: Callable[[], dt.datetime] | None = None) -> None:
        self.config = config
        self.auth = Auth(config)
        self.store = DataStore(config, now)
        self.counters = Counters()
        self.faults = FaultPlan(config.seed, config.fault_rate)
        self._busy: Counter[str] = Counter()  # requests in flight per token, for the one-at-a-time rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith(SIM_PREFIX):
            try:
                reply = await self._sim(scope["method"], path, receive)
            except ApiError as error:
                reply = _error_reply(error)
            await _send(send, reply)
            return
        await self._serve_api(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- the API ---------------------------------------------------------------------------------
    async def _serve_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        began = time.perf_counter()
        path, method = scope["path"], scope["method"]
        headers = _headers(scope)
        is_data = path in HANDLERS and method == "GET"
        token = headers.get(contract.AUTH_HEADER.lower()) if is_data else None
        bot = headers.get(contract.X_TOKEN_HEADER.lower()) if is_data else None
        self.counters.begin(path, token, login=path == contract.LOGIN_PATH, bot=bot)
        status: int | None = None
        try:
            if is_data:
                status = await self._data(path, headers, _query(scope), token, send)
            else:
                reply = await self._other(method, path, receive)
                await _send(send, reply)
                status = reply.status
        except _ConnectionDropped:
            status = None
        finally:
            self.counters.end(path, token, status, time.perf_counter() - began, bot=bot)

    async def _other(self, method: str, path: str, receive: Receive) -> Reply:
        if path == contract.LOGIN_PATH and method == "POST":
            try:
                return self._login(await _read_body(receive))
            except ApiError as error:
                return _error_reply(error)
        return _error_reply(ApiError(ErrorCode.NOT_FOUND, f"No route for {method} {path}"))

    def _login(self, body: bytes) -> Reply:
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            raise ApiError(ErrorCode.INVALID_PARAMETER, "The body must be a JSON object") from None
        if not isinstance(payload, dict):
            raise ApiError(ErrorCode.INVALID_PARAMETER, "The body must be a JSON object")
        for name in ("email", "password"):
            if not isinstance(payload.get(name), str):
                raise ApiError(ErrorCode.MISSING_PARAMETER, f"The field '{name}' is required", {"parameter": name})
        token = self.auth.login(payload["email"], payload["password"])
        answer = {contract.AUTH_HEADER: token, contract.LOGIN_EXPIRES_IN_FIELD: round(self.config.token_ttl)}
        return Reply(200, dumps(answer))

    async def _data(
        self, path: str, headers: Mapping[str, str], query: Mapping[str, str], token: str | None, send: Send
    ) -> int:
        kind, detail = self.faults.take_entry(path)
        if kind is not None and kind != "truncate":
            self.counters.fault(kind)
            return await self._entry_fault(kind, detail, send)
        if token is not None:
            self._busy[token] += 1
        try:
            reply = await self._api_reply(path, headers, query, token)
            if kind is None and reply.status == 200:
                kind = self.faults.take_response(path)
            if kind is not None:
                self.counters.fault(kind)
                if kind == "truncate":
                    await _truncate(send, reply)
                reply = self._alter(kind, reply)
            await _send(send, reply)
            return reply.status
        finally:
            if token is not None:
                self._busy[token] -= 1
                if self._busy[token] <= 0:
                    del self._busy[token]

    async def _api_reply(
        self, path: str, headers: Mapping[str, str], query: Mapping[str, str], token: str | None
    ) -> Reply:
        try:
            user = self.auth.user_for(token)
            if token is not None and self._busy[token] > contract.MAX_REQUESTS_IN_FLIGHT_PER_TOKEN:
                raise ApiError(
                    ErrorCode.TOO_MANY_REQUESTS,
                    headers={contract.RETRY_AFTER_HEADER: str(CONCURRENCY_RETRY_AFTER)},
                    details={"max_requests_in_flight": contract.MAX_REQUESTS_IN_FLIGHT_PER_TOKEN},
                )
            bot = self.auth.bot_for(user, headers.get(contract.X_TOKEN_HEADER.lower()))
            reply = HANDLERS[path](self.store, bot, query)
        except ApiError as error:
            if error.code is ErrorCode.TOO_MANY_REQUESTS:
                return _error_reply(error)  # refused at once: no service time
            reply = _error_reply(error)
        delay = self.config.latency_ms / 1000 + reply.rows * self.config.latency_per_row_us / 1_000_000
        if delay > 0:
            await asyncio.sleep(delay)
        return reply

    async def _entry_fault(self, kind: str, detail: int, send: Send) -> int:
        if kind == "drop":
            await _drop(send)
        if kind == "429":
            error = ApiError(ErrorCode.TOO_MANY_REQUESTS, headers={contract.RETRY_AFTER_HEADER: str(detail % 2)})
            await _send(send, _error_reply(error))
            return 429
        body, content_type = faults.gateway_body(kind, detail)
        await _send(send, Reply(int(kind), body, content_type=content_type))
        return int(kind)

    def _alter(self, kind: str, reply: Reply) -> Reply:
        if kind == "html_200":
            return Reply(200, faults.HTML_200_PAGE.encode("utf-8"), content_type="text/html; charset=utf-8")
        if kind in faults.CSV_KINDS:
            lines = faults.transform_csv(kind, reply.csv_lines or [])
            return Reply(200, join_lines(lines), content_type=reply.content_type, rows=reply.rows)
        return Reply(200, faults.transform_json(kind, reply.body), content_type=reply.content_type, rows=reply.rows)

    # --- test helpers under /_sim ----------------------------------------------------------------
    async def _sim(self, method: str, path: str, receive: Receive) -> Reply:
        route = (method, path.removeprefix(SIM_PREFIX))
        if route == ("GET", "/counters"):
            return Reply(200, dumps(self.counters.snapshot()))
        if route == ("POST", "/counters/reset"):
            self.counters.reset()
            return Reply(200, dumps({"ok": True}))
        if route == ("GET", "/faults"):
            return Reply(200, dumps(self.faults.pending()))
        if route == ("DELETE", "/faults"):
            self.faults.clear()
            return Reply(200, dumps({"ok": True}))
        if route == ("POST", "/faults"):
            payload = self._json_object(await _read_body(receive))
            try:
                self.faults.schedule(str(payload.get("path")), str(payload.get("kind")), int(payload.get("times", 1)))
            except (FaultError, ValueError, TypeError) as error:
                raise ApiError(ErrorCode.INVALID_PARAMETER, str(error)) from None
            return Reply(200, dumps({"ok": True, "pending": self.faults.pending()}))
        if route == ("POST", "/tokens/expire"):
            self.auth.expire_all()
            return Reply(200, dumps({"ok": True}))
        if route == ("POST", "/tokens"):
            payload = self._json_object(await _read_body(receive))
            try:
                ttl = float(payload.get("ttl", self.config.token_ttl))
                token = self.auth.issue(str(payload.get("email")), ttl)
            except (KeyError, ValueError, TypeError):
                raise ApiError(ErrorCode.INVALID_PARAMETER, "email must be a known user, ttl seconds") from None
            return Reply(200, dumps({contract.AUTH_HEADER: token, contract.LOGIN_EXPIRES_IN_FIELD: round(ttl)}))
        if route == ("GET", "/health"):
            return Reply(200, dumps({"ok": True}))
        raise ApiError(ErrorCode.NOT_FOUND, f"No route for {method} {path}")

    @staticmethod
    def _json_object(body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ApiError(ErrorCode.INVALID_PARAMETER, "The body must be a JSON object")
        return payload
