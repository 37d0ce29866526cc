"""Scripted parties: agent phones, external numbers and customers.

A dial string is resolved to a :class:`Behaviour`:

* ``user/1000``, ``user/1000@domain``, ``sofia/internal/1000@host:port`` -> the phone
  registered as ``1000@host:port`` if there is one, else the phone ``1000``;
* ``sofia/gateway/<gw>/<number>``, ``sofia/external/<number>@host``, ``loopback/<number>``
  and a ``sofia/internal/<number>@host`` with no phone -> the external number
  ``<number>`` (default: answers after 1 s), unless it looks like an extension
  (no phone registered for a 3-5 digit user -> unreachable, like a dead SIP port).
"""
import logging

log = logging.getLogger(__name__)

BEHAVIOURS = ("answer", "never", "busy", "reject", "unreachable", "unallocated", "invalid_format")
#: Hangup cause of each refusing behaviour, all refused (``recv_refuse``) at once (trace 09:
#: 486 -> USER_BUSY, 603 -> CALL_REJECTED, a closed port -> NORMAL_TEMPORARY_FAILURE; by
#: FreeSWITCH's SIP-to-cause table, a carrier's 404 -> UNALLOCATED_NUMBER and 484 ->
#: INVALID_NUMBER_FORMAT, which the trace did not capture)
REFUSALS = {
    "busy": "USER_BUSY",
    "reject": "CALL_REJECTED",
    "unreachable": "NORMAL_TEMPORARY_FAILURE",
    "unallocated": "UNALLOCATED_NUMBER",
    "invalid_format": "INVALID_NUMBER_FORMAT",
}


class Behaviour:
    """How a called party reacts.

    :param answer_after: seconds of ringing before it answers.
    :param behaviour: ``answer`` | ``never`` (rings until timeout/cancel) | ``busy`` |
        ``reject`` | ``unreachable`` | ``unallocated`` (a number that does not exist) |
        ``invalid_format``.
    :param hangup_after: seconds after answering before the party hangs up itself.
    :param ring: whether it sends 180 Ringing (CHANNEL_PROGRESS) first.
    :param dtmf: ``[(seconds after answer, digits), ...]`` it sends.
    """

    def __init__(self, answer_after=0.5, behaviour="answer", hangup_after=None, ring=True, dtmf=None,
                 contact=None):
        if behaviour not in BEHAVIOURS:
            raise ValueError("behaviour must be one of %s" % (BEHAVIOURS,))
        self.answer_after = float(answer_after)
        self.behaviour = behaviour
        self.hangup_after = hangup_after
        self.ring = ring
        self.dtmf = list(dtmf or [])
        self.contact = contact

    def as_dict(self):
        return {"answer_after": self.answer_after, "behaviour": self.behaviour,
                "hangup_after": self.hangup_after, "ring": self.ring, "contact": self.contact}


class Parties:
    """Registry of phones and numbers."""

    def __init__(self):
        self.phones = {}  # "1000" or "1000@127.0.0.1:5070" -> Behaviour
        self.numbers = {}  # "5550199" -> Behaviour
        self.default_number = Behaviour(answer_after=1.0)

    def add_phone(self, extension, **kwargs):
        behaviour = Behaviour(**kwargs)
        self.phones[extension] = behaviour
        return behaviour

    def remove_phone(self, extension):
        self.phones.pop(extension, None)

    def set_number(self, number, **kwargs):
        behaviour = Behaviour(**kwargs)
        self.numbers[number] = behaviour
        return behaviour

    def resolve(self, endpoint):
        """Behaviour for a parsed endpoint (see :func:`fssim.dialstring.parse_endpoint`)."""
        user, host = endpoint.user, endpoint.host
        if endpoint.kind == "phone":
            if host and ("%s@%s" % (user, host)) in self.phones:
                return self.phones["%s@%s" % (user, host)]
            if user in self.phones:
                return self.phones[user]
            if user in self.numbers:
                return self.numbers[user]
            if endpoint.tech == "user":
                return None  # USER_NOT_REGISTERED
            if len(user) <= 5:
                return Behaviour(behaviour="unreachable")
        return self.numbers.get(user, self.default_number)

    def channel_gone(self, channel):
        """Hook for the simulator (nothing to clean up yet)."""
