"""The JSON shapes of the callback endpoints (see :mod:`web.schemas` for the conventions)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from .schemas import Body, Call, Reply, _text


class WebCallbackBody(Body):
    """A web visitor asks to be called back."""

    number: _text(32, 1) = Field(description="The number to call; national numbers are read in "
                                             "SWITCHDESK_DEFAULT_REGION.", examples=["+12125550123"])
    queue: _text(64, 1) = Field(description="The queue whose agents call back.", examples=["sales"])
    name: _text(128) = Field("", description="The visitor's name, shown to the agent.", examples=["Ada Lovelace"])
    note: _text(256) = Field("", description="What it is about.")
    preferred_time: dt.datetime | None = Field(
        None, description="When to call (ISO 8601; with an offset, or UTC). Empty: as soon as possible.",
        examples=["2026-03-02T14:30:00+01:00"])
    time_zone: _text(64) | None = Field(None, description="The customer's time zone (IANA name), for the calling "
                                                          "window; by default the number's.",
                                        examples=["Europe/Paris"])


class AgendaBody(Body):
    """Disposition Agenda: call a customer back at a date and time of their time zone."""

    number: _text(32, 1)
    date: _text(10, 10) = Field(description="YYYY-MM-DD", examples=["2026-03-02"])
    time: _text(5, 5) = Field(description="HH:MM", examples=["14:30"])
    time_zone: _text(64, 1) = Field(description="IANA name", examples=["America/New_York"])
    reason: _text(256) = Field("", description="Why; shown in the reminder.")
    scope: Literal["personal", "global"] = Field(
        "personal", description="`personal`: you are reminded; `global`: the campaign in `queue` dials it.")
    queue: _text(64, 1) | None = Field(None, description="The queue or campaign (default: the call's).")
    contact_id: _text(36, 1) | None = Field(None, description="The call this follows up.")
    name: _text(128) = ""


class AgendaDefaults(Reply):
    """What the Agenda form of a call starts from."""

    contact_id: str
    number: str = Field(description="The customer's number (E.164 when it can be called back).")
    callable: bool = Field(description="false: the number cannot be called back (an extension, anonymous).")
    time_zone: str | None = Field(description="The customer's time zone when their number tells one (IANA name).")
    queue: str | None
    scopes: list[str] = Field(description="`personal`, and `global` when the call's queue has a campaign.")


class CallbackNumberBody(Body):
    number: _text(32, 1) = Field(description="The number to call the customer back at.", examples=["+442079460958"])


class Callback(Reply):
    """One callback."""

    id: int
    kind: str = Field(description="in_queue, ivr, web, agent_initiated, abandoned, personal or global.")
    status: str = Field(description="pending, offered, dialing, connected, completed, no_answer, failed, "
                                    "cancelled or expired.")
    reason: str = Field(description="Why it has its status (a failure's cause, a deferral's window, ...).")
    launch: str = Field(description="Who makes the call when it is due: queue, owner, campaign or manual.")
    number: str = Field(description="E.164 when it is a public number.")
    name: str
    note: str
    caller_id: str = Field(description="What the customer sees when called (empty: the queue's, then the DNIS).")
    queue: str | None
    owner: dict[str, Any] | None
    agent_id: int | None
    original_contact_id: str | None
    original_ani: str
    original_dnis: str
    priority: int
    enqueued_at: str = Field(description="The original call's enqueue time: its place in the queue (UTC).")
    due_at: str
    time_zone: str
    window: dict[str, str]
    attempts: int
    max_attempts: int
    retry_delay: int
    expires_at: str | None
    contact_id: str | None = Field(description="The interaction of the current or last attempt.")
    has_message: bool
    message_url: str | None
    created_at: str
    updated_at: str
    notify: bool | None = None
    history: list[dict[str, Any]] | None = None


class CallbackList(Reply):
    callbacks: list[Callback]


class CallbackReply(Reply):
    ok: Literal[True] = True
    callback: Callback


class WebCallbackReply(CallbackReply):
    created: bool = Field(description="false: an open callback for the same number and queue was updated.")


class CallbackCallReply(Reply):
    ok: Literal[True] = True
    call: Call


def _nested(models) -> list:
    """The models and every model their fields hold (``list[Callback]``, ``Call | None``, …)."""
    import typing

    from pydantic import BaseModel

    out, todo = [], list(models)
    while todo:
        model = todo.pop(0)
        if model in out:
            continue
        out.append(model)
        for field in model.model_fields.values():
            stack = [field.annotation]
            while stack:
                tp = stack.pop()
                if isinstance(tp, type) and issubclass(tp, BaseModel):
                    todo.append(tp)
                stack.extend(typing.get_args(tp))
    return out


def _register() -> None:
    """List these models with the API's own, so the OpenAPI document defines them.

    Nested models are listed too: spectree keeps a nested model only in the first
    document it builds in a process, so a model reachable only through another one
    (``Callback`` in ``CallbackList``, ``DirectoryAgent`` in ``Directory``) would be a
    dangling ``$ref`` in every later document.
    """
    from . import schemas

    schemas.REQUEST_BODIES = tuple(_nested(schemas.REQUEST_BODIES + (WebCallbackBody, AgendaBody,
                                                                     CallbackNumberBody)))
    schemas.RESPONSES = tuple(_nested(schemas.RESPONSES + (Callback, CallbackList, CallbackReply, WebCallbackReply,
                                                           AgendaDefaults,
                                                           CallbackCallReply, schemas.Directory, schemas.CallReply,
                                                           schemas.TagReply)))


_register()
