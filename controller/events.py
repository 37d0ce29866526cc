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

    A plain event keeps its header block as text and looks a header up when asked
    (the first occurrence wins, as FreeSWITCH repeats some headers: ``Hangup-Cause``
    in CHANNEL_HANGUP_COMPLETE, ``Event-Name`` in PRIVATE_COMMAND).

    :param text: the header block of a plain event, starting with a newline, or None
    :param raw: header name -> decoded value (json events), or None
    :param body: the event's own body (e.g. a BACKGROUND_JOB result), or None
    """

    __slots__ = ("_text", "_cache", "body")

    def __init__(self, text: str | None = None, raw: dict[str, str] | None = None, body: str | None = None):
        self._text = text
        self._cache: dict[str, str | None] = raw if raw is not None else {}
        self.body = body

    def get(self, name: str, default: str | None = None) -> str | None:
        cache = self._cache
        if name in cache:
            value = cache[name]
            return default if value is None else value
        text = self._text
        if text is None:
            return default
        key = "\n" + name + ": "
        start = text.find(key)
        if start < 0:
            value = None
        else:
            start += len(key)
            end = text.find("\n", start)
            value = text[start:end] if end >= 0 else text[start:]
            if "%" in value:
                value = unquote(value)
        cache[name] = value
        return default if value is None else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def headers(self) -> dict[str, str]:
        """All headers, decoded (costly: for logging, reconciliation and tests, not the hot path)."""
        if self._text is None:
            return {k: v for k, v in self._cache.items() if v is not None}
        out: dict[str, str] = {}
        for line in self._text[1:].split("\n"):
            name, sep, value = line.partition(": ")
            if sep and name not in out:
                out[name] = unquote(value) if "%" in value else value
        return out

    @property
    def name(self) -> str:
        name = self.get("Event-Name", "")
        if name == "CUSTOM":
            return self.get("Event-Subclass") or name
        return name

    @property
    def uuid(self) -> str | None:
        return self.get("Unique-ID")

    def variable(self, name: str, default: str | None = None) -> str | None:
        return self.get("variable_" + name, default)

    def __repr__(self) -> str:
        return f"Event({self.name}, uuid={self.uuid})"


def parse_event_plain(body: bytes) -> Event:
    """Parse the body of a ``text/event-plain`` frame."""
    head, sep, rest = body.partition(b"\n\n")
    event = Event("\n" + head.decode("utf-8", "replace"))
    length = event.get("Content-Length")
    event_body = None
    if length is not None:
        event_body = rest[: int(length)].decode("utf-8", "replace")
    event.body = event_body
    return event


def parse_event_json(body: bytes) -> Event:
    """Parse the body of a ``text/event-json`` frame."""
    data = json.loads(body)
    event_body = data.pop("_body", None)
    raw = {name: value if isinstance(value, str) else str(value) for name, value in data.items()}
    return Event(raw=raw, body=event_body)


class FrameReader:
    """Splits ESL bytes into frames. Feed it what the socket gives; it returns whole frames."""

    MAX_HEADER = 64 * 1024

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._rest + data if self._rest else data
        frames: list[Frame] = []
        pos = 0
        size = len(buf)
        find = buf.find
        while True:
            end = find(b"\n\n", pos)
            if end < 0:
                if size - pos > self.MAX_HEADER:
                    raise ProtocolError("ESL frame header larger than 64 KiB")
                break
            headers: dict[str, str] = {}
            for line in buf[pos:end].decode("utf-8", "replace").split("\n"):
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
            frames.append(Frame(headers, buf[start : start + n]))
            pos = start + n
        self._rest = buf[pos:]
        return frames

    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._rest)


def event_from_frame(frame: Frame) -> Event | None:
    """The event a frame carries, or None for frames that are not events."""
    ctype = frame.content_type
    if ctype == "text/event-plain":
        return parse_event_plain(frame.body or b"")
    if ctype == "text/event-json":
        return parse_event_json(frame.body or b"{}")
    return None
