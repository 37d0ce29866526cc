"""The JSON shapes of the campaign administration endpoints (see :mod:`web.schemas` for the conventions).

Limits come from :mod:`controller.callbacks.campaign_admin`, which checks them again
(for callers other than the API) and says what is wrong in a sentence.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from controller.callbacks import campaign_admin as limits

from .callback_schemas import _nested
from .schemas import Body, Reply, _text

_DISPOSITIONS = Field(description="What the agent chooses at wrap-up (at least one).",
                      examples=[["Sale", "Not interested", "Call back", "Wrong number"]],
                      min_length=1, max_length=limits.DISPOSITIONS_MAX)


class CampaignBody(Body):
    """A new campaign, dialed progressively for the agents of `queue`."""

    name: _text(limits.NAME_MAX, 1) = Field(description="Unique.", examples=["Spring renewals"])
    queue: _text(64, 1) = Field(description="The queue whose agents take the calls (one campaign per queue).",
                                examples=["renewals"])
    active: bool = Field(False, description="Dial now (true) or stay paused.")
    pacing: Literal["progressive"] = Field("progressive", description="At most one customer call per free agent.")
    max_attempts: int = Field(3, ge=limits.MAX_ATTEMPTS[0], le=limits.MAX_ATTEMPTS[1],
                              description="Calls to a contact who does not answer.")
    retry_delay: int = Field(600, ge=limits.RETRY_DELAY[0], le=limits.RETRY_DELAY[1],
                             description="Seconds between two attempts.")
    dispositions: list[_text(limits.DISPOSITION_MAX, 1)] = _DISPOSITIONS


class CampaignPatch(Body):
    """The settings to change (the queue stays)."""

    name: _text(limits.NAME_MAX, 1) | None = None
    active: bool | None = None
    pacing: Literal["progressive"] | None = None
    max_attempts: int | None = Field(None, ge=limits.MAX_ATTEMPTS[0], le=limits.MAX_ATTEMPTS[1])
    retry_delay: int | None = Field(None, ge=limits.RETRY_DELAY[0], le=limits.RETRY_DELAY[1])
    dispositions: list[_text(limits.DISPOSITION_MAX, 1)] | None = Field(
        None, min_length=1, max_length=limits.DISPOSITIONS_MAX)


class ContactIn(Body):
    """One customer to call. The number is checked and made E.164 by the controller (a bad one is a
    reported row, not a refused request)."""

    number: _text(64) = Field(examples=["+1 212 555 0101"])
    name: _text(256) = ""


class ContactsBody(Body):
    """Contacts to add; a number already in the campaign updates that contact."""

    contacts: list[ContactIn] = Field(min_length=1, max_length=limits.IMPORT_MAX_ROWS)
    skip_bad_rows: bool = Field(False, description="Import the good rows and report the bad ones; "
                                                   "by default one bad row refuses the whole list.")


class ContactsCsvBody(Body):
    """A CSV file's text: a header with a `number` (or `phone`) column and optionally `name`, or no
    header (number, name). Comma, semicolon or tab."""

    csv: str = Field(min_length=1, max_length=limits.CSV_MAX_CHARS, examples=["number,name\n+12125550101,Ada\n"])
    skip_bad_rows: bool = False


class RemoveContactsBody(Body):
    ids: list[int] = Field(min_length=1, max_length=1000, description="Contact ids of this campaign.")


class Progress(Reply):
    total: int
    ready: int = Field(description="Not finished and not waiting for a callback (includes those waiting for a retry).")
    ready_now: int = Field(description="Ready and due: dialed as agents become free.")
    dialing: int
    done: int
    scheduled: int = Field(description="Waiting for their global callback's time.")
    by_disposition: dict[str, int] = Field(description="Contacts per disposition (the agent's, or `answered`, "
                                                       "`no answer (…)`).")


class CampaignView(Reply):
    id: int
    name: str
    queue: str
    active: bool
    pacing: str
    max_attempts: int
    retry_delay: int
    dispositions: list[str]
    progress: Progress | None = None


class CampaignReply(Reply):
    ok: Literal[True] = True
    campaign: CampaignView


class CampaignList(Reply):
    campaigns: list[CampaignView]
    queues: list[str] = Field(description="Queues without a campaign (where a new one can go).")


class ContactView(Reply):
    id: int
    number: str = Field(description="E.164.")
    name: str
    status: str = Field(description="ready, dialing, done or scheduled.")
    attempts: int
    disposition: str
    next_at: dt.datetime = Field(description="When it may be dialed (UTC).")
    callback_id: int | None
    contact_id: str | None = Field(description="The interaction of the last answered call.")
    updated_at: dt.datetime


class ContactList(Reply):
    contacts: list[ContactView]
    total: int = Field(description="Contacts matching the filter (the page holds at most `limit`).")


class RowProblem(Reply):
    line: int = Field(description="The CSV line, or the position in the JSON list (from 1).")
    number: str = Field(description="As given.")
    reason: str


class ImportReply(Reply):
    ok: Literal[True] = True
    added: int
    updated: int = Field(description="Numbers already in the campaign (their name is updated).")
    skipped: list[RowProblem] = Field(description="Bad rows left out (with `skip_bad_rows`).")
    total: int = Field(description="Contacts in the campaign now.")


class ImportRefused(Reply):
    error: str
    problems: list[RowProblem]


class RemovedReply(Reply):
    ok: Literal[True] = True
    removed: int
    callbacks_cancelled: int


def _register() -> None:
    from . import schemas

    schemas.REQUEST_BODIES = tuple(_nested(schemas.REQUEST_BODIES + (CampaignBody, CampaignPatch, ContactsBody,
                                                                     ContactsCsvBody, RemoveContactsBody)))
    schemas.RESPONSES = tuple(_nested(schemas.RESPONSES + (CampaignReply, CampaignList, ContactList, ImportReply,
                                                           ImportRefused, RemovedReply)))


_register()
