"""One controller process of the exactly-once test: ``python -m tests.callbacks.racer URL INSTANCE OUT PEER``.

When it and its peer are both ready (each writes ``<OUT>.<step>`` and waits for the
other's, before each of the two races), it races the other process for the due callbacks of the
shared database through the controller's real code: the router's claim of every due
queue callback (one process from each end of the same list, so that both win some and
fight over the rows where they meet), then
passes of the real scheduler job until no reminder is left to send. It writes the ids
it won as JSON to OUT.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402


def main(url: str, instance: str, out: str, peer: str) -> None:
    import os

    from controller.callbacks import store
    from controller.config import Settings
    from controller.db import open_database
    from controller.models import utcnow
    from controller.service import ContactCenter

    open_database(url)
    cc = ContactCenter(Settings(database_url=url))   # no switch: only launching is raced
    cc.callback_settings.instance = instance
    cc.callback_settings.batch = 10  # many small passes: the two processes interleave
    reminded = []
    cc.subscribe(lambda room, event, payload: reminded.append(payload["id"]) if event == "callback_reminder" else None)
    candidates = store.due(utcnow(), ("queue",), 100000)
    if instance.endswith("2"):
        candidates.reverse()  # the two meet head-on: every row near the middle is fought over
    def barrier(name: str) -> None:
        open(f"{out}.{name}", "w").close()
        deadline = time.time() + 60
        while not os.path.exists(f"{peer}.{name}") and time.time() < deadline:
            gevent.sleep(0.001)

    barrier("route")
    routed = [cb.id for cb in candidates if store.claim(cb, "offer", instance, 30)]
    barrier("remind")
    while True:
        done = cc.callback_scheduler.run_once()
        if not done["reminded"]:
            break
    with open(out, "w") as fh:
        json.dump({"routed": routed, "reminded": reminded}, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])
