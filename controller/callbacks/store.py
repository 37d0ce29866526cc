"""Callbacks in the database: statuses as compare-and-set updates, requests with dedupe, claims.

Every status change is one ``UPDATE … WHERE id = ? AND status = <the status we read>``
plus one history line, in one transaction. If another process (or greenlet) changed the
row first, the update touches no row and :class:`CallbackTaken` is raised: whoever
changed it first wins, and nobody acts on a callback they did not get. This is what
makes launching exactly-once across controller processes; on PostgreSQL the batch claim
of the scheduler also skips rows another process has locked (``FOR UPDATE SKIP LOCKED``).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Iterable

import peewee

from ..db import database
from ..machine import InvalidAction, table
from ..models import Agent, Callback, CallbackEvent, Queue, utcnow

log = logging.getLogger(__name__)

KINDS = ("in_queue", "ivr", "web", "agent_initiated", "abandoned", "personal", "global")
LAUNCHES = ("queue", "owner", "campaign", "manual")
#: waiting to be launched (no_answer: an attempt failed, the next one waits for retry_delay)
WAITING = ("pending", "no_answer")
#: held by one controller process (claimed_by, lease_until)
HELD = ("offered", "dialing", "connected")
OPEN = WAITING + HELD
FINAL = ("completed", "failed", "cancelled", "expired")

TRANSITIONS = table([
    ("update", "pending", "pending"), ("update", "no_answer", "no_answer"),
    ("defer", "pending", "pending"), ("defer", "no_answer", "no_answer"),
    # offered: to an agent (popover), to its owner (reminder), or back into a campaign's list
    ("offer", WAITING, "offered"),
    # declined, not accepted in time, controller restarted: keeps its place
    ("release", "offered", "pending"),
    ("hand_to_queue", ("offered", "pending", "no_answer"), "pending"),
    ("dial", WAITING + ("offered",), "dialing"),
    ("answer", "dialing", "connected"),
    ("no_answer", "dialing", "no_answer"),
    ("give_up", "dialing", "expired"),
    ("complete", "connected", "completed"),
    ("fail", OPEN, "failed"),
    ("cancel", WAITING + ("offered", "dialing"), "cancelled"),
    ("expire", WAITING + ("offered",), "expired"),
])
LABELS = {"pending": "waiting to be called", "no_answer": "waiting for its next attempt",
          "offered": "offered to an agent", "dialing": "being dialed", "connected": "connected",
          "completed": "completed", "failed": "failed", "cancelled": "cancelled", "expired": "expired"}


class CallbackTaken(InvalidAction):
    """Someone else changed the callback first (another agent, process or the scheduler)."""


class UnknownCallback(LookupError):
    """No callback has that id (404)."""


def transition(cb: Callback, trigger: str, *, reason: str = "", agent_id: int | None = None,
               instance: str = "", fields: dict | None = None) -> str:
    """Move ``cb`` on by ``trigger`` if its row still has the status ``cb`` says; log and record it.

    :param fields: other columns to write in the same update (``{Callback.due_at: …}``)
    :raises InvalidAction: the trigger is not possible from the callback's status
    :raises CallbackTaken: the row changed meanwhile (``cb`` is refreshed)
    """
    source = cb.status
    dest = TRANSITIONS.get((trigger, source))
    if dest is None:
        raise InvalidAction(f"cannot {trigger.replace('_', ' ')}: callback {cb.id} is {LABELS.get(source, source)}",
                            state=source, trigger=trigger)
    now = utcnow()
    values = {Callback.status: dest, Callback.updated_at: now}
    if dest in FINAL:
        values.update({Callback.dedupe_key: None, Callback.claimed_by: None, Callback.lease_until: None})
    elif dest in WAITING:
        values.update({Callback.claimed_by: None, Callback.lease_until: None})
    if reason or dest in FINAL:
        values[Callback.status_reason] = reason[:128]
    values.update(fields or {})
    with database.atomic():
        changed = Callback.update(values).where((Callback.id == cb.id) & (Callback.status == source)).execute()
        if changed != 1:
            fresh = Callback.get_or_none(Callback.id == cb.id)
            if fresh is not None:
                cb.status = fresh.status
            raise CallbackTaken(f"callback {cb.id} was {LABELS.get(fresh.status, fresh.status) if fresh else 'deleted'}"
                                f" by someone else first", state=cb.status, trigger=trigger)
        CallbackEvent.insert(callback=cb.id, at=now, source=source, trigger=trigger, dest=dest, reason=reason[:128],
                             agent=agent_id, instance=instance[:96]).execute()
    for field, value in values.items():
        setattr(cb, field.name, value)
    log.info("callback %s: %s -> %s -> %s%s", cb.id, source, trigger, dest, f" ({reason})" if reason else "")
    return dest


def get(callback_id: int) -> Callback:
    cb = Callback.get_or_none(Callback.id == callback_id)
    if cb is None:
        raise UnknownCallback(f"no callback {callback_id}")
    return cb


def dedupe_key(kind: str, number: str, queue_id: int | None, owner_id: int | None) -> str:
    """One open callback per number and queue; a personal one per number and owner."""
    if kind == "personal":
        return f"agent:{owner_id}:{number}"
    return f"queue:{queue_id or 0}:{number}"


def request(*, kind: str, number: str, queue: Queue | None, launch: str, instance: str = "",
            agent_id: int | None = None, **fields) -> tuple[Callback, bool]:
    """Ask for a callback: a new row, or the open one for the same number and queue updated.

    An update keeps the earlier place (the smaller ``enqueued_at``, the higher priority)
    and takes the newer request's details (kind, name, note, due time, window).

    :return: ``(callback, created)``
    """
    if kind not in KINDS or launch not in LAUNCHES:
        raise ValueError(f"unknown callback kind/launch {kind}/{launch}")
    key = dedupe_key(kind, number, queue.id if queue else None, fields.get("owner"))
    now = utcnow()
    for _ in range(3):
        existing = Callback.get_or_none(Callback.dedupe_key == key)
        if existing is None:
            row = Callback(kind=kind, number=number, queue=queue, launch=launch, dedupe_key=key, created_at=now,
                           updated_at=now, **fields)
            try:
                with database.atomic():
                    row.save(force_insert=True)
                    CallbackEvent.insert(callback=row.id, at=now, source="new", trigger="request", dest=row.status,
                                         reason=kind, agent=agent_id, instance=instance[:96]).execute()
            except peewee.IntegrityError:
                continue  # someone asked for the same number at the same moment: update theirs
            log.info("callback %s: new %s callback for %s (%s)", row.id, kind, number, queue.name if queue else "-")
            return row, True
        if existing.status not in WAITING:
            # being offered or dialed right now: the request is already being served
            return existing, False
        changes = {Callback.kind: kind, Callback.launch: launch}
        for name, value in fields.items():
            if name in ("enqueued_at",):
                value = min(value, existing.enqueued_at)
            elif name == "priority":
                value = max(value, existing.priority)
            elif name == "message_path" and not value:
                continue
            changes[getattr(Callback, name)] = value
        try:
            transition(existing, "update", reason=f"asked again ({kind})", agent_id=agent_id, instance=instance,
                       fields={Callback.attempts: 0, **changes})
        except CallbackTaken:
            continue
        return existing, False
    raise CallbackTaken("the callback is changing too fast; try again")


def claim(cb: Callback, trigger: str, instance: str, lease: float, *, agent_id: int | None = None,
          reason: str = "", fields: dict | None = None) -> bool:
    """Take ``cb`` for this process (``offer`` or ``dial``); False if another got it first."""
    values = {Callback.claimed_by: instance, Callback.lease_until: utcnow() + dt.timedelta(seconds=lease)}
    if agent_id is not None:
        values[Callback.agent] = agent_id
    values.update(fields or {})
    try:
        transition(cb, trigger, reason=reason, agent_id=agent_id, instance=instance, fields=values)
    except CallbackTaken:
        return False
    return True


def due(now: dt.datetime, launches: Iterable[str], limit: int, queue_ids: Iterable[int] | None = None) -> list[Callback]:
    """Waiting callbacks due by ``now``, best first (priority, then the original enqueue time)."""
    query = (Callback.select()
             .where((Callback.status.in_(WAITING)) & (Callback.launch.in_(list(launches))) & (Callback.due_at <= now))
             .order_by(Callback.priority.desc(), Callback.enqueued_at, Callback.id).limit(limit))
    if queue_ids is not None:
        query = query.where(Callback.queue.in_(list(queue_ids)))
    return list(query)


def claim_due(now: dt.datetime, launches: Iterable[str], limit: int, instance: str, lease: float,
              trigger: str = "offer", *, permanent: bool = False, reason: str = "") -> list[Callback]:
    """Claim up to ``limit`` due callbacks for this process in one go (the scheduler's launch).

    ``permanent``: the claim is not tied to this process (a reminder waiting for its owner,
    a contact back in a campaign's list): no lease, so it is never taken over as an orphan.

    PostgreSQL: the rows are locked with ``FOR UPDATE SKIP LOCKED``, so two processes
    take disjoint batches without waiting on each other; the conditional update stays
    as the guard. SQLite: one writer at a time, each row claimed by its conditional update.
    """
    launches = list(launches)
    if isinstance(database.obj, peewee.PostgresqlDatabase):
        claimed = []
        with database.atomic():
            rows = list(Callback.select()
                        .where((Callback.status.in_(WAITING)) & (Callback.launch.in_(launches))
                               & (Callback.due_at <= now))
                        .order_by(Callback.priority.desc(), Callback.enqueued_at, Callback.id)
                        .limit(limit).for_update(skip_locked=True))
            until = None if permanent else utcnow() + dt.timedelta(seconds=lease)
            for row in rows:
                dest = TRANSITIONS[(trigger, row.status)]
                Callback.update({Callback.status: dest, Callback.claimed_by: instance, Callback.lease_until: until,
                                 Callback.updated_at: now}).where(Callback.id == row.id).execute()
                history = dict(callback=row.id, at=now, source=row.status, trigger=trigger, dest=dest,
                               instance=instance[:96], reason=reason[:128])
                row.status, row.claimed_by, row.lease_until = dest, instance, until
                claimed.append((row, history))
            if claimed:
                CallbackEvent.insert_many([h for _, h in claimed]).execute()
        return [row for row, _ in claimed]
    extra = {Callback.lease_until: None} if permanent else None
    return [row for row in due(now, launches, limit)
            if claim(row, trigger, instance, lease, reason=reason, fields=extra)]


def renew_leases(instance: str, lease: float) -> int:
    return (Callback.update(lease_until=utcnow() + dt.timedelta(seconds=lease))
            .where((Callback.claimed_by == instance) & (Callback.status.in_(HELD))).execute())


def orphans(now: dt.datetime, limit: int = 200) -> list[Callback]:
    """Held callbacks whose process stopped renewing its lease (it stopped or died)."""
    return list(Callback.select().where((Callback.status.in_(HELD)) & (Callback.lease_until < now))
                .order_by(Callback.id).limit(limit))


def as_dict(cb: Callback, queue_names: dict[int, str] | None = None,
            owners: dict[int, Agent] | None = None) -> dict:
    """The callback as the desktop and the API show it.

    :param queue_names: queue id -> name, and ``owners``: agent id -> agent, when the caller read
        them once for many callbacks (else each is read here)
    """
    queue = None
    if cb.queue_id:
        queue = (queue_names or {}).get(cb.queue_id) or Queue.get_by_id(cb.queue_id).name
    owner = None
    if cb.owner_id:
        agent = owners.get(cb.owner_id) if owners is not None else Agent.get_or_none(Agent.id == cb.owner_id)
        owner = {"id": agent.id, "username": agent.username, "name": agent.name} if agent else None

    def iso(value):
        return value.isoformat() + "Z" if value else None

    return {
        "id": cb.id, "kind": cb.kind, "status": cb.status, "reason": cb.status_reason, "launch": cb.launch,
        "number": cb.number, "name": cb.name, "note": cb.note, "caller_id": cb.caller_id, "queue": queue,
        "owner": owner, "agent_id": cb.agent_id, "original_contact_id": cb.original_contact_id,
        "original_ani": cb.original_ani, "original_dnis": cb.original_dnis, "priority": cb.priority,
        "enqueued_at": iso(cb.enqueued_at), "due_at": iso(cb.due_at), "time_zone": cb.time_zone,
        "window": {"start": cb.window_start, "end": cb.window_end}, "attempts": cb.attempts,
        "max_attempts": cb.max_attempts, "retry_delay": cb.retry_delay, "expires_at": iso(cb.expires_at),
        "contact_id": cb.contact_id, "has_message": bool(cb.message_path),
        "message_url": f"/api/callbacks/{cb.id}/message" if cb.message_path else None,
        "created_at": iso(cb.created_at), "updated_at": iso(cb.updated_at),
    }


def history(cb: Callback) -> list[dict]:
    return [{"at": e.at.isoformat() + "Z", "from": e.source, "trigger": e.trigger, "to": e.dest, "reason": e.reason,
             "agent_id": e.agent_id}
            for e in CallbackEvent.select().where(CallbackEvent.callback == cb.id).order_by(CallbackEvent.id)]
