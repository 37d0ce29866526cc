"""Placeholder until att_xfer is modelled."""


def start(switch, channel, app):
    switch.later(channel, 0, __import__("fssim.apps", fromlist=["complete"]).complete, switch, channel, app)


def on_owner_hangup(switch, channel):
    pass


def consult_leg_lost_owner(switch, survivor, gone):
    return False
