"""Calling windows: when a customer may be called, in their own time zone.

Pure functions over plain values (UTC datetimes without tzinfo, as the database keeps them).
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


class BadWindow(ValueError):
    """A calling window or time zone that cannot be used; the message says why."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadWindow(f"{name!r} is not a time zone (use names like Europe/Paris).") from exc


def minutes(hhmm: str) -> int:
    """``"08:30"`` -> 510; ``"24:00"`` is the end of the day."""
    match = _HHMM.match(hhmm or "")
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise BadWindow(f"{hhmm!r} is not a time of day (HH:MM).")
    return int(match.group(1)) * 60 + int(match.group(2))


def check_window(start: str, end: str) -> None:
    if minutes(start) >= minutes(end):
        raise BadWindow(f"the calling window {start}-{end} is empty: it must start before it ends.")


def in_window(at_utc: dt.datetime, tz: str, start: str, end: str) -> bool:
    local = at_utc.replace(tzinfo=dt.timezone.utc).astimezone(zone(tz))
    now = local.hour * 60 + local.minute
    return minutes(start) <= now < minutes(end)


def next_allowed(at_utc: dt.datetime, tz: str, start: str, end: str) -> dt.datetime:
    """The first moment at or after ``at_utc`` inside the daily window, in UTC (naive)."""
    if in_window(at_utc, tz, start, end):
        return at_utc
    zone_info = zone(tz)
    local = at_utc.replace(tzinfo=dt.timezone.utc).astimezone(zone_info)
    begin = minutes(start)
    for days in (0, 1, 2):
        day = (local + dt.timedelta(days=days)).date()
        candidate = dt.datetime.combine(day, dt.time(begin // 60, begin % 60), tzinfo=zone_info)
        # a window opening inside a DST gap: fold into the first valid instant
        candidate_utc = candidate.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if candidate_utc >= at_utc:
            return candidate_utc
    raise BadWindow("no calling window in the next days")  # pragma: no cover - begin < end always


def utc_naive(moment: dt.datetime) -> dt.datetime:
    """An aware moment as naive UTC (a naive one is UTC already).

    :raises BadWindow: the moment is so near year 1 or 9999 that UTC has no such date
        (``astimezone`` raises OverflowError there)
    """
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError as exc:
        raise BadWindow(f"{moment.isoformat()} is out of range: give a date between years 1 and 9999.") from exc


def local_to_utc(date: str, time: str, tz: str) -> dt.datetime:
    """``("2026-03-02", "14:30", "Europe/Paris")`` -> the UTC moment (naive)."""
    try:
        local = dt.datetime.fromisoformat(f"{date}T{time}")
    except ValueError as exc:
        raise BadWindow(f"{date} {time} is not a date and time (YYYY-MM-DD and HH:MM).") from exc
    if local.tzinfo is not None:
        return utc_naive(local)
    return utc_naive(local.replace(tzinfo=zone(tz)))
