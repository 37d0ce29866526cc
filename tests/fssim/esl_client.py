"""A tiny raw-socket ESL client for the simulator tests (never the controller's code)."""
import gevent
import gevent.event
import gevent.socket
import urllib.parse
import json


class Frame:
    """One frame: outer headers, body bytes; events are decoded into ``event``."""

    def __init__(self, headers, body):
        self.headers = headers
        self.body = body
        self.event = None
        ctype = headers.get("Content-Type", "")
        if ctype == "text/event-plain":
            self.event = parse_plain_event(body)
        elif ctype == "text/event-json":
            pairs = json.loads(body.decode(), object_pairs_hook=lambda p: p)
            self.event = _pairs_to_event(pairs)

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def _pairs_to_event(pairs):
    headers = []
    body = None
    for name, value in pairs:
        if name == "_body":
            body = value
        elif name != "Content-Length":
            headers.append((name, value))
    return {"headers": headers, "body": body}


def parse_plain_event(data):
    text = data.decode("utf-8")
    head, _, rest = text.partition("\n\n")
    headers = []
    length = None
    for line in head.split("\n"):
        if not line:
            continue
        name, _, value = line.partition(": ")
        if name == "Content-Length":
            length = int(value)
            continue
        headers.append((name, urllib.parse.unquote(value)))
    body = rest.encode("utf-8")[:length].decode() if length is not None else None
    return {"headers": headers, "body": body}


def first(event, name, default=None):
    for key, value in event["headers"]:
        if key == name:
            return value
    return default


class EslTestClient:
    """Connects, reads frames in a greenlet and lets tests wait for replies/events."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = gevent.socket.create_connection((host, port))
        self.replies = []  # non-event frames in order
        self.events = []  # decoded events in order
        self.raw = bytearray()
        self.closed = gevent.event.Event()
        self._changed = gevent.event.Event()
        self.reader = gevent.spawn(self._read)

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.raw += chunk
                buf += chunk
                while b"\n\n" in buf:
                    head, rest = buf.split(b"\n\n", 1)
                    headers = dict(line.split(": ", 1) for line in head.decode().split("\n") if line)
                    length = int(headers.get("Content-Length", 0))
                    if len(rest) < length:
                        break
                    frame = Frame(headers, rest[:length])
                    buf = rest[length:]
                    if frame.event is not None:
                        self.events.append(frame.event)
                    else:
                        self.replies.append(frame)
                    self._changed.set()
        except OSError:
            pass
        finally:
            self.closed.set()
            self._changed.set()

    def send(self, text):
        if not text.endswith("\n\n"):
            text += "\n\n"
        self.sock.sendall(text.encode())

    def wait(self, predicate, timeout=5.0):
        with gevent.Timeout(timeout, TimeoutError("ESL test client: condition not met")):
            while True:
                value = predicate()
                if value:
                    return value
                self._changed.clear()
                self._changed.wait(0.2)

    def wait_reply(self, count, timeout=5.0):
        """Wait until ``count`` non-event frames arrived; return the last one."""
        self.wait(lambda: len(self.replies) >= count, timeout)
        return self.replies[count - 1]

    def command(self, text, timeout=5.0):
        before = len(self.replies)
        self.send(text)
        return self.wait_reply(before + 1, timeout)

    def api(self, text, timeout=5.0):
        return self.command("api " + text, timeout).text

    def login(self, password="ClueCon"):
        self.wait_reply(1)
        return self.command("auth " + password)

    def wait_event(self, predicate, timeout=5.0):
        def find():
            for event in self.events:
                if predicate(event):
                    return event
            return None
        return self.wait(find, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.reader.kill(block=False)
