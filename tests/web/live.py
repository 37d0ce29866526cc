"""The app served over a real socket, and a ``requests`` client for it.

The app runs on gevent's WSGI server in this process (as ``switchdesk serve`` runs it),
so the controller's greenlets keep working; ``requests`` is not cooperative here, so each
request runs in gevent's thread pool while this greenlet waits for it.
"""
from __future__ import annotations

import io
from contextlib import contextmanager

import gevent
import requests
from gevent.pywsgi import WSGIServer

from tests.conftest import PASSWORDS

from .conftest import csrf_token


@contextmanager
def serve(app):
    """Serve ``app`` on a free port of 127.0.0.1; yields ``(base_url, access_log)``."""
    access_log = io.StringIO()
    server = WSGIServer(("127.0.0.1", 0), app, log=access_log, error_log=access_log)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", access_log
    finally:
        server.stop(timeout=1)


class Http:
    """One HTTP client with its own cookie jar; ``csrf`` is set once signed in."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.csrf: str | None = None

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("allow_redirects", False)
        call = gevent.get_hub().threadpool.spawn(self.session.request, method, self.base_url + path, **kwargs)
        return call.get()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def sign_in(self, username: str) -> "Http":
        """Sign in through the login form, then read the desktop's CSRF token, as a browser does."""
        token = csrf_token(self.get("/login").text)
        response = self.post("/login", data={"username": username, "password": PASSWORDS[username],
                                             "csrf_token": token})
        assert response.status_code == 302, response.text
        self.csrf = csrf_token(self.get("/").text)
        return self
