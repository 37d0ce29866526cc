"""The scheduler job: launches due callbacks, keeps claims alive, and takes over orphans.

One APScheduler (3.x) :class:`~apscheduler.schedulers.gevent.GeventScheduler` per
controller process runs :meth:`CallbackScheduler.run_once` every ``interval`` seconds,
and once more at the next due time when that comes sooner, so a callback is launched
within milliseconds of being due. A pass:

1. renews the lease of every callback this process holds (offered, dialing, connected);
2. takes over *orphans* — held callbacks whose lease ran out because their process
   stopped or died — once FreeSWITCH has been reconciled: an offer goes back to
   pending at its place; a callback being dialed is adopted if its call is still up,
   settled from its interaction otherwise (never dialed a second time);
3. expires callbacks past ``expires_at``;
4. looks at due callbacks best first: outside the customer's calling window -> moved
   to the window's next opening; ``queue`` -> routing is asked to run (the router
   claims each one atomically when it offers it); ``owner`` -> claimed and the owner
   reminded; ``campaign`` -> claimed and put back into the campaign's list;
5. moves agenda callbacks whose owner stayed logged out past the queue's grace to the queue;
6. runs the campaigns' progressive dialer.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

import gevent
from apscheduler.schedulers.gevent import GeventScheduler

from ..db import release_connection
from ..machine import InvalidAction
from ..models import Callback, CampaignContact, Interaction, Queue, utcnow
from . import store, windows
from .dialing import Attempt

if TYPE_CHECKING:  # pragma: no cover
    from ..service import ContactCenter

log = logging.getLogger(__name__)

JOB_ID = "switchdesk-callbacks"


class CallbackScheduler:
    def __init__(self, cc: "ContactCenter"):
        self.cc = cc
        self.scheduler: GeventScheduler | None = None
        self.passes = 0
        self.last_pass_seconds = 0.0
        self._route_timer: gevent.Greenlet | None = None
        self._pass: gevent.Greenlet | None = None  # the pass running now

    def start(self) -> None:
        interval = self.cc.callback_settings.interval
        self.scheduler = GeventScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                       "misfire_grace_time": 30})
        self.scheduler.add_job(self._run, "interval", seconds=interval, id=JOB_ID,
                               next_run_time=dt.datetime.now(dt.timezone.utc))
        self.scheduler.start()

    def stop(self, wait: float = 10.0) -> None:
        """No more passes; a pass that is running finishes first (up to ``wait`` seconds), so its
        claims are written down before the process hands over and its connection is free."""
        if self._route_timer is not None:
            self._route_timer.kill(block=False)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
        running = self._pass
        if running is not None and running is not gevent.getcurrent():
            running.join(wait)
            if not running.dead:
                log.warning("a callback scheduler pass did not end within %.0f s of the stop", wait)

    def wake(self, at: dt.datetime | None = None) -> None:
        """Run a pass now (or at ``at``, UTC naive) instead of waiting for the interval."""
        if self.scheduler is None:
            return
        when = dt.datetime.now(dt.timezone.utc) if at is None else at.replace(tzinfo=dt.timezone.utc)
        self.scheduler.modify_job(JOB_ID, next_run_time=when)

    def _run(self) -> None:
        self._pass = gevent.getcurrent()
        try:
            self.run_once()
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("callback scheduler pass failed")
        finally:
            self._pass = None
            release_connection()

    def run_once(self) -> dict:
        """One pass; returns what it did (for tests and the benchmark)."""
        cc, cs = self.cc, self.cc.callback_settings
        started = time.perf_counter()
        now = utcnow()
        done = {"renewed": store.renew_leases(cs.instance, cs.lease), "orphans": 0, "expired": 0, "deferred": 0,
                "routable": 0, "reminded": 0, "to_campaign": 0, "to_queue": 0}
        if cc._callbacks_reconciled:
            done["orphans"] = self.take_over_orphans(now)
        done["expired"] = self.expire(now)
        for cb in store.due(now, ("queue", "owner", "campaign"), cs.batch):
            try:
                if not windows.in_window(now, cb.time_zone, cb.window_start, cb.window_end):
                    opens = windows.next_allowed(now, cb.time_zone, cb.window_start, cb.window_end)
                    store.transition(cb, "defer", reason=f"outside the calling window {cb.window_start}-"
                                     f"{cb.window_end} {cb.time_zone}", instance=cs.instance,
                                     fields={Callback.due_at: opens})
                    cc.push_callback(cb)
                    done["deferred"] += 1
                elif cb.launch == "queue":
                    done["routable"] += 1
            except (InvalidAction, windows.BadWindow) as exc:
                log.info("callback %s skipped this pass: %s", cb.id, exc)
        # reminders and campaign callbacks: claimed in a batch (SKIP LOCKED on PostgreSQL)
        for cb in store.claim_due(now, ("owner",), cs.batch, cs.instance, cs.lease, permanent=True,
                                  reason="owner reminded"):
            cc._push(f"agent:{cb.owner_id}", "callback_reminder", store.as_dict(cb))
            cc.push_callback(cb)
            done["reminded"] += 1
        for cb in store.claim_due(now, ("campaign",), cs.batch, cs.instance, cs.lease, permanent=True,
                                  reason="back in the campaign's list"):
            done["to_campaign"] += cc.callback_to_campaign(cb)
        done["to_queue"] = self.agenda_to_queue(now)
        if done["routable"]:
            cc.request_routing()
        cc.dial_campaigns()
        self._wake_for_next(now)
        self.passes += 1
        self.last_pass_seconds = time.perf_counter() - started
        return done

    def _wake_for_next(self, now: dt.datetime) -> None:
        """Be there exactly when the next callback falls due, if that is before the next pass:
        routing for a queue callback (a timer that re-arms itself), a pass for the others."""
        nxt = self._next_due(now, ["owner", "campaign"])
        if nxt is not None:
            self.wake(nxt)
        if self._route_timer is None or self._route_timer.dead:
            self._arm_route_timer(now)

    def _next_due(self, now: dt.datetime, launches: list[str]) -> dt.datetime | None:
        nxt = (Callback.select(Callback.due_at).where(
            (Callback.status.in_(store.WAITING)) & (Callback.launch.in_(launches)) & (Callback.due_at > now))
            .order_by(Callback.due_at).limit(1).scalar())
        if nxt is None or (nxt - now).total_seconds() >= self.cc.callback_settings.interval:
            return None
        return nxt

    def _arm_route_timer(self, now: dt.datetime) -> None:
        nxt = self._next_due(now, ["queue"])
        if nxt is not None and self.scheduler is not None:
            self._route_timer = gevent.spawn_later(max(0.0, (nxt - utcnow()).total_seconds()), self._route_due, nxt)

    def _route_due(self, at: dt.datetime) -> None:
        try:
            self.cc.request_routing()
            self._arm_route_timer(at)
        finally:
            release_connection()

    # -- the steps -------------------------------------------------------------------------------
    def expire(self, now: dt.datetime) -> int:
        count = 0
        for cb in Callback.select().where((Callback.status.in_(store.WAITING)) & (Callback.expires_at < now)) \
                .limit(self.cc.callback_settings.batch):
            try:
                store.transition(cb, "expire", reason="not made before it expired",
                                 instance=self.cc.callback_settings.instance)
                count += 1
                self.cc.push_callback(cb)
            except InvalidAction:
                pass
        return count

    def agenda_to_queue(self, now: dt.datetime) -> int:
        """Agenda callbacks whose owner has not logged in within the queue's grace go to the queue."""
        moved = 0
        rows = (Callback.select(Callback, Queue).join(Queue).where(
            (Callback.status == "offered") & (Callback.launch == "owner") & (Queue.agenda_grace > 0)))
        for cb in rows:
            if cb.due_at + dt.timedelta(seconds=cb.queue.agenda_grace) > now:
                continue
            owner = self.cc.agents.get(cb.owner_id)
            if owner is not None and owner.state != "logged_out":
                continue
            try:
                store.transition(cb, "hand_to_queue", reason="the owner did not log in in time",
                                 instance=self.cc.callback_settings.instance,
                                 fields={Callback.launch: "queue", Callback.agent: None})
            except InvalidAction:
                continue
            moved += 1
            self.cc.push_callback(cb)
        if moved:
            self.cc.request_routing()
        return moved

    def take_over_orphans(self, now: dt.datetime) -> int:
        cc, cs = self.cc, self.cc.callback_settings
        count = 0
        for cb in store.orphans(now):
            if cb.status == "offered" and cb.launch in ("owner", "campaign"):
                continue
            try:
                count += self._take_over(cb)
            except InvalidAction as exc:
                log.info("callback %s: orphan already taken: %s", cb.id, exc)
        # campaign dials whose originate result was lost with the process
        stale = now - dt.timedelta(seconds=cs.customer_ring_timeout + 2 * cs.lease)
        (CampaignContact.update(status="ready", updated_at=now)
         .where((CampaignContact.status == "dialing") & (CampaignContact.updated_at < stale)
                & CampaignContact.contact_id.is_null()).execute())
        return count

    def _take_over(self, cb: Callback) -> int:
        cc, cs = self.cc, self.cc.callback_settings
        if cb.status == "offered":
            store.transition(cb, "release", reason="its controller stopped; back at its place", instance=cs.instance,
                             fields={Callback.agent: None})
            cc.push_callback(cb)
            cc.request_routing()
            return 1
        call = cc.by_id.get(cb.contact_id or "")
        if call is not None and call.state != "ended":
            taken = (Callback.update(claimed_by=cs.instance, lease_until=utcnow() + dt.timedelta(seconds=cs.lease))
                     .where((Callback.id == cb.id) & (Callback.status == cb.status)
                            & (Callback.lease_until == cb.lease_until)).execute())
            if taken != 1:
                return 0
            if call.id not in cc._attempts:
                cc._attempts[call.id] = Attempt(cb.id, call.record.agent_id, 0.0, customer_dialed=True,
                                                bridged=cb.status == "connected")
            agent = cc.agents.get(call.record.agent_id)
            if agent is not None and not agent.call_id:
                agent.call_id = call.id
            log.info("callback %s: adopted with its live call %s (%s)", cb.id, call.what, cb.status)
            if cb.status == "dialing" and call.record.kind == "callback":
                cc.dispatcher.submit(call.key, lambda c=call: cc.bridge_if_answered(c))
            return 1
        record = Interaction.get_or_none(Interaction.id == cb.contact_id) if cb.contact_id else None
        if record is not None and record.state != "ended":
            return 0  # still live somewhere: its own reconciliation settles it
        if cb.status == "connected" or (record is not None and record.answered_at):
            if cb.status == "dialing":
                store.transition(cb, "answer", instance=cs.instance)
            store.transition(cb, "complete", reason="its call ended while its controller was away",
                             instance=cs.instance)
        else:
            cc.callback_not_answered(cb, record.end_reason if record is not None else "controller stopped")
        cc.push_callback(cb)
        return 1
