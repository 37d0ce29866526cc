"""The JSON API of the desktop and of integrations.

Authentication: the session cookie with the CSRF token in the ``X-CSRFToken`` header, or
a bearer token (:mod:`web.tokens`). Every endpoint is declared with
:func:`web.openapi.api_route`, which validates the body against :mod:`web.schemas` and
documents it at ``/api/openapi.json``.

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
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from controller.machine import InvalidAction

from .agent import desktop_config
from .auth import contact_center
from .openapi import ApiError, api_route
from .realtime import agent_view, supervisor_view
from .schemas import AgentStateBody, CallList, Me, SupervisorSnapshot, WrapUpBody

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")

CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


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


# _body and _text check a JSON body by hand; views declared with api_route get a validated
# model instead (web.schemas) and need neither.
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


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """JSON for every HTTP error under /api/ (also unknown URLs), the usual pages elsewhere."""
    if not request.path.startswith(bp.url_prefix + "/"):
        return exc
    messages = {403: "You are not allowed to do that.", 404: "Not found.", 405: "Method not allowed."}
    return jsonify(error=messages.get(exc.code, exc.description)), exc.code


@api_route(bp, "get", "/me", ok=Me, tags=("agent",))
def me():
    """The signed-in person: live state and the desktop's menus."""
    snapshot = contact_center().agent_snapshot(current_user.id)
    return jsonify(agent=snapshot["agent"], **{k: v for k, v in desktop_config().items() if k != "agent_id"})


@api_route(bp, "post", "/agent/state", body=AgentStateBody, errors=(409,), tags=("agent",))
def set_state(body: AgentStateBody):
    """Choose available, idle (with a reason) or logged out."""
    cc = contact_center()
    _act(lambda: cc.set_agent_state(current_user.id, body.state, reason=body.reason))
    return jsonify(ok=True)


@api_route(bp, "get", "/calls", ok=CallList, tags=("calls",))
def calls():
    """The calls the signed-in person is on."""
    return jsonify(calls=agent_view(contact_center(), current_user.id)["calls"])


@api_route(bp, "post", "/calls/<call_id>/wrapup", body=WrapUpBody, errors=(403, 404, 409), tags=("calls",))
def wrap_up(call_id: str, body: WrapUpBody):
    """Finish wrap-up with one of the queue's reasons (a campaign call: one of its dispositions,
    optionally with the time its campaign calls the customer again)."""
    from controller.calls.errors import BadInput, UnknownCall

    call_id = _call_id(call_id)
    reason = body.reason
    # the call has usually ended (or was transferred) already: the controller checks it
    # against the agent's wrap-up call, not the live calls
    cc = contact_center()
    callback = body.callback.model_dump() if body.callback is not None else None

    def finish() -> None:
        try:
            cc.wrap_up(call_id, current_user.id, reason, callback)
        except UnknownCall as exc:
            raise ApiError(404, "No such call.") from exc
        except BadInput as exc:  # not a disposition of the campaign, a callback time that cannot be
            raise ApiError(400, str(exc)) from exc

    _act(finish)
    return jsonify(ok=True)


@api_route(bp, "get", "/supervisor", ok=SupervisorSnapshot, supervisor=True, tags=("supervisor",))
def supervisor_snapshot():
    """Every agent, queue and live call, and the callbacks not yet served (supervisors and admins)."""
    return jsonify(supervisor_view(contact_center()))
