"""``uuid_record`` / ``record_session``: real 8 kHz 16-bit mono WAV files (trace 08).

The file covers wall-clock time from start to stop: masked spans are digital silence
(timeline kept), paused spans are left out.  Unmasked audio is a quiet 400 Hz tone,
so a test can tell recorded from masked time.  RECORD_START/RECORD_STOP are fired;
mask/unmask/pause/resume fire nothing, like FreeSWITCH.
"""
import logging
import math
import os
import struct
import time
import wave

from fssim import switch as sw

log = logging.getLogger(__name__)

RATE = 8000
REC_C = ("switch_ivr_async.c", "record_callback", 1277)
_TONE = None


def _tone_second():
    global _TONE
    if _TONE is None:
        _TONE = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 400 * n / RATE)))
                         for n in range(RATE))
    return _TONE


class Recording:
    """One recording of one leg; ``spans`` is ``[(kind, seconds)]`` with kind audio|silence."""

    def __init__(self, path):
        self.path = path
        self.active = True
        self.spans = []
        self.mode = "audio"  # audio | silence (masked) | paused
        self.mark = time.monotonic()
        self.started = time.time()

    def _close_span(self):
        now = time.monotonic()
        if self.mode != "paused":
            self.spans.append((self.mode, now - self.mark))
        self.mark = now

    def set_mode(self, mode):
        self._close_span()
        self.mode = mode

    def finish(self):
        self._close_span()
        self.active = False
        frames = bytearray()
        tone = _tone_second()
        for kind, seconds in self.spans:
            count = int(seconds * RATE)
            if kind == "silence":
                frames += b"\x00\x00" * count
            else:
                while count > 0:
                    chunk = min(count, RATE)
                    frames += tone[:chunk * 2]
                    count -= chunk
        with wave.open(self.path, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(bytes(frames))
        return len(frames) // 2


def _find(channel, path):
    return next((r for r in channel.recordings if r.active and r.path == path), None)


def start(switch, channel, path):
    """Start recording; missing directories are created like FreeSWITCH does."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        open(path, "ab").close()
    except OSError:
        return False
    rec = Recording(path)
    channel.recordings.append(rec)
    switch.fire("RECORD_START", channel, REC_C, headers=[("Record-File-Path", path)])
    return True


def stop(switch, channel, rec, cause="success-maxtime"):
    samples = rec.finish()
    seconds = samples // RATE
    channel.variables.update({
        "record_seconds": str(seconds), "record_ms": str(samples * 1000 // RATE),
        "record_samples": str(samples), "record_file_size": str(os.path.getsize(rec.path)),
    })
    switch.fire("RECORD_STOP", channel, REC_C, headers=[
        ("Record-File-Path", rec.path), ("Record-Completion-Cause", cause)])


def stop_all(switch, channel, cause="success-maxtime"):
    for rec in list(channel.recordings):
        if rec.active:
            stop(switch, channel, rec, cause)


USAGE = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
OK = "+OK Success\n"


def uuid_record(switch, args):
    """The api command (exact replies of trace 08)."""
    if len(args) < 3:
        return USAGE
    uuid, action, path = args[0], args[1], args[2]
    channel = switch.get(uuid)
    if channel is None:
        return "-ERR Cannot locate session!\n"
    if action == "start":
        if not start(switch, channel, path):
            return "-ERR Cannot record session!\n"
        return OK
    if action == "stop":
        if path == "all":
            stop_all(switch, channel)
            return OK
        rec = _find(channel, path)
        if rec is None:
            return "-ERR Cannot stop record session!\n"
        stop(switch, channel, rec)
        return OK
    modes = {"mask": ("silence", "mask"), "unmask": ("audio", "mask"),
             "pause": ("paused", "pause"), "resume": ("audio", "pause")}
    if action in modes:
        rec = _find(channel, path)
        if rec is None:
            return "-ERR Cannot %s recording session!\n" % modes[action][1]
        rec.set_mode(modes[action][0])
        return OK
    return USAGE


# -- the ``record`` application (a caller leaving a message) ------------------------------------
# record <path> [<time limit seconds>] [<silence threshold>] [<silence hits>]
# Ends on a DTMF digit of ``playback_terminators`` (FreeSWITCH's default ``*``; ``none``: no
# digit ends it), at the time limit, or when the leg hangs up: RECORD_START, RECORD_STOP, then
# CHANNEL_EXECUTE_COMPLETE (``playback_terminator_used`` names the digit).

def start_app(switch, channel, app):
    from fssim import apps
    words = app.data.split()
    if not words:
        switch.later(channel, 0, apps.complete, switch, channel, app, "_none_")
        return
    path = words[0]
    if not os.path.isabs(path):
        path = os.path.join(switch.recordings_dir, path)
    if not start(switch, channel, path):
        switch.later(channel, 0, apps.complete, switch, channel, app, "_none_")
        return
    app.state["rec"] = _find(channel, path)
    app.state["terminators"] = channel.variables.get("playback_terminators", "*")
    try:
        limit = float(words[1]) if len(words) > 1 else 0.0
    except ValueError:
        limit = 0.0
    if limit > 0:
        app.timer = switch.later(channel, limit, app_finished, switch, channel, app, "success-maxtime")


def app_digit(switch, channel, app, digit):
    terminators = app.state.get("terminators", "*")
    if terminators != "none" and digit in terminators:
        channel.variables["playback_terminator_used"] = digit
        app_finished(switch, channel, app, "success-terminated")


def app_finished(switch, channel, app, cause):
    from fssim import apps
    if app.done or not channel.alive:
        return
    rec = app.state.get("rec")
    if rec is not None and rec.active:
        stop(switch, channel, rec, cause)
    apps.complete(switch, channel, app, "_none_")


def break_app(switch, channel, app):
    rec = app.state.get("rec")
    if rec is not None and rec.active:
        stop(switch, channel, rec, "success-maxtime")
