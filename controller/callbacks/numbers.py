"""The callback's number: checked and normalised once, when the callback is asked for.

``controller/numbers.py`` (``dialable(text, region=...)`` -> ``.e164``/``.digits``,
:class:`InvalidNumber`) is written by the call-data work. Until it is in this tree, a tiny
stand-in with the same interface uses ``phonenumbers`` directly; once it lands, the
import below takes it and the stand-in is never used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

try:  # pragma: no cover - depends on which branches are merged
    from ..numbers import InvalidNumber, dialable  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import phonenumbers

    class InvalidNumber(ValueError):
        """What was typed cannot be dialed; ``str(exc)`` is a sentence for the person who typed it."""

    @dataclass(frozen=True)
    class _Dialable:
        digits: str
        e164: str | None

    def dialable(text: str, *, region: str = "US") -> _Dialable:
        cleaned = re.sub(r"[\s().\-/]", "", str(text or ""))
        letter = next((ch for ch in cleaned if ch.isalpha()), None)
        if letter:
            raise InvalidNumber(f"Letters are not allowed in a number (found {letter!r}): type the digits.")
        if re.fullmatch(r"\+?[0-9]{0,2}", cleaned):
            raise InvalidNumber(f"{cleaned} is too short: a number has at least 3 digits.")
        if not re.fullmatch(r"\+?[0-9]{3,18}", cleaned):
            raise InvalidNumber("Type the number as digits, for example +44 20 7946 0958.")
        try:
            parsed = phonenumbers.parse(cleaned, region)
        except phonenumbers.NumberParseException:
            return _Dialable(cleaned, None)
        if phonenumbers.is_possible_number(parsed):
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            return _Dialable(e164, e164)
        if cleaned.startswith("+"):
            raise InvalidNumber(f"{cleaned} is not a possible number.")
        return _Dialable(cleaned, None)

__all__ = ["InvalidNumber", "callback_number", "dial_string", "zone_of"]

#: a public number needs this many digits at least: shorter ones are extensions, not customers
MIN_CUSTOMER_DIGITS = 7


def callback_number(text: str, region: str = "US") -> str:
    """The number a callback dials: E.164 when it is a public number.

    :raises InvalidNumber: with a sentence for the person who typed it
    """
    number = dialable(text, region=region)
    value = number.e164 or number.digits
    if len(value.lstrip("+")) < MIN_CUSTOMER_DIGITS or not re.fullmatch(r"\+?[0-9]+", value):
        raise InvalidNumber(f"{value} cannot be called back: give a full phone number.")
    return value


def dial_string(number: str, gateway: str) -> str:
    """``sofia/gateway/<gateway>/<number>`` for a number :func:`callback_number` returned."""
    if not re.fullmatch(r"\+?[0-9]{3,18}", number) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", gateway):
        raise InvalidNumber(f"not a number to dial: {number!r}")
    return f"sofia/gateway/{gateway}/{number}"


def zone_of(number: str, default: str) -> str:
    """The customer's time zone from their number when it tells just one, else ``default``."""
    try:
        import phonenumbers
        from phonenumbers import timezone

        zones = timezone.time_zones_for_number(phonenumbers.parse(number, None))
    except Exception:  # noqa: BLE001 - a number without a country says nothing
        return default
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else default
