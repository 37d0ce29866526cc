"""Callback launch benchmark: the scheduler's cost over 100,000 pending callbacks, and launch lag.

    .venv/bin/python bench/callbacks.py [--pending 100000] [--due 300] [--seconds 10] [--agents 60]
                                        [--database sqlite:///path | postgresql://…]

1. ``--pending`` callbacks are written, due tomorrow (the load a busy center carries).
2. **Scheduler pass**: the real job (:meth:`CallbackScheduler.run_once`) runs 50 times over
   them; p50/p99/max of one pass.
3. **Launch lag**: the controller runs against the simulator over ESL with ``--agents``
   agents whose phones answer at once and whose customers answer after 1 s and talk
   0.5 s; ``--due`` more callbacks fall due spread over ``--seconds``, each accepted by
   its agent the moment the popover arrives (``call_delay`` 0). Lag = the moment the
   callback's first ``originate`` leaves for FreeSWITCH minus its ``due_at``; p50/p99/max.
   It includes the scheduler's wake-up, routing, the claim, the popover and the accept.

Targets (issue 5): p99 lag under 1 s; a pass over 100,000 pending rows under 50 ms.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from controller.callbacks.settings import CallbackSettings
    from controller.config import EslAddress, Settings
    from controller.db import create_tables, database, open_database
    from controller.models import Agent, AgentQueue, Callback, Queue, utcnow
    from controller.service import ContactCenter
    from fssim import Simulator

    tmp = tempfile.mkdtemp(prefix="switchdesk-bench-")
    url = args.database or f"sqlite:///{tmp}/bench.db"
    open_database(url)
    if args.database:
        from controller import models
        database.drop_tables(models.ALL_MODELS, safe=True, cascade=True)
    create_tables()
    queue = Queue.create(name="bench", label="Bench", ring_timeout=10, wrapup_seconds=0.1, call_delay=0,
                         callback_window_start="00:00", callback_window_end="24:00")
    agents = []
    for i in range(args.agents):
        agent = Agent(username=f"agent{i}", name=f"Agent {i}", extension=str(2000 + i), password_hash="x")
        agent.save()
        AgentQueue.create(agent=agent, queue=queue)
        agents.append(agent)

    tomorrow = utcnow() + dt.timedelta(days=1)
    rows = [dict(kind="web", launch="queue", number=f"+1646{i:07d}", queue=queue.id, due_at=tomorrow,
                 enqueued_at=tomorrow, time_zone="UTC", window_start="00:00", window_end="24:00",
                 dedupe_key=f"queue:{queue.id}:+1646{i:07d}", created_at=tomorrow, updated_at=tomorrow)
            for i in range(args.pending)]
    started = time.perf_counter()
    with database.atomic():
        for start in range(0, len(rows), 1000):
            Callback.insert_many(rows[start:start + 1000]).execute()
    print(f"{args.pending} pending callbacks written in {time.perf_counter() - started:.1f} s ({url.split('://')[0]})")

    sim = Simulator(port=0, recordings_dir=os.path.join(tmp, "rec"))
    sim.start()
    for agent in agents:
        sim.add_phone(agent.extension, answer_after=0.0)
    sim.parties.default_number.answer_after = 1.0
    sim.parties.default_number.hangup_after = 0.5
    settings = Settings(database_url=url, esl=EslAddress("127.0.0.1", sim.port, "ClueCon"), wrapup_seconds=0.1,
                        recordings_dir=os.path.join(tmp, "rec"))
    cc = ContactCenter(settings)
    cc.init_callbacks(CallbackSettings(interval=1.0))

    passes = []
    for _ in range(50):
        t0 = time.perf_counter()
        cc.callback_scheduler.run_once()
        passes.append((time.perf_counter() - t0) * 1000)
    print(f"scheduler pass over {args.pending} pending: p50 {pct(passes, 50):.1f} ms, p99 {pct(passes, 99):.1f} ms, "
          f"max {max(passes):.1f} ms (target < 50 ms)")

    sent: dict[str, float] = {}
    real_bgapi = cc.esl.bgapi

    def bgapi(command, *a, **kw):
        if command.startswith("originate") and "cc_contact_id=" in command:
            contact = command.split("cc_contact_id=", 1)[1].split(",", 1)[0].split("}", 1)[0]
            sent.setdefault(contact, time.time())
        return real_bgapi(command, *a, **kw)

    cc.esl.bgapi = bgapi
    cc.subscribe(lambda room, event, payload: gevent.spawn(cc.accept_callback, payload["callback"]["id"],
                                                           payload["callback"]["agent_id"])
                 if event == "callback_offer" else None)
    cc.start()
    assert cc.esl.wait_connected(10)
    for agent in agents:
        cc.set_agent_state(agent.id, "available")

    base = time.time() + 1.0
    due_rows = []
    for i in range(args.due):
        at = dt.datetime.fromtimestamp(base + i * args.seconds / args.due, dt.timezone.utc).replace(tzinfo=None)
        due_rows.append(dict(kind="web", launch="queue", number=f"+1917{i:07d}", queue=queue.id, due_at=at,
                             enqueued_at=at, time_zone="UTC", window_start="00:00", window_end="24:00",
                             dedupe_key=f"queue:{queue.id}:+1917{i:07d}", created_at=at, updated_at=at))
    with database.atomic():
        for start in range(0, len(due_rows), 500):
            Callback.insert_many(due_rows[start:start + 500]).execute()
    database.close()
    deadline = time.time() + args.seconds + 60
    due_ids = [c.id for c in Callback.select(Callback.id).where(Callback.number.startswith("+1917"))]
    while time.time() < deadline:
        launched = Callback.select().where(Callback.id.in_(due_ids) & Callback.contact_id.is_null(False)).count()
        database.close()
        if launched == len(due_ids):
            break
        gevent.sleep(0.5)
    lags = []
    for cb in Callback.select().where(Callback.id.in_(due_ids)):
        if cb.contact_id in sent:
            due = cb.due_at.replace(tzinfo=dt.timezone.utc).timestamp()
            lags.append(sent[cb.contact_id] - due)
    cc.stop()
    sim.stop()
    if not lags:
        print("no callback was launched")
        return 1
    print(f"launch lag (due -> originate sent), {len(lags)} of {args.due} callbacks over {args.seconds:g} s with "
          f"{args.agents} agents and {args.pending} pending: p50 {pct(lags, 50) * 1000:.0f} ms, "
          f"p99 {pct(lags, 99) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms (target p99 < 1000 ms)")
    print(f"scheduler passes run while launching: {cc.callback_scheduler.passes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
