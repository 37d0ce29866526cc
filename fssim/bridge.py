"""Bridges between two legs and what happens to the survivor when one leaves.

Trace 02: exactly one CHANNEL_BRIDGE and one CHANNEL_UNBRIDGE per bridge, both on the
bridge's A leg; the survivor parks (CS_PARK) with ``park_after_bridge=true`` and is
hung up otherwise.  Trace 12: a survivor listening to its partner's hold music is hung
up whatever ``park_after_bridge`` says.
"""
import logging

from fssim import apps
from fssim import switch as sw

log = logging.getLogger(__name__)


class Bridge:
    """Two legs exchanging media; ``a`` is the leg the BRIDGE/UNBRIDGE events are on."""

    def __init__(self, a, b, kind="uuid_bridge", owner_app=None):
        self.a = a
        self.b = b
        self.kind = kind  # uuid_bridge | dialplan | att_xfer
        self.owner_app = owner_app  # the ``bridge``/``att_xfer`` app running on ``a``
        self.active = True

    def other(self, leg):
        return self.b if leg is self.a else self.a


def _bridge_headers(br):
    return [("Bridge-A-Unique-ID", br.a.uuid), ("Bridge-B-Unique-ID", br.b.uuid)]


def connect(switch, a, b, kind="uuid_bridge", owner_app=None, primary=True):
    """Join ``a`` and ``b`` and fire CHANNEL_BRIDGE on ``a``."""
    br = Bridge(a, b, kind, owner_app)
    for leg, other, other_type in ((a, b, "originatee"), (b, a, "originator")):
        if primary or leg is not a:
            leg.bridge = br
            leg.partner = other.uuid
        leg.other_leg = other.uuid
        leg.other_type = other_type
        leg.variables["bridge_uuid"] = br.a.uuid
        leg.variables["last_bridge_to"] = other.uuid
        leg.profile.times["Bridged"] = sw.now_us()
    # The A leg runs the bridge (uuid_bridge: CS_SOFT_EXECUTE, bridge app: CS_EXECUTE);
    # the B leg is driven by it in CS_EXCHANGE_MEDIA (traces 02, 04, 06).
    if b.state != "CS_EXCHANGE_MEDIA" and b.alive:
        switch.set_state(b, "CS_EXCHANGE_MEDIA")
    switch.fire("CHANNEL_BRIDGE", a, sw.BRIDGE_C, pre=_bridge_headers(br))
    return br


def disconnect(switch, br):
    """Mark ``br`` over and fire CHANNEL_UNBRIDGE on its A leg (when that leg still exists)."""
    if not br.active:
        return
    br.active = False
    for leg in (br.a, br.b):
        if leg.bridge is br:
            leg.bridge = None
            leg.partner = None
    if not br.a.ended:
        switch.fire("CHANNEL_UNBRIDGE", br.a, sw.BRIDGE_C, pre=_bridge_headers(br))


def uuid_bridge(switch, a, b):
    """``uuid_bridge a b``: both legs leave whatever they do and are bridged together."""
    from fssim import hold

    # A held leg is un-held while it still names its old partner (trace 05 a2) ...
    unheld = []
    for leg in (a, b):
        if leg.held and leg.bridge is not None:
            hold.auto_unhold(switch, leg, active=False)
            unheld.append(leg)
    # ... then the legs are linked: the UNPARK/EXECUTE events already name the other leg.
    a.other_leg, a.other_type = b.uuid, "originatee"
    b.other_leg, b.other_type = a.uuid, "originator"
    for leg in unheld:
        switch.set_state(leg, "CS_HIBERNATE")  # trace 05: the re-bridged leg waits in hibernate
        switch.set_callstate(leg, "ACTIVE")
    for leg in (a, b):
        leave(switch, leg, reason="bridge")
    for leg, other in ((a, b), (b, a)):
        if leg.held:
            hold.auto_unhold(switch, leg)
    apps_fire_exec(switch, a, b.uuid)
    apps_fire_exec(switch, b, a.uuid)
    connect(switch, a, b)


def apps_fire_exec(switch, leg, data):
    """The pseudo application ``uuid_bridge`` shows as CHANNEL_EXECUTE (never completes)."""
    leg.last_app = ("uuid_bridge", data)
    leg.variables["current_application"] = "uuid_bridge"
    leg.variables["current_application_data"] = data
    if leg.state != "CS_SOFT_EXECUTE":
        leg.state = "CS_SOFT_EXECUTE"
    switch.fire("CHANNEL_EXECUTE", leg, sw.EXEC_C, headers=[
        ("Application", "uuid_bridge"), ("Application-Data", data), ("Application-UUID", switch.new_uuid())])


def leave(switch, leg, reason):
    """Take ``leg`` out of its bridge and applications (uuid_bridge / uuid_transfer).

    The partner left behind follows park_after_bridge.
    """
    from fssim import hold

    br = leg.bridge
    if leg.held and br is not None:
        hold.auto_unhold(switch, leg)
    apps.break_all(switch, leg, reason)
    if br is not None and br.active:
        survivor = br.other(leg)
        disconnect(switch, br)
        after_bridge(switch, survivor, leg)
    leg.queue = []


def end_for_hangup(switch, leg):
    """``leg`` hung up while bridged."""
    br = leg.bridge
    if br is None or not br.active:
        return
    survivor = br.other(leg)
    disconnect(switch, br)
    after_bridge(switch, survivor, leg)


def after_bridge(switch, survivor, gone):
    """What the survivor of a bridge does (park_after_bridge, dialplan bridge app, hangup)."""
    from fssim import attxfer, hold

    if survivor is None or not survivor.alive:
        return
    if survivor.consult is not None and survivor.consult.handles_partner_loss(switch, survivor, gone):
        return
    if attxfer.consult_leg_lost_owner(switch, survivor, gone):
        return
    hold_app = next((a for a in survivor.apps if a.hold_for == gone.uuid), None)
    if hold_app is not None and not gone.alive:
        # Trace 12: the held leg vanished under the hold music -> the listener is hung up.
        hold_app.state["forced_response"] = "FILE PLAYED"
        switch.hangup(survivor, "NORMAL_CLEARING")
        return
    if hold_app is not None:
        apps.break_app(switch, survivor, hold_app, "unhold")
    parks = (survivor.bridge is None and not any(a.name == "bridge" for a in survivor.apps)
             and survivor.variables.get("park_after_bridge") == "true")
    was_held = survivor.held
    if was_held:
        # A survivor that parks is already in CS_PARK when its CALLSTATE returns to ACTIVE (trace 12).
        hold.auto_unhold(switch, survivor, active=not parks)
    owner = next((a for a in survivor.apps if a.name == "bridge"), None)
    if owner is not None:
        apps.complete(switch, survivor, owner, "_none_")
        return
    if survivor.bridge is not None:
        return  # still bridged elsewhere (att_xfer keeps two bridges)
    if parks:
        core_park(switch, survivor, active_again=was_held)
    elif survivor.apps:
        return  # an application (endless_playback ...) keeps it busy
    else:
        if survivor.state == "CS_SOFT_EXECUTE":
            # uuid_bridge's leg goes back to executing - nothing is left, so it hangs up (trace 02).
            switch.set_state(survivor, "CS_EXECUTE")
        switch.hangup(survivor, "NORMAL_CLEARING")


def core_park(switch, leg, timeout=None, active_again=False):
    """Park without the park application (Channel-State CS_PARK)."""
    leg.core_parked = True
    switch.set_state(leg, "CS_PARK")
    if active_again:
        switch.set_callstate(leg, "ACTIVE")
    switch.fire("CHANNEL_PARK", leg, sw.IVR_C)
    if timeout:
        switch.later(leg, timeout, switch.hangup, leg, "NORMAL_CLEARING")
