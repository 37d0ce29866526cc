"""The recordings page (supervisors and admins): search recordings, play them with their tags.

- ``GET /recordings/`` — the page;
- ``GET /api/recordings`` — search by agent, date range, number (ANI or DNIS), queue and tag text;
- ``GET /api/recordings/<id>`` — one recording with its tags;
- ``GET /recordings/<id>/audio`` — the WAV file, streamed for the page's player (ranges, so it
  can seek).

A file is found by the recording's id only: its path comes from the database, never from
the request, and it is served only if it really lies under ``settings.recordings_dir``
(symbolic links resolved), so no request can read another file of the server.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file
from flask_login import current_user
from pydantic import Field

from controller.callbacks.windows import BadWindow, utc_naive

from .auth import supervisor_required
from .openapi import ApiError, api_route, whole_number
from .schemas import Reply

log = logging.getLogger(__name__)

bp = Blueprint("recordings", __name__)

#: a search answers at most this many recordings, newest first
SEARCH_LIMIT = 200
#: longest text a search field takes
FIELD_LIMIT = 64


class RecordingTagView(Reply):
    offset_seconds: float = Field(description="Seconds from the recording's start.")
    text: str
    agent: str | None = Field(description="Who tagged it (username).")
    created_at: str


class RecordingView(Reply):
    """One recording: the call it belongs to, who recorded it, when, and its tags."""

    id: int
    call_id: str = Field(description="The interaction's contact id.")
    agent: str | None = Field(description="The agent's username.")
    agent_name: str | None
    queue: str | None
    ani: str
    dnis: str
    kind: str
    started_at: str = Field(description="ISO 8601, UTC.")
    stopped_at: str | None
    duration: float | None = Field(description="Seconds from start to stop, when stopped.")
    audio: str = Field(description="Where the page plays it from (the WAV file; a signed-in supervisor's "
                                   "session, not a bearer token).")
    tags: list[RecordingTagView]


class RecordingList(Reply):
    recordings: list[RecordingView]
    more: bool = Field(description="More recordings match than are listed (narrow the search).")


class RecordingOptions(Reply):
    """What the search form offers."""

    agents: list[dict[str, str]]
    queues: list[dict[str, str]]


@bp.route("/recordings/")
@supervisor_required
def page():
    return render_template("recordings.html")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _param(name: str) -> str:
    value = request.args.get(name, "").strip()
    if len(value) > FIELD_LIMIT:
        raise ApiError(400, f"'{name}' is too long ({len(value)} characters; at most {FIELD_LIMIT}).")
    return value


def _moment(name: str) -> dt.datetime | None:
    """A query parameter in ISO 8601 (a date, or a date and time with its zone) as naive UTC."""
    value = _param(name)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"'{name}' must be a date (2026-03-01) or a date and time (2026-03-01T08:00:00Z).") \
            from None
    try:
        return utc_naive(moment)
    except BadWindow:
        raise ApiError(400, f"'{name}' is out of range: give a date between years 1 and 9999.") from None


def view(recording: Any, tags: list) -> dict[str, Any]:
    """A recording as the API shows it; ``tags`` are its :class:`RecordingTag` rows."""
    call = recording.interaction
    agent = recording.agent
    return {
        "id": recording.id, "call_id": call.id,
        "agent": agent.username if agent else None, "agent_name": agent.name if agent else None,
        "queue": call.queue.name if call.queue_id else None,
        "ani": call.ani, "dnis": call.dnis, "kind": call.kind,
        "started_at": _iso(recording.started_at), "stopped_at": _iso(recording.stopped_at),
        "duration": round((recording.stopped_at - recording.started_at).total_seconds(), 1)
        if recording.stopped_at else None,
        "audio": f"/recordings/{recording.id}/audio",
        "tags": [{"offset_seconds": round(t.offset_seconds, 1), "text": t.text,
                  "agent": t.agent.username if t.agent_id else None, "created_at": _iso(t.created_at)}
                 for t in sorted(tags, key=lambda t: (t.offset_seconds, t.id))],
    }


def _recordings():
    """Recordings with their call, queue and agent, in one query."""
    import peewee

    from controller.models import Agent, Interaction, Queue, Recording

    return (Recording.select(Recording, Interaction, Agent, Queue)
            .join(Interaction)
            .join(Queue, peewee.JOIN.LEFT_OUTER, on=(Interaction.queue == Queue.id))
            .switch(Recording).join(Agent, peewee.JOIN.LEFT_OUTER, on=(Recording.agent == Agent.id)))


def _tags_of(ids: list[int]) -> dict[int, list]:
    import peewee

    from controller.models import Agent, RecordingTag

    tags: dict[int, list] = {}
    if ids:
        for row in (RecordingTag.select(RecordingTag, Agent).join(Agent, peewee.JOIN.LEFT_OUTER)
                    .where(RecordingTag.recording.in_(ids))):
            tags.setdefault(row.recording_id, []).append(row)
    return tags


@api_route(bp, "get", "/api/recordings", ok=RecordingList, supervisor=True, errors=(400,), tags=("recording",))
def search():
    """Search recordings (supervisors and admins), newest first.

    Query, all optional and combined: ``agent`` (username), ``from`` and ``to`` (ISO 8601
    dates or instants, UTC unless they name a zone; ``to`` as a date includes that whole
    day), ``number`` (part of the caller's or the dialled number; spaces, dashes and
    brackets ignored), ``queue`` (its name), ``tag`` (part of a tag's text)."""
    from controller.models import Agent, Interaction, Queue, Recording, RecordingTag

    agent, queue, tag = _param("agent"), _param("queue"), _param("tag")
    number = re.sub(r"[\s\-().\[\]/]", "", _param("number"))
    start, end = _moment("from"), _moment("to")
    if end is not None and len(_param("to")) == 10:  # a date: up to the end of that day
        end = end + dt.timedelta(days=1) if end.date() < dt.date.max else None  # 9999-12-31: no end
    if start is not None and end is not None and end <= start:
        raise ApiError(400, "'to' must come after 'from'.")

    query = _recordings()
    if agent:
        query = query.where(Agent.username == agent)
    if queue:
        query = query.where(Queue.name == queue)
    if start is not None:
        query = query.where(Recording.started_at >= start)
    if end is not None:
        query = query.where(Recording.started_at < end)
    if number:
        query = query.where(Interaction.ani.contains(number) | Interaction.dnis.contains(number))
    if tag:
        query = query.where(Recording.id.in_(
            RecordingTag.select(RecordingTag.recording).where(RecordingTag.text.contains(tag))))
    rows = list(query.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(SEARCH_LIMIT + 1))
    tags = _tags_of([r.id for r in rows[:SEARCH_LIMIT]])
    return jsonify(recordings=[view(r, tags.get(r.id, [])) for r in rows[:SEARCH_LIMIT]],
                   more=len(rows) > SEARCH_LIMIT)


@api_route(bp, "get", "/api/recordings/options", ok=RecordingOptions, supervisor=True, tags=("recording",))
def options():
    """The agents and queues the search form offers (supervisors and admins)."""
    from controller.models import Agent, Queue

    return jsonify(
        agents=[{"username": a.username, "name": a.name}
                for a in Agent.select(Agent.username, Agent.name).order_by(Agent.name)],
        queues=[{"name": q.name, "label": q.label or q.name}
                for q in Queue.select(Queue.name, Queue.label).order_by(Queue.name)])


def _recording(recording_id: str) -> Any:
    from controller.models import Recording

    number = whole_number(recording_id, 18)
    if number is None:
        raise ApiError(404, "No such recording.")
    row = _recordings().where(Recording.id == number).first()
    if row is None:
        raise ApiError(404, "No such recording.")
    return row


@api_route(bp, "get", "/api/recordings/<recording_id>", ok=RecordingView, supervisor=True, errors=(404,),
           tags=("recording",))
def one(recording_id: str):
    """One recording with its tags (supervisors and admins)."""
    row = _recording(recording_id)
    return jsonify(view(row, _tags_of([row.id]).get(row.id, [])))


def audio_file(path: str, recordings_dir: str) -> str | None:
    """The real path of a recording's file if it is a regular file under ``recordings_dir``
    (both with symbolic links resolved), else None."""
    root = os.path.realpath(recordings_dir)
    real = os.path.realpath(path if os.path.isabs(path) else os.path.join(root, path))
    if os.path.commonpath([root, real]) != root or real == root or not os.path.isfile(real):
        return None
    return real


@bp.route("/recordings/<recording_id>/audio")
@supervisor_required
def audio(recording_id: str):
    """The recording's WAV file for the page's player (supervisors and admins, signed in).

    Served here rather than under ``/api/``: the API's views answer JSON (spectree reads
    every reply into memory), while a recording is streamed, in ranges, so the player can
    seek without downloading the whole file first."""
    try:
        row = _recording(recording_id)
    except ApiError as exc:
        abort(404, str(exc))
    settings = current_app.extensions["switchdesk.settings"]
    real = audio_file(row.path, settings.recordings_dir)
    if real is None:
        log.warning("recording %s: file %r is missing or not under the recordings folder", row.id, row.path)
        abort(404, "The recording's file is not available.")
    log.info("recording %s played by %s", row.id, current_user.username)
    response = send_file(real, mimetype="audio/wav", conditional=True, max_age=0,
                         download_name=f"recording-{row.id}.wav")
    response.headers["Cache-Control"] = "private, no-store"
    return response
