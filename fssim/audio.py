"""Who hears what - the audio model behind ``Channel.hears()``.

Values: ``party:<uuid>`` (the bridged partner), ``moh`` (a hold-music stream),
``playback:<file>``, ``conference:<name>``, ``silence``.

Trace 03: a held leg hears nothing; its partner hears the held leg's hold_music (which
the switch plays to the partner as a playback).  Trace 06: during an att_xfer consult
the customer hears nothing and agent A hears the consulted leg.
"""


def _source(path):
    if path.startswith("local_stream://") or path.startswith("tone_stream://"):
        return "moh" if "moh" in path else "playback:" + path
    return "playback:" + path


def hears(switch, channel):
    if not channel.alive:
        return "silence"
    if channel.held:
        return "silence"
    for app in reversed(channel.apps):
        if app.file is not None and app.name in ("playback", "endless_playback"):
            return _source(app.file)
        if app.name == "conference" and channel.conference is not None:
            member = channel.conference
            return "silence" if member.deaf else "conference:" + member.room.name
        if app.name == "echo":
            return "party:" + channel.uuid
        if app.name == "play_and_get_digits" and app.file:
            return _source(app.file)
        if app.name in ("ivr", "voicemail") and app.file:
            return _source(app.file)
    consult = getattr(channel, "consult", None)
    if consult is not None and consult.b_leg is not None and consult.bridged:
        return "party:" + consult.b_leg.uuid
    if channel.bridge is not None:
        other = channel.bridge.other(channel)
        if other.consult is not None and other.consult.active and other.consult.customer is channel:
            return "silence"  # the customer during an att_xfer consult (ringing or talking)
        if other.held:
            return "silence"  # no hold_music: nothing at all
        return "party:" + other.uuid
    return "silence"
