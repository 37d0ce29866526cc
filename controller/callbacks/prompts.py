"""What waiting callers hear, and the ESL commands that play it (pure builders).

Prompts are sound files relative to FreeSWITCH's ``sound_prefix`` (or absolute paths,
or any FreeSWITCH file source such as ``silence_stream://500``). The defaults name
files of FreeSWITCH's English sound pack; ``SWITCHDESK_PROMPT_<NAME>`` replaces one
(e.g. ``SWITCHDESK_PROMPT_CALLBACK_THANKS=/srv/prompts/thanks.wav``).

Everything is played with ``uuid_broadcast <uuid> '<app>::<args>' aleg``: the
application runs *inside* what the leg is doing (the queue's hold music, a bridge), so
when it ends the caller is back where they were — the music goes on (trace 10, 11).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .. import commands

DEFAULT_PROMPTS = {
    # in queue, after pressing the callback key: 1 confirm, 2 keep waiting
    "callback_confirm": "ivr/ivr-call_you_back.wav",
    # when the caller's number cannot be called back: key it in, then #
    "callback_enter_number": "ivr/ivr-please_enter_the_phone_number.wav",
    "callback_thanks": "ivr/ivr-thank_you.wav",
    # after the queue's max wait: 1 keep waiting, 2 callback, 3 leave a message
    "max_wait_menu": "ivr/ivr-please_choose_from_the_following.wav",
    "leave_message": "voicemail/vm-record_message.wav",
    "beep": "tone_stream://%(500,0,800)",
    "invalid": "ivr/ivr-that_was_an_invalid_entry.wav",
    # position announcement: "you are caller number" N, "estimated wait" M "minutes"
    "you_are_number": "ivr/ivr-you_are_number.wav",
    "estimated_wait": "ivr/ivr-estimated_hold_time.wav",
    "minutes": "time/minutes.wav",
    # agent-initiated: the customer keys in the number to be called at
    "agent_callback_number": "ivr/ivr-please_enter_the_phone_number.wav",
}

_APP = re.compile(r"^[a-z_]{2,40}$")


@dataclass
class Prompts:
    files: dict = field(default_factory=lambda: dict(DEFAULT_PROMPTS))

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Prompts":
        env = os.environ if env is None else env
        files = dict(DEFAULT_PROMPTS)
        for name in files:
            value = env.get(f"SWITCHDESK_PROMPT_{name.upper()}")
            if value:
                files[name] = value
        return cls(files)

    def __getitem__(self, name: str) -> str:
        return self.files[name]


def broadcast_app(uuid: str, app: str, args: str = "") -> str:
    """``uuid_broadcast <uuid> '<app>::<args>' aleg``; single quotes keep the spaces together (trace 10)."""
    if not _APP.match(app):
        raise commands.UnsafeValue(f"not an application name: {app!r}")
    commands.checked_value(args)
    if "'" in args:
        raise commands.UnsafeValue("an application argument may not contain a single quote")
    what = f"{app}::{args}" if args else app
    return f"uuid_broadcast {commands.checked_uuid(uuid)} '{what}' aleg"


def _sound(path: str) -> str:
    if not re.match(r"^[A-Za-z0-9_./:%(),=;@+-]{1,255}$", path) or "!" in path:
        raise commands.UnsafeValue(f"not a safe prompt: {path!r}")
    return path


def get_digits(uuid: str, *, prompt: str, invalid: str, var: str, regex: str, min_digits: int = 1,
               max_digits: int = 1, tries: int = 3, timeout_ms: int = 5000, digit_timeout_ms: int = 3000,
               terminators: str = "#") -> str:
    """``play_and_get_digits`` on the leg; the result is ``variable_<var>`` and
    ``variable_read_result`` of its CHANNEL_EXECUTE_COMPLETE (trace 10)."""
    commands.checked_var(var)
    if not re.fullmatch(r"[0-9\\\[\]d+*#|(){},^$-]{1,40}", regex) or not re.fullmatch(r"[#*]{0,2}|none", terminators):
        raise commands.UnsafeValue("not a digits pattern")
    args = (f"{int(min_digits)} {int(max_digits)} {int(tries)} {int(timeout_ms)} {terminators or 'none'} "
            f"{_sound(prompt)} {_sound(invalid)} {var} {regex} {int(digit_timeout_ms)}")
    return broadcast_app(uuid, "play_and_get_digits", args)


def playback(uuid: str, *sounds: str) -> str:
    """Play one sound, or several one after the other (``file_string://a!b``)."""
    files = [_sound(s) for s in sounds]
    what = files[0] if len(files) == 1 else "file_string://" + "!".join(files)
    return broadcast_app(uuid, "playback", what)


def record(uuid: str, path: str, max_seconds: int) -> str:
    """``record <path> <max seconds>``: the caller's message, until ``#``, the limit or hangup."""
    if not re.match(r"^/?[A-Za-z0-9_./-]{1,255}$", path) or ".." in path:
        raise commands.UnsafeValue(f"not a safe recording path: {path!r}")
    return broadcast_app(uuid, "record", f"{path} {int(max_seconds)}")


def break_all(uuid: str) -> str:
    """``uuid_break <uuid> all``: stop what the leg plays (a prompt, a menu)."""
    return f"uuid_break {commands.checked_uuid(uuid)} all"


def number_sounds(n: int) -> list[str]:
    """The sound pack's files that say ``n`` (0-999): ``digits/<n>.wav`` pieces."""
    n = max(0, min(int(n), 999))
    out = []
    if n >= 100:
        out += [f"digits/{n // 100}.wav", "digits/hundred.wav"]
        n %= 100
        if n == 0:
            return out
    if n < 20:
        out.append(f"digits/{n}.wav")
    else:
        out.append(f"digits/{n // 10 * 10}.wav")
        if n % 10:
            out.append(f"digits/{n % 10}.wav")
    return out


def position_announcement(prompts: Prompts, position: int, wait_minutes: int | None) -> list[str]:
    """The sounds of "you are caller number N, estimated wait M minutes"."""
    sounds = [prompts["you_are_number"], *number_sounds(position)]
    if wait_minutes is not None:
        sounds += [prompts["estimated_wait"], *number_sounds(max(1, wait_minutes)), prompts["minutes"]]
    return sounds
