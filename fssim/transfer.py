"""``uuid_transfer`` (trace 04): the moved leg leaves its bridge and runs the new
destination; the partner left behind follows park_after_bridge, or moves too (-both).
"""
from fssim import apps, bridge, dialstring

USAGE = "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
NO_CHANNEL = "-ERR No such channel!\n"


def uuid_transfer(switch, args):
    if len(args) < 2:
        return USAGE
    leg = switch.get(args[0])
    if leg is None:
        return NO_CHANNEL
    rest = args[1:]
    mode = None
    if rest[0] in ("-bleg", "-both"):
        mode = rest.pop(0)
    if not rest:
        return USAGE
    dest, extra = rest[0], rest[1:]
    partner = leg.bridge.other(leg) if leg.bridge is not None else None
    if mode == "-bleg":
        if partner is None:
            return "-ERR No B-leg!\n" if False else NO_CHANNEL
        targets = [partner]
    elif mode == "-both" and partner is not None:
        targets = [partner, leg] if leg.bridge.a is leg else [leg, partner]
    else:
        targets = [leg]
    switch.later(None, 0, _run, switch, targets, dest, extra)
    return "+OK\n"


def _run(switch, targets, dest, extra):
    if len(targets) == 2:
        # -both: the bridge ends for both, nobody is left behind to park.
        br = targets[0].bridge
        for leg in targets:
            apps.break_all(switch, leg, "transfer")
        if br is not None and br.active:
            bridge.disconnect(switch, br)
        for leg in targets:
            _route(switch, leg, dest, extra)
        return
    leg = targets[0]
    if leg.alive:
        transfer_leg(switch, leg, dest, extra)


def transfer_leg(switch, leg, dest, extra):
    """The ``transfer`` application / a single-leg uuid_transfer."""
    if leg.direction == "outbound" and leg.bridge is None:
        invert_caller_id(leg)
    bridge.leave(switch, leg, reason="transfer")
    _route(switch, leg, dest, extra)


def invert_caller_id(leg):
    """An unbridged outbound leg routed anew presents the party it called as the caller.

    Trace 07: agent B, originated with ``&park()`` and moved with uuid_transfer, is listed
    in the conference as ``Outbound Call;1001`` (agent A, moved while bridged, is not).
    """
    profile = leg.profile
    if profile.callee_id_number is None:
        return
    profile.caller_id_name, profile.callee_id_name = profile.callee_id_name, profile.caller_id_name
    profile.caller_id_number, profile.callee_id_number = profile.callee_id_number, profile.caller_id_number


def _route(switch, leg, dest, extra):
    if not leg.alive:
        return
    switch.set_state(leg, "CS_ROUTING")
    if leg.call_state == "ACTIVE" and leg.direction == "inbound":
        # Re-routing an inbound leg shows as CALLSTATE ACTIVE -> RINGING (CS_ROUTING) ->
        # ACTIVE (CS_EXECUTE) (trace 04/12); an outbound one goes straight to its new
        # applications (04 run C, 07).
        switch.set_callstate(leg, "RINGING")
        leg.state = "CS_EXECUTE"
        switch.set_callstate(leg, "ACTIVE")
    dialplan = extra[0] if extra else "XML"
    if dialplan == "inline":
        actions = dialstring.split_inline(dest)
    else:
        leg.profile.destination = dest
        context = extra[1] if len(extra) > 1 else None
        actions = switch.dialplan.lookup(leg, dest, transfer=True, context=context) if switch.dialplan else None
        if actions is None:
            switch.hangup(leg, "NO_ROUTE_DESTINATION")
            return
        leg.profile.dialplan = "XML"
        leg.profile.times["Transfer"] = __import__("fssim.channels", fromlist=["now_us"]).now_us()
    leg.core_parked = False
    apps.start_dialplan(switch, leg, actions)
