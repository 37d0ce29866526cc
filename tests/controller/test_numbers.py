"""Dial-number validation: what people type, what is dialed, and what is refused."""
from __future__ import annotations

import random
import re

import pytest

from controller import commands
from controller.commands import UnsafeValue
from controller.numbers import Dialable, InvalidNumber, dialable, external_dial_string

# (typed, digits, e164, kind, dtmf)
ACCEPTED = [
    ("+44 20 7946 0958", "+442079460958", "+442079460958", "e164", ""),
    ("+1 (212) 555-0123", "+12125550123", "+12125550123", "e164", ""),
    ("(212) 555-0123", "+12125550123", "+12125550123", "national", ""),
    ("212.555.0123", "+12125550123", "+12125550123", "national", ""),
    ("1-212-555-0123", "+12125550123", "+12125550123", "national", ""),
    ("212/555 01 23", "+12125550123", "+12125550123", "national", ""),
    ("011 44 20 7946 0958", "+442079460958", "+442079460958", "e164", ""),
    ("00 44 20 7946 0958", "+442079460958", "+442079460958", "e164", ""),
    ("0044-20-7946-0958", "+442079460958", "+442079460958", "e164", ""),
    ("5550123", "5550123", None, "national", ""),  # local only: dialed as typed
    ("123 456 789 012 345 678", "123456789012345678", None, "national", ""),  # 18 digits, not public
    ("1000", "1000", None, "extension", ""),
    ("100", "100", None, "extension", ""),
    ("123456", "123456", None, "extension", ""),
    ("7000", "7000", None, "extension", ""),
    ("1000:5", "1000", None, "extension", "5"),
    ("2125550123:1234#", "+12125550123", "+12125550123", "national", "1234#"),
    ("*97", "*97", None, "service", ""),
    ("*67 212 555 0123", "*672125550123", None, "service", ""),
    ("#31#", "#31#", None, "service", ""),
    ("911", "911", None, "service", ""),
    ("112", "112", None, "service", ""),
    ("  1000 \n", "1000", None, "extension", ""),  # pasted with a line end
    ("\u200e+44\u00a020\u00a07946\u00a00958", "+442079460958", "+442079460958", "e164", ""),  # LRM, NBSP
    ("\uff0b\uff14\uff14 20 7946 0958", "+442079460958", "+442079460958", "e164", ""),  # fullwidth
    ("212\u2013555\u20130123", "+12125550123", "+12125550123", "national", ""),  # en dashes
    ("\u0661\u0660\u0660\u0660", "1000", None, "extension", ""),  # Arabic-Indic digits
]


@pytest.mark.parametrize("typed,digits,e164,kind,dtmf", ACCEPTED)
def test_accepted_forms(typed, digits, e164, kind, dtmf):
    assert dialable(typed) == Dialable(digits, e164, kind, dtmf)


# (typed, the message or a part of it)
REFUSED = [
    ("", "Type a number to dial."),
    ("   ", "Type a number to dial."),
    ("12", "12 is too short: a number has at least 3 digits."),
    ("+1", "+1 is too short: a number has at least 3 digits."),
    ("*9", "*9 is too short: a number has at least 3 digits."),
    ("1234567890123456789", "That number has 19 digits; a number has at most 18."),
    ("1" * 65, "That is 65 characters long; a number is at most 64."),
    ("1000\n2000", "A number cannot contain a line break, a tab or other control characters."),
    ("1000\r\nbgapi originate", "A number cannot contain a line break"),
    ("1000\x002000", "A number cannot contain a line break"),
    ("1000\t1", "A number cannot contain a line break, a tab"),
    ("1-800-FLOWERS", "Letters are not allowed in a number (found 'F'): type the digits."),
    ("212-555-0123 x45", "To send an extension after the call is answered, type it after ':' (2125550123:45)."),
    ("sip:1000@host", "Letters are not allowed in a number (found 's')"),
    ("{a=b}1000", "'{' is not allowed in a number: type digits (and + * # : where needed)."),
    ("1000}", "'}' is not allowed in a number"),
    ("1000,1001", "',' is not allowed in a number"),
    ("1000'", "\"'\" is not allowed in a number"),
    ("1000@gw", "'@' is not allowed in a number"),
    ("1000;1001", "';' is not allowed in a number"),
    ("1000|1001", "'|' is not allowed in a number"),
    ("1000&", "'&' is not allowed in a number"),
    ("1000=", "'=' is not allowed in a number"),
    ("1000^", "'^' is not allowed in a number"),
    ("1000\\", "'\\\\' is not allowed in a number"),
    ("1000:1:2", "Use ':' once"),
    (":1234", "Type the number before ':'."),
    ("1000:", "Type the digits to send after ':', or leave the ':' out."),
    ("1000:+1", "After ':' only digits, * and # can be sent."),
    ("1000:" + "1" * 33, "33 digits after ':' is too many; at most 32 can be sent."),
    ("12+34", "'+' can only come first, and only once."),
    ("++4420", "'+' can only come first, and only once."),
    ("+1 *67 555", "A number that starts with '+' cannot contain * or #."),
    ("+44 20 7946", "+44207946 is too short for a number in that country (+44)."),
    ("+1 212 555 01234567", "+121255501234567 is too long for a number in that country (+1)."),
    ("+999 123 456", "+999123456 does not start with a country code (+1, +44, …)."),
    ("011 44 20 79", "+442079 is too short for a number in that country (+44)."),
    (1000, 'Type the number as text, for example "+44 20 7946 0958".'),
    (None, "Type the number as text"),
]


@pytest.mark.parametrize("typed,message", REFUSED)
def test_refused_with_a_sentence(typed, message):
    with pytest.raises(InvalidNumber) as caught:
        dialable(typed)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_region_decides_national_and_idd_forms():
    assert dialable("020 7946 0958", region="GB").e164 == "+442079460958"
    assert dialable("00 1 212 555 0123", region="GB").e164 == "+12125550123"
    assert dialable("999", region="GB").kind == "service"
    with pytest.raises(ValueError, match="not a region"):
        dialable("1000", region="XX")


def test_external_dial_string():
    assert external_dial_string(dialable("(212) 555-0123"), "carrier-1") == "sofia/gateway/carrier-1/+12125550123"
    assert external_dial_string(dialable("*97"), "pbx.example") == "sofia/gateway/pbx.example/*97"
    for gateway in ("", "gw/x", "gw 1", "gw\n", "{x=1}gw", "gw,other", "-gw", "gw@host", "g" * 65, None):
        with pytest.raises(UnsafeValue):
            external_dial_string(dialable("1000"), gateway)
    with pytest.raises(UnsafeValue):
        external_dial_string("1000", "gw")  # only checked numbers


def test_a_dialable_holds_only_safe_characters_even_when_built_by_hand():
    with pytest.raises(UnsafeValue):
        Dialable("1000,1001", None, "extension")
    with pytest.raises(UnsafeValue):
        Dialable("1000", None, "extension", dtmf="1 2")
    with pytest.raises(ValueError):
        Dialable("1000", None, "pbx")


# -- property: whatever is typed, nothing unsafe comes out ---------------------------------
_DANGEROUS = "\n\r\x00\t {}[],'\"/@;=&|^\\$%!`~<>?()"
_UNICODE = "\u00a0\u2013\u200e\uff11\u0661\u2028\u00e9"  # NBSP, en dash, LRM, fullwidth 1, Arabic 1, LS, é
_ALPHABET = "0123456789" * 6 + "+*#:" * 2 + " -.()" + _DANGEROUS + "abcxXeE" + _UNICODE
_UNSAFE = re.compile(r"[\s{}\[\],'\"/@;=&|^\\$%!`~<>?():.a-zA-Z-]")


def _corpus(count: int = 20000):
    rng = random.Random(20240601)
    seeds = [typed for typed, *_ in ACCEPTED]
    for _ in range(count):
        if rng.random() < 0.5:
            yield "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 30)))
        else:  # a good number with something slipped in
            text = list(rng.choice(seeds))
            for _ in range(rng.randrange(1, 4)):
                text.insert(rng.randrange(len(text) + 1), rng.choice(_ALPHABET))
            yield "".join(text)


def test_nothing_unsafe_ever_comes_out():
    accepted = refused = 0
    for typed in _corpus():
        try:
            number = dialable(typed)
        except InvalidNumber as exc:
            refused += 1
            assert str(exc) and "\n" not in str(exc)
            continue
        accepted += 1
        assert re.fullmatch(r"\+?[0-9*#]{3,18}", number.digits), (typed, number)
        assert not _UNSAFE.search(number.digits + number.dtmf), (typed, number)
        assert re.fullmatch(r"[0-9*#]{0,32}", number.dtmf), (typed, number)
        assert number.e164 is None or re.fullmatch(r"\+[1-9][0-9]{2,14}", number.e164), (typed, number)
        assert number.kind in ("extension", "e164", "national", "service")
        command = commands.originate(external_dial_string(number, "gw"), variables={"a": "1"})
        assert command.count(" ") == 2 and "\n" not in command, command  # originate {vars}dial &park()
        assert commands.checked_destination(number.digits) == number.digits
    # the corpus exercises both sides
    assert accepted > 2000 and refused > 2000, (accepted, refused)
