"""JSON for pushes and API replies: datetimes become ISO 8601 strings in UTC.

The controller stores naive UTC datetimes; a browser would read a naive ISO string as
local time, so every datetime leaves here with an explicit ``Z``.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat(timespec="milliseconds") + "Z"
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class SocketJson:
    """The ``json`` module shape Flask-SocketIO expects (``dumps``/``loads``)."""

    @staticmethod
    def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", json_default)
        kwargs.pop("cls", None)
        return json.dumps(obj, *args, **kwargs)

    @staticmethod
    def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        return json.loads(text, *args, **kwargs)
