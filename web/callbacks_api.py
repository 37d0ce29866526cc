"""Callbacks over HTTP: the REST endpoints (see docs/callbacks.md) and the public callback form.

REST (session + CSRF, or a bearer token; declared with :func:`web.openapi.api_route`):

- ``POST /api/callbacks`` — a web callback request (name, number, queue, optional
  preferred time); meant for an integration's bearer token; rate-limited per caller;
- ``GET /api/callbacks?view=missed|agenda|queue|all`` and ``GET /api/callbacks/<id>``;
- ``POST /api/callbacks/<id>/accept|decline|call|cancel`` — the popover, Call back from
  Missed calls or the agenda, cancel; ``GET /api/callbacks/<id>/message`` — a voice message;
- ``POST /api/agenda`` — disposition Agenda (personal) or a campaign's global callback, and
  ``GET /api/calls/<id>/agenda`` — what its form starts from;
- ``POST /api/calls/<id>/callback`` (call back now at a number), ``…/callback/prompt``
  and ``…/callback/prompt/cancel`` — agent-initiated callback.

Public (no sign-in): ``GET/POST /callback-form/<queue>``, a small page a website embeds
in an ``<iframe>``. It carries a signed, time-limited form token instead of a session
(a cross-site frame gets no cookies), a honeypot field, and is rate-limited per address.
Only queues with ``web_callback_form`` serve it.
"""
from __future__ import annotations

import logging
import os
import secrets
from typing import Any, Callable

from flask import Blueprint, Flask, abort, current_app, jsonify, make_response, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .api import _call_id, bp
from .auth import contact_center, csrf
from .calls_api import _actor, _do as _call_action
from .openapi import ApiError, api_route, whole_number
from .callback_schemas import (AgendaBody, AgendaDefaults, CallbackCallReply, CallbackList, CallbackNumberBody, CallbackReply,
                               WebCallbackBody, WebCallbackReply)
from .schemas import CallReply

log = logging.getLogger(__name__)

public = Blueprint("callback_form", __name__)

#: requests per caller (token, person or address) to ask for callbacks
DEFAULT_RATE_LIMIT = "10/minute;100/hour"
FORM_TOKEN_SALT = "switchdesk-callback-form"
FORM_TOKEN_MAX_AGE = 3600


def _do(action: Callable[[], Any]) -> Any:
    """A call action's answers (web.calls_api), and 404 for a callback that does not exist."""
    from controller.callbacks.store import UnknownCallback

    try:
        return _call_action(action)
    except UnknownCallback as exc:
        raise ApiError(404, "No such callback.") from exc


# ---------------------------------------------------------------- REST

@api_route(bp, "post", "/callbacks", body=WebCallbackBody, ok=WebCallbackReply, errors=(409, 429),
           tags=("callbacks",))
def request_callback(body: WebCallbackBody):
    """Ask for a callback (web callback): a second request for the same number and queue updates it.

    Meant for a website's backend with an integration's bearer token; rate-limited per caller.
    """
    cc = contact_center()
    callback, created = _do(lambda: cc.web_callback(
        number=body.number, queue_name=body.queue, name=body.name, note=body.note,
        preferred_time=body.preferred_time, time_zone=body.time_zone, requested_by=current_user.id))
    return jsonify(ok=True, created=created, callback=callback), 201 if created else 200


@api_route(bp, "get", "/callbacks", ok=CallbackList, errors=(403,), tags=("callbacks",))
def list_callbacks():
    """Open callbacks: `?view=missed` (Missed calls), `agenda`, `queue` (your queues) or `all` (supervisors)."""
    cc = contact_center()
    view = request.args.get("view", "missed")
    if view == "all" and _actor() is not None:
        raise ApiError(403, "Only supervisors see every callback.")
    return jsonify(callbacks=_do(lambda: cc.list_callbacks(_actor(), view)))


def _callback_id(callback_id: str) -> int:
    number = whole_number(callback_id, 12)
    if number is None:
        raise ApiError(404, "No such callback.")
    return number


@api_route(bp, "get", "/callbacks/<callback_id>", ok=CallbackReply, errors=(403, 404), tags=("callbacks",))
def get_callback(callback_id: str):
    """One callback with its history."""
    cc = contact_center()
    return jsonify(ok=True, callback=_do(lambda: cc.callback_view(_callback_id(callback_id), _actor())))


@api_route(bp, "post", "/callbacks/<callback_id>/accept", ok=CallbackCallReply, errors=(403, 404, 409, 502),
           tags=("callbacks",))
def accept_callback(callback_id: str):
    """Accept the callback offered to you: your phone rings, the customer is dialed after the queue's call_delay."""
    cc = contact_center()
    return jsonify(ok=True, call=_do(lambda: cc.accept_callback(_callback_id(callback_id), current_user.id)))


@api_route(bp, "post", "/callbacks/<callback_id>/decline", ok=CallbackReply, errors=(403, 404, 409),
           tags=("callbacks",))
def decline_callback(callback_id: str):
    """Decline the callback offered to you: it keeps its place for another agent."""
    cc = contact_center()
    return jsonify(ok=True, callback=_do(lambda: cc.decline_callback(_callback_id(callback_id), current_user.id)))


@api_route(bp, "post", "/callbacks/<callback_id>/call", ok=CallbackCallReply, errors=(403, 404, 409, 502),
           tags=("callbacks",))
def call_callback(callback_id: str):
    """Call back now (from Missed calls or the agenda): your phone rings first, then the customer's."""
    cc = contact_center()
    cb_id = _callback_id(callback_id)
    _do(lambda: cc.callback_view(cb_id, current_user.id))  # 403 if it is not one of yours
    return jsonify(ok=True, call=_do(lambda: cc.call_callback_now(cb_id, current_user.id)))


@api_route(bp, "post", "/callbacks/<callback_id>/cancel", ok=CallbackReply, errors=(403, 404, 409, 502),
           tags=("callbacks",))
def cancel_callback(callback_id: str):
    """Cancel a callback that has not been answered (while it is dialed: the call is hung up, wrap-up follows)."""
    cc = contact_center()
    cb_id = _callback_id(callback_id)
    _do(lambda: cc.callback_view(cb_id, _actor()))
    return jsonify(ok=True, callback=_do(lambda: cc.cancel_callback(cb_id, current_user.id,
                                                                  f"cancelled by {current_user.username}")))


@api_route(bp, "get", "/callbacks/<callback_id>/message", ok=None, errors=(403, 404), tags=("callbacks",))
def callback_message(callback_id: str):
    """The voice message a caller left (audio/wav)."""
    from controller.models import Callback

    cc = contact_center()
    cb_id = _callback_id(callback_id)
    _do(lambda: cc.callback_view(cb_id, _actor()))
    cb = Callback.get_by_id(cb_id)
    if not cb.message_path or not os.path.isfile(cb.message_path):
        raise ApiError(404, "This callback has no message.")
    with open(cb.message_path, "rb") as fh:  # read whole: spectree looks at the reply after the view
        response = make_response(fh.read())
    response.mimetype = "audio/wav"
    response.headers["Content-Disposition"] = f'inline; filename="message-{cb_id}.wav"'
    return response


@api_route(bp, "get", "/calls/<call_id>/agenda", ok=AgendaDefaults, errors=(403, 404), tags=("callbacks",))
def agenda_defaults(call_id: str):
    """What the Agenda form of a call you handled starts from: number, time zone, personal or global."""
    from controller.models import Interaction

    call_id = _call_id(call_id)
    if Interaction.get_or_none(Interaction.id == call_id) is None:
        raise ApiError(404, "No such call.")
    cc = contact_center()
    return jsonify(_do(lambda: cc.agenda_defaults(call_id, _actor())))


@api_route(bp, "post", "/agenda", body=AgendaBody, ok=CallbackReply, errors=(403, 409), tags=("callbacks",))
def schedule_agenda(body: AgendaBody):
    """Disposition Agenda: call this customer at a date and time (their time zone); personal or a campaign's."""
    cc = contact_center()
    callback = _do(lambda: cc.schedule_agenda(
        current_user.id, number=body.number, date=body.date, time=body.time, time_zone=body.time_zone,
        reason=body.reason, scope=body.scope, queue_name=body.queue, contact_id=body.contact_id, name=body.name))
    return jsonify(ok=True, callback=callback), 201


@api_route(bp, "post", "/calls/<call_id>/callback", body=CallbackNumberBody, ok=CallReply,
           errors=(403, 404, 409, 502), tags=("callbacks",))
def call_back_now(call_id: str, body: CallbackNumberBody):
    """Agent-initiated callback: dial this number now; you are bridged to it when it answers, the old leg is released."""
    cc = contact_center()
    return jsonify(ok=True, call=_do(lambda: cc.call_back_now(_call_id(call_id), current_user.id, body.number)))


@api_route(bp, "post", "/calls/<call_id>/callback/prompt", ok=CallReply, errors=(403, 404, 409, 502),
           tags=("callbacks",))
def prompt_callback_number(call_id: str):
    """The customer hears a prompt and keys in the number to be called back at (digits arrive as pushes)."""
    cc = contact_center()
    return jsonify(ok=True, call=_do(lambda: cc.prompt_callback_number(_call_id(call_id), current_user.id)))


@api_route(bp, "post", "/calls/<call_id>/callback/prompt/cancel", ok=CallReply, errors=(403, 404, 409, 502),
           tags=("callbacks",))
def cancel_callback_prompt(call_id: str):
    """Stop asking the customer for a number."""
    cc = contact_center()
    return jsonify(ok=True, call=_do(lambda: cc.cancel_number_prompt(_call_id(call_id), current_user.id)))


# ---------------------------------------------------------------- the public form

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=FORM_TOKEN_SALT)


def _form_queue(queue_name: str):
    from controller.models import Queue

    queue = Queue.get_or_none(Queue.name == queue_name)
    if queue is None or not queue.web_callback_form:
        abort(404)
    return queue


def _form_page(queue, *, status: int = 200, error: str | None = None, done: dict | None = None,
               values: dict | None = None):
    nonce = secrets.token_urlsafe(12)
    html = render_template("callback_form.html", queue=queue, token=_serializer().dumps({"queue": queue.name}),
                           error=error, done=done, values=values or {}, nonce=nonce)
    response = make_response(html, status)
    origins = current_app.config.get("SWITCHDESK_CALLBACK_FORM_ORIGINS", "*")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; form-action 'self'; "
        f"frame-ancestors {origins}")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@public.route("/callback-form/<queue_name>", methods=["GET"])
def callback_form(queue_name: str):
    return _form_page(_form_queue(queue_name))


@public.route("/callback-form/<queue_name>", methods=["POST"])
@csrf.exempt  # no session in a cross-site frame: the signed form token stands in for it
def submit_callback_form(queue_name: str):
    queue = _form_queue(queue_name)
    form = request.form
    values = {k: form.get(k, "")[:128] for k in ("name", "number", "when", "time_zone")}
    try:
        data = _serializer().loads(form.get("token", ""), max_age=FORM_TOKEN_MAX_AGE)
    except SignatureExpired:
        return _form_page(queue, status=400, error="The form was open too long. Please send it again.",
                          values=values)
    except BadSignature:
        return _form_page(queue, status=400, error="Please use the form on this page.", values=values)
    if data.get("queue") != queue.name or form.get("website"):
        log.info("callback form: refused a submission for %s (token or honeypot)", queue.name)
        return _form_page(queue, status=400, error="Please use the form on this page.", values=values)
    name, number = values["name"].strip(), values["number"].strip()
    if not number:
        return _form_page(queue, status=400, error="Please give the number we should call.", values=values)
    preferred = None
    tz = values["time_zone"].strip() or None
    if values["when"].strip():
        from controller.callbacks import windows

        try:
            date, _, clock = values["when"].strip().partition("T")
            preferred = windows.local_to_utc(date, clock[:5], tz or "UTC")
        except windows.BadWindow:
            return _form_page(queue, status=400, error="Please pick a date and time, or leave it empty.",
                              values=values)
    from controller.calls.errors import BadInput

    try:
        callback, _created = contact_center().web_callback(number=number, queue_name=queue.name, name=name[:128],
                                                           preferred_time=preferred, time_zone=tz,
                                                           note="callback form")
    except BadInput as exc:
        return _form_page(queue, status=400, error=str(exc), values=values)
    return _form_page(queue, done=callback)


# ---------------------------------------------------------------- rate limits

def _caller_key() -> str:
    """Who is asking: the bearer token (each integration has its own), the person, or the address."""
    from . import tokens

    token = tokens.bearer_token(request)
    if token:
        return "token:" + tokens.token_hash(token)[:16]
    if current_user and getattr(current_user, "is_authenticated", False):
        return f"user:{current_user.id}"
    return "addr:" + (get_remote_address() or "unknown")


def init_app(app: Flask, settings: Any) -> Limiter:
    """Register the public form and rate-limit the callback requests of this app.

    Limits: ``SWITCHDESK_CALLBACK_RATE_LIMIT`` (default 10/minute;100/hour) per token,
    person or address; counters in memory (``SWITCHDESK_RATELIMIT_STORAGE``, e.g.
    ``redis://127.0.0.1:6379``, shares them between processes).
    """
    app.register_blueprint(public)
    app.config.setdefault("SWITCHDESK_CALLBACK_FORM_ORIGINS",
                          os.environ.get("SWITCHDESK_CALLBACK_FORM_ORIGINS", "*"))
    rate = os.environ.get("SWITCHDESK_CALLBACK_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    limiter = Limiter(_caller_key, app=app, storage_uri=os.environ.get("SWITCHDESK_RATELIMIT_STORAGE", "memory://"),
                      default_limits=[], headers_enabled=True)
    message = "Too many callback requests: try again later."
    for endpoint in ("api.request_callback", "callback_form.submit_callback_form"):
        app.view_functions[endpoint] = limiter.limit(rate, error_message=message)(app.view_functions[endpoint])
    app.extensions["switchdesk.limiter"] = limiter
    return limiter
