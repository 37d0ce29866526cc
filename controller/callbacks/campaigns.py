"""A minimal outbound campaign: a list of contacts dialed progressively, and global callbacks.

Progressive pacing: at most one customer call per available agent of the campaign's
queue (calls already ringing count). A contact is claimed atomically (``ready`` ->
``dialing``); when the customer answers, the call waits in the campaign's queue like an
inbound call and the longest-idle available agent is offered it (their phone rings
and is bridged). A customer who does not answer is tried again after the campaign's
``retry_delay``, up to ``max_attempts``.

A **global callback** (``kind=global``) is scheduled for a campaign: at its due time the
scheduler puts the contact back at the top of the campaign's list and the campaign dials
it; the callback follows the call (dialing, connected, completed or no answer).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid as uuidlib

from .. import commands
from ..calls import CallMachine
from ..calls.store import insert_interaction
from ..esl import EslError, Job
from ..machine import InvalidAction
from ..models import AgentQueue, Callback, Campaign, CampaignContact, Interaction, Queue, utcnow
from . import store
from .dialing import _cause
from .numbers import InvalidNumber, dial_string

log = logging.getLogger(__name__)

#: the wrap-up reason of a call the agent scheduled a callback for from the desktop's Agenda
#: dialog (``POST /api/agenda`` with its ``contact_id``); a campaign takes it besides its dispositions
AGENDA = "Agenda"
#: a customer who answered a campaign call is served before callers who chose to call in
ANSWERED_PRIORITY = 100


class CampaignDialer:
    """Mixed into :class:`controller.service.ContactCenter` (via :class:`~.service.CallbackControl`)."""

    def dispose_campaign_contact(self, record: Interaction, agent_id: int, reason: str,
                                 callback: dict | None = None) -> None:
        """Wrap-up of a campaign call: ``reason`` must be one of the campaign's dispositions; it is
        stored on the contact (``done``, or ``scheduled`` while a global callback is open). With
        ``callback`` (``date``, ``time``, ``time_zone``, optional ``note``) a global callback brings
        the contact back into the list at that time.

        Called before wrap-up changes anything: a refusal (:class:`~.campaign_admin.CampaignRefused`)
        leaves the agent in wrap-up and the contact as it was.
        """
        from .campaign_admin import CampaignRefused, match_disposition

        contact_id = (record.variables or {}).get("campaign_contact_id")
        contact = CampaignContact.get_or_none(CampaignContact.id == contact_id) if contact_id else None
        if contact is None:
            if callback:
                raise CampaignRefused("Only a campaign's call can be called back by its campaign: "
                                      "use the agenda for this one.")
            return
        campaign = Campaign.select(Campaign, Queue).join(Queue).where(Campaign.id == contact.campaign_id).get()
        if not callback and (reason or "").strip().casefold() == AGENDA.casefold() and Callback.select().where(
                (Callback.original_contact_id == record.id) & Callback.status.in_(store.WAITING)).exists():
            disposition = AGENDA  # the desktop's Agenda dialog scheduled a callback for this call
        else:
            disposition = match_disposition(campaign, reason)
        if callback:
            self.schedule_agenda(agent_id, number=contact.number, date=callback["date"], time=callback["time"],
                                 time_zone=callback["time_zone"], reason=callback.get("note") or disposition,
                                 scope="global", queue_name=campaign.queue.name, contact_id=record.id,
                                 name=contact.name)
        contact = CampaignContact.get_by_id(contact.id)
        waiting = contact.callback_id is not None and Callback.select().where(
            (Callback.id == contact.callback_id) & Callback.status.in_(store.WAITING)).exists()
        (CampaignContact.update(disposition=disposition[:64], status="scheduled" if waiting else "done",
                                updated_at=utcnow())
         .where((CampaignContact.id == contact.id) & (CampaignContact.status != "dialing")).execute())
        log.info("campaign %s: %s wrapped up as %s", campaign.name or campaign.queue.name, contact.number, disposition)

    def contact_scheduled(self, campaign: Campaign, cb: Callback) -> None:
        """A global callback was scheduled: its contact (added if new) waits for it, ``scheduled``."""
        now = utcnow()
        contact = CampaignContact.get_or_none((CampaignContact.campaign == campaign.id)
                                              & (CampaignContact.number == cb.number))
        if contact is None:
            CampaignContact.create(campaign=campaign, number=cb.number, name=cb.name, status="scheduled",
                                   next_at=cb.due_at, callback=cb.id, updated_at=now)
        else:
            (CampaignContact.update(status="scheduled", next_at=cb.due_at, callback=cb.id, updated_at=now)
             .where((CampaignContact.id == contact.id) & (CampaignContact.status != "dialing")).execute())

    def callback_to_campaign(self, cb: Callback) -> int:
        """A due global callback: its contact goes back to the top of the campaign's list."""
        campaign = Campaign.get_or_none(Campaign.queue == cb.queue_id)
        cs = self.callback_settings
        if campaign is None:
            store.transition(cb, "fail", reason="its campaign does not exist any more", instance=cs.instance)
            return 0
        if cb.status != "offered" and not store.claim(cb, "offer", cs.instance, cs.lease,
                                                      reason="back in the campaign's list",
                                                      fields={Callback.lease_until: None}):
            return 0
        now = utcnow()
        contact = CampaignContact.get_or_none((CampaignContact.campaign == campaign.id)
                                              & (CampaignContact.number == cb.number))
        if contact is None:
            CampaignContact.create(campaign=campaign, number=cb.number, name=cb.name, status="ready",
                                   priority=ANSWERED_PRIORITY, next_at=now, callback=cb.id, updated_at=now)
        else:
            (CampaignContact.update(status="ready", priority=ANSWERED_PRIORITY, next_at=now, callback=cb.id,
                                    contact_id=None, updated_at=now)
             .where((CampaignContact.id == contact.id) & (CampaignContact.status != "dialing")).execute())
        self.push_callback(cb)
        return 1

    def dial_campaigns(self) -> int:
        """Progressive dialing of every active campaign: one call per free agent. Returns calls started."""
        started = 0
        for campaign in Campaign.select(Campaign, Queue).join(Queue).where(Campaign.active == True):  # noqa: E712
            members = [row.agent_id for row in
                       AgentQueue.select(AgentQueue.agent).where(AgentQueue.queue == campaign.queue_id)]
            free = sum(1 for a in members if a in self.agents and self.agents[a].state == "available"
                       and not self.agents[a].call_id)
            waiting = sum(1 for c in self.calls.values()
                          if c.state == "queued" and c.record.queue_id == campaign.queue_id)
            ringing = sum(1 for c, _ in self._campaign_dials.values() if c == campaign.id)
            for contact in self._claim_contacts(campaign, free - ringing - waiting):
                started += self._dial_contact(campaign, contact)
        return started

    def _claim_contacts(self, campaign: Campaign, count: int) -> list[CampaignContact]:
        if count <= 0:
            return []
        now = utcnow()
        out = []
        for contact in (CampaignContact.select()
                        .where((CampaignContact.campaign == campaign.id) & (CampaignContact.status == "ready")
                               & (CampaignContact.next_at <= now))
                        .order_by(CampaignContact.priority.desc(), CampaignContact.next_at, CampaignContact.id)
                        .limit(count * 2)):
            taken = (CampaignContact.update(status="dialing", updated_at=now, contact_id=None)
                     .where((CampaignContact.id == contact.id) & (CampaignContact.status == "ready")).execute())
            if taken == 1:
                out.append(contact)
                if len(out) == count:
                    break
        return out

    def _dial_contact(self, campaign: Campaign, contact: CampaignContact) -> int:
        cs = self.callback_settings
        queue = campaign.queue
        uuid = str(uuidlib.uuid4())
        cb = Callback.get_or_none(Callback.id == contact.callback_id) if contact.callback_id else None
        if cb is not None and cb.status == "offered":
            try:
                store.transition(cb, "dial", instance=cs.instance, reason="dialed by the campaign",
                                 fields={Callback.attempts: cb.attempts + 1, Callback.customer_uuid: uuid,
                                         Callback.claimed_by: cs.instance,
                                         Callback.lease_until: utcnow() + dt.timedelta(seconds=cs.lease)})
                self.push_callback(cb)
            except InvalidAction:
                cb = None
        variables = {
            "origination_uuid": uuid,
            "origination_caller_id_number": commands.checked_destination(
                queue.caller_id_number or self.settings.caller_id_number),
            "origination_caller_id_name": "".join(ch for ch in (queue.label or queue.name) if ch.isalnum())[:40]
                                          or "switchdesk",
            "park_after_bridge": "true",
            "originate_timeout": int(cs.customer_ring_timeout),
            "cc_campaign": queue.name,
        }
        try:
            command = commands.originate(dial_string(contact.number, self.settings.gateway), variables=variables)
            job = self.esl.bgapi(command)
        except (EslError, InvalidNumber, commands.UnsafeValue) as exc:
            log.warning("campaign %s: could not dial %s: %s", queue.name, contact.number, exc)
            self._contact_not_answered(campaign, contact, cb, f"-ERR {type(exc).__name__}")
            return 0
        self._campaign_dials[uuid] = (campaign.id, contact.id)
        job.link(lambda j: self.dispatcher.submit(uuid, lambda: self._contact_result(uuid, j)))
        log.info("campaign %s dials %s", queue.name, contact.number)
        return 1

    def _contact_result(self, uuid: str, job: Job) -> None:
        campaign_id, contact_id = self._campaign_dials.pop(uuid, (None, None))
        if campaign_id is None:
            return
        campaign = Campaign.select(Campaign, Queue).join(Queue).where(Campaign.id == campaign_id).get()
        contact = CampaignContact.get_by_id(contact_id)
        cb = Callback.get_or_none(Callback.id == contact.callback_id) if contact.callback_id else None
        if cb is not None and cb.customer_uuid != uuid:
            cb = None
        result = job.result or ""
        try:
            alive = result.startswith("+OK") and self.esl.api(commands.exists(uuid)).strip() == "true"
        except EslError:
            alive = False
        if not alive:
            self._contact_not_answered(campaign, contact, cb, result or "-ERR NO_ANSWER")
            return
        queue = campaign.queue
        variables = {"campaign_contact_id": contact.id}
        if cb is not None:
            variables.update(callback_id=cb.id, callback_kind=cb.kind, original_contact_id=cb.original_contact_id)
        record = Interaction(id=str(uuidlib.uuid4()), queue=queue, direction="outbound",
                             kind="callback" if cb is not None else "outbound", state="new",
                             ani=contact.number[:32], dnis=(queue.caller_id_number or "")[:32], customer_uuid=uuid,
                             priority=ANSWERED_PRIORITY, variables=variables)
        insert_interaction(record)
        (CampaignContact.update(status="done", attempts=contact.attempts + 1, contact_id=record.id,
                                disposition="answered", updated_at=utcnow())
         .where(CampaignContact.id == contact.id).execute())
        if cb is not None:
            Callback.update(contact_id=record.id).where(Callback.id == cb.id).execute()
        call = CallMachine(record, queue.name)
        self._track(call, uuid)
        call.fire("enqueue")
        self._play_hold_music(uuid, queue)
        self._push_call(call)
        self.request_routing()

    def _contact_not_answered(self, campaign: Campaign, contact: CampaignContact, cb: Callback | None,
                              result: str) -> None:
        attempts = contact.attempts + 1
        now = utcnow()
        if cb is not None:
            fields = dict(status="scheduled")  # its callback decides when it is dialed again
        elif attempts < campaign.max_attempts:
            fields = dict(status="ready", next_at=now + dt.timedelta(seconds=campaign.retry_delay))
        else:
            fields = dict(status="done", disposition=f"no answer ({_cause(result)})")
        (CampaignContact.update(attempts=attempts, updated_at=now, **fields)
         .where(CampaignContact.id == contact.id).execute())
        if cb is not None and cb.status == "dialing":
            self.callback_not_answered(cb, result)
            self.push_callback(cb)
            if cb.status in store.FINAL:  # its last attempt: the contact is done too
                (CampaignContact.update(status="done", disposition=f"no answer ({_cause(result)})"[:64])
                 .where(CampaignContact.id == contact.id).execute())
