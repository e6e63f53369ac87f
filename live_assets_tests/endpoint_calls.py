"""Calling an endpoint the way the raw assets do: by its registry entry, through ``LiveClient.get``."""

from __future__ import annotations

from pathlib import Path

from live_assets import contract
from live_assets.client import ApiResponse, LiveClient, Window
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE


def fetch(
    client: LiveClient,
    table: str,
    window: Window | None = None,
    *,
    lang: str = contract.DEFAULT_EXPORT_LANGUAGE,
    destination: Path | None = None,
    **params: str,
) -> ApiResponse:
    """``GET`` the endpoint of registry entry ``table`` over ``window``; ``params`` add to (or replace) the
    entry's own (``frequency="DAY"``, ``group_id="1,2"``, ``conversation_id="7"``)."""
    spec = ENDPOINTS_BY_TABLE[table]
    query = spec.request_params(lang)
    query.update(params)
    return client.get(spec.table, spec.path, params=query, window=window, destination=destination)
