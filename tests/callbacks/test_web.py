"""Web callbacks through HTTP: the integration API (bearer token, dedupe, rate limit) and the public form."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from .conftest import CUSTOMER, callback_rows, history


@pytest.fixture
def website(app, sales):
    """A website's backend: an integration token (made for the supervisor) and a client."""
    from web import tokens

    _row, token = tokens.issue("sam", "website")
    client = app.test_client()

    def post(json, **headers):
        return client.post("/api/callbacks", json=json, headers={"Authorization": f"Bearer {token}", **headers})

    return post


def test_a_web_request_becomes_a_pending_callback_and_a_second_one_updates_it(website, contact_center, pushes):
    first = website({"name": "Ada Lovelace", "number": "(212) 555-0123", "queue": "sales", "note": "Pricing"})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["created"] is True
    cb = body["callback"]
    assert (cb["kind"], cb["status"], cb["number"], cb["queue"], cb["name"]) == \
        ("web", "pending", CUSTOMER, "sales", "Ada Lovelace")
    assert cb["time_zone"] == "America/New_York"          # from the number

    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    again = website({"name": "Ada L.", "number": "+1 212 555 0123", "queue": "sales",
                     "preferred_time": f"{tomorrow}T15:00:00+01:00"})
    assert again.status_code == 200 and again.get_json()["created"] is False
    updated = again.get_json()["callback"]
    assert updated["id"] == cb["id"] and updated["name"] == "Ada L."
    assert updated["due_at"] == f"{tomorrow}T14:00:00Z"
    assert len(callback_rows()) == 1
    assert [h[1] for h in history(cb["id"])] == ["request", "update"]
    # the queue's agents are told of the new request (Missed calls notifies it), not again of its update
    told = [p["notify"] for r, e, p in pushes.pushes if r == "supervisors" and e == "callback"]
    assert told == [True, False]


@pytest.mark.parametrize("body, message", [
    ({"number": "+1 212 555 0123", "queue": "nope"}, "No queue is called 'nope'."),
    ({"number": "call me", "queue": "sales"}, "Letters are not allowed"),
    ({"number": "12", "queue": "sales"}, "too short"),
    ({"queue": "sales"}, "'number' is required."),
    ({"number": "+12125550123", "queue": "sales", "time_zone": "Mars/Olympus"}, "is not a time zone"),
    ({"number": "+12125550123", "queue": "sales", "preferred_time": "2999-01-01T00:00:00Z"}, "30 days"),
    # UTC has no such moment (astimezone raised OverflowError: a 500)
    ({"number": "+12125550123", "queue": "sales", "preferred_time": "0001-01-01T00:00:00+05:00"}, "out of range"),
    ({"number": "+12125550123", "queue": "sales", "preferred_time": "9999-12-31T23:59:59-05:00"}, "out of range"),
])
def test_bad_requests_are_400_with_a_sentence(website, contact_center, body, message):
    response = website(body)
    assert response.status_code == 400
    assert message.lower() in response.get_json()["error"].lower()
    assert callback_rows() == []


def test_requests_are_rate_limited_per_token(website, contact_center, monkeypatch):
    statuses = [website({"number": f"+1212555{i:04d}", "queue": "sales"}).status_code for i in range(12)]
    assert statuses[:10] == [201] * 10 and statuses[10:] == [429, 429]
    refused = website({"number": "+12125559999", "queue": "sales"})
    assert refused.get_json() == {"error": "Too many callback requests: try again later."}
    assert refused.headers["Retry-After"]


def test_without_a_valid_token_the_api_refuses(app, sales, contact_center):
    response = app.test_client().post("/api/callbacks", json={"number": CUSTOMER, "queue": "sales"},
                                      headers={"Authorization": "Bearer sdt_wrong"})
    assert response.status_code == 401 and callback_rows() == []


def test_agents_list_and_open_callbacks(website, signed_in, contact_center):
    website({"number": CUSTOMER, "queue": "sales"})
    alice = signed_in("alice")
    listed = alice.get("/api/callbacks?view=queue").get_json()["callbacks"]
    assert [c["number"] for c in listed] == [CUSTOMER]
    one = alice.get(f"/api/callbacks/{listed[0]['id']}").get_json()["callback"]
    assert [h["trigger"] for h in one["history"]] == ["request"]
    assert alice.get("/api/callbacks?view=all").status_code == 403
    assert alice.get("/api/callbacks/999").status_code == 404
    cancelled = alice.post(f"/api/callbacks/{listed[0]['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["callback"]["status"] == "cancelled"
    assert alice.get("/api/callbacks?view=queue").get_json()["callbacks"] == []


def test_the_openapi_document_lists_the_callback_endpoints(app, contact_center):
    paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/callbacks", "/api/callbacks/{callback_id}", "/api/callbacks/{callback_id}/accept",
                 "/api/callbacks/{callback_id}/call", "/api/agenda", "/api/calls/{call_id}/callback",
                 "/api/calls/{call_id}/callback/prompt"):
        assert path in paths, path


# -- the public form -------------------------------------------------------------------------------

def form_token(html):
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_public_form_is_embeddable_and_makes_a_web_callback(app, sales, contact_center):
    sales.web_callback_form = True
    sales.save()
    client = app.test_client()
    page = client.get("/callback-form/sales")
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    assert "set-cookie" not in {k.lower() for k in page.headers.keys()}   # nothing to steal in a frame
    token = form_token(page.get_data(as_text=True))
    done = client.post("/callback-form/sales", data={"token": token, "name": "Grace", "number": "+1 212 555 0123",
                                                     "when": "", "time_zone": "America/New_York"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "We will call you at <strong>+12125550123</strong>" in done.get_data(as_text=True)
    (cb,) = callback_rows()
    assert (cb.kind, cb.name, cb.time_zone, cb.note) == ("web", "Grace", "America/New_York", "callback form")


def test_the_form_refuses_bots_forgeries_and_bad_numbers(app, sales, contact_center):
    sales.web_callback_form = True
    sales.save()
    client = app.test_client()
    token = form_token(client.get("/callback-form/sales").get_data(as_text=True))
    bot = client.post("/callback-form/sales", data={"token": token, "number": CUSTOMER, "website": "http://spam"})
    forged = client.post("/callback-form/sales", data={"token": "x" + token, "number": CUSTOMER})
    letters = client.post("/callback-form/sales", data={"token": token, "number": "call me maybe"})
    assert [r.status_code for r in (bot, forged, letters)] == [400, 400, 400]
    assert "Letters are not allowed" in letters.get_data(as_text=True)
    assert callback_rows() == []


def test_queues_without_a_public_form_do_not_show_one(app, sales, contact_center):
    assert app.test_client().get("/callback-form/sales").status_code == 404
    assert app.test_client().get("/callback-form/nope").status_code == 404
