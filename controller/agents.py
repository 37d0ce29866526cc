"""Agent states: who can be offered a contact, and why not."""
from __future__ import annotations

from .db import Prepared
from .machine import Machine, table
from .models import Agent, utcnow

#: states an agent can pick themselves
SELECTABLE = ("available", "idle", "logged_out")

#: an agent's live fields, written on every transition (routing makes several a second)
_WRITE_STATE = Prepared(
    'UPDATE {table} SET state = {param}, state_since = {param}, idle_since = {param}, state_reason = {param}, '
    'wrapup_call_id = {param} WHERE id = {param}', Agent)


class AgentMachine(Machine):
    """The agent's state. Offers move it to ringing; the call and wrap-up move it on."""

    TRANSITIONS = table([
        ("login", "logged_out", "idle"),
        ("make_available", ("idle", "rona", "available"), "available"),
        ("make_idle", ("available", "idle", "rona"), "idle"),
        ("logout", ("available", "idle", "rona", "logged_out"), "logged_out"),
        ("offer", ("available", "idle"), "ringing"),
        ("no_answer", "ringing", "rona"),
        ("offer_withdrawn", "ringing", "available"),
        ("offer_withdrawn_idle", "ringing", "idle"),
        # a consulted agent leaves a consultation without wrap-up (not their contact)
        ("released", "on_call", "available"),
        ("released_idle", "on_call", "idle"),
        ("connect", ("ringing", "on_call"), "on_call"),
        ("call_ended", ("on_call", "ringing"), "wrap_up"),
        ("wrap_up_done", "wrap_up", "available"),
    ])
    LABELS = {"on_call": "on a call", "wrap_up": "in wrap-up", "rona": "in RONA (ring no answer)",
              "logged_out": "logged out"}

    def __init__(self, agent: Agent):
        super().__init__(agent.state, f"agent {agent.username}")
        self.agent = agent
        self.call_id: str | None = None
        #: the state an agent returns to when a direct offer (transfer, consult) ends
        #: without a call of their own: an idle agent who takes a consult stays idle
        self.return_to = "available"

    def take_offer(self) -> None:
        self.return_to = "idle" if self.state == "idle" else "available"
        self.fire("offer")

    def withdraw_offer(self) -> None:
        self.fire("offer_withdrawn_idle" if self.return_to == "idle" else "offer_withdrawn")

    def release(self) -> None:
        """Off a call that was not theirs to wrap up (a consultation)."""
        self.fire("released_idle" if self.return_to == "idle" else "released")

    def on_transition(self, source: str, trigger: str, dest: str) -> None:
        a = self.agent
        a.state = dest
        a.state_since = utcnow()
        if source == "wrap_up" and dest != "wrap_up":
            a.wrapup_call_id = None
        if dest == "available" and source != "available":
            # longest-idle routing counts from the moment the agent became free
            a.idle_since = a.state_since
        if trigger not in ("make_idle", "offer_withdrawn_idle", "released_idle"):
            a.state_reason = ""
        # the row follows the machine: every live field as it is now (wrapup_call_id is
        # set by whoever ends the call, before the transition to wrap_up)
        _WRITE_STATE.execute(dest, a.state_since, a.idle_since, a.state_reason, a.wrapup_call_id, a.id)

    def as_dict(self) -> dict:
        a = self.agent
        return {
            "id": a.id, "username": a.username, "name": a.name, "extension": a.extension, "role": a.role,
            "team": a.team, "state": self.state, "reason": a.state_reason,
            "since": a.state_since.isoformat() + "Z", "call_id": self.call_id,
            "wrapup_call_id": a.wrapup_call_id if self.state == "wrap_up" else None,
        }
