"""The web desktop: a Flask-SocketIO app with one blueprint per audience.

``auth`` (login/logout, bearer tokens), ``agent`` (the desktop page), ``supervisor`` (live
agents and queues), ``admin`` (IVR menus and the dialplan, for admins; campaigns), ``api`` (JSON
actions, declared with :func:`web.openapi.api_route`, documented at ``/api/openapi.json``)
and ``realtime`` (Socket.IO pushes). Every action goes through the
:class:`controller.service.ContactCenter` given to :func:`create_app`; the browser
changes what it shows only when a push arrives, so the controller stays the single
source of truth.
"""
from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from controller.db import release_connection
from flask import Flask
from flask_socketio import SocketIO

from . import (address_book_api, admin, agent, api, auth, callbacks_api, calls_api, campaigns_api, openapi,
               realtime, recordings, supervisor)
from .jsonio import SocketJson, json_default

log = logging.getLogger(__name__)

#: where a generated secret key is kept when the settings give none
DEFAULT_SECRET_KEY_FILE = os.path.join("var", "secret_key")


def create_app(cc: Any, settings: Any, *, secret_key_file: str = DEFAULT_SECRET_KEY_FILE) -> tuple[Flask, SocketIO]:
    """Build the Flask app and its Socket.IO server around one contact center.

    :param cc: the :class:`controller.service.ContactCenter` every action goes through
    :param settings: :class:`controller.config.Settings`
    :param secret_key_file: where a generated key is kept when ``settings.secret_key`` is empty
    :return: ``(app, socketio)``; :func:`controller.cli.serve_web` serves them (gevent's WSGI server)
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or load_or_create_secret_key(secret_key_file),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="switchdesk_session",
        # the page stays open for a whole shift: a token tied to the session, not to a clock
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.json.default = json_default  # datetimes from the controller travel as ISO 8601 (UTC)
    app.extensions["switchdesk.cc"] = cc
    app.extensions["switchdesk.settings"] = settings

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(agent.bp)
    app.register_blueprint(supervisor.bp)
    app.register_blueprint(recordings.bp)
    app.register_blueprint(api.bp)
    callbacks_api.init_app(app, settings)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin.api_bp)
    openapi.init_app(app)

    @app.teardown_request
    def _release_db(_exc):
        # each request runs in its own greenlet: give its pooled connection back
        release_connection()

    # same-origin only (the default): another site cannot open a socket with our cookie
    socketio = SocketIO(app, async_mode="gevent", json=SocketJson, manage_session=False)
    realtime.init_app(socketio, cc)
    return app, socketio


def load_or_create_secret_key(path: str) -> str:
    """Return the key stored in ``path``, creating it (mode 0600) on first use.

    The key signs session cookies: it is never logged, and a restart keeps agents logged in.
    """
    try:
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    os.chmod(path, 0o600)  # O_CREAT's mode is masked by the umask
    log.info("generated a new session secret key in %s", path)
    return key
