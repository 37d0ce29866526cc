"""The supervisor page: live agents and their states, queues with waiting contacts, and the
last hour's calls and waits.

Agents and queues reach the page as Socket.IO pushes (:mod:`web.realtime`); the chart of
the last hour is read from the database by ``GET /api/supervisor/activity``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from pydantic import Field

from .api import bp as api_bp
from .auth import supervisor_required
from .openapi import ApiError, api_route, whole_number
from .schemas import Reply

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

#: the chart's buckets: five minutes each, twelve of them (the last hour)
BUCKET_SECONDS = 300
DEFAULT_MINUTES = 60
MAX_MINUTES = 24 * 60


@bp.route("/")
@supervisor_required
def page():
    return render_template("supervisor.html")


class ActivityBucket(Reply):
    """Contacts that arrived in one five-minute bucket (counted where they arrived)."""

    start: str = Field(description="The bucket's start (ISO 8601, UTC).")
    offered: int = Field(description="Contacts that entered a queue in this bucket.")
    answered: int = Field(description="Of those, answered by an agent (so far).")
    abandoned: int = Field(description="Of those, ended before any agent answered (not counting callers a "
                                       "queue's max wait sent on to an extension, nor those who asked for a "
                                       "callback).")
    callback_requested: int = Field(description="Of those, ended before any agent answered after the caller "
                                                "asked for a callback or left a message in the queue's menu: "
                                                "served by the callback, not abandoned.")
    waiting: int = Field(description="Of those, neither answered nor ended yet (still waiting or ringing).")
    avg_wait: float | None = Field(description="Average seconds from arrival to answer, of the answered ones.")
    max_wait: float | None = Field(description="Longest wait in seconds: to the answer, to the hang-up, or "
                                               "until now for a contact still waiting.")


class Activity(Reply):
    """Calls and waits of the last hour, in five-minute buckets, oldest first."""

    bucket_seconds: int
    start: str = Field(description="Start of the first bucket (ISO 8601, UTC).")
    end: str = Field(description="When the figures were read (ISO 8601, UTC).")
    queue: str | None = Field(description="The queue the figures are limited to, if one was asked for.")
    buckets: list[ActivityBucket]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat() + "Z"


def activity(now: dt.datetime, minutes: int = DEFAULT_MINUTES, queue: str | None = None) -> dict[str, Any]:
    """Per-bucket figures of the inbound contacts that arrived in the last ``minutes``.

    A contact counts in the bucket of its arrival (``enqueued_at``): *offered* there, and
    *answered* or *abandoned* once it is. The wait of an answered contact is arrival to
    answer; of an abandoned one, arrival to hang-up; of one still waiting, arrival to now.
    A caller that a queue's max wait sent on to an extension (trigger ``handed_on``) was
    served elsewhere: offered, neither answered nor abandoned (its wait counts in ``max_wait``).
    A caller who asked for a callback or left a message in the queue's menu (a callback of
    kind ``in_queue`` or ``ivr`` made from this contact) counts as *callback_requested*, not
    abandoned: the callback serves them.

    :param now: the current time (naive UTC, as the models keep it)
    :param minutes: how far back (rounded up to whole buckets)
    :param queue: a queue's name to limit the figures to, or None for all queues
    """
    from controller.models import Callback, Interaction, InteractionEvent, Queue

    count = max(1, -(-minutes * 60 // BUCKET_SECONDS))
    epoch = dt.datetime(1970, 1, 1)
    last = epoch + dt.timedelta(seconds=(now - epoch).total_seconds() // BUCKET_SECONDS * BUCKET_SECONDS)
    first = last - dt.timedelta(seconds=BUCKET_SECONDS * (count - 1))
    buckets = [{"start": first + dt.timedelta(seconds=BUCKET_SECONDS * i), "offered": 0, "answered": 0,
                "abandoned": 0, "callback_requested": 0, "waiting": 0, "waits": [], "max_wait": None}
               for i in range(count)]
    handed_on = InteractionEvent.select(InteractionEvent.interaction).where(InteractionEvent.trigger == "handed_on")
    asked = Callback.select(Callback.original_contact_id).where(Callback.kind.in_(("in_queue", "ivr"))
                                                                & Callback.original_contact_id.is_null(False))
    rows = (Interaction.select(Interaction.enqueued_at, Interaction.answered_at, Interaction.ended_at,
                               Interaction.id.in_(handed_on), Interaction.id.in_(asked))
            .where((Interaction.enqueued_at >= first) & (Interaction.enqueued_at <= now)
                   & (Interaction.direction == "inbound") & Interaction.queue.is_null(False)))
    if queue:
        rows = rows.join(Queue).where(Queue.name == queue)
    for row in rows.tuples().iterator():
        enqueued, answered, ended, handed, asked_back = row
        index = int((enqueued - first).total_seconds() // BUCKET_SECONDS)
        if not 0 <= index < count:
            continue
        bucket = buckets[index]
        bucket["offered"] += 1
        if answered is not None:
            bucket["answered"] += 1
            wait = (answered - enqueued).total_seconds()
            bucket["waits"].append(wait)
        elif ended is not None:
            if asked_back:
                bucket["callback_requested"] += 1
            elif not handed:
                bucket["abandoned"] += 1
            wait = (ended - enqueued).total_seconds()
        else:
            bucket["waiting"] += 1
            wait = (now - enqueued).total_seconds()
        wait = max(0.0, wait)
        bucket["max_wait"] = wait if bucket["max_wait"] is None else max(bucket["max_wait"], wait)
    out = []
    for bucket in buckets:
        waits = bucket.pop("waits")
        bucket["avg_wait"] = round(sum(waits) / len(waits), 1) if waits else None
        if bucket["max_wait"] is not None:
            bucket["max_wait"] = round(bucket["max_wait"], 1)
        bucket["start"] = _iso(bucket["start"])
        out.append(bucket)
    return {"bucket_seconds": BUCKET_SECONDS, "start": _iso(first), "end": _iso(now), "queue": queue or None,
            "buckets": out}


@api_route(api_bp, "get", "/supervisor/activity", ok=Activity, supervisor=True, errors=(400,),
           tags=("supervisor",))
def supervisor_activity():
    """Calls offered, answered, abandoned and turned into callbacks, and waits, per five minutes
    (supervisors and admins).

    Query: ``minutes`` (default 60, at most 1440) and ``queue`` (a queue's name; all queues
    when absent)."""
    from controller.models import Queue, utcnow

    raw = request.args.get("minutes", str(DEFAULT_MINUTES))
    minutes = whole_number(raw, 6)
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        raise ApiError(400, f"'minutes' must be a whole number from 1 to {MAX_MINUTES}.")
    queue = request.args.get("queue", "").strip() or None
    if queue is not None and Queue.get_or_none(Queue.name == queue) is None:
        raise ApiError(400, "'queue' names no queue.")
    return jsonify(activity(utcnow(), minutes, queue))
