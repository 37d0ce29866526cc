"""The ESL connection manager: connect, authenticate, subscribe, reconnect, commands, bgapi jobs.

greenswitch gives us the socket set-up and the authentication handshake. Its gaps are
filled here rather than inherited: commands time out (and a timed-out command closes
the connection, because replies are matched to commands by order alone), bgapi jobs
carry our own Job-UUID registered before the command is sent, the reader splits frames
itself and hands events on without decoding them whole (see :mod:`controller.events`),
a watchdog notices a silent FreeSWITCH, and a lost connection is re-established with
back-off on a *fresh* greenswitch instance.
"""
from __future__ import annotations

import logging
import time
import uuid as uuidlib
from collections import deque
from typing import Callable

import gevent
import gevent.event
import gevent.lock
import gevent.socket
import greenswitch

from .config import EslAddress
from .events import Event, FrameReader, ProtocolError, event_from_frame, parse_event_plain

log = logging.getLogger(__name__)

#: Events the controller subscribes to; everything else stays on FreeSWITCH's side.
SUBSCRIBED_EVENTS = (
    "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_PARK CHANNEL_UNPARK "
    "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "
    "CHANNEL_EXECUTE_COMPLETE BACKGROUND_JOB DTMF PLAYBACK_START PLAYBACK_STOP RECORD_START RECORD_STOP "
    "HEARTBEAT CUSTOM conference::maintenance"
)


class EslError(Exception):
    """Base class of ESL failures."""


class NotConnected(EslError):
    """No live connection to FreeSWITCH right now."""


class AuthenticationFailed(EslError):
    """FreeSWITCH refused the ESL password."""


class CommandTimeout(EslError):
    """FreeSWITCH did not answer a command in time; the connection is treated as dead."""


class ConnectionLost(EslError):
    """The connection dropped while a command or job was waiting."""


class _Protocol(greenswitch.InboundESL):
    """greenswitch's inbound connection with our reader and a send that times out."""

    def __init__(self, address: EslAddress, timeout: float, on_event: Callable[[Event], None],
                 on_job: Callable[[Event], None]):
        super().__init__(address.host, address.port, address.password, timeout=timeout)
        self._on_event = on_event
        self._on_job = on_job
        self._pending: deque[gevent.event.AsyncResult] = deque()
        self._send_lock = gevent.lock.Semaphore()
        self.closed = gevent.event.Event()
        self.last_rx = time.monotonic()

    # greenswitch spawns its reader and its own event-queue processor; we need only a reader.
    # It calls this once the socket is connected, before anything is sent on it.
    def start_event_handlers(self) -> None:
        # Commands go out as soon as they are written (mod_event_socket does the same for its
        # replies and events): with Nagle's algorithm a command written while the previous
        # one is unacknowledged waits for FreeSWITCH's delayed ACK, up to 40 ms on Linux.
        self.sock.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)
        self._receive_events_greenlet = gevent.spawn(self.receive_events)

    def connect(self) -> None:
        with gevent.Timeout(self.timeout, NotConnected(f"no ESL banner within {self.timeout}s")):
            super().connect()

    def authenticate(self) -> None:
        reply = self.command(f"auth {self.password}", self.timeout)
        if reply.headers.get("Reply-Text") != "+OK accepted":
            raise AuthenticationFailed(
                f"FreeSWITCH refused the ESL password ({reply.headers.get('Reply-Text', 'no reply')})")

    def receive_events(self) -> None:
        reader = FrameReader()
        try:
            while self._run:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.last_rx = time.monotonic()
                for frame in reader.feed(data):
                    self._handle_frame(frame)
        except (OSError, ProtocolError) as exc:
            if self._run:
                log.warning("ESL connection read failed: %s", exc)
        finally:
            self._lost()

    def _handle_frame(self, frame) -> None:
        ctype = frame.headers.get("Content-Type")
        if ctype == "text/event-plain":  # nearly every frame: tested first
            event = parse_event_plain(frame.body or b"")
        elif ctype in ("command/reply", "api/response"):
            if self._pending:
                self._pending.popleft().set(frame)
            else:
                log.warning("ESL reply with no command waiting: %r", frame.headers)
            return
        elif ctype == "auth/request":
            self._auth_request_event.set()
            return
        elif ctype == "text/disconnect-notice":
            log.info("FreeSWITCH sent a disconnect notice")
            return
        elif ctype == "text/rude-rejection":
            log.error("FreeSWITCH rejected the connection (ACL): %s", (frame.body or b"").decode(errors="replace"))
            self._auth_request_event.set()
            return
        else:
            event = event_from_frame(frame)
            if event is None:
                return
        if event.get("Event-Name") == "BACKGROUND_JOB":
            self._on_job(event)
        self._on_event(event)

    def _lost(self) -> None:
        self.connected = False
        self._run = False
        self._auth_request_event.set()
        while self._pending:
            self._pending.popleft().set_exception(ConnectionLost("ESL connection lost"))
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed.set()

    def command(self, text: str, timeout: float):
        """Send one command and wait for its reply frame."""
        if not self.connected:
            raise NotConnected("not connected to FreeSWITCH")
        result = gevent.event.AsyncResult()
        with self._send_lock:
            self._pending.append(result)
            try:
                self.sock.sendall(text.encode("utf-8") + b"\n\n")
            except OSError as exc:
                self._lost()
                raise ConnectionLost(str(exc)) from exc
        try:
            return result.get(timeout=timeout)
        except gevent.Timeout:
            # Replies carry no id: once one is late, every later reply would be matched
            # to the wrong command. Only a new connection is safe.
            what = _describe(text)
            log.error("ESL command timed out after %.1fs, dropping the connection: %s", timeout, what)
            self.close()
            raise CommandTimeout(f"FreeSWITCH did not answer {what!r} within {timeout}s") from None

    def close(self) -> None:
        self._run = False
        try:
            self.sock.shutdown(gevent.socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def _describe(command: str) -> str:
    """The first words of a command, for messages: never the password of ``auth``."""
    words = command.split(None, 2)
    return words[0] if words and words[0] == "auth" else " ".join(words[:2])


class Job:
    """A bgapi job: the result arrives in a BACKGROUND_JOB event carrying our Job-UUID."""

    def __init__(self, job_id: str, command: str):
        self.id = job_id
        self.command = command
        self._result = gevent.event.AsyncResult()

    def wait(self, timeout: float | None = None) -> str:
        """The job's result text (``+OK …`` or ``-ERR …``); raises gevent.Timeout."""
        return self._result.get(timeout=timeout)

    def link(self, callback: Callable[["Job"], None]) -> None:
        """Call ``callback(job)`` once the job has a result or failed."""
        self._result.rawlink(lambda _r: callback(self))

    @property
    def ready(self) -> bool:
        return self._result.ready()

    @property
    def result(self) -> str | None:
        return self._result.value if self._result.successful() else None

    @property
    def exception(self) -> BaseException | None:
        return self._result.exception

    @property
    def lost(self) -> bool:
        """The connection dropped before the result came: the job may well have succeeded
        (reconciliation after the reconnect finds out from the channels)."""
        return isinstance(self._result.exception, ConnectionLost)


class EslClient:
    """One managed ESL connection to FreeSWITCH.

    :param address: where FreeSWITCH listens, with its password
    :param on_event: called on the reader greenlet for every event; must not block
    :param on_connect: called (in its own greenlet) after every (re)connect, e.g. to reconcile
    """

    def __init__(self, address: EslAddress, on_event: Callable[[Event], None], *,
                 on_connect: Callable[[], None] | None = None, command_timeout: float = 5.0,
                 heartbeat_timeout: float = 45.0, reconnect_max_delay: float = 10.0,
                 events: str = SUBSCRIBED_EVENTS):
        self.address = address
        self.on_event = on_event
        self.on_connect = on_connect
        self.command_timeout = command_timeout
        self.heartbeat_timeout = heartbeat_timeout
        self.reconnect_max_delay = reconnect_max_delay
        self.events = events
        self.connected = gevent.event.Event()
        self.connections = 0
        self.last_error: str | None = None
        self._jobs: dict[str, Job] = {}
        self._protocol: _Protocol | None = None
        self._runner: gevent.Greenlet | None = None
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._runner = gevent.spawn(self._run)

    def stop(self) -> None:
        self._stopping = True
        if self._protocol is not None:
            self._protocol.close()
        if self._runner is not None:
            self._runner.kill()
        self.connected.clear()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self.connected.wait(timeout)

    def connect_once(self) -> None:
        """Connect, authenticate and subscribe; raises on failure (AuthenticationFailed, NotConnected…)."""
        protocol = _Protocol(self.address, self.command_timeout, self.on_event, self._job_done)
        try:
            protocol.connect()
        except AuthenticationFailed:
            protocol.close()
            raise
        except (OSError, greenswitch.esl.NotConnectedError, ValueError) as exc:
            protocol.close()
            raise NotConnected(f"cannot reach FreeSWITCH at {self.address}: {exc}") from exc
        reply = protocol.command(f"event plain {self.events}", self.command_timeout)
        if not reply.headers.get("Reply-Text", "").startswith("+OK"):
            protocol.close()
            raise EslError(f"event subscription refused: {reply.headers.get('Reply-Text')}")
        self._protocol = protocol
        self.connections += 1
        self.connected.set()
        log.info("connected to FreeSWITCH at %s (connection #%d)", self.address, self.connections)

    def _run(self) -> None:
        delay = 0.1
        while not self._stopping:
            try:
                self.connect_once()
            except AuthenticationFailed as exc:
                self.last_error = str(exc)
                log.error("%s; retrying in %.0fs", exc, self.reconnect_max_delay)
                gevent.sleep(self.reconnect_max_delay)
                continue
            except EslError as exc:
                self.last_error = str(exc)
                log.warning("%s; retrying in %.1fs", exc, delay)
                gevent.sleep(delay)
                delay = min(delay * 2, self.reconnect_max_delay)
                continue
            delay = 0.1
            self.last_error = None
            protocol = self._protocol
            if self.on_connect is not None:
                gevent.spawn(self._safe_on_connect)
            self._watch(protocol)
            self.connected.clear()
            self._fail_jobs()
            if not self._stopping:
                log.warning("lost the ESL connection to %s; reconnecting", self.address)

    def _watch(self, protocol: _Protocol) -> None:
        """Return when the connection closes or FreeSWITCH has been silent too long."""
        while not protocol.closed.wait(timeout=min(5.0, self.heartbeat_timeout / 3)):
            silent = time.monotonic() - protocol.last_rx
            if silent > self.heartbeat_timeout:
                log.error("no data from FreeSWITCH for %.0fs (HEARTBEAT expected every 20s); reconnecting", silent)
                protocol.close()
                protocol.closed.wait(timeout=2)
                return

    def _safe_on_connect(self) -> None:
        try:
            self.on_connect()
        except Exception:
            log.exception("reconciliation after connect failed")

    # -- commands --------------------------------------------------------------------
    def _live(self) -> _Protocol:
        protocol = self._protocol
        if protocol is None or not protocol.connected or not self.connected.is_set():
            raise NotConnected(f"not connected to FreeSWITCH at {self.address}")
        return protocol

    def api(self, command: str, timeout: float | None = None) -> str:
        """Run an API command and return its reply body. Never use it for slow commands (originate)."""
        frame = self._live().command(f"api {command}", timeout or self.command_timeout)
        return (frame.body or b"").decode("utf-8", "replace")

    def bgapi(self, command: str, timeout: float | None = None) -> Job:
        """Start a background job; the returned :class:`Job` resolves from its BACKGROUND_JOB event."""
        job = Job(str(uuidlib.uuid4()), command)
        # Registered before sending: the event can arrive before the command's reply.
        self._jobs[job.id] = job
        try:
            frame = self._live().command(f"bgapi {command}\nJob-UUID: {job.id}", timeout or self.command_timeout)
        except Exception:
            self._jobs.pop(job.id, None)
            raise
        reply = frame.headers.get("Reply-Text", "")
        if not reply.startswith("+OK"):
            self._jobs.pop(job.id, None)
            job._result.set(reply)
        return job

    def _job_done(self, event: Event) -> None:
        job = self._jobs.pop(event.get("Job-UUID") or "", None)
        if job is not None:
            job._result.set(event.body or "")

    def _fail_jobs(self) -> None:
        jobs, self._jobs = self._jobs, {}
        for job in jobs.values():
            job._result.set_exception(ConnectionLost(f"connection lost before job {job.id} finished"))

    @property
    def pending_jobs(self) -> int:
        return len(self._jobs)
