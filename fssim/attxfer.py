"""att_xfer started with ``uuid_broadcast <A> att_xfer::<dialstring> aleg`` (traces 06, 13)."""
import logging

log = logging.getLogger(__name__)


def start(switch, channel, app):  # filled in below once conference/transfer work
    from fssim import attxfer_impl
    attxfer_impl.start(switch, channel, app)


def on_owner_hangup(switch, channel):
    from fssim import attxfer_impl
    attxfer_impl.on_owner_hangup(switch, channel)


def consult_leg_lost_owner(switch, survivor, gone):
    from fssim import attxfer_impl
    return attxfer_impl.consult_leg_lost_owner(switch, survivor, gone)
