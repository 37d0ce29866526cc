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

    A plain event keeps the bytes it arrived in and looks a header up when asked (the
    first occurrence wins, as FreeSWITCH repeats some headers: ``Hangup-Cause`` in
    CHANNEL_HANGUP_COMPLETE, ``Event-Name`` in PRIVATE_COMMAND). Where its header block
    ends, and so its own body, is worked out only when needed (see :meth:`_split`).

    :param data: a plain event as it came in (``Name: value`` lines, a blank line, and
        when ``Content-Length`` is among the headers, the event's own body), or None
    :param raw: header name -> decoded value (json events, values known up front), or None
    :param body: the event's own body (json events), or None
    """

    __slots__ = ("_data", "_end", "_cache", "_body")

    def __init__(self, data: bytes | None = None, raw: dict[str, str] | None = None, body: str | None = None):
        self._data = data
        self._cache: dict[str, str | None] = raw if raw is not None else {}
        self._end: int | None = 0  # where the header block ends in data; None: not known yet
        self._body: str | None | object = body
        if data is None:
            return
        self._end = None
        self._body = _UNSEEN
        # The first line is the one a search for "\nName: " cannot find, so it is decoded
        # now; it costs little, as FreeSWITCH writes Event-Name there, which every event is asked.
        if data.startswith(b"Event-Name: "):
            stop = data.find(b"\n", 12)
            self._cache["Event-Name"] = _decoded(data[12:stop] if stop >= 0 else data[12:])
            return
        stop = data.find(b"\n")
        name, sep, value = data[:stop].partition(b": ") if stop >= 0 else data.partition(b": ")
        if sep:
            self._cache[name.decode("utf-8", "replace")] = _decoded(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._cache.get(name, _UNSEEN)
        if value is _UNSEEN:
            data = self._data
            if data is None:
                return default
            key = _KEYS.get(name) or _key(name)
            end = self._end
            if end is None:
                start = data.find(key)
                # A match past a Content-Length line may lie in the event's body: then the
                # header block's end has to be known (FreeSWITCH writes Content-Length last).
                if start > 0 and data.find(_CONTENT_LENGTH, 0, start) >= 0 and start >= self._split():
                    start = -1
            else:
                start = data.find(key, 0, end)
            if start < 0:
                value = None
            else:
                start += len(key)
                stop = data.find(b"\n", start)  # header values never hold a raw newline
                value = _decoded(data[start:stop] if stop >= 0 else data[start:])
            self._cache[name] = value
        return default if value is None else value

    def _split(self) -> int:
        """Find where the header block ends and take the event's own body; returns the end.

        Only an event with a body has a ``Content-Length`` header, so when there is none,
        all of the data is headers: that one search is cheaper than looking for the blank
        line among ~100 header lines.
        """
        data = self._data
        at = data.find(_CONTENT_LENGTH)
        blank = data.find(b"\n\n", at + 1) if at >= 0 or data.startswith(_CONTENT_LENGTH[1:]) else -1
        if blank < 0:
            self._end = len(data)
            self._body = None
            return self._end
        self._end = blank + 1
        length = self.get("Content-Length", "")
        start = blank + 2
        stop = start + int(length) if length.isdigit() else len(data)
        self._body = data[start:stop].decode("utf-8", "replace")
        return self._end

    @property
    def body(self) -> str | None:
        """The event's own body (e.g. a BACKGROUND_JOB result), or None."""
        if self._body is _UNSEEN:
            self._split()
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        if self._data is not None and self._end is None:
            self._split()
        self._body = value

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
        if self._data is None:
            return {k: v for k, v in self._cache.items() if v is not None}
        end = self._split() if self._end is None else self._end
        out: dict[str, str] = {}
        for line in self._data[:end].decode("utf-8", "replace").split("\n"):
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
    """Parse the body of a ``text/event-plain`` frame (nothing is copied or decoded yet)."""
    return Event(body)


_UNSEEN = object()
_CONTENT_LENGTH = b"\nContent-Length: "
_KEYS: dict[str, bytes] = {}


def _key(name: str) -> bytes:
    """What a header's line starts with after the line before it."""
    key = b"\n" + name.encode("utf-8") + b": "
    if len(_KEYS) < 4096:  # header names are a small fixed set; never let odd lookups grow this
        _KEYS[name] = key
    return key


def _decoded(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return unquote(text) if "%" in text else text


def parse_event_json(body: bytes) -> Event:
    """Parse the body of a ``text/event-json`` frame."""
    data = json.loads(body)
    event_body = data.pop("_body", None)
    raw = {name: value if isinstance(value, str) else str(value) for name, value in data.items()}
    return Event(raw=raw, body=event_body)


_EVENT_PLAIN = b"\nContent-Type: text/event-plain\n\n"


class FrameReader:
    """Splits ESL bytes into frames. Feed it what the socket gives; it returns whole frames."""

    MAX_HEADER = 64 * 1024

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._rest + data if self._rest else data
        frames: list[Frame] = []
        append = frames.append
        pos = 0
        size = len(buf)
        find = buf.find
        startswith = buf.startswith
        while True:
            end = find(b"\n\n", pos)
            if end < 0:
                if size - pos > self.MAX_HEADER:
                    raise ProtocolError("ESL frame header larger than 64 KiB")
                break
            start = end + 2
            length = None
            tail = start - len(_EVENT_PLAIN)  # where the Content-Type line starts if it is the last one
            if tail > pos and startswith(b"Content-Length: ", pos) and startswith(_EVENT_PLAIN, tail):
                # nearly every frame is an event, with just these two lines
                length = buf[pos + 16 : tail]
                length = length.decode() if length.isdigit() else None
            if length is not None:
                headers = {"Content-Length": length, "Content-Type": "text/event-plain"}
            else:
                headers = {}
                for line in buf[pos:end].decode("utf-8", "replace").split("\n"):
                    name, sep, value = line.partition(": ")
                    if sep:
                        headers[name] = value
                length = headers.get("Content-Length")
                if length is None:
                    append(Frame(headers, None))
                    pos = start
                    continue
            try:
                stop = start + int(length)
            except ValueError:
                raise ProtocolError(f"bad Content-Length {length!r}") from None
            if stop > size:
                break
            append(Frame(headers, buf[start:stop]))
            pos = stop
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
