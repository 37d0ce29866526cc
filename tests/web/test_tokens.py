"""Bearer tokens over real HTTP, and ``switchdesk token create|list|revoke``."""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .live import Http, serve

REPO = Path(__file__).resolve().parents[2]
REFUSED = {"error": "The bearer token is wrong or has been revoked."}


@pytest.fixture
def server(app, people):
    with serve(app) as (base_url, access_log):
        yield base_url, access_log


@pytest.fixture
def http(server):
    return lambda: Http(server[0])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_reads_and_acts_as_its_user_without_csrf(http):
    from web.tokens import issue

    _, token = issue("alice", "crm")
    client = http()
    me = client.get("/api/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["agent"]["username"] == "alice"
    response = client.post("/api/agent/state", json={"state": "available"}, headers=bearer(token))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert client.get("/api/me", headers=bearer(token)).json()["agent"]["state"] == "available"
    # a bearer request never gets a session
    assert "Set-Cookie" not in me.headers and "Set-Cookie" not in response.headers
    assert not client.session.cookies


def test_a_token_has_its_users_role(http):
    from web.tokens import issue

    _, agent_token = issue("alice", "crm")
    _, supervisor_token = issue("sam", "wallboard")
    client = http()
    assert client.get("/api/supervisor", headers=bearer(agent_token)).status_code == 403
    board = client.get("/api/supervisor", headers=bearer(supervisor_token))
    assert board.status_code == 200 and {a["username"] for a in board.json()["agents"]} >= {"alice", "bob"}


@pytest.mark.parametrize("header", ["Bearer sdt_not-a-token", "Bearer ", "bearer sdt_x", "Bearer " + "a" * 5000])
def test_a_wrong_token_is_a_401(http, header):
    client = http()
    assert client.get("/api/me", headers={"Authorization": header}).json() == REFUSED
    response = client.post("/api/agent/state", json={"state": "available"}, headers={"Authorization": header})
    assert response.status_code == 401 and response.json() == REFUSED


def test_a_revoked_token_is_a_401(http):
    from web.tokens import issue, revoke

    row, token = issue("alice", "crm")
    client = http()
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    assert revoke(row.id).revoked
    response = client.get("/api/me", headers=bearer(token))
    assert response.status_code == 401 and response.json() == REFUSED


def test_a_wrong_token_is_refused_even_next_to_a_valid_session(http):
    alice = http().sign_in("alice")
    assert alice.get("/api/me").status_code == 200
    response = alice.post("/api/agent/state", json={"state": "available"},
                          headers={"X-CSRFToken": alice.csrf, **bearer("sdt_wrong")})
    assert response.status_code == 401 and response.json() == REFUSED
    assert alice.get("/api/me").json()["agent"]["state"] == "logged_out"


def test_a_token_is_not_a_session_cookie(http, server):
    from web.tokens import issue

    _, token = issue("alice", "crm")
    client = http()
    client.session.cookies.set("switchdesk_session", token, domain="127.0.0.1")
    response = client.get("/api/me")
    assert response.status_code == 401 and response.json() == {"error": "Sign in first."}
    # and outside /api/ a token opens nothing: the desktop wants a signed-in session
    page = http().get("/", headers=bearer(token))
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_cookie_sessions_still_need_the_csrf_header(http):
    alice = http().sign_in("alice")
    response = alice.post("/api/agent/state", json={"state": "available"})
    assert response.status_code == 400 and "CSRF" in response.json()["error"]
    response = alice.post("/api/agent/state", json={"state": "available"}, headers={"X-CSRFToken": alice.csrf})
    assert response.status_code == 200


def test_only_the_hash_is_stored_and_last_use_is_recorded(http, settings):
    from controller.models import ApiToken
    from web.tokens import issue

    row, token = issue("alice", "crm")
    stored = ApiToken.get_by_id(row.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.last_used_at is None and not stored.revoked
    assert http().get("/api/me", headers=bearer(token)).status_code == 200
    assert ApiToken.get_by_id(row.id).last_used_at is not None
    database_file = settings.database_url.removeprefix("sqlite:///")
    for path in (database_file, database_file + "-wal"):
        if os.path.exists(path):
            assert token.encode() not in Path(path).read_bytes()


def test_a_token_never_reaches_the_logs(http, server, caplog):
    from web.tokens import issue, revoke

    caplog.set_level(logging.DEBUG)
    row, token = issue("alice", "crm")
    client = http()
    client.get("/api/me", headers=bearer(token))
    client.post("/api/agent/state", json={"state": "nap"}, headers=bearer(token))
    client.get("/api/me", headers=bearer(token + "x"))
    revoke(row.id)
    client.get("/api/me", headers=bearer(token))
    _, access_log = server
    assert "/api/me" in access_log.getvalue()  # the server did log the requests...
    assert token not in access_log.getvalue() and token not in caplog.text  # ...never the token
    assert token[4:20] not in caplog.text


def switchdesk(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """``switchdesk token ...`` from this checkout, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "controller.cli", "token", *args, "--database", database_url],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_cli_creates_lists_and_revokes_tokens(http, settings):
    url = settings.database_url
    created = switchdesk("create", "--user", "sam", "--name", "crm", database_url=url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("sdt_") and len(token) > 40 and "\n" not in token
    assert "shown only now" in created.stderr and token not in created.stderr

    listed = switchdesk("list", database_url=url)
    assert listed.returncode == 0
    line = next(line for line in listed.stdout.splitlines() if " crm " in line)
    assert line.split()[0] == "1" and "sam" in line and "never" in line and line.endswith("active")
    assert token not in listed.stdout + listed.stderr

    client = http()
    assert client.get("/api/me", headers=bearer(token)).json()["agent"]["username"] == "sam"

    revoked = switchdesk("revoke", "1", database_url=url)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert switchdesk("list", database_url=url).stdout.rstrip().endswith("revoked")


def test_cli_refuses_an_unknown_user_or_token(settings, people):
    unknown_user = switchdesk("create", "--user", "mallory", "--name", "crm", database_url=settings.database_url)
    assert unknown_user.returncode == 1 and "no user named 'mallory'" in unknown_user.stderr
    assert unknown_user.stdout == ""
    unknown_token = switchdesk("revoke", "42", database_url=settings.database_url)
    assert unknown_token.returncode == 1 and "no token 42" in unknown_token.stderr
