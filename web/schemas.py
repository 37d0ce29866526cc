"""The JSON shapes of the REST API, as pydantic models.

Request bodies are validated against these models by :func:`web.openapi.api_route`, and
``/api/openapi.json`` is generated from them, so the document and the checks cannot
drift apart. Request bodies refuse unknown fields (a typo such as ``"reasn"`` is a 400
naming it, never a silent no-op) and trim spaces around short texts.

Response models describe what the views send (mostly the controller's own dicts, e.g.
:meth:`controller.calls.interaction.CallMachine.as_dict`). They are documentation and
test contracts, not run-time checks: a field the controller adds never turns a reply
into a 500.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints, model_validator


def _text(max_length: int, min_length: int = 0) -> Any:
    """A trimmed text of at most ``max_length`` characters (after trimming)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)]


#: ``null`` is taken as "no text" where the desktop has always been allowed to send it
_NONE_AS_EMPTY = BeforeValidator(lambda value: "" if value is None else value)


class Body(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """Base of every response model."""


# ---------------------------------------------------------------- request bodies

TARGET_KINDS = ("agent", "number", "queue", "extension")


class CallTarget(Body):
    """Where a call goes: exactly one of `agent`, `number`, `queue` or `extension`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1, "maxProperties": 1})

    agent: _text(64, 1) | None = Field(None, description="Username of an agent.", examples=["bob"])
    number: _text(32, 1) | None = Field(
        None, description="An external number. The controller applies the dial-number rules "
                          "(3-18 digits, `+ # * :` allowed, other characters stripped).",
        examples=["+15550100"])
    queue: _text(64, 1) | None = Field(None, description="Name of a queue or campaign.", examples=["sales"])
    extension: _text(32, 1) | None = Field(None, description="A PBX extension.", examples=["2001"])

    @model_validator(mode="after")
    def _exactly_one(self) -> "CallTarget":
        if sum(getattr(self, kind) is not None for kind in TARGET_KINDS) != 1:
            raise ValueError("must name exactly one of: agent, number, queue, extension")
        return self

    @property
    def kind(self) -> str:
        """``"agent"``, ``"number"``, ``"queue"`` or ``"extension"``."""
        return next(kind for kind in TARGET_KINDS if getattr(self, kind) is not None)

    @property
    def value(self) -> str:
        """The username, number, queue name or extension."""
        return getattr(self, self.kind)


class NewCall(Body):
    """A new outbound call: the agent's phone rings first, then the destination."""

    to: CallTarget
    queue: _text(64, 1) | None = Field(
        None, description="Queue or campaign the call is made for (its caller id is used).")


class TransferBody(Body):
    mode: Literal["blind", "consult"] = Field(
        description="`blind`: the agent is released at once; `consult`: the customer is held while the "
                    "agent talks to the target first.")
    to: CallTarget
    priority: Annotated[StrictInt, Field(ge=0, le=100)] | None = Field(
        None, description="Only with a blind transfer to a queue: the call's priority there (0-100, higher is "
                          "offered first; without it the call keeps its own).", examples=[50])

    @model_validator(mode="after")
    def _priority_only_to_a_queue(self) -> "TransferBody":
        if self.priority is not None and (self.mode != "blind" or self.to.kind != "queue"):
            raise ValueError("'priority' goes only with a blind transfer to a queue")
        return self


class ConsultBody(Body):
    to: CallTarget


class RecordingBody(Body):
    action: Literal["start", "stop", "pause", "resume"]
    seconds: Annotated[StrictInt, Field(ge=1, le=600)] | None = Field(
        None, description="With `pause` only: the privacy shield, which resumes recording by itself "
                          "after this many seconds.")

    @model_validator(mode="after")
    def _seconds_only_with_pause(self) -> "RecordingBody":
        if self.seconds is not None and self.action != "pause":
            raise ValueError("'seconds' goes only with the action 'pause'")
        return self


class TagBody(Body):
    text: _text(256, 1) = Field(description="A note, stored at the recording's current offset.")


class WrapUpCallback(Body):
    """When the campaign should call the customer again (a global callback)."""

    date: _text(10, 10) = Field(description="YYYY-MM-DD", examples=["2026-03-02"])
    time: _text(5, 5) = Field(description="HH:MM", examples=["14:30"])
    time_zone: _text(64, 1) = Field(description="The customer's time zone (IANA name).", examples=["America/Chicago"])
    note: _text(256) = Field("", description="Why; shown with the callback (default: the disposition).")


class WrapUpBody(Body):
    reason: _text(128, 1) = Field(description="One of the queue's wrap-up reasons; for a campaign call, one of "
                                              "the campaign's dispositions.", examples=["Resolved"])
    callback: WrapUpCallback | None = Field(
        None, description="Campaign calls only: the campaign calls the customer again at this time "
                          "(a global callback); the contact is `scheduled` until then.")


class AgentStateBody(Body):
    state: Literal["available", "idle", "logged_out"]
    reason: Annotated[_text(64), _NONE_AS_EMPTY] = Field(
        "", description="Why the agent is idle (shown to supervisors).", examples=["Lunch"])


class CallDataPatch(Body):
    """Save call-data (CAD) variables. The first save wins: each value is saved only if the
    variable's version is still the one given in `versions` (409 otherwise)."""

    values: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)],
                 Annotated[str, StringConstraints(max_length=256)]] = Field(
        description="New values by variable name (at most 256 characters each).",
        examples=[{"account": "A-1042"}])
    versions: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)],
                   Annotated[StrictInt, Field(ge=0)]] = Field(
        description="The version of each variable the client last saw.", examples=[{"account": 3}])


# ---------------------------------------------------------------- responses

class Ok(Reply):
    """The action was accepted; what changed arrives as a Socket.IO push."""

    ok: Literal[True] = True


class Error(Reply):
    error: str = Field(description="One sentence a person can read.", examples=["No such call."])


class CallCreated(Reply):
    ok: Literal[True] = True
    id: str = Field(description="The new interaction's contact id.")


class Call(Reply):
    """One interaction (customer contact), as the controller shows it."""

    id: str = Field(description="The stable contact id.")
    role: str | None = Field(None, description="How the person asking takes part: owner, consulted, peer or "
                             "supervisor.")
    owner: dict[str, Any] | None = Field(None, description="The agent who owns the call: name, extension, team.")
    state: str = Field(description="The interaction's state: new, queued, offering, dialing, connected, held, "
                       "consulting, consult_held, conference, transferring, transferred, ended.")
    queue: str | None
    ani: str = Field(description="The caller's number.")
    dnis: str = Field(description="The number that was called.")
    kind: str = Field(description="inbound, outbound or callback.")
    direction: str
    agent_id: int | None
    priority: int
    enqueued_at: str = Field(description="ISO 8601, UTC.")
    answered_at: str | None
    ended_at: str | None
    end_reason: str
    allowed: list[str] = Field(description="Actions the desktop may offer now (each is still checked).")
    held: bool | None = Field(None, description="Whether the customer is on hold.")
    consult: dict[str, Any] | None = Field(None, description="The consultation in progress, if any.")
    recording: dict[str, Any] | None = Field(None, description="The recording's state, if recording.")
    legs: list[dict[str, Any]] | None = Field(None, description="The call's channels.")
    offer_expires_at: str | None = Field(
        None, description="While the call is offered to the person asking (their phone rings, or they are the "
                          "consulted agent whose phone rings): when the ring timeout ends the offer (ISO 8601, UTC, "
                          "milliseconds). Otherwise null.", examples=["2026-03-02T14:30:15.250Z"])
    ring_timeout: float | None = Field(None, description="With offer_expires_at: the ring timeout in seconds.")


class CallReply(Reply):
    """What a call action answers: the call as the acting person now sees it."""

    ok: Literal[True] = True
    call: Call


class TagReply(CallReply):
    tag: dict[str, Any] = Field(description="The tag saved: id, offset_seconds, text.")


class DirectoryAgent(Reply):
    username: str
    name: str
    extension: str
    team: str
    state: str
    reachable: bool = Field(description="Available or Idle and not on a call: can be transferred/consulted to.")


class DirectoryQueue(Reply):
    name: str
    label: str


class Directory(Reply):
    agents: list[DirectoryAgent]
    queues: list[DirectoryQueue]


class CallDataItem(Reply):
    name: str
    label: str
    value: str = Field(description="The value; a secure value is masked unless revealed.")
    version: int = Field(description="Send it back with a save: a save of an older version is refused (409).")
    editable: bool
    secure: bool
    masked: bool


class CallDataList(Reply):
    data: list[CallDataItem]


class CallDataReply(Reply):
    ok: Literal[True] = True
    data: list[CallDataItem]


class Revealed(Reply):
    value: str = Field(description="The clear value of a secure variable (the reveal is audited).")


class CallList(Reply):
    calls: list[Call]


class Agent(Reply):
    """A person's live state (agent, supervisor or admin)."""

    id: int
    username: str
    name: str
    extension: str
    role: Literal["agent", "supervisor", "admin"]
    team: str
    state: str = Field(description="logged_out, idle, available, ringing, rona, on_call or wrap_up.")
    reason: str = Field(description="Why the agent is idle, if they said.")
    since: str = Field(description="When the state began (ISO 8601, UTC).")
    call_id: str | None = Field(description="The call the agent is on, if any.")
    wrapup_call_id: str | None = Field(None, description="The call the agent is wrapping up, in wrap-up.")


class Me(Reply):
    agent: Agent
    idle_reasons: list[str]
    wrapup_reasons: dict[str, list[str]] = Field(description="Each queue's wrap-up reasons, by queue name (a "
                                                             "campaign's queue: the campaign's dispositions).")


class QueueStats(Reply):
    name: str
    label: str
    waiting: int
    longest_wait: int = Field(description="Seconds the longest-waiting call has waited.")


class SupervisorSnapshot(Reply):
    agents: list[Agent]
    queues: list[QueueStats]
    calls: list[Call]
    callbacks: list[dict[str, Any]] = Field(
        [], description="Callbacks not yet served (pending, no_answer, offered, dialing), soonest due first "
                        "(at most 300; the `Callback` model of GET /api/callbacks).")
    callbacks_total: int = Field(0, description="How many callbacks are not yet served, in all.")
    callbacks_pending: dict[str, int] = Field({}, description="Callbacks not yet served, per queue name.")


#: every model, in the order the OpenAPI document lists them
REQUEST_BODIES = (CallTarget, NewCall, TransferBody, ConsultBody, RecordingBody, TagBody, WrapUpBody,
                  AgentStateBody, CallDataPatch)
RESPONSES = (Ok, Error, CallCreated, Call, CallList, Agent, Me, QueueStats, SupervisorSnapshot)
