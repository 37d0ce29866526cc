"""Login and logout (Flask-Login), CSRF protection (Flask-WTF), bearer tokens and role checks.

Passwords are checked against werkzeug hashes kept on :class:`controller.models.Agent`.
A session names its user by id and a *credential stamp* (an HMAC of the password hash it
was opened with), and every request reads that user's row again with one prepared
statement (no peewee query building): a deleted user is refused at the next request, a
changed role applies at once, and a new password ends every session opened with the old
one.
Every POST/PATCH of a cookie session must carry the page's CSRF token (form field or
``X-CSRFToken`` header); a bearer request to ``/api/`` (:mod:`web.tokens`) needs none, and
its cookie, if any, is ignored.
Signing out of the desktop also logs the agent out of the queues, so nobody is offered
a call on a page that is closed; the controller refuses that while a call is on the
agent, and the agent stays signed in with the reason on screen.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from controller.db import Prepared
from controller.models import Agent

from . import tokens

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})

#: what a session's user is made of, read on every request of a signed-in person
_IDENTITY = Prepared('SELECT id, username, name, extension, role, password_hash FROM {table} WHERE id = {param}',
                     Agent)


@dataclass(frozen=True)
class DesktopUser:
    """The signed-in person as Flask-Login sees them (a copy, not a live database row)."""

    id: int
    username: str
    name: str
    extension: str
    role: str
    #: :func:`credential_stamp` of the password this user signed in with
    stamp: str = field(default="", repr=False, compare=False)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the session keeps: ``<id>:<stamp>`` (see :func:`_load_user`)."""
        return f"{self.id}:{self.stamp}"

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES

    @classmethod
    def from_agent(cls, agent: Any) -> "DesktopUser":
        return cls(id=agent.id, username=agent.username, name=agent.name,
                   extension=agent.extension, role=agent.role, stamp=credential_stamp(agent.password_hash))


def credential_stamp(password_hash: str) -> str:
    """Ties a session to the password it was opened with (keyed with the app's secret: the
    cookie is signed, not encrypted, and tells nothing about the hash)."""
    key = current_app.secret_key.encode("utf-8")
    return hmac.new(key, password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def init_app(app: Flask) -> None:
    # CSRF is checked by _check_csrf below, which lets bearer requests through
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.session_interface = tokens.ApiSessionInterface()
    csrf.init_app(app)
    app.before_request(_check_csrf)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to open the desktop."
    app.register_error_handler(CSRFError, _csrf_failed)


def contact_center() -> Any:
    return current_app.extensions["switchdesk.cc"]


@login_manager.user_loader
def _load_user(session_id: str) -> DesktopUser | None:
    """The session's user, as the database has them now; None (signed out) if the user is
    gone or the password changed since the session was opened."""
    agent_id, sep, stamp = session_id.partition(":")
    if not sep or not agent_id.isdigit() or len(agent_id) > 18:
        return None  # also a session from before stamps: sign in again
    row = _IDENTITY.one(int(agent_id))
    if row is None:
        return None
    user = DesktopUser(*row[:5], stamp=credential_stamp(row[5]))
    if not hmac.compare_digest(user.stamp, stamp):
        log.info("web: session of %s refused: the password changed since it was opened", user.username)
        return None
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> DesktopUser | None:
    """A bearer request's user (its session is empty, see :class:`web.tokens.ApiSessionInterface`)."""
    token = tokens.bearer_token(req)
    if token is None:
        return None
    row = tokens.authenticate(token)
    if row is None:
        g.bearer_refused = True
        return None
    return DesktopUser.from_agent(row.agent)


def _check_csrf() -> None:
    """Flask-WTF's check for every POST/PATCH/PUT/DELETE, except bearer requests to the API."""
    if not current_app.config["WTF_CSRF_ENABLED"] or tokens.bearer_token(request) is not None:
        return
    csrf.protect(apply_exemptions=True)


@login_manager.unauthorized_handler
def _unauthorized():
    if g.get("bearer_refused"):
        return jsonify(error="The bearer token is wrong or has been revoked."), 401
    if _wants_json():
        return jsonify(error="Sign in first."), 401
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _csrf_failed(exc: CSRFError):
    if _wants_json():
        return jsonify(error=f"Request refused: {exc.description} Reload the page and try again."), 400
    form = LoginForm()
    return render_template("login.html", form=form,
                           error="The form expired or was not sent from this site. Please try again."), 400


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def supervisor_required(view: Callable) -> Callable:
    """Let only supervisors and admins in (403 for agents)."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def home_for(user: DesktopUser) -> str:
    return url_for("supervisor.page") if user.is_supervisor else url_for("agent.desktop")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never redirect a fresh login to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        agent = Agent.get_or_none(Agent.username == form.username.data.strip())
        if agent is not None and agent.check_password(form.password.data):
            user = DesktopUser.from_agent(agent)
            login_user(user)
            log.info("web: %s signed in", user.username)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        log.info("web: failed sign-in for %r", form.username.data[:64])
        error, status = "Wrong username or password.", 401
    elif request.method == "POST":
        error, status = "Enter your username and password.", 400
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    from controller.machine import InvalidAction

    cc = contact_center()
    state = cc.agent_snapshot(current_user.id)["agent"]["state"]
    if state != "logged_out":
        try:
            cc.set_agent_state(current_user.id, "logged_out")
        except InvalidAction as exc:
            flash(f"You cannot sign out now: {exc}", "error")
            return redirect(url_for("agent.desktop")), 303
    log.info("web: %s signed out", current_user.username)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login")), 303
