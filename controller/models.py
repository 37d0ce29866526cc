"""peewee models: what must survive a restart of the controller."""
from __future__ import annotations

import datetime as dt
import json

import peewee
from werkzeug.security import check_password_hash, generate_password_hash

from .db import database


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class JSONField(peewee.TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        # a transition writes the few fields it changed, not the whole row
        only_save_dirty = True


class Queue(BaseModel):
    """A queue (or campaign) that contacts wait in and agents take contacts from."""

    name = peewee.CharField(unique=True, max_length=64)
    label = peewee.CharField(max_length=128, default="")
    ring_timeout = peewee.FloatField(default=20.0)
    wrapup_seconds = peewee.FloatField(default=30.0)
    caller_id_number = peewee.CharField(max_length=32, default="")
    record_always = peewee.BooleanField(default=False)
    hold_music = peewee.CharField(max_length=255, default="local_stream://moh")
    wrapup_reasons = JSONField(default=lambda: ["Resolved", "Follow-up needed", "Wrong number"])
    #: call-data variables: [{name, label, order, editable, secure, channel_variable}] (see controller.calldata)
    variables_spec = JSONField(default=list)
    # -- queue behaviour and callbacks (docs/callbacks.md) --
    #: seconds between an agent accepting a callback and the customer being dialed (0-59)
    call_delay = peewee.IntegerField(default=0, constraints=[peewee.Check("call_delay >= 0 AND call_delay < 60")])
    #: seconds a caller waits before the failover (0: no limit)
    max_wait = peewee.IntegerField(default=0)
    #: where a caller goes after max_wait: ``ivr`` (the callback menu), ``queue:<name>``,
    #: ``voicemail`` or ``extension:<number>``
    failover = peewee.CharField(max_length=96, default="ivr")
    #: announce position and expected wait to waiting callers, every announce_interval seconds
    announce_position = peewee.BooleanField(default=False)
    announce_interval = peewee.IntegerField(default=60)
    #: the key a waiting caller presses to be called back instead ("" : not offered)
    callback_digit = peewee.CharField(max_length=1, default="")
    #: open contacts (calls, callbacks offered or being dialed) an agent of this queue may hold at once
    agent_contact_limit = peewee.IntegerField(default=1)
    #: the callback's defaults: attempts, seconds between attempts, calling window, time zone
    callback_max_attempts = peewee.IntegerField(default=3)
    callback_retry_delay = peewee.IntegerField(default=300)
    callback_window_start = peewee.CharField(max_length=5, default="08:00")
    callback_window_end = peewee.CharField(max_length=5, default="21:00")
    time_zone = peewee.CharField(max_length=64, default="UTC")
    #: hours a callback stays open before it expires (0: never)
    callback_expiry_hours = peewee.IntegerField(default=72)
    #: whether the public callback form may be shown for this queue
    web_callback_form = peewee.BooleanField(default=False)
    #: seconds a personal agenda callback waits for its logged-out owner before going to the queue (0: never)
    agenda_grace = peewee.IntegerField(default=900)

    def save(self, *args, **kwargs):
        """Refuse settings that cannot work (``controller.queues.check_queue`` says why)."""
        from .queues import check_queue

        check_queue(self)
        return super().save(*args, **kwargs)


class Agent(BaseModel):
    """A person who logs in to the desktop; role agent, supervisor or admin."""

    username = peewee.CharField(unique=True, max_length=64)
    name = peewee.CharField(max_length=128)
    extension = peewee.CharField(max_length=32)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.CharField(max_length=16, default="agent")
    team = peewee.CharField(max_length=64, default="")
    #: presented to external parties this agent calls (empty: the queue's, then the DID)
    caller_id_number = peewee.CharField(max_length=32, default="")
    #: persisted so that a restarted controller knows who was available
    state = peewee.CharField(max_length=16, default="logged_out")
    state_reason = peewee.CharField(max_length=64, default="")
    state_since = peewee.DateTimeField(default=utcnow)
    idle_since = peewee.DateTimeField(default=utcnow)
    #: the contact this agent is wrapping up (after a transfer it is no longer "their" call)
    wrapup_call_id = peewee.CharField(max_length=36, null=True)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class AgentQueue(BaseModel):
    """Which agents take contacts from which queues (tier 1 is tried first)."""

    agent = peewee.ForeignKeyField(Agent, backref="memberships", on_delete="CASCADE")
    queue = peewee.ForeignKeyField(Queue, backref="members", on_delete="CASCADE")
    tier = peewee.IntegerField(default=1)

    class Meta:
        indexes = ((("agent", "queue"), True),)


class Interaction(BaseModel):
    """One customer contact and its legs. ``id`` is the stable contact id."""

    id = peewee.CharField(primary_key=True, max_length=36)
    queue = peewee.ForeignKeyField(Queue, null=True, backref="interactions", on_delete="SET NULL")
    direction = peewee.CharField(max_length=16, default="inbound")
    kind = peewee.CharField(max_length=16, default="inbound")  # inbound, outbound, callback
    state = peewee.CharField(max_length=24, default="queued")
    ani = peewee.CharField(max_length=32, default="")
    dnis = peewee.CharField(max_length=32, default="")
    customer_uuid = peewee.CharField(max_length=64, null=True, index=True)
    agent_uuid = peewee.CharField(max_length=64, null=True, index=True)
    agent = peewee.ForeignKeyField(Agent, null=True, backref="interactions", on_delete="SET NULL")
    priority = peewee.IntegerField(default=0)
    enqueued_at = peewee.DateTimeField(default=utcnow, index=True)
    answered_at = peewee.DateTimeField(null=True)
    ended_at = peewee.DateTimeField(null=True)
    end_reason = peewee.CharField(max_length=64, default="")
    wrapup_reason = peewee.CharField(max_length=128, default="")
    variables = JSONField(default=dict)
    #: what call control has in flight beyond the columns above (the consulted party, an
    #: external party's leg, the conference room, the called agent), so a restarted
    #: controller picks the call up whole: see :meth:`controller.calls.CallMachine.control_state`
    control = JSONField(null=True)


class Recording(BaseModel):
    """One recording of an interaction: a WAV file whose timeline is kept (pauses are silence)."""

    interaction = peewee.ForeignKeyField(Interaction, backref="recordings", on_delete="CASCADE")
    path = peewee.CharField(max_length=255)
    agent = peewee.ForeignKeyField(Agent, null=True, backref="recordings", on_delete="SET NULL")
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    stopped_at = peewee.DateTimeField(null=True)


class RecordingTag(BaseModel):
    """A text note at an offset of a recording; searchable later."""

    recording = peewee.ForeignKeyField(Recording, backref="tags", on_delete="CASCADE")
    offset_seconds = peewee.FloatField()
    text = peewee.CharField(max_length=256, index=True)
    agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)


class InteractionEvent(BaseModel):
    """The history of an interaction: every state transition, for audit and reports."""

    interaction = peewee.ForeignKeyField(Interaction, backref="history", on_delete="CASCADE")
    at = peewee.DateTimeField(default=utcnow)
    source = peewee.CharField(max_length=24)
    trigger = peewee.CharField(max_length=48)
    dest = peewee.CharField(max_length=24)


class ApiToken(BaseModel):
    """A bearer token with which an integration calls the REST API as ``agent``.

    Only the token's SHA-256 is kept: the token itself is shown once, when it is made
    (``switchdesk token create``), and cannot be read back from the database.
    """

    name = peewee.CharField(max_length=64)
    agent = peewee.ForeignKeyField(Agent, backref="api_tokens", on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)
    revoked = peewee.BooleanField(default=False)


class Callback(BaseModel):
    """One promise to call a customer back, whatever asked for it (see docs/callbacks.md).

    ``number`` is E.164 when the number is a public one. ``original_*`` describe the
    contact that led to the callback and never change; ``contact_id``/``agent``/
    ``customer_uuid`` are those of the current (or last) attempt. ``enqueued_at`` is the
    original call's enqueue time: a callback keeps its caller's place in the queue.
    ``dedupe_key`` is set while the callback is open (unique), so a second request for
    the same number and queue updates it instead of adding one.
    """

    kind = peewee.CharField(max_length=16)  # in_queue ivr web agent_initiated abandoned personal global
    status = peewee.CharField(max_length=16, default="pending", index=True)
    status_reason = peewee.CharField(max_length=128, default="")
    #: who makes the call when it is due: queue (routing), owner (a reminder), campaign, manual (Missed calls)
    launch = peewee.CharField(max_length=16, default="queue")
    number = peewee.CharField(max_length=32)
    name = peewee.CharField(max_length=128, default="")
    note = peewee.CharField(max_length=256, default="")
    caller_id = peewee.CharField(max_length=32, default="")
    queue = peewee.ForeignKeyField(Queue, null=True, backref="callbacks", on_delete="SET NULL")
    owner = peewee.ForeignKeyField(Agent, null=True, backref="agenda", on_delete="SET NULL")
    original_contact_id = peewee.CharField(max_length=36, null=True, index=True)
    original_ani = peewee.CharField(max_length=32, default="")
    original_dnis = peewee.CharField(max_length=32, default="")
    priority = peewee.IntegerField(default=0)
    enqueued_at = peewee.DateTimeField(default=utcnow)
    due_at = peewee.DateTimeField(default=utcnow)
    time_zone = peewee.CharField(max_length=64, default="UTC")
    window_start = peewee.CharField(max_length=5, default="00:00")
    window_end = peewee.CharField(max_length=5, default="24:00")
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField(default=3)
    retry_delay = peewee.IntegerField(default=300)
    expires_at = peewee.DateTimeField(null=True)
    dedupe_key = peewee.CharField(max_length=96, null=True, unique=True)
    #: the agent it is offered to / dialed for, the attempt's interaction and customer leg
    agent = peewee.ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    contact_id = peewee.CharField(max_length=36, null=True)
    customer_uuid = peewee.CharField(max_length=64, null=True)
    #: which controller process holds it (offered/dialing/connected) and until when
    claimed_by = peewee.CharField(max_length=96, null=True)
    lease_until = peewee.DateTimeField(null=True)
    message_path = peewee.CharField(max_length=255, null=True)
    notified = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "launch", "due_at"), False), (("status", "lease_until"), False),
                   (("status", "expires_at"), False))


class CallbackEvent(BaseModel):
    """A callback's history: every status change (and updates), who or what caused it."""

    callback = peewee.ForeignKeyField(Callback, backref="history", on_delete="CASCADE")
    at = peewee.DateTimeField(default=utcnow)
    source = peewee.CharField(max_length=16)
    trigger = peewee.CharField(max_length=32)
    dest = peewee.CharField(max_length=16)
    reason = peewee.CharField(max_length=128, default="")
    agent = peewee.ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    instance = peewee.CharField(max_length=96, default="")


class Campaign(BaseModel):
    """An outbound dialer campaign: its contacts are dialed progressively for the agents of ``queue``."""

    queue = peewee.ForeignKeyField(Queue, unique=True, backref="campaign", on_delete="CASCADE")
    #: unique; empty (NULL) only for campaigns made before names existed: they show their queue's name
    name = peewee.CharField(max_length=64, null=True, unique=True)
    active = peewee.BooleanField(default=False)
    #: progressive: at most one customer call per available agent
    pacing = peewee.CharField(max_length=16, default="progressive")
    max_attempts = peewee.IntegerField(default=3)
    retry_delay = peewee.IntegerField(default=600)
    dispositions = JSONField(default=lambda: ["Sale", "Not interested", "Call back", "Wrong number"])


class CampaignContact(BaseModel):
    """One customer in a campaign's list. ``status``: ready, dialing, done, scheduled (a callback)."""

    campaign = peewee.ForeignKeyField(Campaign, backref="contacts", on_delete="CASCADE")
    number = peewee.CharField(max_length=32)
    name = peewee.CharField(max_length=128, default="")
    status = peewee.CharField(max_length=16, default="ready", index=True)
    priority = peewee.IntegerField(default=0)
    attempts = peewee.IntegerField(default=0)
    next_at = peewee.DateTimeField(default=utcnow)
    disposition = peewee.CharField(max_length=64, default="")
    callback = peewee.ForeignKeyField(Callback, null=True, backref="+", on_delete="SET NULL")
    contact_id = peewee.CharField(max_length=36, null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("campaign", "number"), True),)


class IvrVersion(BaseModel):
    """One saved IVR configuration: the text of every file switchdesk manages in
    FreeSWITCH's configuration folder (``ivr_menus/<menu>.xml``, ``dialplan/switchdesk.xml``).

    Versions are never changed once saved; publishing one (or rolling back to it) is an
    :class:`IvrPublication`.
    """

    number = peewee.IntegerField(unique=True)
    files = JSONField()  # relative path -> text
    author = peewee.ForeignKeyField(Agent, null=True, backref="ivr_versions", on_delete="SET NULL")
    #: kept as written, so the history still names a person whose account is gone
    author_name = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)
    note = peewee.CharField(max_length=256, default="")
    based_on = peewee.IntegerField(null=True)


class IvrPublication(BaseModel):
    """One attempt to make a version live (files written + ``reloadxml``), and how it went."""

    version = peewee.ForeignKeyField(IvrVersion, backref="publications", on_delete="CASCADE")
    author_name = peewee.CharField(max_length=64)
    at = peewee.DateTimeField(default=utcnow, index=True)
    ok = peewee.BooleanField()
    message = peewee.TextField(default="")


class CallDataValue(BaseModel):
    """The current value of one call-data variable of an interaction (see ``controller.calldata``).

    ``version`` grows by one on every save: a save names the version it edited and
    loses to any save that came first.
    """

    interaction = peewee.ForeignKeyField(Interaction, backref="call_data", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    value = peewee.TextField(default="")
    version = peewee.IntegerField(default=1)
    updated_by = peewee.ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("interaction", "name"), True),)


class CallDataAudit(BaseModel):
    """Who revealed or saved which call-data variable, and when. Never the value."""

    interaction = peewee.ForeignKeyField(Interaction, backref="call_data_audit", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    agent = peewee.ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    action = peewee.CharField(max_length=16)  # reveal, save
    at = peewee.DateTimeField(default=utcnow, index=True)


class AddressBookEntry(BaseModel):
    """A named external number of the shared address book (the transfer/consult dialog, New call).

    ``number`` is what :func:`controller.numbers.dialable` made of what was typed (E.164 when it
    is a public number, ``:digits`` sent after the answer kept); ``name_key`` is the name folded
    to lower case, unique, so that "Billing" and "billing" are one entry.
    """

    name = peewee.CharField(max_length=64)
    name_key = peewee.CharField(max_length=64, unique=True)
    number = peewee.CharField(max_length=64)
    note = peewee.CharField(max_length=256, default="")
    team = peewee.CharField(max_length=64, default="")
    updated_by = peewee.ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)


ALL_MODELS = [Queue, Agent, AgentQueue, Interaction, InteractionEvent, Recording, RecordingTag, ApiToken,
              IvrVersion, IvrPublication, CallDataValue, CallDataAudit,
              Callback, CallbackEvent, Campaign, CampaignContact, AddressBookEntry]
