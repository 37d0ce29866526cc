"""ESL frames and events: splitting the byte stream into frames and parsing events.

FreeSWITCH sends every frame as header lines, a blank line, then ``Content-Length``
bytes of body. An event frame (``text/event-plain``) carries the event in its body:
URL-encoded ``Name: value`` lines, a blank line, and, when the event has one, its own
body (``Content-Length`` among the inner headers). greenswitch URL-decodes whole frames
(which corrupts values holding an encoded newline or ``%``) and folds bodies into the
headers; here each header value is decoded on its own, on first access, and a body
stays a body. Decoding lazily is what keeps ingest fast: real events carry ~100
headers and the controller reads about ten of them.
"""
from __future__ import annotations

import json
from urllib.parse import unquote

__all__ = ["Event", "Frame", "FrameReader", "parse_event_plain", "parse_event_json", "ProtocolError"]


class ProtocolError(Exception):
    """The byte stream does not follow the ESL framing rules."""


class Frame:
    """One ESL frame: its outer headers and its raw body (bytes or None)."""

    __slots__ = ("headers", "body")

    def __init__(self, headers: dict[str, str], body: bytes | None):
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def __repr__(self) -> str:
        return f"Frame({self.content_type!r}, {len(self.body or b'')} bytes)"


class Event:
    """A FreeSWITCH event. Header values are URL-decoded per value, on first access.

    :param raw: header name -> value as sent (still URL-encoded for plain events)
    :param body: the event's own body (e.g. a BACKGROUND_JOB result), or None
    :param encoded: whether values in ``raw`` still need URL-decoding
    """

    __slots__ = ("_raw", "_decoded", "body", "_encoded")

    def __init__(self, raw: dict[str, str], body: str | None = None, *, encoded: bool = True):
        self._raw = raw
        self._decoded: dict[str, str] = {}
        self.body = body
        self._encoded = encoded

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._decoded.get(name)
        if value is not None:
            return value
        value = self._raw.get(name)
        if value is None:
            return default
        if self._encoded and "%" in value:
            value = unquote(value)
        self._decoded[name] = value
        return value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return name in self._raw

    @property
    def headers(self) -> dict[str, str]:
        """All headers, decoded (costly: for logging and debugging, not the hot path)."""
        return {name: self[name] for name in self._raw}

    @property
    def name(self) -> str:
        name = self._raw.get("Event-Name", "")
        if name == "CUSTOM":
            return self.get("Event-Subclass") or name
        return name

    @property
    def uuid(self) -> str | None:
        return self._raw.get("Unique-ID")

    def variable(self, name: str, default: str | None = None) -> str | None:
        return self.get("variable_" + name, default)

    def __repr__(self) -> str:
        return f"Event({self.name}, uuid={self.uuid})"


def parse_event_plain(body: bytes) -> Event:
    """Parse the body of a ``text/event-plain`` frame."""
    text = body.decode("utf-8", "replace")
    head, _, rest = text.partition("\n\n")
    raw: dict[str, str] = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(": ")
        # FreeSWITCH repeats some headers (Hangup-Cause, Event-Name in PRIVATE_COMMAND):
        # the first one is the event's own.
        if sep and name not in raw:
            raw[name] = value
    event_body = None
    length = raw.get("Content-Length")
    if length is not None:
        event_body = rest.encode("utf-8")[: int(length)].decode("utf-8", "replace")
    return Event(raw, event_body)


def parse_event_json(body: bytes) -> Event:
    """Parse the body of a ``text/event-json`` frame."""
    data = json.loads(body)
    event_body = data.pop("_body", None)
    raw = {name: value if isinstance(value, str) else str(value) for name, value in data.items()}
    return Event(raw, event_body, encoded=False)


class FrameReader:
    """Splits ESL bytes into frames. Feed it what the socket gives; it yields whole frames."""

    MAX_HEADER = 64 * 1024

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        pos = 0
        size = len(buf)
        while True:
            end = buf.find(b"\n\n", pos)
            if end < 0:
                if size - pos > self.MAX_HEADER:
                    raise ProtocolError("ESL frame header larger than 64 KiB")
                break
            headers: dict[str, str] = {}
            for line in bytes(buf[pos:end]).decode("utf-8", "replace").split("\n"):
                name, sep, value = line.partition(": ")
                if sep:
                    headers[name] = value
            length = headers.get("Content-Length")
            if length is None:
                frames.append(Frame(headers, None))
                pos = end + 2
                continue
            try:
                n = int(length)
            except ValueError:
                raise ProtocolError(f"bad Content-Length {length!r}") from None
            start = end + 2
            if size - start < n:
                break
            frames.append(Frame(headers, bytes(buf[start : start + n])))
            pos = start + n
        if pos:
            del buf[:pos]
        return frames

    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buf)


def event_from_frame(frame: Frame) -> Event | None:
    """The event a frame carries, or None for frames that are not events."""
    ctype = frame.content_type
    if ctype == "text/event-plain":
        return parse_event_plain(frame.body or b"")
    if ctype == "text/event-json":
        return parse_event_json(frame.body or b"{}")
    return None
