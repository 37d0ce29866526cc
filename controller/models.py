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


ALL_MODELS = [Queue, Agent, AgentQueue, Interaction, InteractionEvent, Recording, RecordingTag, ApiToken,
              IvrVersion, IvrPublication, CallDataValue, CallDataAudit]
