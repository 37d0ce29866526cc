"""Socket.IO: one room per agent, one for supervisors, a full snapshot on every connect.

A browser that reconnects (network blip, controller restart) gets the whole state again
on connect, so it never shows a stale popover or misses a call. Between snapshots it
gets the controller's pushes, forwarded as they come: ``agent_state``, ``call`` and
``call_ended`` (and anything else the controller publishes) to the room it names.

Events sent to the browser:

- ``snapshot`` ``{"agent": AgentDict, "calls": [CallDict], "wrapup_call": CallDict | None,
  "callback_offers": [{"callback", "timeout", "offer_expires_at"}]}`` — to the connecting agent
  (the callback popovers on their screen are in it, as ``callback_offer`` pushed them)
- ``supervisor_snapshot`` ``{"agents": [...], "queues": [...], "calls": [...], "callbacks": [...],
  "callbacks_total": N, "callbacks_pending": {queue: N}}`` — to a connecting supervisor, and again
  when the supervisor page asks with ``supervisor_refresh`` (:func:`supervisor_view`)
- every controller push, unchanged
"""
from __future__ import annotations

import logging
from typing import Any

from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room

log = logging.getLogger(__name__)

SUPERVISORS_ROOM = "supervisors"


def agent_room(agent_id: int | str) -> str:
    return f"agent:{agent_id}"


def agent_view(cc: Any, agent_id: int) -> dict:
    """The agent's snapshot, plus the call being wrapped up when the agent is in wrap-up.

    An ended call leaves the controller's live calls, but the desktop still shows it
    (and needs its id) until the agent finishes wrap-up, also after a reconnect.
    """
    view = cc.agent_snapshot(agent_id)
    view["wrapup_call"] = _call_in_wrap_up(agent_id) if view["agent"]["state"] == "wrap_up" else None
    offers = getattr(cc, "callback_offers_for", None)
    view["callback_offers"] = offers(agent_id) if offers is not None else []
    return view


def supervisor_view(cc: Any) -> dict:
    """The supervisor's snapshot: agents, queues and calls, plus the callbacks not yet served
    (the page's "Callbacks pending", which the ``callback`` pushes to supervisors keep current)."""
    view = cc.supervisor_snapshot()
    callbacks = getattr(cc, "supervisor_callbacks", None)
    if callbacks is not None:
        view.update(callbacks())
    return view


def _call_in_wrap_up(agent_id: int) -> dict | None:
    from controller.calls import CallMachine
    from controller.models import Interaction

    from controller.models import Agent

    agent = Agent.get_or_none(Agent.id == agent_id)
    record = None
    if agent is not None and agent.wrapup_call_id:
        record = Interaction.get_or_none(Interaction.id == agent.wrapup_call_id)
    if record is None:
        record = (Interaction.select()
                  .where((Interaction.agent == agent_id) & Interaction.ended_at.is_null(False))
                  .order_by(Interaction.ended_at.desc()).first())
    return CallMachine(record).as_dict(agent_id) if record else None


def init_app(socketio: SocketIO, cc: Any) -> None:
    """Register the Socket.IO handlers and forward the controller's pushes (once per app)."""

    @socketio.on("connect")
    def on_connect(auth: Any = None):
        if not current_user.is_authenticated:
            # refuses the connection; the page sends the person to the login form
            return False
        join_room(agent_room(current_user.id))
        emit("snapshot", agent_view(cc, current_user.id))
        if current_user.is_supervisor:
            join_room(SUPERVISORS_ROOM)
            emit("supervisor_snapshot", supervisor_view(cc))
        log.debug("socket: %s connected", current_user.username)
        return None

    @socketio.on("refresh")
    def on_refresh(*_args: Any):
        """The page asks for a full snapshot again (e.g. after its tab slept)."""
        if not current_user.is_authenticated:
            return
        emit("snapshot", agent_view(cc, current_user.id))

    @socketio.on("supervisor_refresh")
    def on_supervisor_refresh(*_args: Any):
        if not (current_user.is_authenticated and current_user.is_supervisor):
            return
        emit("supervisor_snapshot", supervisor_view(cc))

    def forward(room: str, event: str, payload: dict) -> None:
        # called on the controller's greenlets: emitting only queues packets, it never blocks them
        socketio.emit(event, payload, to=room)

    cc.subscribe(forward)
