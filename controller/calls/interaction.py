"""One interaction (a customer contact) and its state machine."""
from __future__ import annotations

from dataclasses import dataclass

from ..machine import Machine, table
from ..models import Interaction
from .store import write_transition


@dataclass
class Leg:
    """One FreeSWITCH channel of an interaction."""

    uuid: str
    role: str  # customer, agent, consult
    answered: bool = False
    alive: bool = True


class CallMachine(Machine):
    """The interaction's state; persisted on every transition so a restart can pick it up."""

    TRANSITIONS = table([
        ("enqueue", "new", "queued"),
        ("offer", "queued", "offering"),
        ("offer_failed", "offering", "queued"),
        ("requeue", ("offering", "connected"), "queued"),
        ("connect", "offering", "connected"),
        ("hangup", ("connected",), "ended"),
        ("customer_left", ("new", "queued", "offering", "connected"), "ended"),
        ("agent_left", ("connected",), "ended"),
        ("lost", ("new", "queued", "offering", "connected"), "ended"),
    ])
    LABELS = {"queued": "waiting in queue", "offering": "being offered to an agent", "connected": "connected",
              "ended": "already ended"}

    def __init__(self, record: Interaction, queue_name: str | None = None):
        super().__init__(record.state, f"call {record.id[:8]}")
        self.queue_name = queue_name
        self.record = record
        self.legs: dict[str, Leg] = {}
        if record.customer_uuid:
            self.legs[record.customer_uuid] = Leg(record.customer_uuid, "customer", answered=True)
        if record.agent_uuid and record.state in ("offering", "connected"):
            self.legs[record.agent_uuid] = Leg(record.agent_uuid, "agent", answered=record.state == "connected")

    @property
    def id(self) -> str:
        return self.record.id

    def leg(self, role: str) -> Leg | None:
        for leg in self.legs.values():
            if leg.role == role and leg.alive:
                return leg
        return None

    def on_transition(self, source: str, trigger: str, dest: str) -> None:
        self.record.state = dest
        write_transition(self.record, source, trigger, dest)

    def as_dict(self) -> dict:
        r = self.record
        return {
            "id": r.id, "state": self.state, "queue": self.queue_name,
            "ani": r.ani, "dnis": r.dnis, "kind": r.kind, "direction": r.direction,
            "agent_id": r.agent_id, "priority": r.priority,
            "enqueued_at": r.enqueued_at.isoformat() + "Z",
            "answered_at": r.answered_at.isoformat() + "Z" if r.answered_at else None,
            "ended_at": r.ended_at.isoformat() + "Z" if r.ended_at else None,
            "end_reason": r.end_reason,
            "allowed": self.agent_actions(),
        }

    def agent_actions(self) -> list[str]:
        """Actions the desktop may offer now (the API still checks each one)."""
        actions = {"connected": ["hangup"], "ended": []}.get(self.state, [])
        return actions
