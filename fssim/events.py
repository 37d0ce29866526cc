"""Events: the core header block, sequence numbers and fan-out to subscribers.

An :class:`Event` is built once and encoded lazily, once per wire format, however many
ESL clients receive it - the demo runs hundreds of calls, so per-event work stays small.
"""
import itertools
import logging
import time
import uuid as uuidlib

from fssim import wire

log = logging.getLogger(__name__)


class Event:
    """One FreeSWITCH event: ordered headers (repeats allowed) and an optional body."""

    __slots__ = ("name", "subclass", "headers", "body", "_frames", "_lookup")

    def __init__(self, name, headers, body=None, subclass=None):
        self.name = name
        self.subclass = subclass
        self.headers = headers
        self.body = body
        self._frames = {}
        self._lookup = None

    def get(self, header, default=None):
        """First value of ``header`` (case-sensitive, like FreeSWITCH's own lookups)."""
        if self._lookup is None:
            lookup = {}
            for name, value in self.headers:
                lookup.setdefault(name, value)
            self._lookup = lookup
        return self._lookup.get(header, default)

    def frame(self, fmt):
        """The wire frame for ``fmt`` (``plain``/``json``/``xml``), cached."""
        data = self._frames.get(fmt)
        if data is None:
            data = self._frames[fmt] = wire.event_frame(fmt, self.headers, self.body)
        return data

    def __repr__(self):
        return "<Event %s %s>" % (self.name, self.get("Unique-ID", ""))


class EventFactory:
    """Stamps the core header block every FreeSWITCH event starts with."""

    def __init__(self, hostname="fssim", ipv4="127.0.0.1", ipv6="::1", core_uuid=None):
        self.core_uuid = core_uuid or str(uuidlib.uuid4())
        self.hostname = hostname
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self._sequence = itertools.count(1000)

    def core_headers(self, name, calling):
        """The headers before the event's own ones.

        :param name: Event-Name.
        :param calling: ``(file, function, line)`` the real event comes from.
        """
        now = time.time()
        local = time.localtime(now)
        return [
            ("Event-Name", name),
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname),
            ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", self.ipv6),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", local)),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", calling[0]),
            ("Event-Calling-Function", calling[1]),
            ("Event-Calling-Line-Number", str(calling[2])),
            ("Event-Sequence", str(next(self._sequence))),
        ]

    def build(self, name, calling, headers=(), body=None, subclass=None, pre=()):
        """Build an event.

        :param pre: headers that come before ``Event-Subclass``/the channel block
            (FreeSWITCH adds e.g. ``Hangup-Cause`` to CHANNEL_HANGUP_COMPLETE first).
        """
        all_headers = self.core_headers(name, calling)
        if subclass:
            all_headers.insert(1, ("Event-Subclass", subclass))
        all_headers.extend(pre)
        all_headers.extend(headers)
        return Event(name, all_headers, body, subclass)


class EventBus:
    """Fan-out of events to ESL connections and Python-side listeners."""

    def __init__(self):
        self.subscribers = []
        self.listeners = []

    def publish(self, event):
        for subscriber in list(self.subscribers):
            try:
                subscriber.offer(event)
            except Exception:  # a broken client must never break the switch
                log.exception("subscriber %r failed on %s", subscriber, event.name)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener failed on %s", event.name)
