"""Agent call control: hold, blind transfer, consultation, conference.

All of it is built from four FreeSWITCH primitives whose real behaviour the traces
show (see docs/call-control.md for why not ``uuid_hold`` or ``att_xfer``):

- *music*: ``uuid_transfer <leg> endless_playback:<hold music> inline`` takes a leg out
  of its bridge and plays it music on its own (trace 05); its old partner has
  ``park_after_bridge=true`` and parks (silence) instead of hanging up;
- *bridge*: ``uuid_bridge a b`` joins two legs, wherever each of them is (parked,
  on music, in another bridge: that bridge's other leg then parks);
- *originate* with ``&park()`` for every new leg (bgapi, never on the event path);
- *kill* for a leg that must go.

Every public action runs on the call's ordered queue (with its events) and returns or
raises there, so the API answers with what really happened.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid as uuidlib

from .. import commands
from ..esl import EslError, Job
from ..machine import InvalidAction
from ..models import Agent, AgentQueue, Interaction, utcnow
from ..queues import BadPriority, checked_priority
from .errors import BadInput, BadTarget, SwitchRefused, TargetUnavailable
from .interaction import CallMachine, Consult, Leg

log = logging.getLogger(__name__)

#: agent states in which someone can be transferred or consulted to
REACHABLE = ("available", "idle")


class CallControl:
    """Mixed into :class:`controller.service.ContactCenter`."""

    # -- primitives ------------------------------------------------------------------
    def _command(self, command: str) -> str:
        """An API command whose failure stops the action (SwitchRefused, readable)."""
        try:
            reply = self.esl.api(command)
        except EslError as exc:
            raise SwitchRefused(f"FreeSWITCH did not answer: {exc}") from exc
        if reply.startswith("-ERR") or reply.startswith("-USAGE"):
            raise SwitchRefused(f"FreeSWITCH refused {command.split(' ', 1)[0]}: {reply.strip()}")
        return reply

    def _music_for(self, call: CallMachine) -> str:
        if call.record.queue_id:
            return call.record.queue.hold_music
        return self.settings.hold_music

    def _to_music(self, call: CallMachine, uuid: str) -> None:
        """Take a leg out of its bridge and play it hold music; its partner parks."""
        self._command(commands.transfer_inline(uuid, "endless_playback", self._music_for(call)))

    def _customer_uuid(self, call: CallMachine) -> str:
        leg = call.leg("customer")
        if leg is None:
            raise InvalidAction(f"{call.what} has no customer any more")
        return leg.uuid

    def _agent_leg(self, call: CallMachine) -> Leg:
        leg = call.leg("agent")
        if leg is None:
            raise InvalidAction(f"{call.what} has no agent leg")
        return leg

    def _add_leg(self, call: CallMachine, uuid: str, role: str, agent_id: int | None = None) -> Leg:
        leg = call.legs[uuid] = Leg(uuid, role, agent_id=agent_id)
        self.leg_keys[uuid] = call.key
        return leg

    def _originate(self, call: CallMachine, dial_string: str, variables: dict, on_result) -> str:
        """Start a new leg with ``&park()``; ``on_result(job)`` runs on the call's queue."""
        uuid = variables["origination_uuid"]
        try:
            job = self.esl.bgapi(commands.originate(dial_string, variables=variables))
        except EslError as exc:
            raise SwitchRefused(f"FreeSWITCH did not take the call: {exc}") from exc
        def settle(j: Job) -> None:
            if j.lost:
                call.orphaned = True  # the reconnect's reconciliation settles it
                return
            on_result(j)

        job.link(lambda j: self.dispatcher.submit(call.key, lambda: settle(j)))
        return uuid

    def _leg_variables(self, call: CallMachine, uuid: str, *, cid_number: str, cid_name: str,
                       timeout: float) -> dict:
        return {
            "origination_uuid": uuid,
            "origination_caller_id_number": commands.checked_destination(cid_number or "0000"),
            "origination_caller_id_name": _cid_name(cid_name),
            "park_after_bridge": "true",
            "originate_timeout": int(timeout),
            "cc_contact_id": call.id,
        }

    def _presented_number(self, call: CallMachine, agent: Agent | None = None) -> str:
        """The caller id shown to an external party: the agent's, the queue's, or the DID."""
        if agent is not None and agent.caller_id_number:
            return agent.caller_id_number
        if call.record.queue_id and call.record.queue.caller_id_number:
            return call.record.queue.caller_id_number
        return call.record.dnis or self.settings.caller_id_number

    # -- targets -----------------------------------------------------------------------
    def _reachable_agent(self, call: CallMachine, target: dict):
        """The AgentMachine a transfer/consult ``{"agent": username}`` or ``{"queue": name}`` names."""
        owner = call.record.agent_id
        if "agent" in target:
            record = Agent.get_or_none(Agent.username == str(target["agent"]))
            if record is None or record.role not in ("agent", "supervisor", "admin"):
                raise BadTarget(f"No agent is called {target['agent']!r}.")
            if record.id == owner:
                raise BadTarget("You cannot transfer or consult to yourself.")
            machine = self.agent(record.id)
            if machine.state not in REACHABLE or machine.call_id:
                raise TargetUnavailable(f"{record.name} cannot take a call now: {machine.what} is "
                                        f"{machine.state_label}.",
                                        state=machine.state, trigger="transfer")
            return machine
        queue = self.queue(str(target["queue"]))
        if queue is None:
            raise BadTarget(f"No queue is called {target['queue']!r}.")
        members = [row.agent_id for row in AgentQueue.select(AgentQueue.agent).where(AgentQueue.queue == queue)]
        candidates = [self.agents[a] for a in members
                      if a != owner and a in self.agents and self.agents[a].state == "available"
                      and not self.agents[a].call_id]
        if not candidates:
            raise TargetUnavailable(f"No agent of {queue.label or queue.name} is available to consult now.")
        return min(candidates, key=lambda m: m.agent.idle_since)

    def _external(self, text: str):
        from ..numbers import InvalidNumber, dialable, external_dial_string

        try:
            number = dialable(str(text), region=self.settings.default_region)
        except InvalidNumber as exc:
            raise BadTarget(str(exc)) from exc
        return number, external_dial_string(number, self.settings.gateway)

    def _destination(self, target: dict) -> tuple[str, str]:
        """``(label, dial string)`` of a ``{"number": …}`` or ``{"extension": …}`` target."""
        if "extension" in target:
            ext = str(target["extension"]).strip()
            # ASCII digits only: str.isdigit() also takes "²" or "١٢٣", which no dial string may carry
            if not re.fullmatch(r"[0-9]{2,8}", ext):
                raise BadTarget("An extension is 2 to 8 digits.")
            return ext, f"user/{ext}"
        number, dial_string = self._external(target["number"])
        return number.e164 or number.digits, dial_string

    # -- hold ------------------------------------------------------------------------
    def hold(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._hold)

    def _hold(self, call: CallMachine) -> None:
        if not call.can("hold"):
            call.fire("hold")
        self._agent_leg(call)
        self._to_music(call, self._customer_uuid(call))
        call.fire("hold")
        self._push_call(call)

    def unhold(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._unhold)

    def _unhold(self, call: CallMachine) -> None:
        if not call.can("unhold"):
            call.fire("unhold")
        self._command(commands.bridge(self._customer_uuid(call), self._agent_leg(call).uuid))
        call.fire("unhold")
        self._push_call(call)

    # -- blind transfer ------------------------------------------------------------------
    def transfer(self, call_id: str, agent_id: int | None, target: dict, priority: int | None = None) -> dict:
        """Blind transfer to ``target``; to a queue, optionally with a new ``priority`` (0-100).

        :raises BadInput: a priority that is not 0-100, or one for a target that is not a queue
        """
        target = one_target(target)
        if priority is not None:
            if "queue" not in target:
                raise BadInput("A priority goes only with a transfer to a queue.")
            try:
                priority = checked_priority(priority)
            except BadPriority as exc:
                raise BadInput(str(exc)) from exc
        return self._act_on(call_id, agent_id, lambda call: self._blind_transfer(call, target, priority))

    def _blind_transfer(self, call: CallMachine, target: dict, priority: int | None = None) -> None:
        if call.state not in ("connected", "held"):
            raise InvalidAction(f"cannot transfer: {call.what} is {call.state_label}",
                                state=call.state, trigger="transfer")
        if "number" in target or "extension" in target:
            label, dial_string = self._destination(target)
            self._music_if_bridged(call)
            self._drop_owner(call, "transferred to " + label)
            call.fire("transfer_external")
            uuid = str(uuidlib.uuid4())
            self._add_leg(call, uuid, "external")
            variables = self._leg_variables(call, uuid, cid_number=self._presented_number(call),
                                            cid_name=call.record.ani, timeout=self.settings.ring_timeout * 2)
            try:
                self._originate(call, dial_string, variables, lambda job: self._external_answered(call, uuid, job))
            except SwitchRefused as exc:
                self._external_failed(call, uuid, str(exc))
                return
            self._push_call(call)
            return
        if "queue" in target:
            queue = self.queue(str(target["queue"]))
            if queue is None:
                raise BadTarget(f"No queue is called {target['queue']!r}.")
            # the caller hears the new queue's music from the moment the agent lets go
            self._command(commands.transfer_inline(self._customer_uuid(call), "endless_playback", queue.hold_music))
            self._drop_owner(call, f"transferred to queue {queue.name}")
            call.record.queue = queue
            call.queue_name = queue.name
            call.record.enqueued_at = utcnow()
            if priority is not None:
                call.record.priority = priority
            Interaction.update(queue=queue, enqueued_at=call.record.enqueued_at,
                               priority=call.record.priority).where(Interaction.id == call.id).execute()
            call.fire("requeue")
            # the new queue's announcements and max wait, counted from the transfer
            self.start_queue_timers(call, queue)
            self._push_call(call)
            self.request_routing()
            return
        agent = self._reachable_agent(call, target)
        # reserved before anything waits, so the router cannot offer them a call meanwhile
        agent.take_offer()
        agent.call_id = call.id
        try:
            self._music_if_bridged(call)
        except SwitchRefused:
            agent.call_id = None
            agent.withdraw_offer()
            raise
        self._push_agent(agent)
        self._drop_owner(call, f"transferred to {agent.agent.username}")
        call.fire("requeue")
        self._offer(call, agent)

    def _music_if_bridged(self, call: CallMachine) -> None:
        if call.state != "held":
            self._to_music(call, self._customer_uuid(call))

    def _drop_owner(self, call: CallMachine, why: str) -> None:
        """The owning agent leaves the call at once and goes to wrap-up; their leg is hung up."""
        owner = self.agents.get(call.record.agent_id)
        leg = call.leg("agent")
        log.info("%s: %s; %s leaves the call", call.what, why, owner.what if owner else "no agent")
        if leg is not None:
            leg.alive = False
            leg.role = "released"
        call.record.agent = None
        call.record.agent_uuid = None
        if call.recording and call.recording.get("paused"):
            # a pause (privacy shield) belongs to the agent who leaves; the next one is recorded
            try:
                self._resume_recording(call)
            except Exception as exc:  # noqa: BLE001 - the transfer goes on; say it loudly
                log.error("%s: could not resume the paused recording: %s", call.what, exc)
        if owner is not None:
            self._push(f"agent:{owner.agent.id}", "call_ended", call.as_dict(owner.agent.id))
        self._release_agent(owner, call)
        if leg is not None:
            self._kill(leg.uuid)

    def _external_answered(self, call: CallMachine, uuid: str, job: Job) -> None:
        leg = call.legs.get(uuid)
        if call.state != "transferring" or leg is None or not leg.alive:
            return
        if not (job.result or "").startswith("+OK"):
            self._external_failed(call, uuid, f"the number did not answer ({job_cause(job)})")
            return
        leg.answered = True
        try:
            self._command(commands.bridge(self._customer_uuid(call), uuid))
        except (SwitchRefused, InvalidAction) as exc:
            self._external_failed(call, uuid, f"bridging the number failed: {exc}")
            return
        call.fire("external_answered")
        self._push_call(call)

    def _external_failed(self, call: CallMachine, uuid: str, why: str) -> None:
        """A blind transfer to a number did not connect: back to the queue (or end)."""
        leg = call.legs.get(uuid)
        if leg is not None and leg.alive:
            leg.alive = False
            self._kill(uuid)
        log.info("%s: transfer to a number failed: %s", call.what, why)
        if call.record.queue_id and call.leg("customer") is not None:
            call.fire("requeue")
            self._push_call(call)
            self.request_routing()
        else:
            self._end(call.key, call, "party_left", f"transfer failed: {why}"[:64])

    # -- consultation -----------------------------------------------------------------------
    def consult(self, call_id: str, agent_id: int | None, target: dict) -> dict:
        target = one_target(target)
        return self._act_on(call_id, agent_id, lambda call: self._consult(call, target))

    def _consult(self, call: CallMachine, target: dict) -> None:
        if not call.can("consult"):
            call.fire("consult")
        self._agent_leg(call)  # refuses a call whose agent leg is gone
        owner = self.agents.get(call.record.agent_id)
        uuid = str(uuidlib.uuid4())
        if "number" in target or "extension" in target:
            label, dial_string = self._destination(target)
            consult = Consult(uuid, "number", label)
            variables = self._leg_variables(call, uuid, cid_number=self._presented_number(call),
                                            cid_name=call.record.ani, timeout=self.settings.ring_timeout * 2)
            target_agent = None
        else:
            target_agent = self._reachable_agent(call, target)
            consult = Consult(uuid, "agent" if "agent" in target else "queue", target_agent.agent.name,
                              agent_id=target_agent.agent.id)
            me = owner.agent if owner is not None else None
            ring = call.record.queue.ring_timeout if call.record.queue_id else self.settings.ring_timeout
            variables = self._leg_variables(
                call, uuid, cid_number=me.extension if me else "0000",
                cid_name=f"Consult {me.name}" if me else "Consult", timeout=ring)
            consult.ring_timeout = float(ring)
            consult.expires_at = utcnow() + dt.timedelta(seconds=ring)
            dial_string = self._agent_dial(target_agent.agent)
        if target_agent is not None:
            # reserved before anything waits, so the router cannot offer them a call meanwhile
            target_agent.take_offer()
            target_agent.call_id = call.id
        try:
            if call.state == "connected":
                self._to_music(call, self._customer_uuid(call))
        except SwitchRefused:
            if target_agent is not None:
                target_agent.call_id = None
                target_agent.withdraw_offer()
            raise
        if target_agent is not None:
            self._push_agent(target_agent)
        call.consult = consult
        self._add_leg(call, uuid, "consult", agent_id=consult.agent_id)
        call.fire("consult")
        try:
            self._originate(call, dial_string, variables, lambda job: self._consult_answered(call, consult, job))
        except SwitchRefused:
            self._consult_over(call, consult, back_to_customer=True)
            raise
        log.info("%s: %s consults %s", call.what, owner.what if owner else "agent", consult.label)
        self._push_call(call)

    def _consult_answered(self, call: CallMachine, consult: Consult, job: Job) -> None:
        if call.consult is not consult:
            return  # cancelled, or the call ended meanwhile
        if not (job.result or "").startswith("+OK"):
            log.info("%s: %s did not take the consultation (%s)", call.what, consult.label, job_cause(job))
            self._consult_over(call, consult, back_to_customer=True)
            return
        call.legs[consult.uuid].answered = True
        try:
            self._command(commands.bridge(self._agent_leg(call).uuid, consult.uuid))
        except (SwitchRefused, InvalidAction) as exc:
            log.warning("%s: could not bridge the consultation: %s", call.what, exc)
            self._consult_over(call, consult, back_to_customer=True)
            return
        consult.phase = "talking"
        target = self.agents.get(consult.agent_id) if consult.agent_id else None
        if target is not None and target.state == "ringing":
            target.fire("connect")
            self._push_agent(target)
        self._push_call(call)

    def _consult_over(self, call: CallMachine, consult: Consult, *, back_to_customer: bool) -> None:
        """The consulted party is gone or dropped: the agent continues with the customer."""
        leg = call.legs.get(consult.uuid)
        live = leg is not None and leg.alive
        if leg is not None:
            leg.alive = False
        call.consult = None
        if consult.agent_id:
            self._release_consulted(self.agents.get(consult.agent_id), call, tell=True)
        if back_to_customer and consult.phase != "held":
            try:
                self._command(commands.bridge(self._customer_uuid(call), self._agent_leg(call).uuid))
            except (SwitchRefused, InvalidAction) as exc:
                log.warning("%s: could not return the agent to the customer: %s", call.what, exc)
        if call.state in ("consulting", "consult_held"):
            call.fire("consult_end")
        self._push_call(call)
        if live:
            self._kill(consult.uuid)

    def consult_cancel(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._consult_cancel)

    def _consult_cancel(self, call: CallMachine) -> None:
        consult = self._current_consult(call, "cancel the consultation", needs_answer=False)
        consult.cancelled = True
        self._consult_over(call, consult, back_to_customer=True)

    def _current_consult(self, call: CallMachine, what: str, *, needs_answer: bool) -> Consult:
        consult = call.consult
        if call.state not in ("consulting", "consult_held") or consult is None:
            raise InvalidAction(f"cannot {what}: {call.what} is {call.state_label}",
                                state=call.state, trigger=what)
        if needs_answer and consult.phase == "ringing":
            raise InvalidAction(f"cannot {what}: {consult.label} has not answered yet",
                                state=call.state, trigger=what)
        return consult

    def consult_swap(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._consult_swap)

    def _consult_swap(self, call: CallMachine) -> None:
        consult = self._current_consult(call, "swap", needs_answer=True)
        agent_uuid = self._agent_leg(call).uuid
        if consult.phase == "talking":
            # back to the customer: the consulted party gets the music
            self._to_music(call, consult.uuid)
            self._command(commands.bridge(self._customer_uuid(call), agent_uuid))
            consult.phase = "held"
            call.fire("consult_swap")
        else:
            self._to_music(call, self._customer_uuid(call))
            self._command(commands.bridge(agent_uuid, consult.uuid))
            consult.phase = "talking"
            call.fire("consult_resume")
        self._push_call(call)

    def consult_complete(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._consult_complete)

    def _consult_complete(self, call: CallMachine) -> None:
        consult = self._current_consult(call, "complete the transfer", needs_answer=True)
        self._command(commands.bridge(self._customer_uuid(call), consult.uuid))
        self._hand_over(call, consult, "transfer completed")

    def _hand_over(self, call: CallMachine, consult: Consult, why: str) -> None:
        """The consulted party takes the call over; the agent leaves to wrap-up."""
        self._drop_owner(call, why)
        call.consult = None
        leg = call.legs[consult.uuid]
        if consult.agent_id:
            leg.role = "agent"
            call.record.agent = self.agents[consult.agent_id].agent
            call.record.agent_uuid = consult.uuid
            call.fire("complete_transfer" if call.state != "conference" else "conference_left")
        else:
            leg.role = "external"
            call.fire("complete_external" if call.state != "conference" else "conference_left")
        self._push_call(call)

    # -- conference ------------------------------------------------------------------
    def consult_conference(self, call_id: str, agent_id: int | None) -> dict:
        return self._act_on(call_id, agent_id, self._conference)

    def _conference(self, call: CallMachine) -> None:
        consult = self._current_consult(call, "start a conference", needs_answer=True)
        room = commands.conference_room(f"cc-{call.id[:8]}", self.settings.conference_profile)
        # the leg that is bridged moves its partner too (-both); the one on music alone
        if consult.phase == "talking":
            self._command(commands.transfer_inline(self._agent_leg(call).uuid, "conference", room, leg="-both"))
            self._command(commands.transfer_inline(self._customer_uuid(call), "conference", room))
        else:
            self._command(commands.transfer_inline(self._customer_uuid(call), "conference", room, leg="-both"))
            self._command(commands.transfer_inline(consult.uuid, "conference", room))
        call.room = room
        consult.phase = "conference"
        call.fire("conference")
        self._push_call(call)

    def _conference_leg_gone(self, call: CallMachine, leg: Leg) -> None:
        """Anyone leaving a 3-way leaves the other two connected; one alone is hung up."""
        remaining = [lg for lg in call.legs.values() if lg.alive and lg.role in ("customer", "agent", "consult",
                                                                                  "external")]
        if len(remaining) < 2:
            trigger = "customer_left" if leg.role == "customer" else "party_left"
            self._end(call.key, call, trigger, f"{_who(leg)} left the conference; nobody else was left")
            return
        consult = call.consult
        if leg.role == "agent":
            if consult is not None:
                self._hand_over(call, consult, "left the conference")
            else:
                self._drop_owner(call, "left the conference")
                call.fire("conference_left")
        elif leg.role == "consult" and consult is not None:
            leg.alive = False
            call.consult = None
            if consult.agent_id:
                self._release_consulted(self.agents.get(consult.agent_id), call, tell=True)
            call.fire("conference_left")
        else:
            call.fire("conference_left")
        self._push_call(call)

    # -- the other party hangs up --------------------------------------------------------
    def _control_leg_gone(self, call: CallMachine, leg: Leg, cause: str) -> bool:
        """Handle a leg's hangup in the states of this module; False: not ours to handle."""
        state = call.state
        if state == "conference":
            self._conference_leg_gone(call, leg)
            return True
        if leg.role == "consult" and call.consult is not None and call.consult.uuid == leg.uuid:
            consult = call.consult
            if consult.phase == "ringing":
                return True  # the originate's result says why, and ends the consultation
            log.info("%s: %s hung up (%s)", call.what, consult.label, cause)
            self._consult_over(call, consult, back_to_customer=True)
            return True
        if leg.role == "agent" and state == "held":
            self.requeue(call, f"agent hung up while the customer was on hold ({cause})")
            return True
        if leg.role == "agent" and state in ("consulting", "consult_held"):
            consult = call.consult
            if consult is not None and consult.phase != "ringing":
                # hanging up with the consulted party on the line completes the transfer
                try:
                    self._command(commands.bridge(self._customer_uuid(call), consult.uuid))
                except (SwitchRefused, InvalidAction) as exc:
                    log.warning("%s: could not hand over after the agent hung up: %s", call.what, exc)
                self._hand_over(call, consult, f"agent hung up during the consultation ({cause})")
            else:
                if consult is not None:
                    consult.cancelled = True
                    self._consult_over(call, consult, back_to_customer=False)
                self.requeue(call, f"agent hung up during the consultation ({cause})")
            return True
        if leg.role == "external" and state in ("transferred", "transferring"):
            if state == "transferred":
                self._end(call.key, call, "party_left", f"external party hung up ({cause})")
            elif leg.answered:
                self._external_failed(call, leg.uuid, f"the number hung up at once ({cause})")
            return True  # still ringing: the originate's result says why
        return False


def one_target(target, kinds=("agent", "queue", "number", "extension"), ask: str = "Say where to") -> dict:
    """``{kind: value}`` of a target that names exactly one of ``kinds``; BadTarget otherwise."""
    if not isinstance(target, dict):
        raise BadTarget(f"{ask}: one of {_listed(kinds)}.")
    keys = [k for k in kinds if target.get(k) not in (None, "")]
    if len(keys) != 1:
        raise BadTarget(f"{ask}: exactly one of {_listed(kinds)}.")
    return {keys[0]: target[keys[0]]}


def _listed(kinds) -> str:
    return ", ".join(kinds[:-1]) + " or " + kinds[-1]


def job_cause(job: Job) -> str:
    """Why an originate job did not answer, from its ``-ERR <cause>`` result."""
    result = job.result or ""
    return result[5:].strip() if result.startswith("-ERR") else (result.strip() or "no answer from FreeSWITCH")


def _cid_name(name: str) -> str:
    """A caller id name safe inside a dial string's ``{…}`` (no spaces, commas, braces)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in (name or ""))[:40]
    return cleaned or "switchdesk"


def _who(leg: Leg) -> str:
    return {"customer": "the customer", "agent": "the agent", "consult": "the consulted party",
            "external": "the external party"}.get(leg.role, "a party")
