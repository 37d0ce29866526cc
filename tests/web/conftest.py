"""Web fixtures: the Flask app around the real contact center, and signed-in clients."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORDS


@pytest.fixture
def web(request, settings, tmp_path):
    """``(app, socketio)`` around ``live_center`` if the test asked for it, else ``contact_center``."""
    from web import create_app

    name = "live_center" if "live_center" in request.fixturenames else "contact_center"
    cc = request.getfixturevalue(name)
    return create_app(cc, settings, secret_key_file=str(tmp_path / "secret_key"))


@pytest.fixture
def app(web):
    return web[0]


@pytest.fixture
def socketio(web):
    return web[1]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username: str, password: str | None = None):
    """Sign in through the login form, as a browser would; returns the POST response."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                       "csrf_token": token})


class ApiClient:
    """A signed-in test client that sends the page's CSRF token with every API call."""

    def __init__(self, client):
        self.client = client
        self.token = csrf_token(client.get("/").get_data(as_text=True))
        self.agent_id = client.get("/api/me").get_json()["agent"]["id"]

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers={"X-CSRFToken": self.token}, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.client.patch(path, json=json, headers={"X-CSRFToken": self.token}, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(path, headers={"X-CSRFToken": self.token}, **kwargs)


@pytest.fixture
def signed_in(app, people):
    """``signed_in("alice")`` -> an :class:`ApiClient` signed in as that person."""

    def make(username: str) -> ApiClient:
        client = app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return ApiClient(client)

    return make
