"""The callback use cases of the contact center, and the hooks its event handling calls.

:class:`CallbackControl` is mixed into :class:`controller.service.ContactCenter`. The
service calls these hooks (and nothing else of this package):

- ``init_callbacks()`` / ``start_callbacks()`` / ``stop_callbacks()``: state, scheduler;
- ``callbacks_reconnected()``: after every reconciliation with FreeSWITCH;
- ``untracked_event(event)``: events of channels that are not calls (callback requests
  parked by the IVR and their goodbye);
- ``callback_channel_event(call, leg, event)``: DTMF and application results of calls;
- ``callback_leg_answered(call, leg)``: a leg of a call answered;
- ``before_end(call, trigger, reason)``: a call ends (abandoned calls, callback attempts).
"""
from __future__ import annotations

import datetime as dt
import logging

import peewee

from ..calls.errors import BadInput
from ..db import release_connection
from ..events import Event
from ..machine import InvalidAction
from ..models import Agent, AgentQueue, Callback, Campaign, Interaction, Queue, utcnow
from . import store, windows
from .agent_initiated import AgentInitiated
from .campaigns import CampaignDialer
from .dialing import CallbackDialing
from .menus import QueueMenus
from .numbers import InvalidNumber, callback_number, zone_of
from .scheduler import CallbackScheduler
from .settings import CallbackSettings

log = logging.getLogger(__name__)

#: what each view of the callback list shows
VIEWS = ("missed", "agenda", "queue", "all")
#: Missed calls: callers who did not reach an agent; their callback requests (IVR requests and
#: messages, web requests, in-queue requests) come first, abandoned calls after them
MISSED_KINDS = ("ivr", "web", "in_queue", "abandoned")
#: the supervisor page's "callbacks pending": waiting, offered to an agent or being dialed (not yet connected)
NOT_YET_SERVED = ("pending", "no_answer", "offered", "dialing")
SUPERVISOR_LIST_LIMIT = 300


class CallbackControl(QueueMenus, AgentInitiated, CallbackDialing, CampaignDialer):
    """Callbacks: requests, launching, offers, dialing, menus, campaigns."""

    # -- life cycle ---------------------------------------------------------------------------
    def init_callbacks(self, settings: CallbackSettings | None = None) -> None:
        self.callback_settings = settings or CallbackSettings.from_env()
        self._callback_offers: dict[int, int] = {}      # callback id -> agent offered the popover
        self._callback_timers: dict = {}
        self._callback_deadlines: dict[int, tuple] = {}  # callback id -> (popover's end UTC, seconds)
        self._declined: dict[int, set[int]] = {}
        self._attempts: dict = {}                        # contact id -> dialing.Attempt
        self._menus: dict = {}                           # contact id -> menus.Menu
        self._number_prompts: dict = {}                  # contact id -> agent_initiated.NumberPrompt
        self._goodbye: dict[str, str] = {}               # uuid of an untracked channel -> its last prompt
        self._campaign_dials: dict[str, tuple[int, int]] = {}
        self._queue_timers: dict = {}
        self._callbacks_reconciled = False
        self._callbacks_stopped = False
        self.callback_scheduler = CallbackScheduler(self)

    def start_callbacks(self) -> None:
        """Start the scheduler. A callback whose customer was being dialed when the last controller
        stopped is not settled by the reconciliation (which would hang up a ringing customer and
        try again later): its orphaned claim is adopted, and the customer bridged on answer."""
        dialed = {cb.contact_id for cb in Callback.select(Callback.contact_id).where(
            Callback.status.in_(("dialing", "connected")) & Callback.contact_id.is_null(False))}
        for call in self.calls.values():
            if call.record.kind == "callback" and call.state == "dialing" and call.id in dialed:
                call.orphaned = False
        release_connection()
        self.callback_scheduler.start()

    def stop_callbacks(self) -> None:
        """Stop launching; hand what this process holds to the next one at once."""
        self._callbacks_stopped = True
        self.callback_scheduler.stop()
        for timers in list(self._queue_timers.values()):
            for timer in timers.values():
                timer.kill(block=False)
        for cb_id in list(self._callback_offers):
            self._end_offer(cb_id)
            cb = Callback.get_or_none(Callback.id == cb_id)
            if cb is not None and cb.status == "offered":
                try:
                    store.transition(cb, "release", reason="controller stopping; back at its place",
                                     instance=self.callback_settings.instance, fields={Callback.agent: None})
                except InvalidAction:
                    pass
        if Callback._meta.database.obj is not None:
            (Callback.update(lease_until=utcnow())
             .where((Callback.claimed_by == self.callback_settings.instance)
                    & (Callback.status.in_(store.HELD)) & Callback.lease_until.is_null(False)).execute())

    def callbacks_reconnected(self) -> None:
        self._callbacks_reconciled = True
        self.callback_scheduler.wake()

    # -- hooks from the event path ----------------------------------------------------------------
    def untracked_event(self, event: Event) -> bool:
        if event.uuid in self._goodbye:
            self.goodbye_event(event)
            return True
        if event.name == "CHANNEL_PARK" and event.get("Call-Direction") == "inbound" and event.variable("cc_queue"):
            if event.variable("cc_callback"):
                self.callback_request_parked(event)
                return True
            if event.variable("cc_message"):
                self.message_request_parked(event)
                return True
        return False

    def callback_channel_event(self, call, leg, event: Event) -> None:
        if not self.number_prompt_event(call, leg, event):
            self.menu_event(call, leg, event)

    def callback_leg_answered(self, call, leg) -> None:
        if call.state != "dialing" or call.record.kind != "callback":
            return
        if leg.role == "customer":
            self.callback_customer_answered(call)
        elif leg.role == "agent":
            self.callback_agent_up(call)

    def before_end(self, call, trigger: str, reason: str) -> None:
        """A call is about to end: settle its callback, keep an abandoned caller, stop its timers."""
        self._cancel_queue_timers(call.id)
        self._number_prompts.pop(call.id, None)
        asked = self.menu_call_ending(call, trigger)
        self.callback_call_ending(call, trigger, reason)
        r = call.record
        if (not asked and trigger == "customer_left" and r.direction == "inbound" and r.kind == "inbound"
                and call.state in ("queued", "offering")):
            self._abandoned(call)

    def _abandoned(self, call) -> None:
        r = call.record
        number = self._number_or_none(r.ani)
        if number is None:
            log.info("%s: abandoned by %r, a number that cannot be called back", call.what, r.ani)
            return
        try:
            cb = self._request_from_call(call, "abandoned", number, launch="manual")
        except (ValueError, peewee.PeeweeException) as exc:
            log.error("%s: could not keep the abandoned call: %s", call.what, exc)
            return
        self.push_callback(cb, notify=False)

    def bridge_if_answered(self, call) -> None:
        """After a restart, a callback's customer may have answered while nobody listened."""
        from ..reconcile import live_channels

        try:
            row = live_channels(self).get(call.record.customer_uuid)
        except Exception as exc:  # noqa: BLE001 - the CHANNEL_ANSWER event will do it otherwise
            log.warning("%s: cannot read the customer's channel: %s", call.what, exc)
            return
        if row is not None and row.get("callstate") == "ACTIVE":
            self.callback_customer_answered(call)

    # -- requests ---------------------------------------------------------------------------------
    def callback_defaults(self, queue: Queue | None, number: str) -> dict:
        """The new callback's attempts, window, time zone and expiry, from its queue."""
        now = utcnow()
        if queue is None:
            return {"time_zone": zone_of(number, "UTC"), "due_at": now}
        expires = now + dt.timedelta(hours=queue.callback_expiry_hours) if queue.callback_expiry_hours else None
        return {"time_zone": zone_of(number, queue.time_zone), "window_start": queue.callback_window_start,
                "window_end": queue.callback_window_end, "max_attempts": queue.callback_max_attempts,
                "retry_delay": queue.callback_retry_delay, "expires_at": expires, "due_at": now}

    def web_callback(self, *, number: str, queue_name: str, name: str = "", note: str = "",
                     preferred_time: dt.datetime | None = None, time_zone: str | None = None,
                     requested_by: int | None = None) -> tuple[dict, bool]:
        """A visitor of a website asks to be called (integration API or the public form).

        :param preferred_time: when they want the call (aware, or UTC when naive); None: now
        :raises BadInput: the number, queue, time zone or time cannot be used
        """
        queue = self.queue(queue_name)
        if queue is None:
            raise BadInput(f"No queue is called {queue_name!r}.")
        try:
            number = callback_number(number, self.settings.default_region)
            fields = self.callback_defaults(queue, number)
            if time_zone:
                windows.zone(time_zone)
                fields["time_zone"] = time_zone
        except (InvalidNumber, windows.BadWindow) as exc:
            raise BadInput(str(exc)) from exc
        due = fields["due_at"]
        if preferred_time is not None:
            try:
                preferred_time = windows.utc_naive(preferred_time)
            except windows.BadWindow as exc:
                raise BadInput(f"'preferred_time' {exc}") from exc
            if preferred_time > due + dt.timedelta(days=30):
                raise BadInput("'preferred_time' is more than 30 days ahead.")
            due = max(due, preferred_time)
            if fields.get("expires_at") is not None:
                fields["expires_at"] = max(fields["expires_at"], due + dt.timedelta(hours=queue.callback_expiry_hours))
        fields.update(due_at=due, enqueued_at=due, name=name, note=note, caller_id=queue.caller_id_number)
        cb, created = store.request(kind="web", number=number, queue=queue, launch="queue", agent_id=requested_by,
                                    instance=self.callback_settings.instance, **fields)
        self.push_callback(cb, notify=created)  # a new request is news for the queue's agents; an update is not
        self.callback_scheduler.wake()
        return store.as_dict(cb), created

    def schedule_agenda(self, agent_id: int, *, number: str, date: str, time: str, time_zone: str,
                        reason: str = "", scope: str = "personal", queue_name: str | None = None,
                        contact_id: str | None = None, name: str = "") -> dict:
        """Disposition "Agenda": call this customer at a date and time of their time zone.

        ``personal``: the agent is reminded when it is due (and it goes to the queue if they
        are not logged in within the queue's grace); ``global``: the campaign of
        ``queue_name`` dials the customer again at that time.
        """
        if scope not in ("personal", "global"):
            raise BadInput("'scope' must be personal or global.")
        original = self._agenda_contact(contact_id, agent_id) if contact_id else None
        queue = self.queue(queue_name) if queue_name else (self._queue_by_id(original.queue_id) if original else None)
        if queue_name and queue is None:
            raise BadInput(f"No queue is called {queue_name!r}.")
        if scope == "global" and (queue is None or Campaign.get_or_none(Campaign.queue == queue.id) is None):
            raise BadInput("A global callback needs the name of a campaign in 'queue'.")
        try:
            number = callback_number(number, self.settings.default_region)
            due = windows.local_to_utc(date, time, time_zone)
        except (InvalidNumber, windows.BadWindow) as exc:
            raise BadInput(str(exc)) from exc
        if due < utcnow() - dt.timedelta(minutes=1):
            raise BadInput(f"{date} {time} ({time_zone}) has already passed.")
        fields = self.callback_defaults(queue, number)
        fields.update(time_zone=time_zone, due_at=due, enqueued_at=due, note=reason[:256], name=name[:128],
                      window_start="00:00", window_end="24:00", expires_at=None)
        if scope == "personal":
            fields["owner"] = agent_id
        if original is not None:
            fields.update(original_contact_id=original.id, original_ani=original.ani, original_dnis=original.dnis,
                          priority=original.priority, caller_id=(queue.caller_id_number if queue else "")
                          or original.dnis)
        cb, _ = store.request(kind=scope, number=number, queue=queue,
                              launch="owner" if scope == "personal" else "campaign", agent_id=agent_id,
                              instance=self.callback_settings.instance, **fields)
        if scope == "global":
            self.contact_scheduled(Campaign.get(Campaign.queue == queue.id), cb)
        self.push_callback(cb)
        self.callback_scheduler.wake()
        return store.as_dict(cb)

    def _agenda_contact(self, contact_id: str, agent_id: int | None) -> Interaction:
        """The call an agenda follows up: one this agent handled (owned, or is wrapping up)."""
        from ..calls.errors import NotYourCall

        original = Interaction.get_or_none(Interaction.id == contact_id)
        if original is None:
            raise BadInput(f"No call {contact_id}.")
        if agent_id is not None and original.agent_id != agent_id and \
                self.agent(agent_id).agent.wrapup_call_id != contact_id:
            raise NotYourCall("You are not part of this call.")
        return original

    def agenda_defaults(self, contact_id: str, agent_id: int | None) -> dict:
        """What the Agenda form starts from for a call: the customer's number and time zone, its queue,
        and whether a global (campaign) callback is possible."""
        original = self._agenda_contact(contact_id, agent_id)
        queue = self._queue_by_id(original.queue_id) if original.queue_id else None
        customer = original.dnis if original.kind == "outbound" else original.ani  # an agent's call: whom they dialed
        number = self._number_or_none(customer)
        campaign = queue is not None and Campaign.get_or_none(Campaign.queue == queue.id) is not None
        # the customer's zone when their number tells one; else the page uses the agent's own
        return {"contact_id": original.id, "number": number or customer, "callable": number is not None,
                "time_zone": (zone_of(number, "") or None) if number else None,
                "queue": queue.name if queue else None, "scopes": ["personal", "global"] if campaign else ["personal"]}

    # -- reading ---------------------------------------------------------------------------------
    def list_callbacks(self, agent_id: int | None, view: str = "missed", limit: int = 200) -> list[dict]:
        """Callbacks for the desktop: ``missed`` (Missed calls), ``agenda``, ``queue`` (open ones of
        the agent's queues) or ``all`` (supervisors). ``agent_id`` None: a supervisor."""
        if view not in VIEWS:
            raise BadInput(f"'view' must be one of: {', '.join(VIEWS)}.")
        query = Callback.select().where(Callback.status.in_(store.OPEN))
        queue_ids = None
        if agent_id is not None:
            queue_ids = [r.queue_id for r in AgentQueue.select(AgentQueue.queue).where(AgentQueue.agent == agent_id)]
        if view == "missed":
            query = query.where(Callback.kind.in_(MISSED_KINDS))
            order = [(Callback.kind == "abandoned"), Callback.created_at.desc()]
        elif view == "agenda":
            query = query.where(Callback.kind.in_(("personal", "global", "agent_initiated")))
            if agent_id is not None:
                query = query.where((Callback.owner == agent_id)
                                    | ((Callback.kind == "global") & Callback.queue.in_(queue_ids or [0])))
            order = [Callback.due_at]
        else:
            order = [Callback.priority.desc(), Callback.enqueued_at]
        if queue_ids is not None and view in ("missed", "queue"):
            # another agent's agenda (launch owner: its number and reason are theirs) is not the
            # queue's until it is handed to the queue, as push_callback does
            query = query.where((Callback.queue.in_(queue_ids or [0]) & (Callback.launch != "owner"))
                                | (Callback.owner == agent_id))
        if view == "all" and agent_id is not None:
            raise InvalidAction("only supervisors see every callback")
        names = {q.id: q.name for q in Queue.select(Queue.id, Queue.name)}
        return [store.as_dict(cb, names) for cb in query.order_by(*order).limit(limit)]

    def supervisor_callbacks(self, limit: int = SUPERVISOR_LIST_LIMIT) -> dict:
        """What the supervisor page shows of the callbacks not yet served (every kind, numbers in clear):

        ``callbacks`` (``pending``, ``no_answer``, ``offered``, ``dialing``; soonest due first, at
        most ``limit``), ``callbacks_total`` (all of them) and ``callbacks_pending`` (their count per
        queue name, every queue listed)."""
        open_ = Callback.status.in_(NOT_YET_SERVED)
        names = {q.id: q.name for q in Queue.select(Queue.id, Queue.name)}
        counts = {name: 0 for name in sorted(names.values())}
        rows = (Callback.select(Callback.queue, peewee.fn.COUNT(Callback.id)).where(open_)
                .group_by(Callback.queue).tuples())
        total = 0
        for queue_id, count in rows:
            total += count
            if queue_id in names:
                counts[names[queue_id]] = count
        listed = list(Callback.select().where(open_).order_by(Callback.due_at, Callback.id).limit(limit))
        owner_ids = {cb.owner_id for cb in listed if cb.owner_id}
        owners = {a.id: a for a in Agent.select(Agent.id, Agent.username, Agent.name).where(
            Agent.id.in_(list(owner_ids)))} if owner_ids else {}
        return {"callbacks": [store.as_dict(cb, names, owners) for cb in listed], "callbacks_total": total,
                "callbacks_pending": counts}

    def callback_view(self, callback_id: int, agent_id: int | None) -> dict:
        cb = store.get(callback_id)
        self.check_callback_access(cb, agent_id)
        return {**store.as_dict(cb), "history": store.history(cb)}

    def check_callback_access(self, cb: Callback, agent_id: int | None) -> None:
        """An agent sees callbacks of their queues, their own, and those offered to them; another
        agent's agenda (``launch`` owner) only once it is handed to the queue (as the lists and
        pushes do)."""
        if agent_id is None or cb.owner_id == agent_id or cb.agent_id == agent_id:
            return
        if cb.queue_id and cb.launch != "owner" and AgentQueue.get_or_none(
                (AgentQueue.agent == agent_id) & (AgentQueue.queue == cb.queue_id)):
            return
        from ..calls.errors import NotYourCall

        raise NotYourCall("This callback is not for you.")
