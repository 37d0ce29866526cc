"""The ESL (mod_event_socket) server: auth, api/bgapi, event subscriptions, filters, sendmsg.

One greenlet reads and runs a client's commands in order (a blocking ``api originate``
holds that client's later commands back, like FreeSWITCH); a second greenlet writes,
so publishing an event never blocks the switch on a slow client.
"""
import logging
import socket
import time

import gevent
import gevent.queue
from gevent.server import StreamServer

from fssim import wire

log = logging.getLogger(__name__)

FORMATS = ("plain", "json", "xml")
_CLOSE = object()


class EslConnection:
    """One connected ESL client."""

    def __init__(self, server, sock, address):
        self.server = server
        self.sock = sock
        self.address = address
        self.authed = False
        self.fmt = "plain"
        self.events = set()
        self.all_events = False
        # ``nixevent X`` after ``event ALL``: FreeSWITCH turns ALL into every single event
        # but X, and CUSTOM subclasses then need their own subscription (trace 11).
        self.nixed = set()
        self.all_custom = False
        self.subclasses = set()
        self.filters = []
        self.closed = False
        self.out = gevent.queue.Queue()
        self.writer = gevent.spawn(self._write_loop)

    # -- output ------------------------------------------------------------------------
    def send(self, data):
        if not self.closed:
            self.out.put(data)

    def _write_loop(self):
        try:
            while True:
                data = self.out.get()
                if data is _CLOSE:
                    break
                observer = self.server.observer
                if observer is not None:
                    observer("write", data, time.monotonic_ns())
                self.sock.sendall(data)
        except OSError:
            pass
        finally:
            self._shutdown()

    def _shutdown(self):
        self.closed = True
        self.server.forget(self)
        try:
            self.sock.close()
        except OSError:
            pass

    def close_after_flush(self):
        """Send what is queued, then close (exit, bad auth)."""
        self.out.put(_CLOSE)
        self.closed = True

    def kill(self):
        """Close at once (FreeSWITCH going down: the socket just closes)."""
        self.closed = True
        self.writer.kill(block=False)
        self._shutdown()

    # -- events --------------------------------------------------------------------------
    def wants(self, event):
        if event.name == "CUSTOM":
            if not ((self.all_events and self.all_custom and "CUSTOM" not in self.nixed)
                    or event.subclass in self.subclasses):
                return False
        elif not ((self.all_events and event.name not in self.nixed) or event.name in self.events):
            return False
        if self.filters:
            return any(event.get(name) == value for name, value in self.filters)
        return True

    def offer(self, event):
        if self.authed and not self.closed and self.wants(event):
            self.out.put(event.frame(self.fmt))

    # -- input ---------------------------------------------------------------------------
    def serve(self):
        self.send(wire.auth_request())
        buf = b""
        try:
            while not self.closed:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                received_ns = time.monotonic_ns()
                buf += chunk.replace(b"\r\n", b"\n")
                while b"\n\n" in buf and not self.closed:
                    raw, buf = buf.split(b"\n\n", 1)
                    if not raw.strip():
                        continue
                    first, headers = wire.parse_command(raw)
                    body = ""
                    length = int(headers.get("content-length", "0") or 0)
                    if length:
                        while len(buf) < length:
                            more = self.sock.recv(65536)
                            if not more:
                                break
                            buf += more
                        body, buf = buf[:length].decode("utf-8", "replace"), buf[length:]
                    observer = self.server.observer
                    if observer is not None:
                        observer("command", first, received_ns)
                    self.handle(first, headers, body)
        except OSError:
            pass
        finally:
            if not self.closed:
                self.kill()
            else:
                # StreamServer closes the socket when this returns: flush the goodbye first.
                self.writer.join(timeout=5)
                self.server.forget(self)

    def handle(self, line, headers, body):
        command, _, args = line.partition(" ")
        command = command.lower()
        log.debug("esl %s: %s", self.address, line)
        if command == "auth":
            if args.strip() == self.server.password:
                self.authed = True
                self.send(wire.command_reply("+OK accepted"))
            else:
                self.send(wire.command_reply("-ERR invalid"))
                self.send(wire.disconnect_notice())
                self.close_after_flush()
            return
        if command == "exit":
            self.send(wire.command_reply("+OK bye"))
            self.send(wire.disconnect_notice())
            self.close_after_flush()
            return
        if not self.authed:
            self.send(wire.command_reply("-ERR command not found"))
            return
        handler = getattr(self, "cmd_" + command, None)
        if handler is None:
            self.send(wire.command_reply("-ERR command not found"))
            return
        handler(args.strip(), headers, body)

    # -- commands ------------------------------------------------------------------------
    def cmd_api(self, args, headers, body):
        self.send(wire.api_response(self.server.run_api(args)))

    def cmd_bgapi(self, args, headers, body):
        job_uuid = headers.get("job-uuid") or self.server.switch.new_uuid()
        self.send(wire.command_reply("+OK Job-UUID: " + job_uuid, Job_UUID=job_uuid))
        gevent.spawn(self.server.run_bgapi, args, job_uuid)

    def cmd_event(self, args, headers, body):
        words = args.split()
        if words and words[0].lower() in FORMATS:
            self.fmt = words.pop(0).lower()
        elif words and words[0].lower() not in ("all", "custom") and not words[0].isupper():
            words.pop(0)  # an unknown format word keeps the previous format
        custom = False
        for word in words:
            if word.upper() == "ALL":
                self.all_events = True
                self.all_custom = True
                self.nixed.clear()
            elif word.upper() == "CUSTOM":
                custom = True
            elif custom or "::" in word:
                self.subclasses.add(word)
            else:
                self.events.add(word.upper())
                self.nixed.discard(word.upper())
        self.send(wire.command_reply("+OK event listener enabled " + self.fmt))

    def cmd_nixevent(self, args, headers, body):
        for word in args.split():
            if word.upper() == "ALL":
                self.all_events = False
                self.events.clear()
                self.subclasses.clear()
                self.nixed.clear()
            else:
                self.events.discard(word.upper())
                self.subclasses.discard(word)
                if self.all_events and "::" not in word:
                    self.nixed.add(word.upper())
                    self.all_custom = False
        self.send(wire.command_reply("+OK events nixed"))

    def cmd_noevents(self, args, headers, body):
        self.all_events = False
        self.events.clear()
        self.subclasses.clear()
        self.nixed.clear()
        self.send(wire.command_reply("+OK no longer listening for events"))

    def cmd_filter(self, args, headers, body):
        words = args.split(None, 1)
        if words and words[0] == "delete":
            rest = words[1].split(None, 1) if len(words) > 1 else []
            name = rest[0] if rest else ""
            value = rest[1] if len(rest) > 1 else ""
            if name == "all":
                self.filters = []
                self.send(wire.command_reply("+OK filter deleted. [all][]"))
                return
            self.filters = [f for f in self.filters if not (f[0] == name and (not value or f[1] == value))]
            self.send(wire.command_reply("+OK filter deleted. [%s][%s]" % (name, value)))
            return
        if len(words) < 2:
            self.send(wire.command_reply("-ERR invalid syntax"))
            return
        name, value = words[0], words[1]
        self.filters.append((name, value))
        self.send(wire.command_reply("+OK filter added. [%s]=[%s]" % (name, value)))

    def cmd_linger(self, args, headers, body):
        self.send(wire.command_reply("-ERR not controlling a session"))

    cmd_nolinger = cmd_linger

    def cmd_log(self, args, headers, body):
        self.send(wire.command_reply("+OK log level %s [%s]" % (args or "debug", 7)))

    def cmd_nolog(self, args, headers, body):
        self.send(wire.command_reply("+OK no longer logging"))

    def cmd_sendmsg(self, args, headers, body):
        uuid = args.split()[0] if args else headers.get("unique-id", "")
        channel = self.server.switch.get(uuid)
        if channel is None:
            self.send(wire.command_reply("-ERR invalid session id [%s]" % uuid))
            return
        call_command = headers.get("call-command", "")
        if call_command == "execute":
            self.server.switch.later(channel, 0, self.server.api.run_nested, channel,
                                     headers.get("execute-app-name", ""),
                                     headers.get("execute-app-arg", body), headers.get("event-uuid"))
        elif call_command == "hangup":
            self.server.switch.later(None, 0, self.server.switch.hangup, channel,
                                     headers.get("hangup-cause", "NORMAL_CLEARING"))
        self.send(wire.command_reply("+OK"))


class EslServer:
    """The listening socket and its clients."""

    def __init__(self, switch, api, host="127.0.0.1", port=0, password="ClueCon"):
        self.switch = switch
        self.api = api
        self.host = host
        self.port = port
        self.password = password
        self.connections = set()
        self.server = None
        #: ``observer(kind, data, t_ns)`` sees the wire with ``time.monotonic_ns()`` stamps
        #: (system-wide): ``"command"`` with the command line (str) when its bytes were
        #: read, ``"write"`` with the bytes (reply or event frame) just before they are
        #: written. For benchmarks; None (the default) costs one attribute test.
        self.observer = None

    def start(self):
        self.server = StreamServer((self.host, self.port), self._accept)
        self.server.start()
        self.port = self.server.server_port
        log.info("ESL listening on %s:%s", self.host, self.port)

    def _accept(self, sock, address):
        # mod_event_socket disables Nagle on every connection (listener_run). Without it a
        # reply followed by event frames, each its own small write, waits for the client's
        # delayed ACK: about 40 ms on Linux (see docs/benchmarks.md).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = EslConnection(self, sock, address)
        self.connections.add(conn)
        self.switch.bus.subscribers.append(conn)
        conn.serve()

    def forget(self, conn):
        self.connections.discard(conn)
        if conn in self.switch.bus.subscribers:
            self.switch.bus.subscribers.remove(conn)

    def stop(self):
        if self.server is not None:
            self.server.stop(timeout=0)
            self.server = None
        for conn in list(self.connections):
            conn.kill()

    # -- api ----------------------------------------------------------------------------------
    def run_api(self, args):
        command, _, rest = args.partition(" ")
        self._api_event(command, rest)
        return self.api.execute(command, rest)

    def run_bgapi(self, args, job_uuid):
        command, _, rest = args.partition(" ")
        self._api_event(command, rest)
        result = self.api.execute(command, rest)
        headers = [("Job-UUID", job_uuid), ("Job-Command", command)]
        if rest:
            headers.append(("Job-Command-Arg", rest))
        self.switch.fire("BACKGROUND_JOB", None, ("mod_event_socket.c", "api_exec", 1572),
                         headers=headers, body=result)

    def _api_event(self, command, rest):
        headers = [("API-Command", command)]
        if rest:
            headers.append(("API-Command-Argument", rest))
        self.switch.fire("API", None, ("switch_loadable_module.c", "switch_api_execute", 2954), headers=headers)
