"""Rewriting a response's personal fields before it is landed: hashed with the key, or made null.

Only responses of endpoints with a personal column under ``hash`` or ``drop`` are rewritten; under
``keep`` (the default) a body streams to its landing file untouched, as before. A rewritten body is
parsed once in memory, its personal fields replaced, and written compact. An object that holds a
rewritten field (``user``, ``location``) keeps only the fields the registry reads: a field the vendor
adds there is likely personal too, and would otherwise land in ``_extra`` as sent.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from live_assets.client.errors import LiveResponseError
from live_assets.client.export_csv import export_column_names
from live_assets.privacy.classes import Treatment
from live_assets.privacy.settings import PrivacySettings
from live_assets.raw.endpoints import BodyShape, EndpointSpec

HASH_HEX_DIGITS: Final = 32  # 128 bits of HMAC-SHA256: no collision among any contact center's people
_BOM: Final = "\ufeff".encode()
_DETAIL_FIELDS_READ: Final = ("conversation_id", "messages")


def keyed_hash(key: bytes, value: str) -> str:
    """The hash ``hash`` stores for ``value``: the same for the same value and key, in every table."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_HEX_DIGITS]


@dataclass(frozen=True)
class _Field:
    path: tuple[str, ...]  # the JSON path's parts (``user``, ``phone``), or the export's column name
    treatment: Treatment


class EndpointMasker:
    """The rewrite of one endpoint's responses (see the module docstring)."""

    def __init__(self, spec: EndpointSpec, fields: Sequence[_Field], key: bytes | None) -> None:
        self.spec = spec
        self._fields = tuple(fields)
        self._key = key
        masked_parents = {f.path[0] for f in fields if len(f.path) > 1}
        self._parents_fields = {
            parent: frozenset(
                c.source.removeprefix("$.").split(".")[1] for c in spec.columns if c.source.startswith(f"$.{parent}.")
            )
            for parent in masked_parents
        }

    def _value(self, treatment: Treatment, value: Any) -> Any:
        if value is None or value == "" or treatment is Treatment.KEEP:
            return value
        if treatment is Treatment.DROP:
            return None
        assert self._key is not None  # PrivacySettings refuses hash without a key
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        return keyed_hash(self._key, text)

    def _row(self, row: Any) -> None:
        if not isinstance(row, dict):
            return
        for parent, known in self._parents_fields.items():
            held = row.get(parent)
            if isinstance(held, dict):
                for name in [name for name in held if name not in known]:
                    del held[name]
        for masked in self._fields:
            holder: Any = row
            for part in masked.path[:-1]:
                holder = holder.get(part) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and masked.path[-1] in holder:
                holder[masked.path[-1]] = self._value(masked.treatment, holder[masked.path[-1]])

    def json_body(self, body: bytes, where: str) -> bytes:
        """A JSON body of this endpoint (a conversation detail for the details) with its fields rewritten."""
        try:
            document = json.loads(body)
        except ValueError as error:
            raise self._refused(f"its body is not JSON ({error.__class__.__name__})", where) from None
        shape = self.spec.body
        rows: Any = {
            BodyShape.ARRAY: lambda: document,
            BodyShape.OBJECT: lambda: [document],
            BodyShape.ITEMS: lambda: document.get("items") if isinstance(document, dict) else None,
            BodyShape.DETAIL_MESSAGES: lambda: document.get("messages") if isinstance(document, dict) else None,
        }[shape]()
        if shape is BodyShape.DETAIL_MESSAGES and isinstance(document, dict):
            # A detail repeats the whole conversation (its user, location...) around the messages; only the
            # id and the messages are read (``statements._json_rows``): the rest is not landed.
            document = {name: document[name] for name in _DETAIL_FIELDS_READ if name in document}
        if rows is not None and not isinstance(rows, list):
            raise self._refused(f"its {shape} body does not hold a list of rows", where)
        for row in rows or ():
            self._row(row)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def csv_body(self, body: bytes, where: str) -> bytes:
        """The CSV export with its personal columns rewritten (headers, order and quoting otherwise kept)."""
        text = body.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, None)
        if header is None:
            return body
        by_column = {f.path[0]: f.treatment for f in self._fields}
        masked = [(i, by_column[name]) for i, name in enumerate(export_column_names(header)) if name in by_column]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n" if "\r\n" in text[:4096] else "\n")
        writer.writerow(header)
        for row in reader:
            for index, treatment in masked:
                if index < len(row):
                    row[index] = self._value(treatment, row[index]) or ""
            writer.writerow(row)
        return (_BOM if body.startswith(_BOM) else b"") + out.getvalue().encode("utf-8")

    def body(self, body: bytes, where: str) -> bytes:
        if self.spec.body is BodyShape.CSV_EXPORT:
            return self.csv_body(body, where)
        return self.json_body(body, where)

    def _refused(self, problem: str, where: str) -> LiveResponseError:
        return LiveResponseError(
            f"{problem}: not landed, since its personal fields could not be rewritten",
            endpoint=self.spec.table,
            window=where,
        )


class Masking:
    """Which endpoints' responses are rewritten under ``settings``, and how."""

    def __init__(self, settings: PrivacySettings) -> None:
        self.settings = settings
        self._key = settings.key.reveal().encode("utf-8") if settings.key is not None else None
        self._cache: dict[str, EndpointMasker | None] = {}

    def for_endpoint(self, spec: EndpointSpec) -> EndpointMasker | None:
        """The rewrite of ``spec``'s responses, or None when they land as received."""
        if spec.table not in self._cache:
            fields = [
                _Field(tuple(column.source.removeprefix("$.").split(".")), self.settings.treatment(column.personal))
                for column in spec.columns
                if column.personal is not None and self.settings.treatment(column.personal) is not Treatment.KEEP
            ]
            self._cache[spec.table] = EndpointMasker(spec, fields, self._key) if fields else None
        return self._cache[spec.table]
