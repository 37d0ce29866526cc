"""att_xfer started with ``uuid_broadcast <A> att_xfer::<dialstring> aleg`` (traces 06, 13).

Agent A runs the application inside its bridge with the customer C; the consult leg X
is dialled with ``Other-Leg-Unique-ID=A``.  What the traces show:

* start: A's CALLSTATE goes RING_WAIT; on X's answer back to ACTIVE and one
  CHANNEL_BRIDGE (A, X) - the C/A bridge is NOT torn down, C just hears nothing;
* X fails or is killed while ringing: A's CALLSTATE back to ACTIVE, EXECUTE_COMPLETE,
  no bridge events - A never left C;
* X hangs up after answer (cancel): UNBRIDGE (A, X), UNBRIDGE (C, A), EXECUTE_COMPLETE
  att_xfer, then a new uuid_bridge A <-> C (CHANNEL_BRIDGE Bridge-A = A);
* A hangs up after X answered (complete): X is parked by the core (CS_PARK), both
  bridges end, then uuid_bridge X <-> C (CHANNEL_BRIDGE Bridge-A = X);
* C hangs up during the consult (trace 13): only its CHANNEL_HANGUP comes at once; its
  UNBRIDGE/HANGUP_COMPLETE/DESTROY wait until A ends the att_xfer, and X, with nobody
  to be transferred to, is parked (park_timeout=3) and hung up ~2.2 s later.
"""
import logging

from fssim import apps, bridge, dialstring, originate

log = logging.getLogger(__name__)

#: Switch seconds between X's park and its hangup when the customer is gone (trace 13:
#: park_timeout=3 on X, the hangup came 2.19 s after the CHANNEL_PARK).
ORPHAN_PARK_SECONDS = 2.2


class Consult:
    """One att_xfer run by ``owner`` (agent A) for ``customer``; ``b_leg`` is X."""

    def __init__(self, owner, customer, app):
        self.owner = owner
        self.customer = customer
        self.app = app
        self.b_leg = None
        self.active = True
        self.bridged = False  # X answered and is bridged to A
        self.customer_deferred = False  # C hung up; its hangup waits for the consult's end

    def __repr__(self):
        return "<Consult %s -> %s %s>" % (self.owner.uuid[:8], self.b_leg.uuid[:8] if self.b_leg else None,
                                          "bridged" if self.bridged else "ringing")

    # -- hooks called from bridge.after_bridge ---------------------------------------------
    def handles_partner_loss(self, switch, survivor, gone):
        """A's bridge partner went away while A runs att_xfer; True when handled here."""
        if not self.active:
            return False
        if gone is self.b_leg:
            _consult_leg_gone(switch, self)
            return True
        if gone is self.customer:
            return True  # the consult goes on; A stays in att_xfer with X
        return False


def start(switch, owner, app):
    """The ``att_xfer`` application on ``owner`` (agent A)."""
    customer = owner.bridge.other(owner) if owner.bridge is not None else None
    consult = Consult(owner, customer, app)
    owner.consult = consult
    switch.set_callstate(owner, "RING_WAIT")
    try:
        consult.b_leg = originate.place_call(
            switch, app.data, other_leg=owner,
            on_answer=lambda leg: _answered(switch, consult, leg),
            on_fail=lambda leg, cause: _failed(switch, consult, leg, cause))
    except dialstring.DialError as exc:
        owner.variables["originate_disposition"] = str(exc)
        switch.later(owner, 0, _end_without_bridge, switch, consult)
        return
    consult.b_leg.consult_of = consult


def _answered(switch, consult, leg):
    owner = consult.owner
    if not consult.active or not owner.alive:
        switch.hangup(leg, "ORIGINATOR_CANCEL")
        return
    consult.bridged = True
    owner.other_leg, owner.other_type = leg.uuid, "originatee"  # CALLSTATE ACTIVE already names X
    switch.set_callstate(owner, "ACTIVE")
    # A keeps its bridge with the customer: only X's side points to the new bridge.
    bridge.connect(switch, owner, leg, kind="att_xfer", owner_app=consult.app, primary=False)


def _failed(switch, consult, leg, cause):
    if consult.active:
        consult.owner.variables["originate_disposition"] = cause
        switch.later(consult.owner, 0, _end_without_bridge, switch, consult)


def _end_without_bridge(switch, consult):
    """X never answered: A is back with the customer, nothing else happens."""
    owner = consult.owner
    if not consult.active or not owner.alive:
        return
    consult.active = False
    owner.consult = None
    switch.set_callstate(owner, "ACTIVE")
    apps.complete(switch, owner, consult.app, "_none_")
    if consult.customer is not None and not consult.customer.alive and owner.bridge is None:
        bridge.after_bridge(switch, owner, consult.customer)


def _consult_leg_gone(switch, consult):
    """X left after answering (killed, hung up): A goes back to the customer."""
    owner, customer = consult.owner, consult.customer
    consult.active = False
    owner.consult = None
    customer_bridge = owner.bridge
    if customer_bridge is not None:
        bridge.disconnect(switch, customer_bridge)
    if customer is not None and consult.customer_deferred:
        _finish_customer(switch, customer)
    if customer is not None:
        owner.other_leg, owner.other_type = customer.uuid, "originatee"
    apps.complete(switch, owner, consult.app, "_none_")
    if customer is not None and customer.alive:
        _rebridge(switch, owner, customer)
    else:
        bridge.after_bridge(switch, owner, customer or consult.b_leg)


def on_owner_hangup(switch, owner):
    """A hung up during its att_xfer: complete the transfer (X <-> customer) if X answered."""
    consult = owner.consult
    if consult is None or not consult.active:
        return
    consult.active = False
    owner.consult = None
    x, customer = consult.b_leg, consult.customer
    if not consult.bridged:
        if x is not None and x.alive:
            switch.hangup(x, "ORIGINATOR_CANCEL")
        return  # the customer bridge ends the ordinary way
    customer_bridge = owner.bridge
    if consult.customer_deferred:
        # Trace 13: the customer's hangup completes now; X has nobody to go to.
        if customer_bridge is not None:
            bridge.disconnect(switch, customer_bridge)
        _finish_customer(switch, customer)
        customer = None
    if x is not None and x.alive:
        bridge.core_park(switch, x)
        if customer is not None:
            customer.other_leg = x.uuid  # the customer's UNBRIDGE already names X (trace 06 a)
    if x is not None and x.bridge is not None:
        bridge.disconnect(switch, x.bridge)
    if owner.bridge is not None:
        bridge.disconnect(switch, owner.bridge)
    if x is None or not x.alive:
        if customer is not None and customer.alive:
            bridge.after_bridge(switch, customer, owner)
        return
    if customer is not None and customer.alive:
        switch.later(None, 0, _transfer_to_consulted, switch, x, customer)
    else:
        x.variables["park_timeout"] = "3"
        switch.later(x, ORPHAN_PARK_SECONDS, switch.hangup, x, "NORMAL_CLEARING")


def _transfer_to_consulted(switch, x, customer):
    if not x.alive:
        if customer.alive:
            bridge.after_bridge(switch, customer, x)
        return
    if not customer.alive:
        x.variables["park_timeout"] = "3"
        switch.later(x, ORPHAN_PARK_SECONDS, switch.hangup, x, "NORMAL_CLEARING")
        return
    _rebridge(switch, x, customer)


def _rebridge(switch, a, b):
    """What att_xfer does with uuid_bridge: EXECUTE uuid_bridge on both, BRIDGE on ``a``."""
    a.other_leg, a.other_type = b.uuid, "originatee"
    b.other_leg, b.other_type = a.uuid, "originator"
    for leg in (a, b):
        apps.break_all(switch, leg, "bridge")  # X's core park: CHANNEL_UNPARK
    bridge.apps_fire_exec(switch, a, b.uuid)
    bridge.apps_fire_exec(switch, b, a.uuid)
    bridge.connect(switch, a, b)


def _finish_customer(switch, customer):
    if customer.hangup_deferred:
        customer.hangup_deferred = False
        apps.break_all(switch, customer, "hangup")
        switch.finish_hangup(customer)


def defers_hangup(switch, channel):
    """Trace 13: the customer of an answered consult hangs up - its hangup waits for A."""
    br = channel.bridge
    if br is None or not br.active:
        return False
    consult = br.other(channel).consult
    if consult is None or not consult.active or not consult.bridged or consult.customer is not channel:
        return False
    consult.customer_deferred = True
    return True


def consult_leg_lost_owner(switch, survivor, gone):
    """X's bridge with A ended; while the consult is live A's side decides what X does."""
    consult = getattr(survivor, "consult_of", None)
    return consult is not None and consult.active and gone is consult.owner


def break_app(switch, owner, reason):
    """att_xfer is interrupted by something else than A's hangup (uuid_bridge, transfer, break)."""
    consult = owner.consult
    if consult is None or not consult.active or reason == "hangup":
        return
    consult.active = False
    owner.consult = None
    x = consult.b_leg
    if x is None or not x.alive:
        return
    if consult.bridged and x.bridge is not None:
        bridge.disconnect(switch, x.bridge)
    switch.hangup(x, "NORMAL_CLEARING" if consult.bridged else "ORIGINATOR_CANCEL")
