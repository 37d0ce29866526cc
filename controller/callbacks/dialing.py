"""Offering a callback to an agent and making the call: popover, accept, call_delay, dial, bridge.

The agent's phone rings first (as for any call an agent places); the customer is dialed
``call_delay`` seconds after the agent accepted (and not before the agent's phone is
answered), with the callback's caller id; when the customer answers, the two are
bridged. The call is an interaction of kind ``callback`` whose ``variables`` name the
callback and the original contact. Its end settles the attempt
(:meth:`CallbackDialing.callback_call_ending`): connected -> completed; not answered ->
``no_answer`` and a retry after ``retry_delay`` (``expired`` after ``max_attempts``); the
agent hanging up before the customer answers -> ``cancelled`` (wrap-up follows).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid as uuidlib
from dataclasses import dataclass

import gevent
import gevent.event

from .. import commands
from ..calls import CallMachine
from ..calls.errors import SwitchRefused
from ..calls.store import insert_interaction
from ..esl import EslError, Job
from ..machine import InvalidAction
from ..models import AgentQueue, Callback, Interaction, utcnow
from . import store
from .numbers import BadGateway, InvalidNumber, dial_string

log = logging.getLogger(__name__)

#: hangup causes that will not change by calling again: the callback fails at once
HARD_FAILURES = frozenset({"UNALLOCATED_NUMBER", "INVALID_NUMBER_FORMAT", "NO_ROUTE_DESTINATION",
                           "INCOMPATIBLE_DESTINATION", "NUMBER_CHANGED", "INVALID_GATEWAY", "INVALID_PROFILE"})


@dataclass
class Attempt:
    """One attempt of a callback on a live interaction (memory; rebuilt from rows after a restart)."""

    callback_id: int
    agent_id: int | None
    accepted_at: float
    delay: float = 0.0
    agent_up: bool = False
    customer_dialed: bool = False
    bridged: bool = False
    #: agent-initiated: the leg that is being replaced
    previous_uuid: str | None = None


class CallbackDialing:
    """Mixed into :class:`controller.service.ContactCenter` (via :class:`~.service.CallbackControl`)."""

    # -- pushes --------------------------------------------------------------------------------
    def push_callback(self, cb: Callback, *, notify: bool = False, event: str = "callback") -> None:
        """The callback's new state to its queue's agents, its owner and supervisors.

        A personal one (``launch`` owner: an agent's agenda, its reason and number) goes to
        its owner only, until it is handed to the queue.
        """
        payload = store.as_dict(cb)
        payload["notify"] = notify
        rooms = {"supervisors"}
        if cb.queue_id and cb.launch != "owner":
            rooms |= {f"agent:{row.agent_id}" for row in
                      AgentQueue.select(AgentQueue.agent).where(AgentQueue.queue == cb.queue_id)}
        for agent_id in (cb.owner_id, cb.agent_id):
            if agent_id:
                rooms.add(f"agent:{agent_id}")
        for room in sorted(rooms):
            self._push(room, event, payload)

    # -- the popover -----------------------------------------------------------------------------
    def declined_by(self, cb: Callback) -> set[int]:
        return self._declined.get(cb.id, set())

    def offer_callback(self, cb: Callback, agent) -> bool:
        """Claim a due callback for ``agent`` and show it as a popover (router queue). False: taken."""
        cs = self.callback_settings
        if not store.claim(cb, "offer", cs.instance, cs.lease, agent_id=agent.agent.id,
                           reason=f"offered to {agent.agent.username}"):
            return False
        if agent.state != "ringing":  # an agent already ringing with popovers takes one more (contact limit)
            agent.take_offer()
        self._callback_offers[cb.id] = agent.agent.id
        self._push_agent(agent)
        queue = self._queue_by_id(cb.queue_id)
        timeout = cs.offer_timeout or (queue.ring_timeout if queue is not None else self.settings.ring_timeout)
        expires = utcnow() + dt.timedelta(seconds=timeout)
        self._callback_deadlines[cb.id] = (expires, timeout)
        payload = {"callback": store.as_dict(cb), "timeout": timeout,
                   "offer_expires_at": expires.isoformat(timespec="milliseconds") + "Z"}
        self._push(f"agent:{agent.agent.id}", "callback_offer", payload)
        self._push("supervisors", "callback", {**store.as_dict(cb), "notify": False})
        self._callback_timers[cb.id] = gevent.spawn_later(
            timeout, lambda: self.dispatcher.submit(f"callback:{cb.id}", lambda: self._offer_expired(cb.id,
                                                                                                 agent.agent.id)))
        log.info("callback %s offered to %s (%s)", cb.id, agent.what, cb.number)
        return True

    def callback_offers_for(self, agent_id: int) -> list[dict]:
        """The callback popovers on this agent's screen now, as ``callback_offer`` pushed them (snapshots)."""
        offers = []
        for cb_id, offered_to in list(self._callback_offers.items()):
            cb = Callback.get_or_none(Callback.id == cb_id) if offered_to == agent_id else None
            if cb is None or cb.status != "offered":
                continue
            expires, timeout = self._callback_deadlines.get(cb_id, (None, None))
            offers.append({"callback": store.as_dict(cb), "timeout": timeout,
                           "offer_expires_at": expires.isoformat(timespec="milliseconds") + "Z" if expires else None})
        return offers

    def _end_offer(self, cb_id: int) -> int | None:
        self._callback_deadlines.pop(cb_id, None)
        timer = self._callback_timers.pop(cb_id, None)
        if timer is not None:
            timer.kill(block=False)
        return self._callback_offers.pop(cb_id, None)

    def _popovers_left(self, agent_id: int) -> bool:
        return agent_id in self._callback_offers.values()

    def _withdraw_other_popovers(self, agent_id: int) -> None:
        """The agent takes a call (their phone carries one): their other popovers go back at their place."""
        for cb_id, offered_to in list(self._callback_offers.items()):
            if offered_to != agent_id:
                continue
            cb = self._release_offer(cb_id, agent_id, "the agent took another contact; back at its place")
            if cb is not None:
                self.push_callback(cb)
            self._push(f"agent:{agent_id}", "callback_offer_ended", {"id": cb_id, "reason": "withdrawn"})
        self.request_routing()

    def _release_offer(self, cb_id: int, agent_id: int, reason: str) -> Callback | None:
        """End the agent's popover and put a still-offered callback back at its place; the row, or
        None when it was no longer offered (taken, cancelled)."""
        self._end_offer(cb_id)
        cb = Callback.get_or_none(Callback.id == cb_id)
        if cb is None or cb.status != "offered":
            return None
        try:
            store.transition(cb, "release", reason=reason, agent_id=agent_id,
                             instance=self.callback_settings.instance, fields={Callback.agent: None})
        except InvalidAction:
            pass
        return cb

    def _offer_expired(self, cb_id: int, agent_id: int) -> None:
        if self._callback_offers.get(cb_id) != agent_id:
            return
        cb = self._release_offer(cb_id, agent_id, "not accepted in time; back at its place")
        if cb is not None:
            self._declined.setdefault(cb_id, set()).add(agent_id)
            self._push(f"agent:{agent_id}", "callback_offer_ended", {"id": cb_id, "reason": "timeout"})
            self.push_callback(cb)
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state == "ringing" and not agent.call_id and not self._popovers_left(agent_id):
            agent.fire("no_answer")  # RONA, as for a call whose phone was not answered
            self._push_agent(agent)
        self.request_routing()

    def _on_callback(self, cb_id: int, work, timeout: float | None = None):
        """Run ``work()`` on the callback's own queue (ordered with its timers); its result or error."""
        result = gevent.event.AsyncResult()

        def run():
            try:
                result.set(work())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result.set_exception(exc)

        self.dispatcher.submit(f"callback:{cb_id}", run)
        try:
            return result.get(timeout=timeout or self.settings.command_timeout * 3)
        except gevent.Timeout as exc:
            raise SwitchRefused("the callback did not respond in time; try again") from exc

    def accept_callback(self, callback_id: int, agent_id: int) -> dict:
        """The agent accepts the popover: their phone rings, the customer is dialed after call_delay."""
        def work():
            cb = store.get(callback_id)
            if self._callback_offers.get(callback_id) != agent_id or cb.status != "offered":
                raise InvalidAction(f"cannot accept: callback {callback_id} is not offered to you "
                                    f"(it is {store.LABELS.get(cb.status, cb.status)})", state=cb.status,
                                    trigger="accept")
            agent = self.agent(agent_id)
            if agent.call_id:
                raise InvalidAction(f"cannot accept: {agent.what} is on a call; finish it first", trigger="accept")
            self._end_offer(callback_id)
            self._withdraw_other_popovers(agent_id)
            queue = self._queue_by_id(cb.queue_id)
            self._push(f"agent:{agent_id}", "callback_offer_ended", {"id": callback_id, "reason": "accepted"})
            call = self._start_callback_call(cb, agent, delay=queue.call_delay if queue is not None else 0)
            return call.as_dict(agent_id)
        return self._on_callback(callback_id, work)

    def decline_callback(self, callback_id: int, agent_id: int) -> dict:
        """The agent declines the popover: the callback keeps its place for another agent."""
        def work():
            cb = store.get(callback_id)
            if self._callback_offers.get(callback_id) != agent_id:
                raise InvalidAction(f"cannot decline: callback {callback_id} is not offered to you", trigger="decline")
            self._end_offer(callback_id)
            store.transition(cb, "release", reason="declined; back at its place", agent_id=agent_id,
                             instance=self.callback_settings.instance, fields={Callback.agent: None})
            self._declined.setdefault(callback_id, set()).add(agent_id)
            agent = self.agent(agent_id)
            if agent.state == "ringing" and not agent.call_id and not self._popovers_left(agent_id):
                agent.withdraw_offer()
                self._push_agent(agent)
            self._push(f"agent:{agent_id}", "callback_offer_ended", {"id": callback_id, "reason": "declined"})
            self.push_callback(cb)
            self.request_routing()
            return store.as_dict(cb)
        return self._on_callback(callback_id, work)

    def call_callback_now(self, callback_id: int, agent_id: int) -> dict:
        """Call back from Missed calls or the agenda: this agent, now (their phone first)."""
        def work():
            cb = store.get(callback_id)
            agent = self.agent(agent_id)
            if cb.status not in store.WAITING + ("offered",):
                raise InvalidAction(f"cannot call back: callback {callback_id} is {store.LABELS.get(cb.status)}",
                                    state=cb.status, trigger="call")
            if cb.status == "offered" and not (cb.launch == "owner" and cb.owner_id == agent_id) and \
                    self._callback_offers.get(callback_id) != agent_id:
                raise InvalidAction(f"cannot call back: callback {callback_id} is offered to someone else",
                                    state=cb.status, trigger="call")
            offered_to_me = self._callback_offers.get(callback_id) == agent_id
            # the limit first: an agent who holds contacts is told so, in those words
            reason = None if offered_to_me else self.contact_limit_reason(agent_id, cb.queue_id)
            if reason:
                raise InvalidAction(reason, trigger="call")
            if agent.state not in ("available", "idle", "ringing") or agent.call_id:
                raise InvalidAction(f"cannot call back: {agent.what} is "
                                    f"{agent.state_label}",
                                    state=agent.state, trigger="call")
            if agent.state == "ringing" and not offered_to_me and not self._popovers_left(agent_id):
                raise InvalidAction(f"cannot call back: {agent.what} is being offered a contact", trigger="call")
            self._end_offer(callback_id)
            self._withdraw_other_popovers(agent_id)  # one call at a time: below the limit, popovers go back
            if cb.status != "offered" and not store.claim(cb, "offer", self.callback_settings.instance,
                                                          self.callback_settings.lease, agent_id=agent_id,
                                                          reason=f"called back by {agent.agent.username}"):
                raise store.CallbackTaken(f"callback {callback_id} was taken by someone else first",
                                          trigger="call")
            call = self._start_callback_call(cb, agent, delay=0)
            return call.as_dict(agent_id)
        return self._on_callback(callback_id, work)

    def cancel_callback(self, callback_id: int, agent_id: int | None, reason: str = "") -> dict:
        """Cancel a callback that has not been answered (an agent: their own, or one of their queues)."""
        def work():
            cb = store.get(callback_id)
            if cb.status == "dialing" and cb.contact_id in self.by_id:
                call = self.by_id[cb.contact_id]
                self._act_on(call.id, None, lambda c: self._hangup(c, cb.agent_id))
                cb = store.get(callback_id)
                return store.as_dict(cb)
            agent_of_offer = self._end_offer(callback_id)
            store.transition(cb, "cancel", reason=reason or "cancelled", agent_id=agent_id,
                             instance=self.callback_settings.instance)
            if agent_of_offer is not None:
                agent = self.agents.get(agent_of_offer)
                if agent is not None and agent.state == "ringing" and not agent.call_id and \
                        not self._popovers_left(agent_of_offer):
                    agent.withdraw_offer()
                    self._push_agent(agent)
                self._push(f"agent:{agent_of_offer}", "callback_offer_ended", {"id": callback_id, "reason": "cancelled"})
            self.push_callback(cb)
            return store.as_dict(cb)
        return self._on_callback(callback_id, work)

    # -- the call ---------------------------------------------------------------------------------
    def _start_callback_call(self, cb: Callback, agent, *, delay: float) -> CallMachine:
        """The callback's interaction: the agent's phone rings now, the customer after ``delay``."""
        queue = self._queue_by_id(cb.queue_id)
        customer_uuid, agent_uuid = str(uuidlib.uuid4()), str(uuidlib.uuid4())
        record = Interaction(id=str(uuidlib.uuid4()), queue=queue, direction="outbound", kind="callback",
                             state="new", ani=cb.number[:32], dnis=(cb.original_dnis or cb.caller_id)[:32],
                             customer_uuid=customer_uuid, priority=cb.priority,
                             variables={"callback_id": cb.id, "callback_kind": cb.kind,
                                        "original_contact_id": cb.original_contact_id})
        insert_interaction(record)
        call = CallMachine(record, queue.name if queue is not None else None)
        record.agent = agent.agent
        record.agent_uuid = agent_uuid
        self._track(call, customer_uuid)
        self._add_leg(call, agent_uuid, "agent", agent_id=agent.agent.id)
        call.fire("dial")
        if agent.state != "ringing":
            agent.take_offer()
        agent.call_id = call.id
        self._attempts[call.id] = Attempt(cb.id, agent.agent.id, time.monotonic(), float(delay))
        Callback.update(contact_id=call.id, agent=agent.agent.id, customer_uuid=customer_uuid,
                        updated_at=utcnow()).where(Callback.id == cb.id).execute()
        cb.contact_id, cb.agent_id, cb.customer_uuid = call.id, agent.agent.id, customer_uuid
        self._push_agent(agent)
        self._push_call(call)
        self.push_callback(cb)
        variables = self._leg_variables(call, agent_uuid, cid_number=cb.number, cid_name="Callback",
                                        timeout=queue.ring_timeout if queue is not None else self.settings.ring_timeout)
        try:
            self._originate(call, self._agent_dial(agent.agent), variables,
                            lambda job: self._callback_agent_answered(call, job))
        except SwitchRefused as exc:
            self.dispatcher.submit(call.key, lambda: self._end(call.key, call, "dial_failed", str(exc)))
        log.info("%s: callback %s for %s; the customer is dialed in %ss", call.what, cb.id, agent.what, delay)
        return call

    def _callback_agent_answered(self, call: CallMachine, job: Job) -> None:
        if call.state != "dialing" or job.exception is not None:
            return  # connection lost: the leg's own events (or the reconciliation) tell what happened
        if not (job.result or "").startswith("+OK"):
            self._end(call.key, call, "dial_failed", f"the agent's phone did not answer ({_cause(job.result)})")
            return
        self.callback_agent_up(call)

    def callback_agent_up(self, call: CallMachine) -> None:
        """The agent's phone answered (job result or CHANNEL_ANSWER): the customer is dialed after the delay."""
        attempt = self._attempts.get(call.id)
        if call.state != "dialing" or attempt is None or attempt.agent_up:
            return
        attempt.agent_up = True
        call.legs[call.record.agent_uuid].answered = True
        agent = self.agents.get(call.record.agent_id)
        if agent is not None and agent.state == "ringing":
            agent.fire("connect")
            self._push_agent(agent)
        remaining = attempt.delay - (time.monotonic() - attempt.accepted_at)
        if remaining > 0:
            gevent.spawn_later(remaining, lambda: self.dispatcher.submit(call.key,
                                                                         lambda: self._dial_customer(call)))
        else:
            self._dial_customer(call)

    def _dial_customer(self, call: CallMachine) -> None:
        attempt = self._attempts.get(call.id)
        if call.state != "dialing" or attempt is None or attempt.customer_dialed:
            return
        cb = Callback.get_or_none(Callback.id == attempt.callback_id)
        cs = self.callback_settings
        try:
            target = dial_string(cb.number, self.settings.gateway)
        except BadGateway as exc:
            log.error("callback %s: cannot dial: %s (SWITCHDESK_GATEWAY)", cb.id, exc)
            self._end(call.key, call, "dial_failed", str(exc))
            return
        except InvalidNumber as exc:
            # calling again will not help: failed, with the reason (not back in the queue)
            try:
                store.transition(cb, "fail", reason=f"the number cannot be dialed: {exc}"[:200],
                                 agent_id=attempt.agent_id, instance=cs.instance)
            except InvalidAction:
                pass
            self._end(call.key, call, "dial_failed", str(exc))
            return
        try:
            store.transition(cb, "dial", agent_id=attempt.agent_id, instance=cs.instance,
                             fields={Callback.attempts: cb.attempts + 1, Callback.claimed_by: cs.instance,
                                     Callback.lease_until: utcnow() + dt.timedelta(seconds=cs.lease)})
        except InvalidAction as exc:
            self._end(call.key, call, "dial_failed", str(exc))
            return
        attempt.customer_dialed = True
        customer = call.record.customer_uuid
        self._add_leg(call, customer, "customer")
        queue = self._queue_by_id(call.record.queue_id)
        variables = self._leg_variables(call, customer, cid_number=self._callback_caller_id(cb, queue),
                                        cid_name=(queue.label or queue.name) if queue is not None else "switchdesk",
                                        timeout=cs.customer_ring_timeout)
        self.push_callback(cb)
        try:
            self._originate(call, target, variables, lambda job: self._callback_customer_result(call, job))
        except SwitchRefused as exc:
            if not self._callbacks_stopped:  # stopping: the next controller reconciles it
                self._end(call.key, call, "dial_failed", str(exc))

    def _callback_caller_id(self, cb: Callback, queue) -> str:
        """What the customer sees: the callback's caller id, the queue's, the number they called."""
        return (cb.caller_id or (queue.caller_id_number if queue is not None else "") or cb.original_dnis
                or self.settings.caller_id_number)

    def _callback_customer_result(self, call: CallMachine, job: Job) -> None:
        if call.state != "dialing" or job.exception is not None:
            return
        if not (job.result or "").startswith("+OK"):
            self._end(call.key, call, "dial_failed", f"no answer ({_cause(job.result)})")
            return
        self.callback_customer_answered(call)

    def callback_customer_answered(self, call: CallMachine) -> None:
        """The customer answered (job result, or CHANNEL_ANSWER after a restart): bridge them to the agent."""
        attempt = self._attempts.get(call.id)
        if call.state != "dialing" or attempt is None or not attempt.customer_dialed or attempt.bridged:
            return
        attempt.bridged = True
        customer = call.legs.get(call.record.customer_uuid)
        if customer is not None:
            customer.answered = True
        try:
            self._command(commands.bridge(call.record.agent_uuid, call.record.customer_uuid))
        except SwitchRefused as exc:
            log.error("%s: could not bridge the callback: %s", call.what, exc)
            return
        cb = Callback.get_or_none(Callback.id == attempt.callback_id)
        if cb is not None and cb.status == "dialing":
            store.transition(cb, "answer", agent_id=attempt.agent_id, instance=self.callback_settings.instance)
            self.push_callback(cb)
        self._connected(call)

    def callback_call_ending(self, call: CallMachine, trigger: str, reason: str) -> None:
        """Settle the callback of an interaction that ends (called by ``_end`` before the state changes)."""
        attempt = self._attempts.pop(call.id, None)
        cb_id = attempt.callback_id if attempt else (call.record.variables or {}).get("callback_id")
        if not cb_id:
            return
        cb = Callback.get_or_none(Callback.id == cb_id)
        if cb is None or cb.contact_id != call.id:
            return
        instance = self.callback_settings.instance
        agent_id = call.record.agent_id
        agent_gone = trigger in ("hangup", "agent_left")
        try:
            if cb.status == "connected" or (cb.status == "dialing" and call.record.answered_at):
                if cb.status == "dialing":
                    store.transition(cb, "answer", agent_id=agent_id, instance=instance)
                store.transition(cb, "complete", reason=reason, agent_id=agent_id, instance=instance)
            elif cb.status == "dialing" and agent_gone:
                store.transition(cb, "cancel", reason="the agent cancelled before the customer answered",
                                 agent_id=agent_id, instance=instance)
            elif cb.status == "dialing":
                self.callback_not_answered(cb, reason, agent_id)
            elif cb.status == "offered":
                if agent_gone:
                    store.transition(cb, "cancel", reason="the agent cancelled before the customer was dialed",
                                     agent_id=agent_id, instance=instance)
                else:
                    store.transition(cb, "release", reason=f"not dialed: {reason}; back at its place",
                                     agent_id=agent_id, instance=instance, fields={Callback.agent: None})
                    self.request_routing()
        except InvalidAction as exc:
            log.warning("callback %s: could not settle after its call ended: %s", cb_id, exc)
            return
        self.push_callback(cb)

    def callback_not_answered(self, cb: Callback, reason: str, agent_id: int | None = None) -> None:
        """An attempt the customer did not answer: retry after ``retry_delay``, until ``max_attempts``."""
        cause = _cause(reason)
        instance = self.callback_settings.instance
        if cause in HARD_FAILURES:
            store.transition(cb, "fail", reason=f"the number cannot be reached ({cause})", agent_id=agent_id,
                             instance=instance)
        elif cb.attempts >= cb.max_attempts:
            store.transition(cb, "give_up", reason=f"no answer after {cb.attempts} attempts ({cause})",
                             agent_id=agent_id, instance=instance)
        else:
            due = utcnow() + dt.timedelta(seconds=cb.retry_delay)
            store.transition(cb, "no_answer", reason=cause, agent_id=agent_id, instance=instance,
                             fields={Callback.due_at: due, Callback.agent: None})
        self.request_routing()


def _cause(text: str | None) -> str:
    """The hangup cause in a job result (``-ERR NO_ANSWER``) or an end reason (``no answer (NO_ANSWER)``)."""
    text = (text or "").strip()
    if text.startswith("-ERR"):
        return text[4:].strip() or "NO_ANSWER"
    match = re.search(r"\(([A-Z_]{3,40})\)", text)
    return match.group(1) if match else (text or "NO_ANSWER")
