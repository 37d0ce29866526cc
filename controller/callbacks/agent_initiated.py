"""Agent-initiated callback: during a call, the customer is called back at another number.

The agent types the number, or presses Prompt: the customer hears a prompt and keys the
number in; each digit reaches the agent's desktop as it is pressed (``callback_digits``
pushes), the agent can edit it, prompt again or cancel. Call back dials the number
with the callback's caller id while the agent stays with the customer; when it
answers, the agent is bridged to it and the old leg is released. If it does not answer,
the agent is still with the customer (if they stayed on the line) and the callback
waits for its retry, as a reminder to the agent.
"""
from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass

from .. import commands
from ..calls.errors import BadInput, SwitchRefused
from ..esl import Job
from ..events import Event
from ..machine import InvalidAction
from ..models import Callback, Interaction, utcnow
from . import store
from .dialing import Attempt, _cause
from .numbers import InvalidNumber, callback_number, dial_string
from .prompts import break_all, get_digits

log = logging.getLogger(__name__)

AGENT_NUMBER_VAR = "cc_cb_agent_number"


@dataclass
class NumberPrompt:
    agent_id: int
    digits: str = ""


class AgentInitiated:
    """Mixed into :class:`controller.service.ContactCenter` (via :class:`~.service.CallbackControl`)."""

    def prompt_callback_number(self, call_id: str, agent_id: int | None) -> dict:
        """The customer hears a prompt and keys in the number to be called back at."""
        def action(call):
            if call.state != "connected":
                raise InvalidAction(f"cannot prompt for a number: {call.what} is "
                                    f"{call.state_label}", state=call.state, trigger="prompt")
            customer = self._customer_uuid(call)
            if call.id in self._number_prompts:
                self._command(break_all(customer))  # prompt again: the running one stops first
            prompts = self.callback_settings.prompts
            self._command(get_digits(customer, prompt=prompts["agent_callback_number"], invalid=prompts["invalid"],
                                     var=AGENT_NUMBER_VAR, regex="\\d+", min_digits=7, max_digits=15, tries=1,
                                     timeout_ms=15000, digit_timeout_ms=5000))
            self._number_prompts[call.id] = NumberPrompt(call.record.agent_id or agent_id or 0)
            self._push_digits(call, "", "prompting")
        return self._act_on(call_id, agent_id, action, roles=("owner",))

    def cancel_number_prompt(self, call_id: str, agent_id: int | None) -> dict:
        def action(call):
            prompt = self._number_prompts.pop(call.id, None)
            if prompt is None:
                raise InvalidAction("cannot cancel: the customer is not being asked for a number", trigger="cancel")
            self._command(break_all(self._customer_uuid(call)))
            self._push_digits(call, prompt.digits, "cancelled")
        return self._act_on(call_id, agent_id, action, roles=("owner",))

    def _push_digits(self, call, digits: str, state: str) -> None:
        agent_id = call.record.agent_id
        if agent_id:
            self._push(f"agent:{agent_id}", "callback_digits", {"call_id": call.id, "digits": digits, "state": state})

    def number_prompt_event(self, call, leg, event: Event) -> bool:
        prompt = self._number_prompts.get(call.id)
        if prompt is None or leg.role != "customer":
            return False
        if event.name == "DTMF":
            digit = event.get("DTMF-Digit", "")
            if digit.isdigit():
                prompt.digits += digit
                self._push_digits(call, prompt.digits, "prompting")
            return True
        if event.name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "play_and_get_digits" \
                and AGENT_NUMBER_VAR in (event.get("Application-Data") or "").split():
            self._number_prompts.pop(call.id, None)
            if event.variable("read_result") == "success":
                self._push_digits(call, event.variable(AGENT_NUMBER_VAR) or prompt.digits, "done")
            else:
                self._push_digits(call, prompt.digits, "failed")
            return True
        return False

    def call_back_now(self, call_id: str, agent_id: int | None, number: str) -> dict:
        """Call the customer back at ``number`` now: the agent is bridged to it once it answers."""
        try:
            number = callback_number(number, self.settings.default_region)
        except InvalidNumber as exc:
            raise BadInput(str(exc)) from exc

        def action(call):
            if call.state != "connected":
                raise InvalidAction(f"cannot call back: {call.what} is {call.state_label}",
                                    state=call.state, trigger="call_back")
            if call.id in self._attempts:
                raise InvalidAction("cannot call back: a callback of this call is being dialed already",
                                    trigger="call_back")
            previous = call.leg("customer")
            if previous is None:
                raise InvalidAction(f"{call.what} has no customer any more", trigger="call_back")
            r = call.record
            owner = r.agent_id or agent_id
            queue = self._queue_by_id(r.queue_id)
            fields = self.callback_defaults(queue, number)
            fields.update(owner=owner, original_contact_id=r.id, original_ani=r.ani, original_dnis=r.dnis,
                          priority=r.priority, caller_id=(queue.caller_id_number if queue else "") or r.dnis)
            cs = self.callback_settings
            cb, _ = store.request(kind="agent_initiated", number=number, queue=queue, launch="owner",
                                  agent_id=owner, instance=cs.instance, **fields)
            uuid = str(uuidlib.uuid4())
            if not store.claim(cb, "dial", cs.instance, cs.lease, agent_id=owner, reason="called back by the agent",
                               fields={Callback.attempts: cb.attempts + 1, Callback.contact_id: call.id,
                                       Callback.customer_uuid: uuid}):
                raise store.CallbackTaken("this number is being called back already", trigger="call_back")
            self._number_prompts.pop(call.id, None)
            previous.role = "previous"  # its hangup no longer ends the call
            self._add_leg(call, uuid, "callback")
            self._attempts[call.id] = Attempt(cb.id, owner, 0.0, customer_dialed=True, previous_uuid=previous.uuid)
            variables = self._leg_variables(call, uuid, cid_number=self._callback_caller_id(cb, queue),
                                            cid_name=(queue.label or queue.name) if queue else "switchdesk",
                                            timeout=cs.customer_ring_timeout)
            try:
                self._originate(call, dial_string(number, self.settings.gateway), variables,
                                lambda job: self._agent_callback_result(call, uuid, job))
            except SwitchRefused:
                self._attempts.pop(call.id, None)
                previous.role = "customer"
                call.legs[uuid].alive = False
                store.transition(cb, "fail", reason="FreeSWITCH did not take the call", instance=cs.instance)
                raise
            self.push_callback(cb)
            log.info("%s: agent calls the customer back at %s (callback %s)", call.what, number, cb.id)
        return self._act_on(call_id, agent_id, action, roles=("owner",))

    def _agent_callback_result(self, call, uuid: str, job: Job) -> None:
        attempt = self._attempts.get(call.id)
        leg = call.legs.get(uuid)
        if call.state == "ended" or attempt is None or attempt.previous_uuid is None or leg is None \
                or job.exception is not None:
            return
        cb = Callback.get_or_none(Callback.id == attempt.callback_id)
        previous = call.legs.get(attempt.previous_uuid)
        if not (job.result or "").startswith("+OK"):
            leg.alive = False
            self._attempts.pop(call.id, None)
            self.callback_not_answered(cb, f"no answer ({_cause(job.result)})", attempt.agent_id)
            self.push_callback(cb)
            if previous is not None and previous.alive:
                previous.role = "customer"
                self._push_call(call)
            else:
                self._end(call.key, call, "customer_left", "the customer's other number did not answer")
            return
        leg.answered = True
        try:
            self._command(commands.bridge(call.record.agent_uuid, uuid))
        except (SwitchRefused, InvalidAction) as exc:
            log.error("%s: could not bridge the callback: %s", call.what, exc)
            return
        leg.role = "customer"
        attempt.previous_uuid, attempt.bridged = None, True
        call.record.customer_uuid = uuid
        Interaction.update(customer_uuid=uuid).where(Interaction.id == call.id).execute()
        if previous is not None and previous.alive:
            previous.alive = False
            self._kill(previous.uuid)
        store.transition(cb, "answer", agent_id=attempt.agent_id, instance=self.callback_settings.instance)
        Callback.update(updated_at=utcnow()).where(Callback.id == cb.id).execute()
        self.push_callback(cb)
        self._push_call(call)
