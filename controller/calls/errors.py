"""Why a call action was refused. The API maps each to an HTTP status."""
from __future__ import annotations

from ..machine import InvalidAction


class NotYourCall(Exception):
    """An agent tried to act on a call they are not part of (403)."""


class UnknownCall(Exception):
    """No call has that id (404)."""


class TargetUnavailable(InvalidAction):
    """The agent, queue or number to transfer or consult to cannot take the call now (409)."""


class BadInput(ValueError):
    """What the agent typed or sent is not valid (400): a target, a number, a tag."""


#: the transfer/consult/dial target is not valid input
BadTarget = BadInput


class SwitchRefused(Exception):
    """FreeSWITCH refused or did not answer a command the action needs (502)."""
