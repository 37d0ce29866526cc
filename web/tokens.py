"""Bearer tokens: how integrations (a CRM, a wallboard, a script) call the REST API.

``Authorization: Bearer <token>`` on a request under ``/api/`` authenticates it as the
person the token was made for (:class:`controller.models.ApiToken`), with that person's
role: a token made for an agent acts only on that agent's calls, one made for a
supervisor sees everything a supervisor sees.

- Only the SHA-256 of a token is stored. A request's token is hashed and the row is
  found by that hash (a unique index), so no comparison ever runs on the token itself
  and how long a look-up takes tells nothing about it.
- A bearer request neither reads nor writes the session cookie
  (:class:`ApiSessionInterface`): the token alone decides who is calling, a wrong token
  is a 401 even next to a valid cookie, and a token never turns into a session.
- A bearer request needs no CSRF token (see :func:`web.auth.init_app`): a browser never
  adds an ``Authorization`` header to another site's request on its own, and the cookie
  that CSRF protects is not even read.
- The token is never logged; tokens are shown by id and name.

``switchdesk token create|list|revoke`` (:mod:`controller.cli`) uses :func:`issue`,
:func:`all_tokens` and :func:`revoke`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

log = logging.getLogger(__name__)

#: tells a switchdesk token apart in a config file or a secret scanner
TOKEN_PREFIX = "sdt_"
#: ``last_used_at`` is written at most this often per token (not on every request)
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
API_PREFIX = "/api/"


def new_token() -> str:
    """A fresh token: 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def bearer_token(request: Any) -> str | None:
    """The token of a bearer request to the API, ``""`` for ``Bearer`` with no token, else None.

    :param request: the current Flask/werkzeug request
    """
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


def authenticate(token: str) -> Any:
    """The :class:`~controller.models.ApiToken` (with its ``agent``) for a valid token, else None."""
    from controller.models import Agent, ApiToken, utcnow

    if not token:
        return None
    row = (ApiToken.select(ApiToken, Agent).join(Agent)
           .where((ApiToken.token_hash == token_hash(token)) & (ApiToken.revoked == False))  # noqa: E712
           .first())
    if row is None:
        log.info("api: refused a bearer token that is unknown or revoked")
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
        row.last_used_at = now
    return row


def issue(username: str, name: str) -> tuple[Any, str]:
    """Make a token for ``username``; returns ``(row, token)``. The token is not stored.

    :raises LookupError: no such user
    :raises ValueError: the name is empty or too long
    """
    from controller.models import Agent, ApiToken

    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("the token's name must be 1 to 64 characters")
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        raise LookupError(f"no user named {username!r}")
    token = new_token()
    row = ApiToken.create(name=name, agent=agent, token_hash=token_hash(token))
    log.info("api token %d (%s) created for %s", row.id, name, agent.username)
    return row, token


def all_tokens() -> list[Any]:
    """Every token, oldest first, with its ``agent``."""
    from controller.models import Agent, ApiToken

    return list(ApiToken.select(ApiToken, Agent).join(Agent).order_by(ApiToken.id))


def revoke(token_id: int) -> Any:
    """Revoke a token for good (the row stays, for the record); returns it, or None if unknown."""
    from controller.models import Agent, ApiToken

    row = ApiToken.select(ApiToken, Agent).join(Agent).where(ApiToken.id == token_id).first()
    if row is None:
        return None
    if not row.revoked:
        ApiToken.update(revoked=True).where(ApiToken.id == row.id).execute()
        row.revoked = True
        log.info("api token %d (%s) of %s revoked", row.id, row.name, row.agent.username)
    return row


class BearerSession(SecureCookieSession):
    """The empty, never-saved session of a bearer request."""


class ApiSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions as usual, except that a bearer request gets an empty session
    that is never saved: its cookie is not read, and no cookie is set in its reply."""

    def open_session(self, app: Any, request: Any) -> SecureCookieSession | None:
        if bearer_token(request) is not None:
            return BearerSession()
        return super().open_session(app, request)

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        if isinstance(session, BearerSession):
            return
        super().save_session(app, session, response)
