"""Queues: who is offered what next, what waiting callers hear, and what happens after max wait.

Routing (:meth:`Routing.route_contacts`) puts the waiting calls and the due callbacks of
every queue in one line, best first: higher priority, then the earlier *original*
enqueue time — a callback keeps the place of the call it replaces, so a caller who
asked to be called back is not overtaken by people who called after them. Priorities are
0-100: a DID's ``cc_priority`` (:func:`channel_priority`), a blind transfer's ``priority``,
100 for an answered campaign call. Each contact goes to the agent of its queue with the
lowest tier (``AgentQueue.tier``), then the fewest open contacts, then the longest idle
(``Agent.idle_since``), among agents who may take it: a call needs an Available agent who
holds nothing (one call on a phone); callback popovers stack up to the queue's
``agent_contact_limit``.

Per queue (columns of :class:`controller.models.Queue`): hold music, position and
expected-wait announcements (which count due callbacks too), ``max_wait`` with a
``failover`` (the callback menu, another queue, voicemail or an extension), the agents'
open-contact limit and the callback defaults. :func:`check_queue` refuses settings that
cannot work, such as a ``call_delay`` of 60 seconds or more.
"""
from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING

import gevent

from . import commands
from .callbacks import store
from .callbacks import windows
from .callbacks.prompts import playback, position_announcement
from .esl import EslError
from .models import AgentQueue, Interaction, Queue, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from .calls import CallMachine

log = logging.getLogger(__name__)

FAILOVER = re.compile(r"^(ivr|voicemail|queue:[A-Za-z0-9_.-]{1,64}|extension:[0-9*#]{2,16})$")
#: seconds of talk assumed per contact when the queue has no history yet
DEFAULT_HANDLE_SECONDS = 180.0
#: a waiting contact's priority: higher is offered first (an answered campaign call is 100)
PRIORITY_MIN, PRIORITY_MAX = 0, 100
#: the channel variable a DID extension sets to give its callers a priority
PRIORITY_VARIABLE = "cc_priority"
_PRIORITY_TEXT = re.compile(r"^[+-]?[0-9]{1,9}$")


class QueueSettingsError(ValueError):
    """A queue setting that cannot work; the message says which and why."""


class BadPriority(ValueError):
    """A priority that is not a whole number from PRIORITY_MIN to PRIORITY_MAX; the message says so."""


def checked_priority(value: object) -> int:
    """``value`` as a priority (an int, or its decimal text).

    :raises BadPriority: not a whole number, or outside 0-100
    """
    if isinstance(value, str) and _PRIORITY_TEXT.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPriority(f"Priority must be a whole number from {PRIORITY_MIN} to {PRIORITY_MAX} "
                          f"(got {repr(value)[:30]}).")
    if not PRIORITY_MIN <= value <= PRIORITY_MAX:
        raise BadPriority(f"Priority must be from {PRIORITY_MIN} to {PRIORITY_MAX} (got {value}).")
    return value


def channel_priority(text: str | None, what: str) -> int:
    """The priority a parked channel's ``cc_priority`` asks for; 0 when it has none.

    A value that is not a priority is logged and ignored (the caller is queued with 0):
    a typo in the dialplan must not leave a caller parked.

    :param what: the channel, for the log
    """
    if text is None or text.strip() in ("", "_undef_"):
        return 0
    try:
        return checked_priority(text)
    except BadPriority as exc:
        log.warning("%s: %s=%r ignored: %s", what, PRIORITY_VARIABLE, text[:40], exc)
        return 0


def check_queue(queue: Queue) -> None:
    """Refuse queue settings that cannot work (called whenever a queue is saved).

    :raises QueueSettingsError: with a sentence naming the setting
    """
    if not isinstance(queue.call_delay, int) or not 0 <= queue.call_delay <= 59:
        raise QueueSettingsError(f"call_delay must be 0 to 59 seconds (got {queue.call_delay!r}): the customer is "
                                 "dialed that long after the agent accepts a callback.")
    if queue.max_wait < 0:
        raise QueueSettingsError("max_wait cannot be negative (0: no limit).")
    if not FAILOVER.match(queue.failover or ""):
        raise QueueSettingsError(f"failover must be ivr, voicemail, queue:<name> or extension:<number> "
                                 f"(got {queue.failover!r}).")
    if queue.failover.startswith("queue:") and queue.failover[6:] == queue.name:
        raise QueueSettingsError("a queue cannot fail over to itself.")
    if queue.announce_interval < 10:
        raise QueueSettingsError("announce_interval must be at least 10 seconds.")
    if queue.callback_digit and not re.fullmatch(r"[0-9*#]", queue.callback_digit):
        raise QueueSettingsError("callback_digit is one key: 0-9, * or #.")
    if queue.agent_contact_limit < 1:
        raise QueueSettingsError("agent_contact_limit must be at least 1.")
    if queue.callback_max_attempts < 1 or queue.callback_retry_delay < 0:
        raise QueueSettingsError("callback_max_attempts must be at least 1 and callback_retry_delay not negative.")
    try:
        windows.check_window(queue.callback_window_start, queue.callback_window_end)
        windows.zone(queue.time_zone)
    except windows.BadWindow as exc:
        raise QueueSettingsError(str(exc)) from exc


class Routing:
    """Mixed into :class:`controller.service.ContactCenter`: routing, queue timers, announcements."""

    # -- routing ---------------------------------------------------------------------------
    def route_contacts(self) -> None:
        """Offer waiting calls and due callbacks to the best agents (router queue).

        An agent's phone carries one call: a call is offered only to an agent who is
        Available and holds nothing. Callback popovers are screen offers: an agent may hold
        as many as the queue's ``agent_contact_limit``, so one who is ringing with popovers
        only (no call) may be offered another while below that limit. Among the agents who
        may take a contact: the lowest tier, then the fewest open contacts, then the longest idle.
        """
        popovers = self.popovers_by_agent()
        pool = {aid: m for aid, m in self.agents.items() if self._routable(m, popovers)}
        if not pool:
            return
        members: dict[int, list[tuple[int, int]]] = {}
        for row in AgentQueue.select(AgentQueue.agent, AgentQueue.queue, AgentQueue.tier).where(
                AgentQueue.agent.in_(list(pool))):
            members.setdefault(row.queue_id, []).append((row.tier, row.agent_id))
        menus = getattr(self, "_menus", {})
        entries: list[tuple[int, object, object]] = []
        for call in self.calls.values():
            # a call handed to an agent stays ``queued`` until its own dispatcher runs the
            # offer: it is routed once, not again by every pass in between
            if call.state == "queued" and call.id not in menus and call.id not in self.being_offered:
                entries.append((call.record.priority, call.record.enqueued_at, call))
        now = utcnow()
        for cb in store.due(now, ("queue",), limit=max(50, 4 * len(pool)), queue_ids=list(members)):
            if windows.in_window(now, cb.time_zone, cb.window_start, cb.window_end):
                entries.append((cb.priority, cb.enqueued_at, cb))
        if not entries:
            return
        held = self._open_contacts_of(pool, popovers)
        entries.sort(key=lambda e: (-e[0], e[1]))
        for _priority, _at, entry in entries:
            is_call = hasattr(entry, "record")
            queue_id = entry.record.queue_id if is_call else entry.queue_id
            declined = self.declined_by(entry) if not is_call else ()
            limit = self._contact_limit(queue_id)
            candidates = [(tier, held[a], pool[a].agent.idle_since, a) for tier, a in members.get(queue_id, ())
                          if a in pool and a not in declined and held[a] < limit
                          and (not is_call or (held[a] == 0 and pool[a].state == "available"))]
            if not candidates:
                continue
            agent = pool[min(candidates)[3]]
            if not self._routable(agent, popovers):
                del pool[agent.agent.id]
                continue  # taken by a transfer or consultation meanwhile
            if is_call:
                del pool[agent.agent.id]
                agent.take_offer()
                agent.call_id = entry.id
                self.being_offered.add(entry.id)
                self._push_agent(agent)
                self.dispatcher.submit(self._key_of(entry), lambda c=entry, a=agent: self._offer(c, a))
            elif self.offer_callback(entry, agent):
                held[agent.agent.id] += 1
                popovers[agent.agent.id] = popovers.get(agent.agent.id, 0) + 1
            if not pool:
                return

    @staticmethod
    def _routable(agent, popovers: dict[int, int]) -> bool:
        """May be offered something: Available with no call, or ringing with callback popovers only
        (then only another popover, below the limit)."""
        if agent.call_id:
            return False
        return agent.state == "available" or (agent.state == "ringing" and popovers.get(agent.agent.id, 0) > 0)

    def popovers_by_agent(self) -> dict[int, int]:
        """agent id -> callback popovers on their screen now."""
        counts: dict[int, int] = {}
        for agent_id in getattr(self, "_callback_offers", {}).values():
            counts[agent_id] = counts.get(agent_id, 0) + 1
        return counts

    def _open_contacts_of(self, agent_ids, popovers: dict[int, int]) -> dict[int, int]:
        counts = {aid: popovers.get(aid, 0) for aid in agent_ids}
        for call in self.by_id.values():
            if call.record.agent_id in counts:
                counts[call.record.agent_id] += 1
        return counts

    def open_contacts(self, agent_id: int) -> int:
        """Contacts the agent holds now: the live calls they own (ringing, dialing, talking, held;
        a callback being dialed is one) and the callback popovers on their screen."""
        return self._open_contacts_of((agent_id,), self.popovers_by_agent())[agent_id]

    def _contact_limit(self, queue_id: int | None) -> int:
        queue = self._queue_by_id(queue_id)
        return queue.agent_contact_limit if queue is not None else 1

    def contact_limit_reason(self, agent_id: int, queue_id: int | None) -> str | None:
        """Why this agent cannot take one more contact of the queue, or None."""
        queue = self._queue_by_id(queue_id)
        limit = self._contact_limit(queue_id)
        held = self.open_contacts(agent_id)
        if held < limit:
            return None
        where = f" of {queue.label or queue.name}" if queue is not None else ""
        return (f"You already have {held} open contact{'s' if held != 1 else ''}; the limit{where} is {limit}. "
                f"Finish {'it' if held == 1 else 'one'} first.")

    def _queue_by_id(self, queue_id: int | None) -> Queue | None:
        if not queue_id:
            return None
        for queue in self._queues.values():
            if queue.id == queue_id:
                return queue
        queue = Queue.get_or_none(Queue.id == queue_id)
        if queue is not None:
            self._queues[queue.name] = queue
        return queue

    # -- where a waiting caller stands -------------------------------------------------------
    def queue_position(self, call: "CallMachine") -> int:
        """1 for the next caller of the queue; due callbacks ahead of the caller count too."""
        mine = (-call.record.priority, call.record.enqueued_at)
        ahead = sum(1 for c in self.calls.values()
                    if c is not call and c.state == "queued" and c.record.queue_id == call.record.queue_id
                    and (-c.record.priority, c.record.enqueued_at) < mine)
        from .models import Callback

        ahead += (Callback.select().where(
            (Callback.queue == call.record.queue_id) & (Callback.status.in_(store.WAITING + ("offered",)))
            & (Callback.launch == "queue") & (Callback.due_at <= utcnow())
            & ((Callback.priority > call.record.priority)
               | ((Callback.priority == call.record.priority) & (Callback.enqueued_at < call.record.enqueued_at))))
            .count())
        return ahead + 1

    def expected_wait_minutes(self, queue: Queue, position: int) -> int:
        """Position x average talk time / agents logged in to the queue (at least one), in minutes."""
        recent = list(Interaction.select(Interaction.answered_at, Interaction.ended_at)
                      .where((Interaction.queue == queue.id) & Interaction.answered_at.is_null(False)
                             & Interaction.ended_at.is_null(False))
                      .order_by(Interaction.ended_at.desc()).limit(50))
        handle = (sum((r.ended_at - r.answered_at).total_seconds() for r in recent) / len(recent)
                  if recent else DEFAULT_HANDLE_SECONDS)
        member_ids = [row.agent_id for row in AgentQueue.select(AgentQueue.agent).where(AgentQueue.queue == queue.id)]
        staffed = sum(1 for a in member_ids if a in self.agents and self.agents[a].state != "logged_out")
        return max(1, math.ceil(position * handle / max(1, staffed) / 60))

    # -- timers of a waiting caller ------------------------------------------------------------
    def start_queue_timers(self, call: "CallMachine", queue: Queue, *, restart_max_wait: bool = False) -> None:
        """Announcements every ``announce_interval`` and the failover at ``max_wait`` (from the enqueue
        time; from now with ``restart_max_wait``, for a caller who chose to keep waiting)."""
        timers = self._queue_timer_map()
        self._cancel_queue_timers(call.id)
        mine = timers[call.id] = {}
        if queue.announce_position:
            mine["announce"] = gevent.spawn_later(
                min(self.callback_settings.announce_first_after, queue.announce_interval),
                lambda: self.dispatcher.submit(call.key, lambda: self._announce(call)))
        if queue.max_wait > 0:
            waited = 0.0 if restart_max_wait else (utcnow() - call.record.enqueued_at).total_seconds()
            mine["max_wait"] = gevent.spawn_later(
                max(0.0, queue.max_wait - waited),
                lambda: self.dispatcher.submit(call.key, lambda: self._max_wait_reached(call)))

    def _queue_timer_map(self) -> dict:
        if not hasattr(self, "_queue_timers"):
            self._queue_timers = {}
        return self._queue_timers

    def _cancel_queue_timers(self, call_id: str, *, keep_max_wait: bool = False) -> None:
        timers = self._queue_timer_map().get(call_id)
        if not timers:
            return
        for name in list(timers):
            if keep_max_wait and name == "max_wait":
                continue
            timers.pop(name).kill(block=False)
        if not timers:
            self._queue_timers.pop(call_id, None)

    def _announce(self, call: "CallMachine") -> None:
        if call.state == "ended":
            return
        queue = self._queue_by_id(call.record.queue_id)
        if queue is None or not queue.announce_position:
            return
        if call.state == "queued" and call.id not in getattr(self, "_menus", {}):
            position = self.queue_position(call)
            sounds = position_announcement(self.callback_settings.prompts, position,
                                           self.expected_wait_minutes(queue, position))
            try:
                self.esl.api(playback(call.record.customer_uuid, *sounds))
                log.info("%s: announced position %d in %s", call.what, position, queue.name)
            except (EslError, commands.UnsafeValue) as exc:
                log.warning("%s: could not announce the position: %s", call.what, exc)
        timers = self._queue_timer_map().setdefault(call.id, {})
        timers["announce"] = gevent.spawn_later(
            queue.announce_interval, lambda: self.dispatcher.submit(call.key, lambda: self._announce(call)))

    def _max_wait_reached(self, call: "CallMachine") -> None:
        timers = self._queue_timer_map().get(call.id, {})
        timers.pop("max_wait", None)
        if call.state == "ended":
            return
        queue = self._queue_by_id(call.record.queue_id)
        if queue is None or queue.max_wait <= 0:
            return
        if call.state != "queued" or call.id in getattr(self, "_menus", {}):
            # being offered, or in a menu: look again shortly
            timers["max_wait"] = gevent.spawn_later(
                5.0, lambda: self.dispatcher.submit(call.key, lambda: self._max_wait_reached(call)))
            return
        log.info("%s: waited %ds in %s (max wait): failover to %s", call.what, queue.max_wait, queue.name,
                 queue.failover)
        self.failover(call, queue)

    def failover(self, call: "CallMachine", queue: Queue) -> None:
        """Where a caller goes after ``queue.max_wait``: the menu, a message, another queue or an extension."""
        target = queue.failover
        if target == "ivr":
            self.start_max_wait_menu(call)
        elif target == "voicemail":
            self.start_message(call)
        elif target.startswith("queue:"):
            other = self.queue(target[6:])
            if other is None:
                log.error("%s: failover queue %s does not exist; the caller keeps waiting", call.what, target)
                return
            # the caller keeps the enqueue time (their place against later callers); the other
            # queue's max wait counts from the move, so two queues failing over to each other
            # pass the caller on once per max wait, never in a loop
            call.record.queue = other
            call.queue_name = other.name
            Interaction.update(queue=other.id).where(Interaction.id == call.id).execute()
            self._play_hold_music(call.record.customer_uuid, other)
            self.start_queue_timers(call, other, restart_max_wait=True)
            self._push_call(call)
            self.request_routing()
        else:
            extension = target.split(":", 1)[1]
            uuid = call.record.customer_uuid
            customer = call.leg("customer")
            try:
                # handed on: if the extension parks the caller, it is not queued here again
                # unless that extension sets cc_queue itself
                self.esl.api(commands.setvar(uuid, "cc_queue"))
                reply = self.esl.api(commands.transfer(uuid, extension))
            except (EslError, commands.UnsafeValue) as exc:
                reply = f"-ERR {exc}"
            if not reply.startswith("+OK"):
                log.error("%s: failover to %s failed (%s); the caller keeps waiting", call.what, target,
                          reply.strip())
                try:
                    self.esl.api(commands.setvar(uuid, "cc_queue", queue.name))
                except (EslError, commands.UnsafeValue):
                    pass
                return
            if customer is not None:
                customer.alive = False  # it lives on in the dialplan: not ours to hang up
            self._end(call.key, call, "handed_on", f"sent to extension {extension} after max wait")
