"""Calls an agent places: to a number (out of a campaign/queue), a PBX extension or another agent.

The agent's phone rings first; once they answer, the destination is dialed and the two
legs are bridged (the agent hears silence meanwhile). The interaction is ``dialing``
until the destination answers, then ``connected`` like any other call.
"""
from __future__ import annotations

import logging
import uuid as uuidlib

from .. import commands
from ..esl import Job
from ..machine import InvalidAction
from ..models import Agent, Interaction
from .control import job_cause, one_target
from .errors import BadTarget, SwitchRefused
from .interaction import CallMachine
from .store import insert_interaction

log = logging.getLogger(__name__)


class OutboundCalls:
    """Mixed into :class:`controller.service.ContactCenter`."""

    def place_call(self, agent_id: int, target: dict, queue_name: str | None = None) -> dict:
        """Start an outbound call for ``agent_id``; returns the new call (``dialing``)."""
        target = one_target(target, ("number", "extension", "agent"), "Say whom to call")
        agent = self.agent(agent_id)
        if agent.state not in ("available", "idle") or agent.call_id:
            raise InvalidAction(f"cannot place a call: {agent.what} is "
                                f"{agent.state_label}",
                                state=agent.state, trigger="place_call")
        queue = None
        if queue_name:
            queue = self.queue(queue_name)
            if queue is None:
                raise BadTarget(f"No queue or campaign is called {queue_name!r}.")
            from ..models import AgentQueue
            if agent.agent.role == "agent" and not AgentQueue.select().where(
                    (AgentQueue.agent == agent_id) & (AgentQueue.queue == queue)).exists():
                raise BadTarget(f"You are not a member of {queue.label or queue.name}; you cannot call for it.")
        peer = None
        if "agent" not in target:
            dnis, dial_string = self._destination(target)
        else:
            record = Agent.get_or_none(Agent.username == str(target["agent"]))
            if record is None:
                raise BadTarget(f"No agent is called {target['agent']!r}.")
            if record.id == agent_id:
                raise BadTarget("You cannot call yourself.")
            peer = self.agent(record.id)
            if peer.state not in ("available", "idle") or peer.call_id:
                from .errors import TargetUnavailable
                raise TargetUnavailable(f"{record.name} cannot take a call now: {peer.what} is "
                                        f"{peer.state_label}.")
            dial_string, dnis = self._agent_dial(record), record.extension
        customer_uuid, agent_uuid = str(uuidlib.uuid4()), str(uuidlib.uuid4())
        call_id = str(uuidlib.uuid4())
        # checked again and reserved with nothing in between that could yield: the router or
        # a second click cannot slip a call in (the lookups above wait on the database)
        for who in (agent, peer):
            if who is not None and (who.state not in ("available", "idle") or who.call_id):
                raise InvalidAction(f"cannot place a call: {who.what} is busy now", trigger="place_call")
        for who in (agent, peer):
            if who is not None:
                who.take_offer()
                who.call_id = call_id
        record = Interaction(id=call_id, queue=queue, direction="outbound",
                             kind="internal" if peer else "outbound", state="new",
                             ani=agent.agent.extension[:32], dnis=dnis[:32], customer_uuid=customer_uuid)
        try:
            insert_interaction(record)
        except Exception:
            for who in (agent, peer):
                if who is not None:
                    who.call_id = None
                    who.withdraw_offer()
            raise
        call = CallMachine(record, queue.name if queue else None)
        call.peer_agent_id = peer.agent.id if peer else None
        record.agent = agent.agent
        record.agent_uuid = agent_uuid
        self._track(call, customer_uuid)
        self._add_leg(call, agent_uuid, "agent", agent_id=agent_id)
        call.fire("dial")
        if peer is not None:
            self._push_agent(peer)
        self._push_agent(agent)
        timeout = queue.ring_timeout if queue else self.settings.ring_timeout
        variables = self._leg_variables(call, agent_uuid, cid_number=dnis, cid_name="Outbound", timeout=timeout)
        try:
            self._originate(call, self._agent_dial(agent.agent), variables,
                            lambda job: self._agent_answered(call, dial_string, job))
        except SwitchRefused:
            self.dispatcher.submit(call.key, lambda: self._dial_failed(call, "FreeSWITCH did not take the call"))
            raise
        log.info("%s: %s calls %s", call.what, agent.what, dnis)
        self._push_call(call)
        return call.as_dict(agent_id)

    def _agent_answered(self, call: CallMachine, dial_string: str, job: Job) -> None:
        if call.state != "dialing":
            return
        if not (job.result or "").startswith("+OK"):
            self._dial_failed(call, f"your phone did not answer ({job_cause(job)})")
            return
        call.legs[call.record.agent_uuid].answered = True
        agent = self.agents.get(call.record.agent_id)
        if agent is not None and agent.state == "ringing":
            agent.fire("connect")
            self._push_agent(agent)
        customer = call.record.customer_uuid
        self._add_leg(call, customer, "customer")
        presented = self._presented_number(call, agent.agent if agent else None)
        if call.peer_agent_id and agent is not None:
            presented = agent.agent.extension
        variables = self._leg_variables(call, customer, cid_number=presented,
                                        cid_name=agent.agent.name if agent else "switchdesk",
                                        timeout=self.settings.ring_timeout * 2)
        try:
            self._originate(call, dial_string, variables, lambda j: self._destination_answered(call, j))
        except SwitchRefused as exc:
            self._dial_failed(call, str(exc))

    def _destination_answered(self, call: CallMachine, job: Job) -> None:
        if call.state != "dialing":
            return
        if not (job.result or "").startswith("+OK"):
            self._dial_failed(call, f"no answer ({job_cause(job)})")
            return
        call.legs[call.record.customer_uuid].answered = True
        try:
            self._command(commands.bridge(call.record.agent_uuid, call.record.customer_uuid))
        except SwitchRefused as exc:
            self._dial_failed(call, str(exc))
            return
        peer = self.agents.get(call.peer_agent_id) if call.peer_agent_id else None
        if peer is not None and peer.state == "ringing":
            peer.fire("connect")
            self._push_agent(peer)
        self._connected(call)

    def _dial_failed(self, call: CallMachine, why: str) -> None:
        if call.state != "dialing":
            return
        log.info("%s: outbound call failed: %s", call.what, why)
        self._end(call.key, call, "dial_failed", why)

