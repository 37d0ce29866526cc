"""Call-control latency with hundreds of calls in progress, over the real wire.

The whole stack runs on free ports of 127.0.0.1: the FreeSWITCH simulator (a real ESL
server), the controller with its web app (``switchdesk serve``: gevent's WSGI server,
Flask-SocketIO), and for each of N agents a signed-in HTTP session (session cookie +
CSRF header, as the desktop sends) and a python-socketio client. N customers are
connected to the N agents through the controller; then, while they talk, the bench
measures

1. REST action -> ESL command: from just before an agent's ``POST /api/calls/<id>/hold``
   (then ``/unhold``) is sent until the simulator's ESL server reads the command it
   causes (``uuid_transfer`` / ``uuid_bridge``) off the controller's socket;
2. ESL event -> Socket.IO push: from just before the simulator writes an event on the
   controller's socket until the push it causes reaches that agent's Socket.IO client:
   a customer's CHANNEL_HANGUP -> ``call_ended``, and the CHANNEL_BRIDGE of the next
   customer (offered when the agent has wrapped up) -> ``call`` (connected).

The actions (hold, then unhold half a second later) arrive at random (Poisson) at
``--rate`` per second on random agents; call turnovers (hang-up, wrap-up, next call)
run at the same time, so the number of calls in progress stays at N.

By default the controller runs in a process of its own, exactly as ``switchdesk serve``
does, and this process holds everything outside it (simulator, agents' HTTP and
Socket.IO clients), so every timestamp is taken here with one clock
(``time.monotonic_ns``) and the controller has a core of its own, as in production.
``--in-process`` runs all of it in one gevent process instead (see docs/benchmarks.md
for how the figures differ).

Benchmarks print figures; nothing is asserted (the targets are printed beside them).

Usage: ``python bench/call_control.py [--calls 500] [--actions 1000] [--rate 50]
[--turnovers N] [--database URL] [--in-process] [--py-spy FILE | --profile FILE]``
(``--help`` for the rest). It takes about a minute and removes its temporary folder.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

DID = "8005550199"
QUEUE = "bench"
PASSWORD = "bench-pass"
TARGET_MS = 20.0
#: seconds a customer stays on hold between the two actions of a pair
HOLD_SECONDS = 0.5
now_ns = time.monotonic_ns


# -- figures -----------------------------------------------------------------------------

class Series:
    """Latencies in nanoseconds; summarised as count, p50, p99 and max in milliseconds."""

    def __init__(self, label: str, target: bool):
        self.label = label
        self.target = target
        self.values: list[int] = []
        self.started: list[int] = []  # when each measured interval began (monotonic ns)

    def add(self, ns: int, started: int) -> None:
        self.values.append(ns)
        self.started.append(started)

    def row(self) -> str:
        v = sorted(self.values)
        target = f"p99 < {TARGET_MS:g}" if self.target else "-"
        if not v:
            return f"{self.label:<46} {0:>6} {'-':>8} {'-':>8} {'-':>8}   {target}"
        p50, p99 = _rank(v, 50) / 1e6, _rank(v, 99) / 1e6
        verdict = ("  met" if p99 < TARGET_MS else "  MISSED") if self.target else ""
        return (f"{self.label:<46} {len(v):>6} {p50:>8.2f} {p99:>8.2f} {v[-1] / 1e6:>8.2f}   "
                f"{target}{verdict}")


def _rank(sorted_values: list[int], p: float) -> int:
    """Nearest-rank percentile."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


# -- the simulator's wire ------------------------------------------------------------------

class Wire:
    """The simulator's ESL observer: when watched commands arrive and watched events leave.

    ``commands``: customer uuid -> ``[verb, t]``: the first ``api <verb> <uuid> ...`` read
    gets ``t``; ``events``: ``(Event-Name, Unique-ID)`` (bytes) -> ``t`` of its first write.
    """

    WATCHED = (b"CHANNEL_BRIDGE", b"CHANNEL_HANGUP")

    def __init__(self):
        self.commands: dict[str, list] = {}
        self.events: dict[tuple[bytes, bytes], int | None] = {}

    def __call__(self, kind: str, data, t: int) -> None:
        if kind == "command":
            if self.commands:
                words = data.split(None, 3)
                if len(words) >= 3 and words[0] == "api":
                    slot = self.commands.get(words[2])
                    if slot is not None and slot[1] is None and slot[0] == words[1]:
                        slot[1] = t
            return
        if not self.events:
            return
        i = data.find(b"Event-Name: ", 0, 200)
        if i < 0:
            return
        j = data.find(b"\n", i)
        name = data[i + 12:j]
        if name not in self.WATCHED:
            return
        k = data.find(b"\nUnique-ID: ", j)
        if k < 0:
            return
        key = (name, data[k + 12:k + 48])
        if key in self.events and self.events[key] is None:
            self.events[key] = t


# -- agents and calls --------------------------------------------------------------------

class Call:
    def __init__(self, ani: str, uuid: str):
        self.ani = ani
        self.uuid = uuid
        self.id: str | None = None
        self.connected = gevent.event.AsyncResult()  # t the agent's client got it connected
        self.ended = gevent.event.AsyncResult()      # t the agent's client got call_ended


class Desk:
    """One person at a desktop: an HTTP session with its CSRF token and a Socket.IO client."""

    def __init__(self, username: str, agent_id: int):
        import requests

        self.username = username
        self.agent_id = agent_id
        self.session = requests.Session()
        self.token = ""
        self.sio = None
        self.call: Call | None = None
        self.busy = False
        self.pushes = 0


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")
LOG_ERROR = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ERROR ")
CSRF = (re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),
        re.compile(r'name="csrf-token" content="([^"]+)"'))


def _csrf(html: str) -> str:
    for pattern in CSRF:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise RuntimeError("no CSRF token on the page")


class Bench:
    def __init__(self, args, workdir: str):
        self.args = args
        self.workdir = workdir
        self.wire = Wire()
        self.sim = None
        self.url = ""
        self.desks: dict[int, Desk] = {}
        self.supervisors: list[Desk] = []
        self.free: set[Desk] = set()
        self.calls_by_ani: dict[str, Call] = {}
        self.calls_by_id: dict[str, Call] = {}
        self.ani_counter = 0
        self.errors: list[str] = []
        self.controller = None      # subprocess.Popen, or None in-process
        self.in_process = None      # (cc, socketio) in-process
        self.created_tables = False
        self.measure_start = 0
        self.stalls_path = os.path.join(workdir, "controller-stalls.txt")
        self.log_path = os.path.join(workdir, "controller.log")
        self.series = {
            "hold": Series("REST hold   -> uuid_transfer read by switch", True),
            "unhold": Series("REST unhold -> uuid_bridge read by switch", True),
            "http": Series("  (HTTP round trip of these actions)", False),
            "hangup": Series("CHANNEL_HANGUP written -> call_ended at desk", True),
            "bridge": Series("CHANNEL_BRIDGE written -> call at desk", True),
            "ramp": Series("  (CHANNEL_BRIDGE -> call while ramping up)", False),
        }

    # -- database ------------------------------------------------------------------------
    def seed(self) -> None:
        """Queue, agents (one cheap shared password hash) and supervisors, straight into the database."""
        from werkzeug.security import generate_password_hash

        from controller import db as dbmod
        from controller.models import ALL_MODELS, Agent, AgentQueue, Queue

        db = dbmod.open_database(self.args.database)
        if db.table_exists(Agent._meta.table_name):
            raise SystemExit(f"{_redacted(self.args.database)} already has switchdesk's tables: the bench "
                             "needs a database without them (it creates them and drops them at the end)")
        self.created_tables = True
        dbmod.create_tables()
        queue = Queue.create(name=QUEUE, label="Bench", ring_timeout=20, wrapup_seconds=3600)
        # one pbkdf2 round: signing 500 people in must not cost 500 real password hashes
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        rows = [{"username": f"agent{i:04d}", "name": f"Agent {i:04d}", "extension": str(20000 + i),
                 "password_hash": password_hash, "role": "agent"} for i in range(self.args.calls)]
        rows += [{"username": f"super{i:02d}", "name": f"Supervisor {i:02d}", "extension": str(19000 + i),
                  "password_hash": password_hash, "role": "supervisor"} for i in range(self.args.supervisors)]
        with db.atomic():
            for i in range(0, len(rows), 200):
                Agent.insert_many(rows[i:i + 200]).execute()
        ids = {a.username: (a.id, a.extension, a.role) for a in Agent.select(Agent.id, Agent.username,
                                                                             Agent.extension, Agent.role)}
        members = [{"agent": aid, "queue": queue.id} for aid, _ext, role in ids.values() if role == "agent"]
        with db.atomic():
            for i in range(0, len(members), 200):
                AgentQueue.insert_many(members[i:i + 200]).execute()
        self.people = ids
        self._models = ALL_MODELS
        db.close_all()

    def drop_tables(self) -> None:
        if not self.created_tables:
            return
        from controller import db as dbmod

        db = dbmod.open_database(self.args.database)
        dbmod.database.drop_tables(self._models, safe=True)
        db.close_all()

    # -- simulator ----------------------------------------------------------------------
    def start_simulator(self) -> None:
        from fssim import Simulator

        sim = Simulator(host="127.0.0.1", port=0, password="ClueCon",
                        recordings_dir=os.path.join(self.workdir, "recordings"), http_port=None)
        sim.start()
        for _username, (_aid, ext, role) in self.people.items():
            if role == "agent":
                sim.add_phone(ext, answer_after=self.args.answer_after)
        sim.add_did(DID, queue=QUEUE)
        sim.esl.observer = self.wire
        self.sim = sim

    # -- controller ---------------------------------------------------------------------
    def start_controller(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1",
                   FREESWITCH_ESL=f"esl://:ClueCon@127.0.0.1:{self.sim.port}",
                   DATABASE_URL=self.args.database, SWITCHDESK_HOST="127.0.0.1", SWITCHDESK_PORT=str(port),
                   SWITCHDESK_SECRET_KEY="callbench-secret",
                   SWITCHDESK_RECORDINGS=os.path.join(self.workdir, "recordings"))
        if self.args.in_process:
            from controller.cli import build, serve_web
            from controller.config import Settings

            settings = Settings.from_env(env)
            cc, app, socketio = build(settings)
            cc.start()
            serve_web(app, socketio, settings)
            self.in_process = (cc, socketio)
            # the web server's own complaints go where `switchdesk serve` would write them
            errors = open(self.log_path, "a")
            gevent.get_hub().exception_stream = errors
            while getattr(socketio, "wsgi_server", None) is None:
                gevent.sleep(0.01)
            socketio.wsgi_server.error_log = errors
        else:
            command = [sys.executable, os.path.abspath(__file__), "--serve-controller",
                       "--stalls", self.stalls_path]
            if self.args.controller_gc_freeze:
                command.append("--controller-gc-freeze")
            if self.args.profile:
                command += ["--profile", os.path.abspath(self.args.profile)]
            self.controller = subprocess.Popen(command, cwd=self.workdir, env=env,
                                               stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.controller is not None and self.controller.poll() is not None:
                raise SystemExit("the controller stopped:\n" + self.controller_log())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if any(c.authed and c.all_events is False and c.events for c in self.sim.esl.connections):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the controller did not come up:\n" + self.controller_log())
            gevent.sleep(0.05)

    def controller_log(self, lines: int = 40) -> str:
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def controller_errors(self) -> list[str]:
        """The controller's ERROR log lines so far, each with its exception's last line."""
        errors = []
        with open(self.log_path, errors="replace") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if LOG_ERROR.match(line):
                cause = ""
                for follow in lines[i + 1:i + 400]:
                    if LOG_LINE.match(follow):
                        break
                    if follow and not follow.startswith((" ", "Traceback")):
                        cause = follow
                errors.append(line.split(" ERROR ", 1)[1].strip() + (f" <- {cause}" if cause else ""))
        return errors

    def controller_cpu(self) -> float:
        """CPU seconds the controller process has used so far (user + system)."""
        if self.controller is None:
            return time.process_time()
        with open(f"/proc/{self.controller.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop_controller(self) -> None:
        if self.in_process is not None:
            cc, socketio = self.in_process
            cc.stop()
            if getattr(socketio, "wsgi_server", None) is not None:
                socketio.wsgi_server.stop(timeout=1)
            return
        if self.controller is not None and self.controller.poll() is None:
            self.controller.send_signal(signal.SIGTERM)
            try:
                self.controller.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.controller.kill()
                self.controller.wait()

    # -- people ---------------------------------------------------------------------------
    def sign_in_all(self) -> None:
        agents = [(u, aid) for u, (aid, _e, role) in self.people.items() if role == "agent"]
        supervisors = [(u, aid) for u, (aid, _e, role) in self.people.items() if role == "supervisor"]
        for username, aid in agents:
            self.desks[aid] = Desk(username, aid)
        self.supervisors = [Desk(u, aid) for u, aid in supervisors]
        pool = gevent.pool.Pool(20)
        for desk in list(self.desks.values()) + self.supervisors:
            pool.spawn(self._sign_in, desk)
        pool.join(raise_error=True)

    def _sign_in(self, desk: Desk) -> None:
        s = desk.session
        token = _csrf(s.get(self.url + "/login").text)
        r = s.post(self.url + "/login", data={"username": desk.username, "password": PASSWORD, "csrf_token": token},
                   allow_redirects=False)
        if r.status_code != 302:
            raise RuntimeError(f"{desk.username} could not sign in: {r.status_code}")
        desk.token = _csrf(s.get(self.url + "/").text)

    def post(self, desk: Desk, path: str, body: dict | None = None):
        return desk.session.post(self.url + path, json=body or {}, headers={"X-CSRFToken": desk.token})

    def connect_sockets(self) -> dict[str, int]:
        import socketio

        def connect(desk: Desk, agent: bool) -> None:
            # A browser checks a frame's UTF-8 in native code; websocket-client does it in Python,
            # byte by byte (without wsaccel): ~8% of this process's CPU, late stamps in its stalls.
            sio = socketio.Client(http_session=desk.session, reconnection=False,
                                  websocket_extra_options={"skip_utf8_validation": True})
            if agent:
                sio.on("call", lambda payload, d=desk: self._on_call(d, payload))
                sio.on("call_ended", lambda payload, d=desk: self._on_call_ended(d, payload))

            def count(*_args, d=desk):
                d.pushes += 1

            for name in ("snapshot", "agent_state", "supervisor_snapshot") + (() if agent else ("call", "call_ended")):
                sio.on(name, count)
            sio.connect(self.url, transports=self.args.transports, wait_timeout=20)
            desk.sio = sio

        pool = gevent.pool.Pool(20)
        for desk in self.desks.values():
            pool.spawn(connect, desk, True)
        for desk in self.supervisors:
            pool.spawn(connect, desk, False)
        pool.join(raise_error=True)
        gevent.sleep(1)  # let polling clients finish their upgrade
        transports: dict[str, int] = {}
        for desk in list(self.desks.values()) + self.supervisors:
            name = desk.sio.transport()
            transports[name] = transports.get(name, 0) + 1
        return transports

    def _on_call(self, desk: Desk, payload: dict) -> None:
        t = now_ns()
        desk.pushes += 1
        if payload.get("state") != "connected" or payload.get("role") != "owner":
            return
        call = self.calls_by_ani.get(payload.get("ani"))
        if call is None or call.connected.ready():
            return
        call.id = payload["id"]
        self.calls_by_id[call.id] = call
        desk.call = call
        if not desk.busy:
            self.free.add(desk)
        call.connected.set(t)

    def _on_call_ended(self, desk: Desk, payload: dict) -> None:
        t = now_ns()
        desk.pushes += 1
        call = self.calls_by_id.get(payload.get("id"))
        if call is not None and not call.ended.ready():
            call.ended.set(t)

    def close_sockets(self) -> None:
        for desk in list(self.desks.values()) + self.supervisors:
            if desk.sio is not None:
                try:
                    desk.sio.disconnect()
                except Exception:  # noqa: BLE001 - the server may be gone already
                    pass
            desk.session.close()

    # -- calls -------------------------------------------------------------------------------
    def place_call(self) -> Call:
        """A new customer calls the queue; its CHANNEL_BRIDGE (to whichever agent) is watched."""
        self.ani_counter += 1
        ani = "555%07d" % self.ani_counter
        uuid = self.sim.customer_call(DID, ani=ani)
        call = Call(ani, uuid)
        self.calls_by_ani[ani] = call
        self.wire.events[(b"CHANNEL_BRIDGE", uuid.encode())] = None
        return call

    def bridged(self, call: Call, series: Series) -> bool:
        t_write = self.wire.events.pop((b"CHANNEL_BRIDGE", call.uuid.encode()), None)
        if t_write is None or not call.connected.ready():
            return False
        series.add(call.connected.get() - t_write, t_write)
        return True

    def ramp_up(self) -> None:
        for desk in self.desks.values():
            r = self.post(desk, "/api/agent/state", {"state": "available"})
            if r.status_code != 200:
                raise SystemExit(f"{desk.username} could not become available: {r.status_code} {r.text}")
        calls = []
        for _ in range(self.args.calls):
            calls.append(self.place_call())
            gevent.sleep(1.0 / self.args.ramp_rate)
        # done when every call is connected; given up when none got connected for 20 s
        last_done, last_progress = -1, time.monotonic()
        while True:
            done = sum(c.connected.ready() for c in calls)
            if done == len(calls):
                break
            if done != last_done:
                last_done, last_progress = done, time.monotonic()
            elif time.monotonic() - last_progress > 20:
                errors = self.controller_errors()
                raise SystemExit(f"only {done} of {len(calls)} calls were connected (none more for 20 s); the "
                                 f"controller logged {len(errors)} errors"
                                 + "".join(f"\n  {e}" for e in _distinct(errors)))
            gevent.sleep(0.2)
        for call in calls:
            self.bridged(call, self.series["ramp"])

    def take_desk(self) -> Desk | None:
        if not self.free:
            return None
        desk = random.choice(tuple(self.free))
        self.free.discard(desk)
        desk.busy = True
        return desk

    def release(self, desk: Desk) -> None:
        desk.busy = False
        if desk.call is not None:
            self.free.add(desk)

    def hold_pair(self) -> None:
        desk = self.take_desk()
        if desk is None:
            self.errors.append("no agent free for a hold")
            return
        try:
            call = desk.call
            for action, verb in (("hold", "uuid_transfer"), ("unhold", "uuid_bridge")):
                slot = self.wire.commands[call.uuid] = [verb, None]
                t0 = now_ns()
                r = self.post(desk, f"/api/calls/{call.id}/{action}")
                t_reply = now_ns()
                self.wire.commands.pop(call.uuid, None)
                if r.status_code != 200:
                    self.errors.append(f"{action}: {r.status_code} {r.text[:200]}")
                    return
                self.series["http"].add(t_reply - t0, t0)
                if slot[1] is None:
                    self.errors.append(f"{action}: no {verb} for {call.uuid} reached the switch")
                else:
                    self.series[action].add(slot[1] - t0, t0)
                if action == "hold":
                    gevent.sleep(HOLD_SECONDS)
        finally:
            self.release(desk)

    def turnover(self) -> None:
        """The customer hangs up, the agent wraps up, the next customer is connected."""
        desk = self.take_desk()
        if desk is None:
            self.errors.append("no agent free for a turnover")
            return
        try:
            call = desk.call
            key = (b"CHANNEL_HANGUP", call.uuid.encode())
            self.wire.events[key] = None
            self.sim.hangup(call.uuid)
            if not call.ended.wait(10):
                self.errors.append(f"no call_ended for {call.id}")
                return
            t_write = self.wire.events.pop(key, None)
            if t_write is None:
                self.errors.append(f"CHANNEL_HANGUP of {call.uuid} not seen on the wire")
            else:
                self.series["hangup"].add(call.ended.get() - t_write, t_write)
            desk.call = None
            self.calls_by_ani.pop(call.ani, None)
            self.calls_by_id.pop(call.id, None)
            following = self.place_call()  # queued: offered to the next agent who becomes available
            r = self.post(desk, f"/api/calls/{call.id}/wrapup", {"reason": "Resolved"})
            if r.status_code != 200:
                self.errors.append(f"wrapup: {r.status_code} {r.text[:200]}")
                return
            if not following.connected.wait(30):
                self.errors.append(f"the next call {following.ani} was not connected")
                return
            if not self.bridged(following, self.series["bridge"]):
                self.errors.append(f"CHANNEL_BRIDGE of {following.uuid} not seen on the wire")
        finally:
            self.release(desk)

    def write_samples(self, path: str) -> None:
        """Every sample as CSV: series, seconds since the measurement began, latency in ms."""
        with open(path, "w") as f:
            f.write("series,at_s,latency_ms\n")
            rows = []
            for key, series in self.series.items():
                for ns, started in zip(series.values, series.started):
                    rows.append((started, key, ns))
            for started, key, ns in sorted(rows):
                f.write(f"{key},{(started - self.measure_start) / 1e9:.4f},{ns / 1e6:.3f}\n")

    def measure(self) -> float:
        """Hold/unhold pairs and turnovers as Poisson arrivals; returns the seconds it took."""
        rng = random.Random(self.args.seed)
        pairs = self.args.actions // 2
        duration = self.args.actions / self.args.rate
        schedule = [(rng.uniform(0, duration), self.hold_pair) for _ in range(pairs)]
        schedule += [(rng.uniform(0, duration), self.turnover) for _ in range(self.args.turnovers)]
        schedule.sort(key=lambda item: item[0])
        workers = gevent.pool.Group()
        self.measure_start = now_ns()
        start = time.monotonic()
        for at, job in schedule:
            delay = start + at - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            workers.spawn(job)
        workers.join()
        return time.monotonic() - start


# -- the controller process (``--serve-controller``) ------------------------------------------

class LoopWatch:
    """Records when a gevent loop could not run a 5 ms timer on time (stalls over 10 ms), and
    the process's garbage collections.

    Each stall also keeps the CPU time the process used meanwhile: a stall spent running
    (a long stretch of work without yielding, garbage collection) uses about its length in
    CPU; a stall with little CPU is time the process waited for a core (another process had
    it) or in a blocking system call.
    """

    def __init__(self):
        self.stalls: list[tuple[int, int, int]] = []  # (monotonic ns, ns late, CPU ns meanwhile)
        self.collections: list[tuple[int, int, int]] = []  # (monotonic ns, ns it took, generation)
        self._gc_started = 0
        gc.callbacks.append(self._on_gc)
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            t, cpu = now_ns(), time.process_time_ns()
            gevent.sleep(0.005)
            late = now_ns() - t - 5_000_000
            if late > 10_000_000:
                self.stalls.append((t, late, time.process_time_ns() - cpu))

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = now_ns()
        else:
            self.collections.append((self._gc_started, now_ns() - self._gc_started, info["generation"]))

    def between(self, start: int, end: int) -> dict:
        return {"stalls": [(late, cpu) for t, late, cpu in self.stalls if start <= t <= end],
                "gc": [(took, gen) for t, took, gen in self.collections if start <= t <= end]}


def serve_controller(profile_path: str | None, stalls_path: str, gc_freeze: bool) -> int:
    """``switchdesk serve``; SIGUSR1/SIGUSR2 mark the measurement: its event-loop stalls are
    written to ``stalls_path`` and, with ``profile_path``, it is profiled with cProfile.
    ``gc_freeze``: an experiment, ``gc.freeze()`` when the measurement starts."""
    from controller import cli

    profiler = cProfile.Profile()
    watch = LoopWatch()
    window = [0]

    def start():
        if gc_freeze:
            gc.collect()
            gc.freeze()
        window[0] = now_ns()
        if profile_path:
            profiler.enable()

    def stop():
        if profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)
        with open(stalls_path, "w") as f:
            json.dump(watch.between(window[0], now_ns()), f)

    gevent.signal_handler(signal.SIGUSR1, start)
    gevent.signal_handler(signal.SIGUSR2, stop)
    return cli.main(["serve"])


#: where the controller's CPU goes: a sample counts for each stage whose frame it contains
STAGES = (
    ("HTTP requests (pywsgi + Flask, incl. the actions they run)", ("handle_one_response (gevent/pywsgi.py",)),
    ("  Flask-Login user load (a SELECT per request)", ("_load_user (web/auth.py",)),
    ("  CSRF check", ("protect (flask_wtf/csrf.py",)),
    ("ESL reader (frames, events, replies)", ("receive_events (controller/esl.py",)),
    ("per-call dispatch (event handlers, actions)", ("_work (controller/dispatch.py", "run_here (controller/dispatch.py")),
    ("  SQLite/PostgreSQL execute", ("execute_sql (peewee.py",)),
    ("  peewee building SQL", ("sql (peewee.py", "__sql__ (peewee.py")),
    ("Socket.IO emits (JSON, packets to rooms)", ("emit (socketio/base_manager.py", "emit (socketio/server.py")),
    ("websocket sends / pings", ("send (simple_websocket/ws.py", "_send_ping (engineio/socket.py")),
    ("logging (INFO line per transition)", ("handle (logging/__init__.py",)),
)


def spy_summary(path: str, what: str, top: int = 20) -> str:
    """py-spy's raw stacks (``frame;frame;... count``) -> CPU share by stage and top own-time functions."""
    total = 0
    own: dict[str, int] = {}
    stage_samples = [0] * len(STAGES)
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            own[frames[-1]] = own.get(frames[-1], 0) + n
            for i, (_label, needles) in enumerate(STAGES):
                if any(needle in frame for frame in frames for needle in needles):
                    stage_samples[i] += n
    if not total:
        return f"py-spy recorded no samples of {what} ({path})"
    out = [f"py-spy: {total} CPU samples of {what} during the measurement ({path}); share of them in"]
    for (label, _needles), n in zip(STAGES, stage_samples):
        out.append(f"  {label:<62} {n / total:>6.1%}")
    out.append(f"top {top} functions by own samples:")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"  {n / total:>6.1%}  {frame}")
    return "\n".join(out)


def _distinct(errors: list[str], most: int = 5) -> list[str]:
    """The most frequent error messages (uuids and addresses blanked), with their counts."""
    counts: dict[str, int] = {}
    for error in errors:
        key = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|0x[0-9a-f]+", "…", error)
        counts[key] = counts.get(key, 0) + 1
    return [f"{n} x {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1])[:most]]


def _stalls(loop: dict) -> str:
    values, collections = loop["stalls"], loop["gc"]
    if values:
        total = sum(late for late, _cpu in values)
        busy = sum(min(cpu, late) for late, cpu in values)
        text = (f"{len(values)} over 10 ms, {total / 1e6:.0f} ms in all ({busy / 1e6:.0f} ms of it running, "
                f"{(total - busy) / 1e6:.0f} ms waiting), longest {max(v[0] for v in values) / 1e6:.0f} ms")
    else:
        text = "none over 10 ms"
    full = [took for took, gen in collections if gen == 2]
    if full:
        text += f"; {len(full)} full GC, longest {max(full) / 1e6:.0f} ms"
    young = [took for took, gen in collections if gen < 2]
    if young:
        text += (f"; {len(young)} young GC, {sum(young) / 1e6:.0f} ms in all, "
                 f"longest {max(young) / 1e6:.1f} ms")
    return text


# -- main -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redacted(url: str) -> str:
    from controller.db import _redacted as redact

    return redact(url)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=500, help="agents and calls in progress (default 500)")
    p.add_argument("--actions", type=int, default=1000, help="REST actions measured: hold/unhold pairs (default 1000)")
    p.add_argument("--rate", type=float, default=50.0, help="REST actions per second, Poisson (default 50)")
    p.add_argument("--turnovers", type=int, help="calls ended and replaced meanwhile (default actions/4)")
    p.add_argument("--database", help="database URL (default: SQLite in a temporary folder); a PostgreSQL "
                                      "database must not have switchdesk's tables: they are created, then dropped")
    p.add_argument("--supervisors", type=int, default=1, help="supervisors watching (default 1)")
    p.add_argument("--in-process", action="store_true", help="run the controller in this process too")
    p.add_argument("--transports", default="polling,websocket",
                   help="Socket.IO transports (default polling,websocket: poll, then upgrade, as a browser)")
    p.add_argument("--answer-after", type=float, default=0.2, help="seconds an agent's phone rings (default 0.2)")
    p.add_argument("--ramp-rate", type=float, default=25.0, help="calls per second while ramping up (default 25)")
    p.add_argument("--profile", help="write a cProfile of the controller during the measurement to FILE "
                                     "and print its top functions")
    p.add_argument("--py-spy", metavar="FILE", help="sample the controller with py-spy (on PATH, or $PY_SPY) "
                                                    "during the measurement: raw stacks to FILE, summary printed")
    p.add_argument("--controller-gc-freeze", action="store_true",
                   help="experiment: an extra gc.collect() + gc.freeze() in the controller process once the calls "
                        "are up (the controller freezes its start-up heap and its collections' survivors itself)")
    p.add_argument("--samples", help="write every sample to FILE (CSV: series, at_s, latency_ms)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, controller log)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--serve-controller", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--stalls", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.turnovers is None:
        args.turnovers = args.actions // 4
    args.transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    return args


class Window:
    """The measurement: CPU, event-loop stalls and optional profiles of the controller over it."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.watch = LoopWatch()
        self.profiler = None
        self.spy = None

    def __enter__(self) -> "Window":
        bench, args = self.bench, self.bench.args
        if bench.controller is not None:
            bench.controller.send_signal(signal.SIGUSR1)  # starts its stall window (and cProfile)
        elif args.profile:
            self.profiler = cProfile.Profile()
            self.profiler.enable()
        if args.py_spy:
            pid = bench.controller.pid if bench.controller is not None else os.getpid()
            self.spy = subprocess.Popen([os.environ.get("PY_SPY", "py-spy"), "record", "-p", str(pid), "-f", "raw",
                                         "-o", args.py_spy, "-r", "200", "--nonblocking", "-F"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            gevent.sleep(1)  # py-spy attaches
        self.pushes0 = sum(d.pushes for d in bench.supervisors)
        self.cpu0, self.wall0, self.own0 = bench.controller_cpu(), time.monotonic(), time.process_time()
        self.start = now_ns()
        return self

    def __exit__(self, *exc) -> None:
        bench = self.bench
        wall = time.monotonic() - self.wall0
        self.cpu = (bench.controller_cpu() - self.cpu0) / wall
        self.own = (time.process_time() - self.own0) / wall
        self.stalls_here = self.watch.between(self.start, now_ns())
        self.supervisor_pushes = sum(d.pushes for d in bench.supervisors) - self.pushes0
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            self.spy.wait(timeout=60)
        self.stalls_controller = None
        if bench.controller is not None:
            bench.controller.send_signal(signal.SIGUSR2)
            for _ in range(100):
                gevent.sleep(0.1)
                if os.path.exists(bench.stalls_path):
                    break
            gevent.sleep(0.2)
            with open(bench.stalls_path) as f:
                self.stalls_controller = json.load(f)
        elif self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(bench.args.profile)


def report(bench: Bench, setup: dict, window: Window, elapsed: float) -> None:
    args = bench.args
    controller_errors = bench.controller_errors()
    where = "one process (--in-process)" if args.in_process else "controller in its own process"
    db = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
    print(f"call control with {args.calls} calls in progress ({setup['in_progress']} customer channels up); "
          f"{db}, {where}, {os.cpu_count()} CPUs")
    print(f"setup: {len(bench.desks)} agents + {len(bench.supervisors)} supervisor(s) signed in in "
          f"{setup['signed_in']:.1f} s; Socket.IO clients connected in {setup['connected']:.1f} s "
          f"({', '.join(f'{n} {k}' for k, n in sorted(setup['transports'].items()))}); "
          f"{args.calls} calls connected in {setup['ramped']:.1f} s")
    print(f"load: {args.actions} REST actions (hold, unhold {HOLD_SECONDS:g} s later) at {args.rate:g}/s and "
          f"{args.turnovers} call turnovers over {elapsed:.1f} s")
    if bench.controller is not None:
        print(f"CPU: controller {window.cpu:.0%} of a core, this process (simulator, agents) {window.own:.0%}")
        print(f"event-loop stalls: controller {_stalls(window.stalls_controller)}")
        print(f"                   this process {_stalls(window.stalls_here)}")
    else:
        print(f"CPU: the one process {window.own:.0%} of a core")
        print(f"event-loop stalls: {_stalls(window.stalls_here)}")
    print()
    print(f"{'latency in ms':<46} {'count':>6} {'p50':>8} {'p99':>8} {'max':>8}   target")
    for key in ("hold", "unhold", "http", "hangup", "bridge", "ramp"):
        print(bench.series[key].row())
    print()
    # hold/unhold push nothing; a turnover pushes about 9 times to supervisors, more when offers are withdrawn
    per_turnover = window.supervisor_pushes / args.turnovers if args.turnovers else 0
    print(f"bench errors: {len(bench.errors)}" + (f" (first: {bench.errors[0]})" if bench.errors else "")
          + f"; controller errors: {len(controller_errors)}; pushes to supervisors during the measurement: "
          f"{window.supervisor_pushes} ({per_turnover:.1f} per turnover)")
    for line in _distinct(controller_errors):
        print(f"  controller: {line}")
    if args.samples:
        bench.write_samples(args.samples)
    what = "the controller" if bench.controller is not None else "the whole process"
    if args.py_spy:
        print()
        print(spy_summary(args.py_spy, what))
    if args.profile:
        print()
        print(f"cProfile of {what} during the measurement ({args.profile}), top 25 by own time:")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.serve_controller:
        return serve_controller(args.profile, args.stalls, args.controller_gc_freeze)
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    random.seed(args.seed)
    workdir = tempfile.mkdtemp(prefix="switchdesk-callbench-")
    if args.in_process:
        # the controller logs as `switchdesk serve` does, to the file the bench reads its errors from
        handler = logging.FileHandler(os.path.join(workdir, "controller.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        logging.getLogger().handlers[:] = [handler]
        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("fssim").setLevel(logging.WARNING)
    if not args.database:
        args.database = f"sqlite:///{workdir}/bench.db"
    bench = Bench(args, workdir)
    started = time.monotonic()
    setup = {}
    try:
        bench.seed()
        bench.start_simulator()
        bench.start_controller()
        for name, step in (("signed_in", bench.sign_in_all), ("connected", bench.connect_sockets),
                           ("ramped", bench.ramp_up)):
            t = time.monotonic()
            result = step()
            setup[name] = time.monotonic() - t
            if name == "connected":
                setup["transports"] = result
        gevent.sleep(2)  # let the ramp's tail (hold music, routing) settle
        setup["in_progress"] = len([c for c in bench.sim.channels.values() if c.direction == "inbound"])
        # this process's own full collections would pause the simulator and the clients
        # (100+ ms with 500 desks): what exists now is kept out of them
        gc.collect()
        gc.freeze()
        with Window(bench) as window:
            elapsed = bench.measure()
        report(bench, setup, window, elapsed)
        return 0
    finally:
        try:
            bench.stop_controller()  # first: its clients then just see their connection close
            bench.close_sockets()
        finally:
            if bench.sim is not None:
                bench.sim.stop()
            bench.drop_tables()
            if args.keep:
                print(f"(finished in {time.monotonic() - started:.0f} s; files kept in {workdir})", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
                print(f"(finished in {time.monotonic() - started:.0f} s; temporary files removed)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
