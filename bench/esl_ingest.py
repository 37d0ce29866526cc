"""ESL ingest throughput: the controller's full path vs greenswitch's bare read loop.

Both read the same bytes from a socket, repeated with fresh channel uuids per copy (same
length, so every Content-Length stays true) so that each copy is a new call:

- ``raw``: the event frames of the byte stream recorded on FreeSWITCH 1.10's event socket
  (tests/traces/11-esl-protocol/raw.bin; ~2.9 KB, ~72 headers per event, many small API events);
- ``calls``: every event of trace 02 (six inbound calls bridged to an agent; ~4 KB, ~100
  headers per event), recorded from FreeSWITCH 1.10 and put back on the wire with the
  simulator's switch_url_encode (which reproduces raw.bin byte for byte).

- controller: socket -> frame reader -> lazy event parse -> per-call dispatch ->
  ContactCenter handler (a new inbound call queued and persisted, legs updated, the
  call ended on hangup) on a SQLite database in a temporary folder; the clock stops when
  the last row is committed, and the rows written are printed;
- greenswitch: its own ``receive_events`` loop (readline, unquote the whole frame,
  split lines) until every event is on its queue, no handlers.

Each side runs in a fresh interpreter of its own, one after the other, on the same bytes
(saved to a temporary file). Prints events/s for each and their ratio. Usage: ``python bench/esl_ingest.py [raw|calls] [copies]``.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid as uuidlib  # noqa: E402

import gevent  # noqa: E402
import gevent.socket  # noqa: E402
import greenswitch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from controller.config import EslAddress, Settings  # noqa: E402
from controller.db import create_tables, open_database  # noqa: E402
from controller.esl import _Protocol  # noqa: E402
from controller.events import FrameReader  # noqa: E402
from controller.calls import store  # noqa: E402
from controller.models import Interaction, InteractionEvent, Queue  # noqa: E402
from controller.service import ContactCenter  # noqa: E402

CALLS = os.path.join(os.path.dirname(__file__), "..", "tests", "traces", "02-originate-agent-bridge",
                     "events.jsonl.gz")
RAW = os.path.join(os.path.dirname(__file__), "..", "tests", "traces", "11-esl-protocol", "raw.bin")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def recorded_events() -> list[bytes]:
    """The plain event frames of the recording, as they came off the wire."""
    with open(RAW, "rb") as f:
        data = f.read()
    frames = FrameReader().feed(data)
    out = []
    for frame in frames:
        if frame.content_type == "text/event-plain":
            out.append(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(frame.body) + frame.body)
    return out


def recorded_call_events() -> list[bytes]:
    """Trace 02's events (HEARTBEAT excluded by the capture) as plain frames."""
    import gzip
    import json

    from fssim.wire import event_frame

    out = []
    with gzip.open(CALLS, "rt") as f:
        for line in f:
            rec = json.loads(line)
            if rec["content_type"] != "text/event-plain":
                continue
            headers = []
            for name, value in rec["headers"].items():
                if name == "Content-Length":
                    continue
                for v in value if isinstance(value, list) else [value]:
                    headers.append((name, v))
            out.append(event_frame("plain", headers, rec["body"]))
    return out


def build_stream(frames: list[bytes], copies: int) -> bytes:
    template = b"".join(frames)
    channel_uuids = sorted(set(UUID.findall(template)))
    parts = []
    for _ in range(copies):
        mapping = {u: str(uuidlib.uuid4()).encode() for u in channel_uuids}
        parts.append(UUID.sub(lambda m: mapping[m.group(0)], template))
    return b"".join(parts)


def feed(sock, stream: bytes) -> None:
    view = memoryview(stream)
    for i in range(0, len(view), 65536):
        sock.sendall(view[i:i + 65536])


def bench_controller(stream: bytes, n_events: int) -> tuple[float, int, int]:
    """Events/s, and the interaction rows and history lines the run wrote (the proof of work)."""
    logging.disable(logging.WARNING)
    workdir = tempfile.mkdtemp(prefix="switchdesk-bench-")
    database = open_database(f"sqlite:///{workdir}/bench.db")
    create_tables()
    Queue.create(name="sales")
    cc = ContactCenter(Settings(esl=EslAddress("127.0.0.1", 1, "x")))
    ingested = [0]
    on_event = cc.on_event

    def counted(event):
        on_event(event)
        ingested[0] += 1

    a, b = gevent.socket.socketpair()
    protocol = _Protocol(cc.esl.address, 5.0, counted, cc.esl._job_done)
    protocol.sock = b
    protocol.connected = True
    writer = gevent.spawn(feed, a, stream)
    start = time.perf_counter()
    reader = gevent.spawn(protocol.receive_events)
    # done when every event was read, every per-call queue drained and every write committed
    while ingested[0] < n_events or not cc.dispatcher.idle() or store.pending():
        gevent.sleep(0.001)
    store.flush()
    elapsed = time.perf_counter() - start
    writer.join()
    protocol.close()
    reader.kill()
    a.close()
    logging.disable(logging.NOTSET)
    written = Interaction.select().count(), InteractionEvent.select().count()
    database.close_all()
    shutil.rmtree(workdir, ignore_errors=True)
    return (n_events / elapsed, *written)


def bench_greenswitch(stream: bytes, n_events: int) -> float:
    a, b = gevent.socket.socketpair()
    esl = greenswitch.InboundESL("127.0.0.1", 1, "x")
    esl.sock = b
    esl.sock_file = b.makefile("rb")
    esl.connected = True
    writer = gevent.spawn(feed, a, stream)
    start = time.perf_counter()
    reader = gevent.spawn(esl.receive_events)
    while esl._esl_event_queue.qsize() < n_events:
        gevent.sleep(0.001)
    elapsed = time.perf_counter() - start
    writer.join()
    esl._run = False
    reader.kill()
    a.close()
    return n_events / elapsed


SIDES = {"greenswitch": bench_greenswitch, "controller": bench_controller}


def in_own_process(side: str, stream_path: str, n_events: int):
    """Run one side's measurement in a fresh interpreter, on the stream saved at ``stream_path``.

    Both sides get the same bytes and the same starting state, and neither pays for what
    the other left behind (greenswitch's run leaves ~250 MB of freed event dicts).
    """
    done = subprocess.run([sys.executable, __file__, "--measure", side, stream_path, str(n_events)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:  # one side, in its own process (see in_own_process)
        side, stream_path, n_events = sys.argv[2], sys.argv[3], int(sys.argv[4])
        with open(stream_path, "rb") as f:
            stream = f.read()
        print(json.dumps(SIDES[side](stream, n_events)))
        return
    which = sys.argv[1] if len(sys.argv) > 1 else "raw"
    frames = {"raw": recorded_events, "calls": recorded_call_events}[which]()
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else max(1, 20000 // len(frames))
    stream = build_stream(frames, copies)
    n = len(frames) * copies
    avg = len(stream) / n
    headers = sum(f.split(b"\n\n", 1)[1].count(b"\n") for f in frames) / len(frames)
    print(f"stream: {n} events, {len(stream) / 1e6:.1f} MB, {avg:.0f} bytes and ~{headers:.0f} headers per event "
          f"(recorded FreeSWITCH 1.10.12, '{which}', {copies} copies)")
    with tempfile.NamedTemporaryFile(prefix="switchdesk-bench-", suffix=".bin") as saved:
        saved.write(stream)
        saved.flush()
        gs = in_own_process("greenswitch", saved.name, n)
        ours, calls, transitions = in_own_process("controller", saved.name, n)
    print(f"greenswitch bare read loop : {gs:>9,.0f} events/s")
    print(f"controller full ingest path: {ours:>9,.0f} events/s  (parse, per-call dispatch, state update: "
          f"{calls} calls, {transitions} transitions written)")
    print(f"ratio controller/greenswitch: {ours / gs:.1f}x  (targets: >= 4x and > 25,000 events/s)")


if __name__ == "__main__":
    main()
