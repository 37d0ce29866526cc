"""``uuid_hold``: trace 03.

Holding X sends X ``a=sendonly`` and no RTP: X hears nothing, and X's ``hold_music``
(channel variable, else global) is played to X's bridged PARTNER as a broadcast
playback.  With no hold_music nobody hears anything.
"""
from fssim import apps
from fssim import switch as sw

OK = "+OK Success\n"
FAILED = "-ERR Operation failed\n"
USAGE = "-USAGE: [off|toggle] <uuid> [<display>]\n-ERR Operation failed\n"


def partner_of(switch, leg):
    if leg.bridge is None:
        return None
    other = leg.bridge.other(leg)
    return other if other.alive else None


def hold(switch, leg):
    if leg.held:
        return FAILED
    leg.held = True
    leg.profile.times["Last-Hold"] = sw.now_us()
    switch.set_callstate(leg, "HELD")
    switch.fire("CHANNEL_HOLD", leg, sw.HOLD_C)
    partner = partner_of(switch, leg)
    music = leg.get_var("hold_music")
    if partner is not None and music:
        app = apps.execute(switch, partner, "playback", music, nested=True)
        app.hold_for = leg.uuid
    return OK


def unhold(switch, leg):
    if not leg.held:
        return FAILED
    partner = partner_of(switch, leg)
    if partner is not None:
        for app in list(partner.apps):
            if app.hold_for == leg.uuid:
                apps.break_app(switch, partner, app, "unhold")
    leg.held = False
    switch.set_callstate(leg, "UNHELD")
    switch.fire("CHANNEL_UNHOLD", leg, sw.HOLD_C)
    switch.set_callstate(leg, "ACTIVE")
    return OK


def auto_unhold(switch, leg, restore=True, active=True):
    """FreeSWITCH un-holds a held leg that leaves its bridge or hangs up (traces 05, 12)."""
    if not leg.held:
        return
    partner = partner_of(switch, leg)
    if restore and partner is not None:
        for app in list(partner.apps):
            if app.hold_for == leg.uuid:
                apps.break_app(switch, partner, app, "unhold")
    leg.held = False
    leg.was_held = True
    switch.set_callstate(leg, "UNHELD")
    switch.fire("CHANNEL_UNHOLD", leg, sw.HOLD_C)
    if restore and active:  # a hanging-up leg goes straight on to HANGUP (trace 12a)
        switch.set_callstate(leg, "ACTIVE")


def uuid_hold(switch, args):
    """The api command; note a non-existent uuid answers ``+OK Success`` (trace 03)."""
    if not args:
        return USAGE
    mode = None
    if args[0] in ("off", "toggle"):
        mode = args[0]
        args = args[1:]
    if not args:
        return USAGE
    leg = switch.get(args[0])
    if leg is None:
        return OK
    if mode == "off":
        return unhold(switch, leg)
    if mode == "toggle":
        return unhold(switch, leg) if leg.held else hold(switch, leg)
    return hold(switch, leg)
