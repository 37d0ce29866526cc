"""Signing in and out: login required, hashed passwords, CSRF on the form, roles, the secret key."""
from __future__ import annotations

import os
import stat

from web import load_or_create_secret_key

from .conftest import csrf_token, sign_in


def test_pages_and_api_require_login(app, people):
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    api = client.get("/api/me")
    assert api.status_code == 401
    assert api.get_json() == {"error": "Sign in first."}


def test_wrong_password_is_rejected(app, people):
    client = app.test_client()
    response = sign_in(client, "alice", "not-her-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401
    # an unknown user gets the same answer: the form does not reveal who exists
    assert "Wrong username or password." in sign_in(client, "mallory", "x").get_data(as_text=True)


def test_login_form_enforces_csrf(app, people):
    client = app.test_client()
    response = client.post("/login", data={"username": "alice", "password": "alice-pass"})
    assert response.status_code == 400
    assert "not sent from this site" in response.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401


def test_sign_in_opens_the_desktop_and_sets_a_safe_cookie(app, people):
    client = app.test_client()
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("switchdesk_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/").get_data(as_text=True)
    assert "Alice Agent" in page and 'id="state-select"' in page
    me = client.get("/api/me").get_json()
    assert me["agent"]["username"] == "alice"
    assert me["wrapup_reasons"]["sales"] == ["Resolved", "Follow-up needed", "Wrong number"]


def test_next_never_leaves_the_site(app, people):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "username": "alice", "password": "alice-pass", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_supervisor_page_is_for_supervisors(signed_in):
    assert signed_in("alice").get("/supervisor/").status_code == 403
    assert signed_in("alice").get("/api/supervisor").status_code == 403
    signed_in("alice").post("/api/agent/state", json={"state": "available"})
    sam = signed_in("sam")
    assert sam.get("/supervisor/").status_code == 200
    states = {a["username"]: a["state"] for a in sam.get("/api/supervisor").get_json()["agents"]}
    assert states["alice"] == "available"


def test_sign_out_logs_the_agent_out_of_the_queues(signed_in):
    alice = signed_in("alice")
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    response = alice.client.post("/logout", data={"csrf_token": alice.token})
    assert response.status_code == 303
    assert alice.get("/api/me").status_code == 401
    sam = signed_in("sam")
    states = {a["username"]: a["state"] for a in sam.get("/api/supervisor").get_json()["agents"]}
    assert states["alice"] == "logged_out"


def test_sign_out_needs_the_csrf_token(signed_in):
    alice = signed_in("alice")
    assert alice.client.post("/logout").status_code == 400
    assert alice.get("/api/me").status_code == 200


def test_generated_secret_key_is_private_and_kept(tmp_path):
    path = tmp_path / "var" / "secret_key"
    key = load_or_create_secret_key(str(path))
    assert len(key) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret_key(str(path)) == key


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, socketio, signed_in, people):
    alice = signed_in("alice")
    assert alice.get("/api/me").status_code == 200
    people.alice.set_password("a-new-pass")
    people.alice.save()
    # the very next request of the old session is refused, on every channel
    assert alice.get("/api/me").status_code == 401
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 401
    assert not socketio.test_client(app, flask_test_client=alice.client).is_connected()
    page = alice.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    # the old password no longer opens one; the new one does
    client = app.test_client()
    assert sign_in(client, "alice").status_code == 401
    assert sign_in(client, "alice", "a-new-pass").status_code == 302
    assert client.get("/api/me").get_json()["agent"]["username"] == "alice"


def test_a_deleted_user_is_refused_at_the_next_request(signed_in, people):
    from controller.models import Agent

    bob = signed_in("bob")
    assert bob.get("/api/me").status_code == 200
    Agent.delete().where(Agent.id == people.bob.id).execute()
    assert bob.get("/api/me").status_code == 401
    assert bob.post("/api/agent/state", json={"state": "available"}).status_code == 401


def test_a_role_change_applies_to_open_sessions_at_once(signed_in, people):
    from controller.models import Agent

    sam = signed_in("sam")
    assert sam.get("/api/supervisor").status_code == 200
    Agent.update(role="agent").where(Agent.id == people.sam.id).execute()
    assert sam.get("/api/supervisor").status_code == 403
    Agent.update(role="supervisor").where(Agent.id == people.sam.id).execute()
    assert sam.get("/api/supervisor").status_code == 200


def test_a_session_cookie_naming_only_an_id_is_not_enough(app, people):
    """A session must carry the credential stamp (sessions from before it sign in again)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(people.alice.id)
        session["_fresh"] = True
    assert client.get("/api/me").status_code == 401
    with client.session_transaction() as session:
        session["_user_id"] = f"{people.alice.id}:{'0' * 32}"
    assert client.get("/api/me").status_code == 401
