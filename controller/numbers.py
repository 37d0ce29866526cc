"""Dial-number validation: what a person types becomes digits that are safe to dial.

Every number a person types (outbound call, blind or consultative transfer, conference)
goes through :func:`dialable` before it can reach an ESL command. The result holds only
``0-9 + * #``, so nothing typed can add a dial-string option, a second destination or a
second command. The rules, with examples, are in ``docs/call-data.md``.

- Separators people type or paste (spaces, ``- . ( ) [ ] /``, Unicode dashes and
  invisible formatting marks) are stripped.
- Letters are refused (``1-800-FLOWERS`` must be typed as digits), and so is every other
  character (``{ } , ' " @ ; =`` …, line breaks): they mean the text is not one number,
  and dialing the digits left after stripping them would call someone else.
- ``:`` separates the number from digits sent once the call is answered
  (``18005550199:1234#``): :attr:`Dialable.dtmf`.
- 3–18 digits (``*`` and ``#`` count, ``+`` does not).
- ``+…``, IDD (``011 …`` in the US, ``00 …`` anywhere) and national forms are normalised
  to E.164 with ``phonenumbers`` when they are possible numbers.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from .commands import UnsafeValue, checked_destination

MIN_DIGITS = 3
MAX_DIGITS = 18
MAX_EXTENSION_DIGITS = 6
MAX_DTMF = 32
#: longer than any number written with separators; stops work on pasted paragraphs
MAX_TYPED = 64

#: stripped before dialing: what people put between digit groups
_SEPARATORS = frozenset(" -.()[]/\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_NUMBER = re.compile(r"^\+?[0-9*#]+$")
_DTMF = re.compile(r"^[0-9*#]+$")
_GATEWAY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SAFE_DIGITS = re.compile(r"^\+?[0-9*#]{%d,%d}$" % (MIN_DIGITS, MAX_DIGITS))

KINDS = ("extension", "e164", "national", "service")


class InvalidNumber(ValueError):
    """What was typed cannot be dialed; ``str(exc)`` is a sentence for the person who typed it."""


@dataclass(frozen=True)
class Dialable:
    """A number that is safe to put in a dial string.

    :param digits: what to dial: ``0-9``, ``*``, ``#`` and a leading ``+`` only
    :param e164: the E.164 form when the number is a possible public number, else ``None``
    :param kind: ``extension`` (3–6 digits, internal), ``e164`` (typed with ``+`` or an
        IDD prefix), ``national`` (a national number, or 7–18 digits dialed as typed when
        ``e164`` is ``None``), ``service`` (feature codes with ``*``/``#``, emergency numbers)
    :param dtmf: digits to send after the call is answered (typed after ``:``), or ``""``
    """

    digits: str
    e164: str | None
    kind: str
    dtmf: str = ""

    def __post_init__(self):
        # the last line of defence: nothing else may ever be built into a dial string
        if not _SAFE_DIGITS.fullmatch(self.digits) or (self.dtmf and not _DTMF.fullmatch(self.dtmf)):
            raise UnsafeValue(f"not safe to dial: {self.digits!r}:{self.dtmf!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of number: {self.kind!r}")


def dialable(text: str, *, region: str = "US") -> Dialable:
    """Check and normalise a number a person typed.

    :param text: as typed, e.g. ``"(212) 555-0123"``, ``"+44 20 7946 0958"``, ``"1000"``
    :param region: the ISO country whose national and IDD forms are understood
    :raises InvalidNumber: with a sentence saying what is wrong
    """
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"not a region phonenumbers knows: {region!r}")
    number, dtmf = _split(_cleaned(text))
    count = len(number.lstrip("+"))
    if count < MIN_DIGITS:
        raise InvalidNumber(f"{number} is too short: a number has at least {MIN_DIGITS} digits.")
    if count > MAX_DIGITS:
        raise InvalidNumber(f"That number has {count} digits; a number has at most {MAX_DIGITS}.")
    if "*" in number or "#" in number:
        return Dialable(number, None, "service", dtmf)
    if number.startswith("+"):
        return _international(number, dtmf)
    if count <= MAX_EXTENSION_DIGITS:
        kind = "service" if phonenumbers.is_emergency_number(number, region) else "extension"
        return Dialable(number, None, kind, dtmf)
    if number.startswith("00"):
        return _international("+" + number[2:], dtmf)
    try:
        parsed = phonenumbers.parse(number, region, keep_raw_input=True)
    except NumberParseException:
        return Dialable(number, None, "national", dtmf)
    if parsed.country_code_source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD:
        return _international(phonenumbers.format_number(parsed, PhoneNumberFormat.E164), dtmf)
    if phonenumbers.is_possible_number_with_reason(parsed) == ValidationResult.IS_POSSIBLE:
        e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
        return Dialable(e164, e164, "national", dtmf)
    # not a public number of this region (local-only, private network): dial as typed
    return Dialable(number, None, "national", dtmf)


def external_dial_string(number: Dialable, gateway: str) -> str:
    """``sofia/gateway/<gateway>/<digits>``: the dial string of a number through a SIP gateway.

    ``number.dtmf`` is not part of it: send it once the leg is answered.

    :raises UnsafeValue: when the gateway name could change the dial string's meaning
    """
    if not isinstance(gateway, str) or not _GATEWAY.fullmatch(gateway):
        raise UnsafeValue(f"not a gateway name: {gateway!r}")
    if not isinstance(number, Dialable):
        raise UnsafeValue("dial only numbers checked by dialable()")
    return f"sofia/gateway/{gateway}/{checked_destination(number.digits)}"


def _cleaned(text: str) -> str:
    """The typed text as ASCII ``0-9 + * # :`` only, or :class:`InvalidNumber`."""
    if not isinstance(text, str):
        raise InvalidNumber('Type the number as text, for example "+44 20 7946 0958".')
    if len(text) > MAX_TYPED:
        raise InvalidNumber(f"That is {len(text)} characters long; a number is at most {MAX_TYPED}.")
    # fullwidth digits and plus, non-breaking spaces: NFKC makes them plain
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise InvalidNumber("Type a number to dial.")
    out = []
    for char in text:
        if "0" <= char <= "9" or char in "+*#:":
            out.append(char)
        elif char in _SEPARATORS:
            continue
        elif unicodedata.category(char) == "Nd":  # other scripts' digits
            out.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) == "Zs" or unicodedata.category(char) == "Cf":
            continue  # spaces and invisible marks (pasted text carries them)
        elif unicodedata.category(char) == "Cc":
            raise InvalidNumber("A number cannot contain a line break, a tab or other control characters.")
        elif char.isalpha():
            hint = (" To send an extension after the call is answered, type it after ':' (2125550123:45)."
                    if char in "xXeE" else "")
            raise InvalidNumber(f"Letters are not allowed in a number (found {char!r}): type the digits.{hint}")
        else:
            raise InvalidNumber(f"{char!r} is not allowed in a number: type digits (and + * # : where needed).")
    return "".join(out)


def _split(cleaned: str) -> tuple[str, str]:
    """(number, digits to send after answer) from ``number[:dtmf]``."""
    number, colon, dtmf = cleaned.partition(":")
    if ":" in dtmf:
        raise InvalidNumber("Use ':' once: the number, then ':', then the digits to send after the call is answered.")
    if not number:
        raise InvalidNumber("Type the number before ':'.")
    if colon and not dtmf:
        raise InvalidNumber("Type the digits to send after ':', or leave the ':' out.")
    if not _NUMBER.fullmatch(number):
        raise InvalidNumber("'+' can only come first, and only once.")
    if "+" in number and ("*" in number or "#" in number):
        raise InvalidNumber("A number that starts with '+' cannot contain * or #.")
    if dtmf and not _DTMF.fullmatch(dtmf):
        raise InvalidNumber("After ':' only digits, * and # can be sent.")
    if len(dtmf) > MAX_DTMF:
        raise InvalidNumber(f"{len(dtmf)} digits after ':' is too many; at most {MAX_DTMF} can be sent.")
    return number, dtmf


_REASONS = {
    ValidationResult.TOO_SHORT: "is too short for a number in that country",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is too short for a number in that country",
    ValidationResult.TOO_LONG: "is too long for a number in that country",
    ValidationResult.INVALID_LENGTH: "does not have the right number of digits for that country",
    ValidationResult.INVALID_COUNTRY_CODE: "does not start with a country code",
}


def _international(number: str, dtmf: str) -> Dialable:
    """``+<country code><number>`` that must be a possible number, normalised to E.164."""
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        raise InvalidNumber(f"{number} does not start with a country code (+1, +44, …).") from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != ValidationResult.IS_POSSIBLE:
        raise InvalidNumber(f"{number} {_REASONS.get(reason, 'is not a possible number')} "
                            f"(+{parsed.country_code}).")
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    return Dialable(e164, e164, "e164", dtmf)
