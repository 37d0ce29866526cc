"""Call-control endpoints of the JSON API (see docs/api.md and /api/openapi.json).

Each action runs on the call's ordered queue in the controller and answers with the
call as the acting person now sees it (``{"ok": true, "call": CallDict}``); every
desktop showing the call also gets it as a Socket.IO ``call`` push. Agents act only on
calls they are part of; supervisors and admins on any call.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import jsonify
from flask_login import current_user

from .api import _act, _call_id, bp
from .auth import contact_center
from .openapi import ApiError, api_route
from .schemas import (CallDataList, CallDataPatch, CallDataReply, CallReply, ConsultBody, Directory, NewCall,
                      RecordingBody, Revealed, TagBody, TagReply, TransferBody)

ACTION_ERRORS = (403, 404, 409, 502)


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


def _target(model) -> dict:
    return {k: v for k, v in model.model_dump().items() if v not in (None, "")}


def _answer(call: dict, status: int = 200, **extra):
    return jsonify(ok=True, call=call, **extra), status


@api_route(bp, "post", "/calls", body=NewCall, ok=CallReply, errors=(403, 409, 502), tags=("calls",))
def place_call(body: NewCall):
    """Call out: the agent's phone rings first, then the destination."""
    cc = contact_center()
    return _answer(_do(lambda: cc.place_call(current_user.id, _target(body.to), body.queue)), 201)


@api_route(bp, "get", "/calls/<call_id>", ok=CallReply, errors=(403, 404), tags=("calls",))
def get_call(call_id: str):
    """One call, as the person asking sees it."""
    cc = contact_center()
    return _answer(_do(lambda: cc.call_view(_call_id(call_id), _actor())))


def _simple(path: str, method: str, summary: str) -> None:
    def view(call_id: str):
        cc = contact_center()
        return _answer(_do(lambda: getattr(cc, method)(_call_id(call_id), _actor())))

    view.__name__ = method
    view.__doc__ = summary
    api_route(bp, "post", f"/calls/<call_id>/{path}", ok=CallReply, errors=ACTION_ERRORS, tags=("calls",))(view)


for _path, _method, _summary in (
        ("accept", "accept", "Accept the call being offered."),
        ("hold", "hold", "Put the customer on hold (they hear music)."),
        ("unhold", "unhold", "Take the customer off hold."),
        ("hangup", "hangup", "Hang up the call."),
        ("consult/cancel", "consult_cancel", "End the consultation and return to the customer."),
        ("consult/complete", "consult_complete",
         "Complete the transfer: the customer is bridged to the consulted party."),
        ("consult/conference", "consult_conference",
         "Join customer, agent and consulted party in a three-way conference."),
        ("consult/swap", "consult_swap", "Talk to the other party; the one left is held.")):
    _simple(_path, _method, _summary)


@api_route(bp, "post", "/calls/<call_id>/transfer", body=TransferBody, ok=CallReply, errors=ACTION_ERRORS,
           tags=("calls",))
def transfer(call_id: str, body: TransferBody):
    """Transfer the call, blind or consultative."""
    cc = contact_center()
    if body.mode == "blind":
        return _answer(_do(lambda: cc.transfer(_call_id(call_id), _actor(), _target(body.to), body.priority)))
    return _answer(_do(lambda: cc.consult(_call_id(call_id), _actor(), _target(body.to))))


@api_route(bp, "post", "/calls/<call_id>/consult", body=ConsultBody, ok=CallReply, errors=ACTION_ERRORS,
           tags=("calls",))
def consult(call_id: str, body: ConsultBody):
    """Consult an agent, a number, a queue or an extension; the customer is held."""
    cc = contact_center()
    return _answer(_do(lambda: cc.consult(_call_id(call_id), _actor(), _target(body.to))))


@api_route(bp, "post", "/calls/<call_id>/recording", body=RecordingBody, ok=CallReply, errors=ACTION_ERRORS,
           tags=("recording",))
def recording(call_id: str, body: RecordingBody):
    """Start, stop, pause (optionally for N seconds) or resume the recording."""
    cc = contact_center()
    return _answer(_do(lambda: cc.recording(_call_id(call_id), _actor(), body.action, body.seconds)))


@api_route(bp, "post", "/calls/<call_id>/recording/tags", body=TagBody, ok=TagReply, errors=ACTION_ERRORS,
           tags=("recording",))
def tag_recording(call_id: str, body: TagBody):
    """Tag the recording at its current offset."""
    cc = contact_center()
    view = _do(lambda: cc.tag_recording(_call_id(call_id), _actor(), body.text))
    tag = view.pop("tag")
    return _answer(view, 201, tag=tag)


@api_route(bp, "get", "/directory", ok=Directory, tags=("calls",))
def directory():
    """Agents (with their state) and queues a call can go to."""
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


def _data(action: Callable[[], Any]) -> Any:
    from controller.calldata import CallDataError

    try:
        return _do(action)
    except CallDataError as exc:
        raise ApiError(exc.status, str(exc)) from exc


@api_route(bp, "get", "/calls/<call_id>/data", ok=CallDataList, errors=(403, 404), tags=("calls",))
def get_call_data(call_id: str):
    """The call's data variables (secure ones masked)."""
    cc = contact_center()
    return jsonify(data=_data(lambda: cc.call_data(_call_id(call_id), _actor())))


@api_route(bp, "patch", "/calls/<call_id>/data", body=CallDataPatch, ok=CallDataReply, errors=(403, 404, 409),
           tags=("calls",))
def save_call_data(call_id: str, body: CallDataPatch):
    """Save call-data variables (the first save wins)."""
    cc = contact_center()
    data = _data(lambda: cc.save_call_data(_call_id(call_id), _actor(), current_user.id, dict(body.values),
                                           dict(body.versions)))
    return jsonify(ok=True, data=data)


@api_route(bp, "post", "/calls/<call_id>/data/<name>/reveal", ok=Revealed, errors=(403, 404), tags=("calls",))
def reveal_call_data(call_id: str, name: str):
    """Show one secure value in clear (audited)."""
    if len(name) > 64:
        raise ApiError(404, "No such variable.")
    cc = contact_center()
    return jsonify(value=_data(lambda: cc.reveal_call_data(_call_id(call_id), _actor(), name, current_user.id)))
