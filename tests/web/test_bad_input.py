"""Bad input in URLs gets a clear error, never a 500."""
from __future__ import annotations

import pytest

#: "²" and "١" are digits to str.isdigit(), and int("²") fails
NOT_ASCII_DIGITS = ["%C2%B2", "%D9%A1", "1%C2%B2"]


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/callbacks/{}", 404),
    ("get", "/api/recordings/{}", 404),
    ("get", "/api/campaigns/{}", 404),
    ("patch", "/api/address-book/{}", 404),
    ("get", "/recordings/{}/audio", 404),
    ("get", "/api/supervisor/activity?minutes={}", 400),
])
def test_ids_of_other_scripts_digits_are_refused_not_a_500(signed_in, contact_center, method, path, status, raw):
    sam = signed_in("sam")
    response = getattr(sam, method)(path.format(raw), **({"json": {"name": "x"}} if method == "patch" else {}))
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    if path.startswith("/api/"):
        assert response.get_json()["error"]


def test_whole_number():
    from web.openapi import whole_number

    assert whole_number("42") == 42
    assert whole_number("0012", 4) == 12
    for raw in ("", "²", "\u0661", "1 ", "-1", "+1", "12345", "1_000"):
        assert whole_number(raw, 4) is None, raw
