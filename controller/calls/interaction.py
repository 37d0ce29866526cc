"""One interaction (a customer contact), its legs and its state machine.

States (the desktop shows them as Ringing, Connected, On hold, Consulting, Consult on
hold, Conference):

- ``new`` -> ``queued`` (waiting, hold music) -> ``offering`` (an agent's phone rings)
  -> ``connected`` (customer and agent bridged);
- ``dialing``: an outbound call, the agent's phone rings first, then the customer's;
- ``held``: the customer listens to hold music on its own (not bridged), the agent's
  leg is parked; either can hang up without taking the other down;
- ``consulting``: the customer is held with music while the agent calls (or talks to)
  a consulted party; ``consult_held``: the agent is back with the customer and the
  consulted party is the one held with music;
- ``conference``: customer, agent and consulted party in one conference room;
- ``transferring`` / ``transferred``: the customer is being connected to / talks to an
  external number with no agent left on the call;
- ``ended``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from ..machine import Machine, table
from ..models import Interaction
from .store import write_control, write_transition


@dataclass
class Leg:
    """One FreeSWITCH channel of an interaction."""

    uuid: str
    role: str  # customer, agent, consult
    answered: bool = False
    alive: bool = True
    agent_id: int | None = None


@dataclass
class Consult:
    """The consulted party of an interaction (at most one at a time)."""

    uuid: str
    kind: str  # agent, number, queue
    label: str  # who it is, as the desktop shows it
    agent_id: int | None = None
    phase: str = "ringing"  # ringing, talking, held
    #: set when the agent cancelled: the leg's end must not be read as a decline
    cancelled: bool = False
    #: when the consulted phone stops ringing (UTC), and after how many seconds
    expires_at: dt.datetime | None = None
    ring_timeout: float | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "agent_id": self.agent_id, "phase": self.phase,
                "answered": self.phase != "ringing",
                "expires_at": _iso(self.expires_at) if self.phase == "ringing" else None}

    def saved(self) -> dict:
        """As written in ``Interaction.control`` (JSON)."""
        saved = asdict(self)
        saved["expires_at"] = self.expires_at.isoformat() if self.expires_at is not None else None
        return saved

    @classmethod
    def from_saved(cls, saved: dict) -> "Consult":
        known = {f.name for f in fields(cls)}
        consult = cls(**{k: v for k, v in saved.items() if k in known})
        if isinstance(consult.expires_at, str):
            consult.expires_at = dt.datetime.fromisoformat(consult.expires_at)
        return consult


#: what the agent who owns the call may do in each state (the API still checks each one)
OWNER_ACTIONS = {
    "offering": ["accept"],
    "dialing": ["hangup"],
    "connected": ["hold", "hangup", "transfer", "consult", "record", "data"],
    "held": ["unhold", "transfer", "consult", "record", "data"],
    "consulting": ["consult_cancel", "consult_complete", "consult_conference", "consult_swap", "record", "data"],
    "consult_held": ["consult_cancel", "consult_complete", "consult_conference", "consult_swap", "record",
                     "data"],
    "conference": ["hangup", "record", "data"],
}
#: consult actions that need the consulted party to have answered
NEEDS_ANSWER = ("consult_complete", "consult_conference", "consult_swap")


class CallMachine(Machine):
    """The interaction's state; persisted on every transition so a restart can pick it up."""

    LIVE = ("new", "queued", "offering", "dialing", "connected", "held", "consulting", "consult_held",
            "conference", "transferring", "transferred")
    TRANSITIONS = table([
        ("enqueue", "new", "queued"),
        ("offer", "queued", "offering"),
        ("offer_failed", "offering", "queued"),
        ("requeue", ("offering", "connected", "held", "consulting", "consult_held", "transferring"), "queued"),
        ("connect", ("offering", "dialing"), "connected"),
        ("dial", "new", "dialing"),
        ("hold", "connected", "held"),
        ("unhold", "held", "connected"),
        ("consult", ("connected", "held"), "consulting"),
        ("consult_swap", "consulting", "consult_held"),
        ("consult_resume", "consult_held", "consulting"),
        ("consult_end", ("consulting", "consult_held"), "connected"),
        ("complete_transfer", ("consulting", "consult_held"), "connected"),
        ("complete_external", ("consulting", "consult_held"), "transferred"),
        ("conference", ("consulting", "consult_held"), "conference"),
        ("conference_left", "conference", "conference"),
        ("transfer_external", ("connected", "held"), "transferring"),
        ("external_answered", "transferring", "transferred"),
        ("hangup", ("connected", "dialing", "conference", "transferring", "transferred"), "ended"),
        ("customer_left", LIVE, "ended"),
        ("agent_left", ("connected", "dialing", "conference"), "ended"),
        ("party_left", ("transferred", "transferring", "conference", "dialing"), "ended"),
        ("dial_failed", "dialing", "ended"),
        ("lost", LIVE, "ended"),
        # max wait's failover to an extension: the caller goes on in the dialplan, not abandoned
        ("handed_on", "queued", "ended"),
    ])
    LABELS = {"queued": "waiting in queue", "offering": "being offered to an agent", "connected": "connected",
              "dialing": "still dialing", "held": "on hold", "consulting": "in a consultation",
              "consult_held": "in a consultation (consulted party on hold)", "conference": "in a conference",
              "transferring": "being transferred", "transferred": "transferred to an external number",
              "ended": "already ended"}

    def __init__(self, record: Interaction, queue_name: str | None = None):
        super().__init__(record.state, f"call {record.id[:8]}")
        self.queue_name = queue_name
        self.record = record
        self.legs: dict[str, Leg] = {}
        self.consult: Consult | None = None
        #: conference room name while in ``conference``
        self.room: str | None = None
        #: the recording in progress (a dict the recording feature keeps), or None
        self.recording: dict | None = None
        self._recording_path: str | None = None
        self._recording_started = None
        self._shield = None
        self._shield_timer = None
        #: the call data as desktops see it (secure values masked), refreshed on every save
        self.data: list[dict] = []
        #: an originate's result was lost (restart, dropped connection): reconciliation settles it
        self.orphaned = False
        #: the agent called by an agent-to-agent call (their leg is the "customer" leg)
        self.peer_agent_id: int | None = None
        #: while an agent's phone rings with the offer: when the ring timeout ends it (UTC), and its length
        self.offer_expires_at: dt.datetime | None = None
        self.offer_timeout: float | None = None
        #: the dispatch queue of this call (its first leg's uuid), set when it is tracked
        self.key: str = record.customer_uuid or record.agent_uuid or record.id
        if record.customer_uuid:
            self.legs[record.customer_uuid] = Leg(record.customer_uuid, "customer", answered=True)
        if record.agent_uuid and record.state not in ("new", "queued", "ended"):
            self.legs[record.agent_uuid] = Leg(record.agent_uuid, "agent", answered=record.state != "offering",
                                               agent_id=record.agent_id)
        self._saved_control = record.control
        if record.control and record.state != "ended":
            self._restore_control(record.control)

    # -- what a restart needs beyond the row's columns ---------------------------------------
    def control_state(self) -> dict | None:
        """The consulted party, the legs other than customer and agent, the conference room,
        the called agent and the recording in progress: None when there is none of them."""
        legs = [asdict(leg) for leg in self.legs.values() if leg.alive and leg.role not in ("customer", "agent")]
        if not legs and self.consult is None and not self.room and not self.peer_agent_id and not self.recording:
            return None
        return {"legs": legs, "consult": self.consult.saved() if self.consult is not None else None,
                "room": self.room, "peer_agent_id": self.peer_agent_id,
                "recording": dict(self.recording, file=self._recording_path,
                                  started=self._recording_started.isoformat()) if self.recording else None}

    def save_control(self) -> None:
        """Write :meth:`control_state` when it changed (called on every transition and push)."""
        control = self.control_state()
        if control != self._saved_control:
            self._saved_control = self.record.control = control
            write_control(self.record, control)

    def _restore_control(self, control: dict) -> None:
        for saved in control.get("legs", ()):
            self.legs[saved["uuid"]] = Leg(**{k: v for k, v in saved.items() if k in _LEG_FIELDS})
        if control.get("consult"):
            self.consult = Consult.from_saved(control["consult"])
        self.room = control.get("room")
        self.peer_agent_id = control.get("peer_agent_id")
        recording = control.get("recording")
        if recording:
            self._recording_path = recording.pop("file")
            self._recording_started = dt.datetime.fromisoformat(recording.pop("started"))
            self.recording = recording

    @property
    def id(self) -> str:
        return self.record.id

    def leg(self, role: str) -> Leg | None:
        for leg in self.legs.values():
            if leg.role == role and leg.alive:
                return leg
        return None

    def agent_ids(self) -> set[int]:
        """Every agent who is part of the call now (owner and consulted agent)."""
        ids = {self.record.agent_id} if self.record.agent_id else set()
        if self.consult is not None and self.consult.agent_id:
            ids.add(self.consult.agent_id)
        if self.peer_agent_id:
            ids.add(self.peer_agent_id)
        return ids

    def role_of(self, agent_id: int | None) -> str:
        """``owner``, ``consulted`` or ``supervisor`` (None)."""
        if agent_id is None:
            return "supervisor"
        if agent_id == self.record.agent_id:
            return "owner"
        if self.consult is not None and agent_id == self.consult.agent_id:
            return "consulted"
        if agent_id == self.peer_agent_id:
            return "peer"
        return "none"

    def ring_deadline(self, timeout: float) -> None:
        """The phone offered this call rings for ``timeout`` seconds from now (shown as a countdown)."""
        from ..models import utcnow

        self.offer_timeout = float(timeout)
        self.offer_expires_at = utcnow() + dt.timedelta(seconds=timeout)

    def _offer_deadline(self, viewer: int | None) -> tuple[str | None, float | None]:
        """When the viewer's popover stops ringing: the offer's, or a consulted agent's consult request's."""
        if self.state == "offering" and self.offer_expires_at is not None:
            return _iso(self.offer_expires_at), self.offer_timeout
        consult = self.consult
        if consult is not None and consult.phase == "ringing" and consult.expires_at is not None and \
                viewer is not None and viewer == consult.agent_id:
            return _iso(consult.expires_at), consult.ring_timeout
        return None, None

    def on_transition(self, source: str, trigger: str, dest: str) -> None:
        self.record.state = dest
        write_transition(self.record, source, trigger, dest)
        if dest != "ended":
            self.save_control()

    def as_dict(self, viewer: int | None = None) -> dict:
        r = self.record
        expires_at, ring_timeout = self._offer_deadline(viewer)
        return {
            "id": r.id, "state": self.state, "queue": self.queue_name,
            "ani": r.ani, "dnis": r.dnis, "kind": r.kind, "direction": r.direction,
            "agent_id": r.agent_id, "priority": r.priority,
            "owner": _person(r.agent) if r.agent_id else None,
            "enqueued_at": r.enqueued_at.isoformat() + "Z",
            "answered_at": r.answered_at.isoformat() + "Z" if r.answered_at else None,
            "ended_at": r.ended_at.isoformat() + "Z" if r.ended_at else None,
            "end_reason": r.end_reason,
            "held": self.state == "held",
            "consult": self.consult.as_dict() if self.consult is not None else None,
            "recording": dict(self.recording) if self.recording else None,
            "data": self.data,
            "role": self.role_of(viewer),
            "allowed": self.agent_actions(viewer),
            "offer_expires_at": expires_at,
            "ring_timeout": ring_timeout,
        }

    def agent_actions(self, viewer: int | None = None) -> list[str]:
        """Actions the desktop may offer now to ``viewer`` (the API still checks each one)."""
        role = self.role_of(viewer)
        if role == "peer":
            return ["hangup"] if self.state == "connected" else []
        if role == "consulted":
            # once they answered, the consulted agent talks about the contact: they see and edit its data
            return ["hangup", "data"] if self.state in ("consulting", "consult_held", "conference") and \
                self.consult is not None and self.consult.phase != "ringing" else []
        if role not in ("owner", "supervisor"):
            return []
        actions = list(OWNER_ACTIONS.get(self.state, []))
        consult = self.consult
        if consult is not None and consult.phase == "ringing":
            actions = [a for a in actions if a not in NEEDS_ANSWER]
        if "record" in actions:
            actions.remove("record")
            actions += self.recording_actions()
        if role == "owner" and self.state == "connected":
            actions.append("call_back")  # agent-initiated callback: prompt, type, call back (not for supervisors)
        return actions

    def recording_actions(self) -> list[str]:
        always = bool(self.record.queue_id and self.record.queue.record_always)
        rec = self.recording
        if rec is None:
            return [] if always else ["record_start"]
        actions = [] if always else ["record_stop"]
        if rec.get("paused"):
            actions.append("record_resume")
        elif self.state not in ("consulting", "consult_held", "conference"):
            actions.append("record_pause")
        return actions + ["record_tag"]


_LEG_FIELDS = {f.name for f in fields(Leg)}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds") + "Z" if value is not None else None


def _person(agent) -> dict:
    """Who owns the call, as a consulted agent's popover shows them."""
    return {"name": agent.name, "extension": agent.extension, "team": agent.team}
