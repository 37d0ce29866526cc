"""Recording a call: start/stop on demand, pause/resume, the privacy shield, tags.

The customer's leg is recorded (``uuid_record <customer> start <file>``), so the file
follows the customer through holds, consultations and transfers. Pausing *masks* the
recording (``uuid_record … mask``): the file keeps its timeline with silence where the
pause was, so offsets of tags and of what was said stay true. The privacy shield is a
pause that resumes by itself after some seconds (a card number read out, say).
"""
from __future__ import annotations

import datetime as dt
import logging
import os

import gevent

from .. import commands
from ..machine import InvalidAction
from ..models import Recording, RecordingTag, utcnow
from .errors import BadInput
from .interaction import CallMachine

log = logging.getLogger(__name__)

ACTIONS = ("start", "stop", "pause", "resume")
#: a tag's text, at most
TAG_LIMIT = 256
#: a privacy shield never lasts longer than this
SHIELD_LIMIT = 600


class RecordingControl:
    """Mixed into :class:`controller.service.ContactCenter`."""

    def recording(self, call_id: str, agent_id: int | None, action: str, seconds: int | None = None) -> dict:
        if action not in ACTIONS:
            raise BadInput(f"'action' must be one of: {', '.join(ACTIONS)}.")
        if seconds is not None and (action != "pause" or not 1 <= int(seconds) <= SHIELD_LIMIT):
            raise BadInput(f"'seconds' is for pause only, 1 to {SHIELD_LIMIT}.")
        return self._act_on(call_id, agent_id, lambda call: self._recording(call, action, agent_id, seconds))

    def _recording(self, call: CallMachine, action: str, agent_id: int | None, seconds: int | None) -> None:
        token = f"record_{action}"
        if token not in call.recording_actions() or call.state not in _RECORDABLE:
            raise InvalidAction(_refusal(call, action), state=call.state, trigger=token)
        if action == "start":
            self._start_recording(call, agent_id)
        elif action == "stop":
            self._stop_recording(call)
        elif action == "pause":
            self._pause_recording(call, seconds)
        else:
            self._resume_recording(call)
        self._push_call(call)

    def _start_recording(self, call: CallMachine, agent_id: int | None) -> None:
        customer = self._customer_uuid(call)
        now = utcnow()
        path = os.path.abspath(os.path.join(
            self.settings.recordings_dir, now.strftime("%Y/%m/%d"), f"{call.id}-{now.strftime('%H%M%S')}.wav"))
        self._command(commands.record(customer, "start", path))
        row = Recording.create(interaction=call.id, path=path, agent=agent_id or call.record.agent_id,
                               started_at=now)
        call.recording = {"id": row.id, "path": os.path.basename(path), "started_at": now.isoformat() + "Z",
                          "paused": False, "resume_at": None}
        call._recording_path = path
        call._recording_started = now
        log.info("%s: recording started", call.what)

    def _stop_recording(self, call: CallMachine) -> None:
        customer = call.leg("customer")
        if customer is not None:
            self._command(commands.record(customer.uuid, "stop", call._recording_path))
        self._recording_ended(call)
        log.info("%s: recording stopped", call.what)

    def _pause_recording(self, call: CallMachine, seconds: int | None) -> None:
        self._command(commands.record(self._customer_uuid(call), "mask", call._recording_path))
        call.recording["paused"] = True
        token = object()
        call._shield = token
        if seconds:
            resume_at = utcnow() + dt.timedelta(seconds=int(seconds))
            call.recording["resume_at"] = resume_at.isoformat() + "Z"

            self._arm_shield(call, token, int(seconds))
        log.info("%s: recording paused%s", call.what, f" for {seconds} s" if seconds else "")

    def _arm_shield(self, call: CallMachine, token: object, seconds: float) -> None:
        """Resume the recording after ``seconds`` unless it was resumed (or paused anew) meanwhile."""
        def resume():
            if call.recording and call.recording.get("paused") and getattr(call, "_shield", None) is token:
                try:
                    self._resume_recording(call)
                except Exception as exc:  # noqa: BLE001 - the call may have ended meanwhile
                    log.warning("%s: privacy shield could not resume recording: %s", call.what, exc)
                else:
                    self._push_call(call)

        call._shield_timer = gevent.spawn_later(max(0.0, seconds), lambda: self.dispatcher.submit(call.key, resume))

    def rearm_privacy_shield(self, call: CallMachine) -> None:
        """An adopted call (restart, reconnect) whose privacy shield was counting: count on.

        A shield due while nobody listened resumes the recording now, so no pause outlives
        its seconds because the controller restarted.
        """
        rec = call.recording
        if call.state == "ended" or not rec or not rec.get("paused") or not rec.get("resume_at"):
            return
        timer = getattr(call, "_shield_timer", None)
        if timer is not None and not timer.dead:
            return
        due = dt.datetime.fromisoformat(rec["resume_at"].rstrip("Z"))
        call._shield = token = object()
        self._arm_shield(call, token, (due - utcnow()).total_seconds())

    def _resume_recording(self, call: CallMachine) -> None:
        self._command(commands.record(self._customer_uuid(call), "unmask", call._recording_path))
        call.recording["paused"] = False
        call.recording["resume_at"] = None
        call._shield = None
        timer = getattr(call, "_shield_timer", None)
        if timer is not None:
            timer.kill(block=False)
            call._shield_timer = None
        log.info("%s: recording resumed", call.what)

    def _recording_ended(self, call: CallMachine) -> None:
        """The recording is over (stopped, or the call ended): close its row and timers."""
        if not call.recording:
            return
        timer = getattr(call, "_shield_timer", None)
        if timer is not None:
            timer.kill(block=False)
        Recording.update(stopped_at=utcnow()).where(Recording.id == call.recording["id"]).execute()
        call.recording = None

    def _record_always(self, call: CallMachine) -> None:
        """Queues that record every call start when the agent is connected."""
        if call.recording is None and call.record.queue_id and call.record.queue.record_always:
            try:
                self._start_recording(call, call.record.agent_id)
            except Exception as exc:  # noqa: BLE001 - the call goes on unrecorded; say so loudly
                log.error("%s: could not start the queue's recording: %s", call.what, exc)

    def tag_recording(self, call_id: str, agent_id: int | None, text: str) -> dict:
        text = (text or "").strip()
        if not text:
            raise BadInput("'text' is required.")
        if len(text) > TAG_LIMIT:
            raise BadInput(f"'text' is too long ({len(text)} characters; at most {TAG_LIMIT}).")
        if any(ch in text for ch in "\r\n\x00"):
            raise BadInput("'text' must be one line.")
        holder: dict = {}

        def tag(call: CallMachine) -> None:
            if not call.recording:
                raise InvalidAction(f"cannot tag: {call.what} is not being recorded", trigger="record_tag")
            offset = (utcnow() - call._recording_started).total_seconds()
            row = RecordingTag.create(recording=call.recording["id"], offset_seconds=round(offset, 1), text=text,
                                      agent=agent_id)
            holder["tag"] = {"id": row.id, "offset_seconds": row.offset_seconds, "text": text}

        view = self._act_on(call_id, agent_id, tag, roles=("owner", "consulted", "supervisor"))
        view["tag"] = holder["tag"]
        return view


_RECORDABLE = ("connected", "held", "consulting", "consult_held", "conference")


def _refusal(call: CallMachine, action: str) -> str:
    rec = call.recording
    if call.state not in _RECORDABLE:
        return f"cannot {action} recording: {call.what} is {call.state_label}"
    always = bool(call.record.queue_id and call.record.queue.record_always)
    if action in ("start", "stop") and always:
        return f"cannot {action} recording: this queue records every call"
    if action == "start":
        return "cannot start recording: the call is already being recorded"
    if rec is None:
        return f"cannot {action} recording: the call is not being recorded"
    if action == "pause" and rec.get("paused"):
        return "cannot pause recording: it is already paused"
    if action == "pause":
        return "cannot pause recording during a consultation or conference"
    if action == "resume":
        return "cannot resume recording: it is not paused"
    return f"cannot {action} recording now"
