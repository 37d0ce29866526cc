"""Placeholder until conferences are modelled."""


def join(switch, channel, app):
    pass


def leave(switch, channel, reason):
    pass


def api(switch, args):
    return "+OK No active conferences.\n"
