"""The contact center: ESL events and agent commands in, FreeSWITCH commands and pushes out.

Every event and every command for one call is handled on that call's ordered queue
(:class:`~controller.dispatch.OrderedDispatcher`), keyed by the call's first leg. Agent
actions that are not about a call (state changes, wrap-up timers) use a queue per agent,
and routing decisions use one queue of their own.
"""
from __future__ import annotations

import logging
import uuid as uuidlib
from typing import Callable

import gevent
import gevent.event
import peewee

from . import commands
from .agents import SELECTABLE, AgentMachine
from .calls import CallMachine, Leg
from .calls.control import CallControl
from .calls.data import CallData
from .calls.errors import BadInput, BadTarget, NotYourCall, SwitchRefused, TargetUnavailable, UnknownCall
from .calls.outbound import OutboundCalls
from .calls.recording import RecordingControl
from .calls.store import flush as flush_interactions, insert_interaction, write_wrapup_reason
from .callbacks.service import CallbackControl
from .config import Settings
from .db import database, release_connection
from .dispatch import OrderedDispatcher
from .esl import EslClient, EslError, Job
from .events import Event
from .machine import InvalidAction
from .models import Agent, Interaction, Queue, utcnow
from .queues import PRIORITY_VARIABLE, Routing, channel_priority
from .reconcile import reconcile_channels

log = logging.getLogger(__name__)

ROUTER = "router"
#: states that wait for an originate's result: after a restart or a lost connection that
#: result never comes, and reconciliation settles the call from the live channels
ORPHANED_STATES = ("offering", "dialing", "transferring", "consulting", "consult_held")
Push = Callable[[str, str, dict], None]


__all__ = ["ContactCenter", "NotYourCall", "UnknownCall", "TargetUnavailable", "BadInput", "BadTarget", "SwitchRefused"]


class ContactCenter(CallControl, OutboundCalls, RecordingControl, CallData, Routing, CallbackControl):
    """One per process: owns the ESL client, the call and agent machines and routing.

    :param settings: see :mod:`controller.config`
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dispatcher = OrderedDispatcher(self._handle, on_idle=release_connection)
        self.calls: dict[str, CallMachine] = {}     # dispatch key (first leg uuid) -> call
        self.by_id: dict[str, CallMachine] = {}      # contact id -> call
        self.leg_keys: dict[str, str] = {}           # any leg uuid -> dispatch key
        #: contact ids routing handed to an agent whose offer has not run yet (still ``queued``)
        self.being_offered: set[str] = set()
        self._routing_requested = False  # a routing pass is queued and has not started
        self.agents: dict[int, AgentMachine] = {}
        self._subscribers: list[Push] = []
        self._timers: dict[int, gevent.Greenlet] = {}
        self._queues: dict[str, Queue] = {}
        self.esl = EslClient(settings.esl, self.on_event, on_connect=self._on_connect,
                             command_timeout=settings.command_timeout,
                             heartbeat_timeout=settings.heartbeat_timeout,
                             reconnect_max_delay=settings.reconnect_max_delay)
        self.init_callbacks()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._load_agents()
        self._load_calls()
        self.start_callbacks()  # before the first reconciliation: callback calls being dialed are adopted
        self.esl.start()

    def stop(self, wait: float = 10.0) -> None:
        """Stop; work in flight (events being handled, queued writes) ends and is committed
        first, up to ``wait`` seconds, so nothing is lost and no connection is mid-query."""
        self.stop_callbacks()
        self.esl.stop()
        for timer in self._timers.values():
            timer.kill()
        if not self.dispatcher.join(wait):
            log.warning("stopping with %d events still queued", self.dispatcher.pending())
        if database.obj is not None:
            flush_interactions()
        release_connection()

    def _load_agents(self) -> None:
        for agent in Agent.select():
            machine = AgentMachine(agent)
            if machine.state == "ringing":
                # an offer does not survive a restart: reconciliation re-queues the call
                machine.state = "available"
                Agent.update(state="available").where(Agent.id == agent.id).execute()
            self.agents[agent.id] = machine
            if machine.state == "wrap_up":
                self._start_wrapup_timer(machine)
        release_connection()

    def queue(self, name: str) -> Queue | None:
        """A queue by name, from memory (queues change rarely; see :meth:`reload_queues`)."""
        queue = self._queues.get(name)
        if queue is None:
            queue = Queue.get_or_none(Queue.name == name)
            if queue is not None:
                self._queues[name] = queue
        return queue

    def reload_queues(self) -> None:
        self._queues.clear()

    def _load_calls(self) -> None:
        """Calls the database knows as live; reconciliation confirms or finishes them."""
        for record in Interaction.select(Interaction, Queue).join(Queue, peewee.JOIN.LEFT_OUTER).where(
                Interaction.state != "ended"):
            call = CallMachine(record, record.queue.name if record.queue_id else None)
            self._track(call, record.customer_uuid or record.agent_uuid)
            # what was in flight (an originate's result) died with the old process
            call.orphaned = record.state in ORPHANED_STATES
            if record.agent_id and record.agent_id in self.agents and record.state not in ("new", "queued"):
                self.agents[record.agent_id].call_id = record.id
            for helper in call.agent_ids() - {record.agent_id}:  # a consulted or called agent
                if helper in self.agents:
                    self.agents[helper].call_id = record.id
        release_connection()

    def _track(self, call: CallMachine, key: str) -> None:
        call.key = key
        self.calls[key] = call
        self.by_id[call.id] = call
        for uuid in call.legs:
            self.leg_keys[uuid] = key

    def _untrack(self, key: str) -> None:
        call = self.calls.pop(key, None)
        if call is None:
            return
        self.by_id.pop(call.id, None)
        for uuid in call.legs:
            self.leg_keys.pop(uuid, None)

    # -- pushes ----------------------------------------------------------------------
    def subscribe(self, callback: Push) -> None:
        self._subscribers.append(callback)

    def _push(self, room: str, event: str, payload: dict) -> None:
        for callback in self._subscribers:
            try:
                callback(room, event, payload)
            except Exception:
                log.exception("push subscriber failed")

    def _push_agent(self, agent: AgentMachine) -> None:
        payload = agent.as_dict()
        self._push(f"agent:{agent.agent.id}", "agent_state", payload)
        self._push("supervisors", "agent_state", payload)

    def _push_call(self, call: CallMachine, event: str = "call") -> None:
        """The call's state to every agent on it (each sees their own actions) and supervisors."""
        if call.state != "ended":
            call.save_control()  # what the desktops are told is what a restart picks up
        for agent_id in call.agent_ids():
            self._push(f"agent:{agent_id}", event, call.as_dict(agent_id))
        self._push("supervisors", event, call.as_dict())

    # -- ESL in ----------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """Runs on the ESL reader: only decides the queue and appends."""
        uuid = event.uuid
        if uuid is None:
            return
        self.dispatcher.submit(self.leg_keys.get(uuid, uuid), event)

    def _handle(self, key, item) -> None:
        if isinstance(item, Event):
            self._on_channel_event(key, item)
        else:
            item()

    def _on_connect(self) -> None:
        try:
            reconcile_channels(self)
            self.callbacks_reconnected()
        finally:
            release_connection()

    def _on_channel_event(self, key: str, event: Event) -> None:
        name = event.name
        call = self.calls.get(key)
        if call is None:
            if self.untracked_event(event):
                return
            if name == "CHANNEL_PARK" and event.get("Call-Direction") == "inbound" and event.variable("cc_queue"):
                self.enqueue_inbound(event.uuid, event.variable("cc_queue"),
                                     ani=event.get("Caller-Caller-ID-Number", ""),
                                     dnis=event.variable("cc_did") or event.get("Caller-Destination-Number", ""),
                                     lookup=event.variable, priority=event.variable(PRIORITY_VARIABLE))
            return
        leg = call.legs.get(event.uuid)
        if leg is None:
            return
        if name == "CHANNEL_ANSWER":
            leg.answered = True
            self.callback_leg_answered(call, leg)
        elif name in ("DTMF", "CHANNEL_EXECUTE_COMPLETE"):
            self.callback_channel_event(call, leg, event)
        elif name == "CHANNEL_BRIDGE":
            if call.state == "offering" and leg.role in ("customer", "agent"):
                self._connected(call)
        elif name == "CHANNEL_HANGUP":
            if not leg.alive:
                return  # a leg we already let go of (released, cancelled)
            leg.alive = False
            self._leg_gone(key, call, leg, event.get("Hangup-Cause", ""))

    # -- queue and offers --------------------------------------------------------------
    def enqueue_inbound(self, uuid: str, queue_name: str, *, ani: str, dnis: str,
                        lookup: Callable[[str], str | None] | None = None,
                        leave_message: bool = False, priority: str | None = None) -> CallMachine | None:
        """Take a parked inbound call into its queue (hold music, timers, routing).

        :param leave_message: the caller chose to leave a message (an IVR): recorded for the
            queue's Missed calls instead of waiting for an agent
        :param priority: the channel's ``cc_priority`` (text, 0-100; anything else is logged
            and the call is queued with 0)
        """
        if uuid in self.calls:  # its CHANNEL_PARK and the start-up reconciliation both saw it
            return self.calls[uuid]
        queue = self.queue(queue_name)
        if queue is None:
            log.error("inbound call %s names unknown queue %r; leaving it parked", uuid, queue_name)
            return None
        record = Interaction(id=str(uuidlib.uuid4()), queue=queue, direction="inbound", kind="inbound",
                             state="new", ani=ani[:32], dnis=dnis[:32], customer_uuid=uuid,
                             priority=channel_priority(priority, f"inbound call {uuid}"))
        insert_interaction(record)
        call = CallMachine(record, queue.name)
        if lookup is not None and queue.variables_spec:
            self._capture_call_data(call, queue, lookup)
        self._track(call, uuid)
        call.fire("enqueue")
        if leave_message:
            self.start_message(call)  # before anything yields: routing skips a caller in a menu
            self._push_call(call)
            return call
        self._keep_on_bridge_end(uuid)
        self._play_hold_music(uuid, queue)
        self.start_queue_timers(call, queue)
        self._push_call(call)
        self.request_routing()
        return call

    def _keep_on_bridge_end(self, uuid: str) -> None:
        """The customer parks, not hangs up, when an agent leg leaves the bridge (trace 05)."""
        try:
            self.esl.api(commands.setvar(uuid, "park_after_bridge", "true"))
        except EslError as exc:
            log.warning("could not set park_after_bridge on %s: %s", uuid, exc)

    def _play_hold_music(self, uuid: str, queue: Queue) -> None:
        try:
            self.esl.api(commands.broadcast(uuid, queue.hold_music, "aleg"))
        except EslError as exc:
            log.warning("could not start hold music for %s: %s", uuid, exc)

    def request_routing(self) -> None:
        """Run a routing pass soon. Requests that come while one is waiting to start share it:
        that pass sees everything they were made for."""
        if self._routing_requested:
            return
        self._routing_requested = True
        self.dispatcher.submit(ROUTER, self._route)

    def _route(self) -> None:
        """Offer waiting calls and due callbacks to the best available agents (controller/queues.py)."""
        self._routing_requested = False
        self.route_contacts()

    def _key_of(self, call: CallMachine) -> str:
        return call.key

    def _offer(self, call: CallMachine, agent: AgentMachine) -> None:
        self.being_offered.discard(call.id)
        if call.state != "queued":
            agent.call_id = None
            agent.withdraw_offer()
            self._push_agent(agent)
            self.request_routing()
            return
        record = call.record
        leg_uuid = str(uuidlib.uuid4())
        ring = record.queue.ring_timeout if record.queue_id else self.settings.ring_timeout
        try:
            # built before any state changes: a caller id that cannot go into a dial string
            # is cleaned, and anything else unsafe fails the offer instead of sticking it
            variables = self._leg_variables(
                call, leg_uuid, cid_number=_dialable_cid(record.ani),
                cid_name=(record.queue.label or record.queue.name) if record.queue_id else "switchdesk",
                timeout=ring)
            command = commands.originate(self._agent_dial(agent.agent), variables=variables)
        except commands.UnsafeValue as exc:
            log.error("cannot offer %s to %s: %s", call.what, agent.what, exc)
            agent.call_id = None
            agent.withdraw_offer()
            self._push_agent(agent)
            return
        record.agent = agent.agent
        record.agent_uuid = leg_uuid
        call.legs[leg_uuid] = Leg(leg_uuid, "agent", agent_id=agent.agent.id)
        self.leg_keys[leg_uuid] = call.key
        call.ring_deadline(ring)  # the popover's countdown: the phone rings this long (originate_timeout)
        call.fire("offer")
        self._push_call(call)
        try:
            job = self.esl.bgapi(command)
        except EslError as exc:
            log.error("could not offer %s to %s: %s", call.what, agent.what, exc)
            self._offer_failed(call, agent, "NETWORK_OUT_OF_ORDER")
            return
        job.link(lambda j, c=call, a=agent: self.dispatcher.submit(c.key, lambda: self._offer_answered(c, a, j)))

    def _offer_answered(self, call: CallMachine, agent: AgentMachine, job: Job) -> None:
        if call.state != "offering" or call.record.agent_id != agent.agent.id or job.lost:
            return  # moved on meanwhile; or the connection dropped: reconciliation decides
        leg = call.legs.get(call.record.agent_uuid)
        result = job.result or ""
        if not result.startswith("+OK"):
            cause = result[5:].strip() if result.startswith("-ERR") else "NO_ANSWER"
            self._offer_failed(call, agent, cause)
            return
        customer = call.leg("customer")
        if customer is None or leg is None or not leg.alive:
            return  # the hangup that got here first is handled by _leg_gone
        try:
            self._command(commands.bridge(customer.uuid, leg.uuid))
        except SwitchRefused as exc:
            log.error("bridging %s failed: %s", call.what, exc)
            self._kill(leg.uuid)
            self._offer_failed(call, agent, "BRIDGE_FAILED")

    def _detach_agent_leg(self, call: CallMachine) -> None:
        """Forget the call's agent and agent leg (the leg is gone or never answered)."""
        leg_uuid = call.record.agent_uuid
        call.legs.pop(leg_uuid, None)
        self.leg_keys.pop(leg_uuid, None)
        call.record.agent = None
        call.record.agent_uuid = None

    def _offer_failed(self, call: CallMachine, agent: AgentMachine, cause: str) -> None:
        log.info("%s: offer to %s failed (%s); back to queue at its old position", call.what, agent.what, cause)
        # the offer leaves this agent: their popover goes (the call is not theirs to wrap up)
        self._push(f"agent:{agent.agent.id}", "call_ended", call.as_dict(agent.agent.id))
        self._detach_agent_leg(call)
        call.fire("offer_failed")
        agent.call_id = None
        if agent.return_to == "idle":
            agent.withdraw_offer()  # an idle agent who was sent a transfer is not in RONA
        else:
            agent.fire("no_answer")
        self._push_agent(agent)
        self._push_call(call)
        self.request_routing()

    def requeue(self, call: CallMachine, why: str) -> None:
        """Put a live customer back in the queue at the old position (its agent leg is gone).

        A call that has no queue (an outbound call, an agent-to-agent call) ends instead:
        nobody would ever be offered it."""
        if not call.record.queue_id:
            self._end(call.key, call, "lost", f"no queue to go back to: {why}"[:64])
            return
        log.info("%s: back to the queue: %s", call.what, why)
        agent = self.agents.get(call.record.agent_id)
        self._detach_agent_leg(call)
        call.fire("requeue")
        if agent is not None and agent.call_id == call.id:
            self._push(f"agent:{agent.agent.id}", "call_ended", call.as_dict(agent.agent.id))
        self._release_agent(agent, call)
        if call.record.queue_id:
            self._play_hold_music(call.record.customer_uuid, call.record.queue)
        self._push_call(call)
        self.request_routing()

    def _connected(self, call: CallMachine) -> None:
        call.record.answered_at = utcnow()
        call.fire("connect")
        agent = self.agents.get(call.record.agent_id)
        if agent is not None:
            agent.fire("connect")
            self._push_agent(agent)
        self._record_always(call)
        self._push_call(call)

    # -- ending --------------------------------------------------------------------------
    def _leg_gone(self, key: str, call: CallMachine, leg: Leg, cause: str) -> None:
        if call.state == "ended":
            return
        if leg.role == "customer" and call.state != "conference":
            self._end(key, call, "customer_left", f"customer hung up ({cause})")
        elif leg.role == "agent" and call.state == "offering":
            agent = self.agents.get(call.record.agent_id)
            if agent is not None:
                self._offer_failed(call, agent, cause or "NO_ANSWER")
        elif self._control_leg_gone(call, leg, cause):
            return
        elif leg.role == "agent" and call.state in ("connected", "dialing"):
            self._end(key, call, "agent_left", f"agent hung up ({cause})")

    def _release_agent(self, agent: AgentMachine | None, call: CallMachine) -> None:
        """The call no longer has this agent: wrap-up after talking, free again after ringing."""
        if agent is None or agent.call_id != call.id:
            return
        agent.call_id = None
        if agent.state == "on_call":
            agent.agent.wrapup_call_id = call.id
            agent.fire("call_ended")
            self._start_wrapup_timer(agent, call.record.queue if call.record.queue_id else None)
        elif agent.state == "ringing":
            agent.withdraw_offer()
            self.request_routing()
        self._push_agent(agent)

    def _release_consulted(self, agent: AgentMachine | None, call: CallMachine, *, tell: bool = False) -> None:
        """A consulted (or called) agent leaves the call: no wrap-up, it was not their contact.

        :param tell: push them ``call_ended`` (when the call itself goes on without them)
        """
        if agent is None or agent.call_id != call.id:
            return
        agent.call_id = None
        if tell:
            self._push(f"agent:{agent.agent.id}", "call_ended", call.as_dict(agent.agent.id))
        if agent.state == "ringing":
            agent.withdraw_offer()
        elif agent.state == "on_call":
            agent.release()
        self._push_agent(agent)
        self.request_routing()

    def _end(self, key: str, call: CallMachine, trigger: str, reason: str) -> None:
        self.before_end(call, trigger, reason)  # callbacks: abandoned calls, callback attempts
        call.record.ended_at = utcnow()
        call.record.end_reason = reason[:64]
        call.fire(trigger)
        # states first, then the commands: sending a command yields to other greenlets
        leftovers = [leg for leg in call.legs.values() if leg.alive]
        for leg in leftovers:
            leg.alive = False
        helpers = [self.agents.get(a) for a in call.agent_ids() - {call.record.agent_id}]
        self._push_call(call, "call_ended")
        self._release_agent(self.agents.get(call.record.agent_id), call)
        for helper in helpers:
            self._release_consulted(helper, call)
        self._recording_ended(call)
        self._untrack(key)
        for leg in leftovers:
            self._kill(leg.uuid)

    def _kill(self, uuid: str) -> None:
        try:
            self.esl.bgapi(commands.kill(uuid))
        except EslError as exc:
            log.warning("could not hang up leg %s: %s", uuid, exc)

    def _agent_dial(self, agent: Agent) -> str:
        return agent_dial_string(agent, self.settings.agent_dial)

    # -- agent actions ---------------------------------------------------------------------
    def agent(self, agent_id: int) -> AgentMachine:
        machine = self.agents.get(agent_id)
        if machine is None:
            agent = Agent.get_or_none(Agent.id == agent_id)
            if agent is None:
                raise KeyError(agent_id)
            machine = self.agents[agent_id] = AgentMachine(agent)
        return machine

    def set_agent_state(self, agent_id: int, state: str, reason: str = "") -> dict:
        if state not in SELECTABLE:
            raise InvalidAction(f"unknown agent state {state!r}; choose one of {', '.join(SELECTABLE)}")
        agent = self.agent(agent_id)
        if state == "available":
            if agent.state == "logged_out":
                agent.fire("login")
            agent.fire("make_available")
        elif state == "idle":
            if agent.state == "logged_out":
                agent.fire("login")
            else:
                agent.fire("make_idle")
            agent.agent.state_reason = reason[:64]
            Agent.update(state_reason=agent.agent.state_reason).where(Agent.id == agent_id).execute()
        else:
            agent.fire("logout")
        self._push_agent(agent)
        if agent.state == "available":
            self.request_routing()
        return agent.as_dict()

    def call_for_agent(self, call_id: str, agent_id: int | None) -> CallMachine:
        """The call, if this agent may act on it (None: a supervisor)."""
        call = self.by_id.get(call_id)
        if call is None:
            raise UnknownCall(f"no live call {call_id}")
        if agent_id is not None and agent_id not in call.agent_ids():
            raise NotYourCall("you are not part of this call")
        return call

    def call_view(self, call_id: str, agent_id: int | None) -> dict:
        return self.call_for_agent(call_id, agent_id).as_dict(agent_id)

    def _act_on(self, call_id: str, agent_id: int | None, action, *, roles=("owner", "supervisor")) -> dict:
        """Run ``action(call)`` on the call's queue (ordered with its events); its result or error."""
        call = self.call_for_agent(call_id, agent_id)
        role = call.role_of(agent_id)
        if role not in roles:
            raise NotYourCall("only the agent who owns the call can do that")
        result = gevent.event.AsyncResult()

        def run():
            try:
                if call.state == "ended":
                    raise UnknownCall(f"no live call {call_id}")
                action(call)
                result.set(call.as_dict(agent_id))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result.set_exception(exc)

        # the request's pooled connection is not needed while the call's queue works
        release_connection()
        if not self.dispatcher.run_here(call.key, run):
            self.dispatcher.submit(call.key, run)
        try:
            return result.get(timeout=self.settings.command_timeout * 3)
        except gevent.Timeout as exc:
            raise SwitchRefused("the call did not respond in time; try again") from exc

    def hangup(self, call_id: str, agent_id: int | None) -> dict:
        """End the call; in a conference or a consultation, leave it (the others stay)."""
        return self._act_on(call_id, agent_id, lambda call: self._hangup(call, agent_id),
                            roles=("owner", "consulted", "peer", "supervisor"))

    def _hangup(self, call: CallMachine, agent_id: int | None) -> None:
        role = call.role_of(agent_id)
        if role == "consulted":
            consult = call.consult
            if consult is None or consult.phase == "ringing":
                raise InvalidAction("cannot hang up: the consultation has not been answered yet")
            self._kill(consult.uuid)  # its hangup event ends the consultation (or leaves the conference)
            return
        if call.state == "held":
            raise InvalidAction("cannot hang up: the customer is on hold; take them off hold first",
                                state="held", trigger="hangup")
        if call.state == "conference" and role == "owner":
            self._kill(self._agent_leg(call).uuid)
            return
        if not call.can("hangup"):
            call.fire("hangup")  # raises the readable InvalidAction
        self._end(call.key, call, "hangup", "agent ended the call" if role == "owner" else "supervisor ended it")

    def accept(self, call_id: str, agent_id: int | None) -> dict:
        """The agent takes the offer from the desktop: their phone is asked to answer."""
        return self._act_on(call_id, agent_id, self._accept, roles=("owner",))

    def _accept(self, call: CallMachine) -> None:
        if call.state != "offering":
            raise InvalidAction(f"cannot accept: {call.what} is {call.state_label}",
                                state=call.state, trigger="accept")
        self._command(commands.phone_event(self._agent_leg(call).uuid, "talk"))

    def wrap_up(self, call_id: str | None, agent_id: int, reason: str = "", callback: dict | None = None) -> dict:
        """Finish wrap-up with a reason (a campaign call: one of its dispositions, and optionally
        ``callback`` = ``{date, time, time_zone, note}`` for a global callback)."""
        agent = self.agent(agent_id)
        record = None
        if call_id:
            # the row is needed anyway: a campaign call's contact is named in its variables
            record = Interaction.get_or_none(Interaction.id == call_id)
            if record is None:
                raise UnknownCall(f"no call {call_id}")
            if call_id != agent.agent.wrapup_call_id and record.agent_id != agent_id:
                raise NotYourCall("You are not part of this call.")
        if agent.state != "wrap_up":
            raise InvalidAction(f"nothing to wrap up: {agent.what} is {agent.state.replace('_', ' ')}")
        if call_id:
            self.dispose_campaign_contact(record, agent_id, reason, callback)  # may refuse: before any change
            write_wrapup_reason(call_id, reason[:128])
        elif callback:
            raise BadInput("A callback needs the call it follows up.")
        timer = self._timers.pop(agent_id, None)
        if timer is not None:
            timer.kill()
        agent.fire("wrap_up_done")
        self._push_agent(agent)
        self.request_routing()
        return agent.as_dict()

    def _start_wrapup_timer(self, agent: AgentMachine, queue: Queue | None = None) -> None:
        """Wrap-up ends by itself after the queue's wrap-up time (or the default)."""
        agent_id = agent.agent.id
        seconds = queue.wrapup_seconds if queue is not None else self.settings.wrapup_seconds

        def expire():
            self._timers.pop(agent_id, None)
            if agent.state == "wrap_up":
                agent.fire("wrap_up_done")
                self._push_agent(agent)
                self.request_routing()

        self._timers[agent_id] = gevent.spawn_later(
            seconds, lambda: self.dispatcher.submit(f"agent:{agent_id}", expire))

    # -- views -----------------------------------------------------------------------
    def agent_snapshot(self, agent_id: int) -> dict:
        agent = self.agent(agent_id)
        calls = [c.as_dict(agent_id) for c in self.by_id.values() if agent_id in c.agent_ids()]
        return {"agent": agent.as_dict(), "calls": calls}

    def supervisor_snapshot(self) -> dict:
        now = utcnow()
        queues = []
        for queue in Queue.select().order_by(Queue.name):
            waiting = [c for c in self.calls.values() if c.state == "queued" and c.record.queue_id == queue.id]
            longest = max(((now - c.record.enqueued_at).total_seconds() for c in waiting), default=0)
            queues.append({"name": queue.name, "label": queue.label, "waiting": len(waiting),
                           "longest_wait": round(longest)})
        for agent in Agent.select().where(Agent.id.not_in(list(self.agents) or [0])):
            self.agents[agent.id] = AgentMachine(agent)
        return {"agents": [m.as_dict() for m in self.agents.values()], "queues": queues,
                "calls": [c.as_dict() for c in self.by_id.values()]}

    def status(self) -> dict:
        return {"connected": self.esl.connected.is_set(), "connections": self.esl.connections,
                "last_error": self.esl.last_error, "calls": len(self.calls)}


def _dialable_cid(ani: str) -> str:
    """The caller's number as a caller id we can put in a dial string (digits and + only)."""
    # ASCII digits only: str.isdigit() also takes "²" or "١٢٣", which checked_destination refuses
    cleaned = "".join(ch for ch in (ani or "") if ch in "0123456789+")[:20]
    return cleaned if len(cleaned) >= 2 else "0000"


def agent_dial_string(agent: Agent, template: str = "user/{extension}") -> str:
    """How an agent's phone is reached: by default the FreeSWITCH directory user of their
    extension (``SWITCHDESK_AGENT_DIAL`` changes it, e.g. ``loopback/{extension}/agents``)."""
    return template.format(extension=commands.checked_destination(agent.extension))
