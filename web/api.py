"""The JSON API the desktop calls. Session auth; CSRF token in the ``X-CSRFToken`` header.

Every error is ``{"error": "<a sentence a person can read>"}`` with 400 (bad input),
401 (not signed in), 403 (not yours / not allowed), 404 (no such thing) or 409 (not
possible in the current state). A successful action answers ``{"ok": true}``: what
changed reaches the page as a Socket.IO push, never through this reply.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from controller.machine import InvalidAction

from .agent import desktop_config
from .auth import contact_center, supervisor_required
from .realtime import agent_view

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")

#: states an agent may choose from the desktop; the rest are set by calls
SELECTABLE_STATES = ("available", "idle", "logged_out")
MAX_REASON = 64
CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _service_errors() -> tuple[tuple[type, int], ...]:
    """The controller's exceptions and the status each one means (imported late: the
    service module pulls in the whole controller)."""
    from controller import service

    mapping: list[tuple[type, int]] = [(InvalidAction, 409)]
    for name, status in (("NotYourCall", 403), ("UnknownCall", 404)):
        exc = getattr(service, name, None)
        if isinstance(exc, type):
            mapping.append((exc, status))
    return tuple(mapping)


def _act(action: Callable[[], Any]) -> Any:
    """Run one contact-center action, turning its refusals into API errors."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - mapped below or re-raised
        for exc_type, status in _service_errors():
            if isinstance(exc, exc_type):
                log.info("api: %s refused for %s: %s", request.path, current_user.username, exc)
                raise ApiError(status, str(exc)) from exc
        raise


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object (Content-Type: application/json).")
    return body


def _text(body: dict, key: str, *, limit: int, required: bool = False) -> str:
    value = body.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError(400, f"'{key}' must be text.")
    value = value.strip()
    if required and not value:
        raise ApiError(400, f"'{key}' is required.")
    if len(value) > limit:
        raise ApiError(400, f"'{key}' is too long ({len(value)} characters; at most {limit}).")
    return value


def _call_id(call_id: str) -> str:
    if not CALL_ID.fullmatch(call_id):
        raise ApiError(404, "No such call.")
    return call_id


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return jsonify(error=str(exc)), exc.status


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """JSON for every HTTP error under /api/ (also unknown URLs), the usual pages elsewhere."""
    if not request.path.startswith(bp.url_prefix + "/"):
        return exc
    messages = {403: "You are not allowed to do that.", 404: "Not found.", 405: "Method not allowed."}
    return jsonify(error=messages.get(exc.code, exc.description)), exc.code


@bp.get("/me")
@login_required
def me():
    snapshot = contact_center().agent_snapshot(current_user.id)
    return jsonify(agent=snapshot["agent"], **{k: v for k, v in desktop_config().items() if k != "agent_id"})


@bp.post("/agent/state")
@login_required
def set_state():
    body = _body()
    state = body.get("state")
    if state not in SELECTABLE_STATES:
        raise ApiError(400, f"'state' must be one of: {', '.join(SELECTABLE_STATES)}.")
    reason = _text(body, "reason", limit=MAX_REASON)
    cc = contact_center()
    _act(lambda: cc.set_agent_state(current_user.id, state, reason=reason))
    return jsonify(ok=True)


@bp.get("/calls")
@login_required
def calls():
    return jsonify(calls=agent_view(contact_center(), current_user.id)["calls"])


@bp.post("/calls/<call_id>/hangup")
@login_required
def hangup(call_id: str):
    call_id = _call_id(call_id)
    cc = contact_center()
    _act(lambda: cc.hangup(call_id, current_user.id))
    return jsonify(ok=True)


@bp.post("/calls/<call_id>/wrapup")
@login_required
def wrap_up(call_id: str):
    from controller.models import Interaction

    call_id = _call_id(call_id)
    reason = _text(_body(), "reason", limit=128, required=True)
    # the call has usually ended already, so it is checked against the record, not the live calls
    record = Interaction.get_or_none(Interaction.id == call_id)
    if record is None:
        raise ApiError(404, "No such call.")
    if record.agent_id != current_user.id:
        raise ApiError(403, "You are not part of this call.")
    cc = contact_center()
    _act(lambda: cc.wrap_up(call_id, current_user.id, reason))
    return jsonify(ok=True)


@bp.get("/supervisor")
@supervisor_required
def supervisor_snapshot():
    return jsonify(contact_center().supervisor_snapshot())
