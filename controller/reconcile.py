"""Reconciliation with FreeSWITCH after every (re)connect.

While the controller was away, calls went on without it: some ended, new ones may be
parked waiting. ``show channels as json`` tells what is live. Calls the database knows
are adopted when their customer leg is still up (re-queued if their agent leg is gone)
and finished when it is not; parked inbound channels nobody knows are queued.
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from . import commands
from .models import utcnow
from .esl import EslError

if TYPE_CHECKING:
    from .service import ContactCenter

log = logging.getLogger(__name__)


def live_channels(cc: "ContactCenter") -> dict[str, dict]:
    """uuid -> row of ``show channels as json``."""
    body = cc.esl.api(commands.show_channels())
    data = json.loads(body)
    return {row["uuid"]: row for row in data.get("rows", [])}


def reconcile_channels(cc: "ContactCenter") -> None:
    try:
        live = live_channels(cc)
    except (EslError, ValueError) as exc:
        log.error("reconciliation skipped: cannot list channels: %s", exc)
        return
    adopted, finished, requeued, found = [], [], [], []
    for key, call in list(cc.calls.items()):
        customer = call.record.customer_uuid
        agent_uuid = call.record.agent_uuid
        if call.state == "dialing" and (customer in live or agent_uuid in live or _just_placed(call)):
            # an outbound call whose legs are still being created: its jobs will tell
            adopted.append(call.id)
        elif customer and customer in live:
            if call.state in AGENT_NEEDED and agent_uuid and agent_uuid not in live:
                requeued.append(call.id)
                cc.dispatcher.submit(key, lambda c=call: _requeue(cc, c))
            else:
                adopted.append(call.id)
        else:
            finished.append(call.id)
            cc.dispatcher.submit(key, lambda k=key, c=call: _finish(cc, k, c))
    known = set(cc.leg_keys) | set(cc._goodbye)  # _goodbye: callback requests being thanked
    for uuid, row in live.items():
        if uuid in known or row.get("direction") != "inbound" or row.get("application") != "park":
            continue
        try:
            queue = cc.esl.api(commands.getvar(uuid, "cc_queue")).strip()
        except EslError:
            continue
        if queue and queue != "_undef_" and not queue.startswith("-ERR"):
            found.append(uuid)
            cc.dispatcher.submit(uuid, lambda u=uuid, q=queue, r=row: cc.enqueue_inbound(
                u, q, ani=r.get("cid_num", ""), dnis=r.get("dest", "")))
    log.info("reconciled with FreeSWITCH: %d live channels; adopted %d calls, re-queued %d, finished %d, "
             "found %d new parked calls", len(live), len(adopted), len(requeued), len(finished), len(found))
    cc.request_routing()


def _just_placed(call) -> bool:
    """An outbound call placed moments ago may have no channel yet: its originate jobs decide."""
    return (utcnow() - call.record.enqueued_at).total_seconds() < 60


def _finish(cc: "ContactCenter", key: str, call) -> None:
    if call.state == "ended":
        return
    for leg in call.legs.values():
        leg.alive = False
    cc._end(key, call, "lost", "channel gone while the controller was disconnected")


#: states in which the customer is lost without the agent's leg: re-queued when it is gone
AGENT_NEEDED = ("offering", "connected", "held", "consulting", "consult_held")


def _requeue(cc: "ContactCenter", call) -> None:
    if call.state in AGENT_NEEDED:
        cc.requeue(call, "agent leg gone while the controller was disconnected")
