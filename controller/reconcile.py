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
from .esl import EslError
from .models import utcnow
from .queues import PRIORITY_VARIABLE

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
    adopted, finished, requeued, found, recovered = [], [], [], [], []
    for key, call in list(cc.calls.items()):
        customer = call.record.customer_uuid
        agent_uuid = call.record.agent_uuid
        if call.orphaned:
            recovered.append(call.id)
            cc.dispatcher.submit(key, lambda c=call, lv=set(live): _recover(cc, c, lv))
        elif call.state == "dialing" and (customer in live or agent_uuid in live or _just_placed(call)):
            # an outbound call whose legs are still being created: its jobs will tell
            adopted.append(call.id)
        elif call.state == "conference" and any(leg.uuid in live for leg in call.legs.values()):
            # anyone may leave a conference and leave the others talking
            adopted.append(call.id)
            cc.dispatcher.submit(key, lambda c=call, lv=set(live): _legs_gone(cc, c, lv))
        elif customer and customer in live:
            if call.state in AGENT_NEEDED and agent_uuid and agent_uuid not in live:
                requeued.append(call.id)
                cc.dispatcher.submit(key, lambda c=call: _requeue(cc, c))
            else:
                adopted.append(call.id)
                cc.dispatcher.submit(key, lambda c=call, lv=set(live): _legs_gone(cc, c, lv))
        else:
            finished.append(call.id)
            cc.dispatcher.submit(key, lambda k=key, c=call: _finish(cc, k, c))
        if call.recording:  # after the call's own step above, which may end it (the rearm then does nothing)
            cc.dispatcher.submit(key, lambda c=call: cc.rearm_privacy_shield(c))
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
            priority = _getvar(cc, uuid, PRIORITY_VARIABLE)
            cc.dispatcher.submit(uuid, lambda u=uuid, q=queue, r=row, p=priority: cc.enqueue_inbound(
                u, q, ani=r.get("cid_num", ""), dnis=r.get("dest", ""), priority=p))
    log.info("reconciled with FreeSWITCH: %d live channels; adopted %d calls, re-queued %d, finished %d, "
             "recovered %d whose originate result was lost, found %d new parked calls",
             len(live), len(adopted), len(requeued), len(finished), len(recovered), len(found))
    cc.request_routing()


def _getvar(cc: "ContactCenter", uuid: str, name: str) -> str | None:
    """A channel variable, or None when it is not set (``_undef_``) or cannot be read."""
    try:
        value = cc.esl.api(commands.getvar(uuid, name)).strip()
    except EslError:
        return None
    return None if value in ("", "_undef_") or value.startswith("-ERR") else value


def _recover(cc: "ContactCenter", call, live: set[str]) -> None:
    """Settle a call whose originate result never came, from the channels that are up."""
    from .calls.errors import SwitchRefused
    from .machine import InvalidAction

    call.orphaned = False
    if call.state == "ended":
        return
    customer = call.record.customer_uuid
    if customer not in live and call.state != "dialing":
        _finish(cc, call.key, call)
        return
    if call.state == "offering":
        agent_leg = call.record.agent_uuid
        cc.requeue(call, "the offer's result was lost with the connection")
        if agent_leg in live:
            cc._kill(agent_leg)
    elif call.state == "dialing":
        cc._end(call.key, call, "lost", "the call was being dialed when the connection was lost")
    elif call.state == "transferring":
        for leg in call.legs.values():
            if leg.role == "external" and leg.alive:
                leg.alive = False
                cc._kill(leg.uuid)
        cc.requeue(call, "the transfer's result was lost with the connection")
    elif call.state in ("consulting", "consult_held"):
        if call.consult is not None:
            _recover_consultation(cc, call, live)
        elif call.record.agent_uuid in live:
            # a row from a version that did not save consultations: the agent goes back to the customer
            try:
                cc._command(commands.bridge(customer, call.record.agent_uuid))
                call.fire("consult_end")
            except (SwitchRefused, InvalidAction) as exc:
                log.warning("%s: could not return the agent to the customer: %s", call.what, exc)
        else:
            cc.requeue(call, "agent leg gone while the controller was disconnected")


GONE = "gone while the controller was disconnected"


def _recover_consultation(cc: "ContactCenter", call, live: set[str]) -> None:
    """A consultation that was going on when the connection (or the controller) went away.

    Both parties still up and talking (or one held): adopted as it was. A consultation
    still ringing is called off (its originate's result is lost; the agent goes back to
    the customer). A party that left meanwhile is handled as if it hung up now.
    """
    consult = call.consult
    agent_leg = call.legs.get(call.record.agent_uuid)
    consult_leg = call.legs.get(consult.uuid)
    agent_up = agent_leg is not None and agent_leg.uuid in live
    consult_up = consult_leg is not None and consult_leg.uuid in live
    for leg, up in ((agent_leg, agent_up), (consult_leg, consult_up)):
        if leg is not None and not up:
            leg.alive = False
    if consult.phase == "ringing":
        consult.cancelled = True
        cc._consult_over(call, consult, back_to_customer=agent_up)
        if not agent_up:
            cc.requeue(call, f"agent leg {GONE}")
    elif not agent_up:
        if consult_up:
            cc._leg_gone(call.key, call, agent_leg, GONE)  # as when the agent hangs up: the transfer completes
        else:
            consult.cancelled = True
            cc._consult_over(call, consult, back_to_customer=False)
            cc.requeue(call, f"agent and consulted party {GONE}")
    elif not consult_up:
        cc._consult_over(call, consult, back_to_customer=True)


def _legs_gone(cc: "ContactCenter", call, live: set[str]) -> None:
    """Legs of an adopted call that hung up while nobody listened: handled as if they hung up now."""
    for leg in list(call.legs.values()):
        if call.state == "ended":
            return
        if leg.alive and leg.uuid not in live and (leg.role not in ("customer", "agent")
                                                   or call.state == "conference"):
            leg.alive = False
            cc._leg_gone(call.key, call, leg, GONE)


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
