"""Call-control endpoints of the JSON API (see docs/api.md and /api/openapi.json).

Each action runs on the call's ordered queue in the controller and answers with the
call as the acting agent now sees it (``{"ok": true, "call": CallDict}``); every
desktop showing the call also gets it as a Socket.IO ``call`` push.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import jsonify
from flask_login import current_user, login_required

from .api import ApiError, _act, _body, _call_id, _text, bp
from .auth import contact_center


def _actor() -> int | None:
    """The agent acting, or None for supervisors and admins (they may act on any call)."""
    return None if current_user.role in ("supervisor", "admin") else current_user.id


def _do(action: Callable[[], Any]) -> Any:
    from controller.calls.errors import BadInput, SwitchRefused

    try:
        return _act(action)
    except BadInput as exc:
        raise ApiError(400, str(exc)) from exc
    except SwitchRefused as exc:
        raise ApiError(502, str(exc)) from exc


def _target(body: dict, key: str = "to") -> dict:
    target = body.get(key)
    if not isinstance(target, dict):
        raise ApiError(400, f"'{key}' must be an object with one of: agent, queue, number.")
    for name, value in target.items():
        if not isinstance(value, str) or len(value) > 64:
            raise ApiError(400, f"'{key}.{name}' must be text of at most 64 characters.")
    return target


def _answer(call: dict, status: int = 200, **extra):
    return jsonify(ok=True, call=call, **extra), status


@bp.post("/calls")
@login_required
def place_call():
    body = _body()
    target = body.get("to")
    if not isinstance(target, dict):
        raise ApiError(400, "'to' must be an object with one of: number, extension, agent.")
    queue = _text(body, "queue", limit=64) or None
    cc = contact_center()
    call = _do(lambda: cc.place_call(current_user.id, target, queue))
    return _answer(call, 201)


@bp.get("/calls/<call_id>")
@login_required
def get_call(call_id: str):
    cc = contact_center()
    return jsonify(call=_do(lambda: cc.call_view(_call_id(call_id), _actor())))


def _simple(name: str, method: str):
    def view(call_id: str):
        cc = contact_center()
        return _answer(_do(lambda: getattr(cc, method)(_call_id(call_id), _actor())))

    view.__name__ = name
    bp.post(f"/calls/<call_id>/{name.replace('_', '/')}")(login_required(view))


for _name, _method in (("accept", "accept"), ("hold", "hold"), ("unhold", "unhold"),
                       ("consult_cancel", "consult_cancel"), ("consult_complete", "consult_complete"),
                       ("consult_conference", "consult_conference"), ("consult_swap", "consult_swap")):
    _simple(_name, _method)


@bp.post("/calls/<call_id>/transfer")
@login_required
def transfer(call_id: str):
    body = _body()
    mode = body.get("mode", "blind")
    if mode not in ("blind", "consult"):
        raise ApiError(400, "'mode' must be blind or consult.")
    target = _target(body)
    cc = contact_center()
    method = cc.transfer if mode == "blind" else cc.consult
    return _answer(_do(lambda: method(_call_id(call_id), _actor(), target)))


@bp.post("/calls/<call_id>/consult")
@login_required
def consult(call_id: str):
    target = _target(_body())
    cc = contact_center()
    return _answer(_do(lambda: cc.consult(_call_id(call_id), _actor(), target)))


@bp.post("/calls/<call_id>/recording")
@login_required
def recording(call_id: str):
    body = _body()
    action = body.get("action")
    seconds = body.get("seconds")
    if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
        raise ApiError(400, "'seconds' must be a whole number of seconds.")
    cc = contact_center()
    return _answer(_do(lambda: cc.recording(_call_id(call_id), _actor(), action, seconds)))


@bp.post("/calls/<call_id>/recording/tags")
@login_required
def tag_recording(call_id: str):
    body = _body()
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "'text' must be text.")
    cc = contact_center()
    view = _do(lambda: cc.tag_recording(_call_id(call_id), _actor(), text))
    tag = view.pop("tag")
    return _answer(view, 201, tag=tag)


@bp.get("/directory")
@login_required
def directory():
    """Who and where a call can go: agents with their state, queues (for transfer/consult dialogs)."""
    from controller.models import Agent, Queue

    cc = contact_center()
    agents = []
    for record in Agent.select().where(Agent.role == "agent").order_by(Agent.name):
        machine = cc.agent(record.id)
        agents.append({"username": record.username, "name": record.name, "extension": record.extension,
                       "team": record.team, "state": machine.state,
                       "reachable": machine.state in ("available", "idle") and not machine.call_id})
    queues = [{"name": q.name, "label": q.label or q.name} for q in Queue.select().order_by(Queue.name)]
    return jsonify(agents=agents, queues=queues)
