"""The callback's number: checked and normalised once, when the callback is asked for.

What a person typed goes through :func:`controller.numbers.dialable` (the dial-number
rules of docs/call-data.md, E.164 normalisation with ``phonenumbers``); a callback also
needs a full public number, not an extension.
"""
from __future__ import annotations

import re

from ..numbers import InvalidNumber, dialable

__all__ = ["BadGateway", "InvalidNumber", "callback_number", "dial_string", "zone_of"]

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


class BadGateway(InvalidNumber):
    """``SWITCHDESK_GATEWAY`` is not a gateway name: no number can be dialed (not the callback's fault)."""


def dial_string(number: str, gateway: str) -> str:
    """``sofia/gateway/<gateway>/<number>`` for a number :func:`callback_number` returned.

    :raises BadGateway: the gateway setting cannot go into a dial string
    :raises InvalidNumber: the number cannot
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", gateway):
        raise BadGateway(f"not a gateway name: {gateway[:64]!r}")
    if not re.fullmatch(r"\+?[0-9]{3,18}", number):
        raise InvalidNumber(f"not a number to dial: {number[:40]!r}")
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
