"""Campaign administration: settings, contact lists (JSON or CSV), progress figures.

Everything here is storage and checks; the dialing is :mod:`.campaigns`. A refusal is
a :class:`CampaignRefused` (400) with one sentence, plus ``problems`` (one per bad row)
for an import; :class:`CampaignConflict` (409) when the name or the queue is taken or a
contact is being dialed; :class:`UnknownCampaign` (404).

An import is all or nothing: when a row is bad (its line and why), nothing is written
unless the caller chose ``skip_bad_rows``, in which case the good rows are and the bad
ones are reported. A number already in the campaign updates that contact (its name); it
never adds a second one. Numbers are E.164 after :func:`.numbers.callback_number`.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

import peewee

from ..calls.errors import BadInput
from ..db import database
from ..machine import InvalidAction
from ..models import Callback, Campaign, CampaignContact, Queue, utcnow
from . import store
from .numbers import InvalidNumber, callback_number

log = logging.getLogger(__name__)

NAME_MAX = 64
MAX_ATTEMPTS = (1, 20)
#: seconds between two attempts at one contact: a minute to a week
RETRY_DELAY = (60, 7 * 24 * 3600)
DISPOSITIONS_MAX = 30
DISPOSITION_MAX = 64
CONTACT_NAME_MAX = 128
#: rows one import may hold (JSON list or CSV file)
IMPORT_MAX_ROWS = 20_000
CSV_MAX_CHARS = 2_000_000
PACINGS = ("progressive",)
CONTACT_STATUSES = ("ready", "dialing", "done", "scheduled")
NUMBER_HEADERS = ("number", "phone", "phone_number", "phone number", "telephone", "tel", "msisdn")
NAME_HEADERS = ("name", "full_name", "full name", "customer", "contact")


class CampaignRefused(BadInput):
    """Settings or an import that cannot be used (400); ``problems``: the bad rows."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or []


class CampaignConflict(InvalidAction):
    """The name or queue is taken, or a contact is being dialed (409)."""


class UnknownCampaign(LookupError):
    """No campaign (or contact) has that id (404)."""


@dataclass(frozen=True)
class Row:
    """One contact as given: ``line`` is the CSV line (or the position in a JSON list, from 1)."""

    line: int
    number: str
    name: str = ""


# ---------------------------------------------------------------- settings

def check_settings(*, name: str, max_attempts: int, retry_delay: int, dispositions: list,
                   pacing: str = "progressive") -> None:
    """Refuse settings that cannot work, with a sentence naming the field.

    :raises CampaignRefused:
    """
    if not isinstance(name, str) or not name.strip():
        raise CampaignRefused("'name' is required.")
    if len(name.strip()) > NAME_MAX:
        raise CampaignRefused(f"'name' is too long (at most {NAME_MAX} characters).")
    if pacing not in PACINGS:
        raise CampaignRefused(f"'pacing' must be one of: {', '.join(PACINGS)}.")
    low, high = MAX_ATTEMPTS
    if not isinstance(max_attempts, int) or not low <= max_attempts <= high:
        raise CampaignRefused(f"'max_attempts' must be between {low} and {high}.")
    low, high = RETRY_DELAY
    if not isinstance(retry_delay, int) or not low <= retry_delay <= high:
        raise CampaignRefused(f"'retry_delay' must be between {low} seconds and {high // 86400} days "
                              f"({high} seconds).")
    if not isinstance(dispositions, list) or not dispositions:
        raise CampaignRefused("'dispositions' needs at least one disposition (what the agent chooses at wrap-up).")
    if len(dispositions) > DISPOSITIONS_MAX:
        raise CampaignRefused(f"'dispositions' may hold at most {DISPOSITIONS_MAX} dispositions.")
    seen = set()
    for i, item in enumerate(dispositions, 1):
        if not isinstance(item, str) or not item.strip():
            raise CampaignRefused(f"Disposition {i} is empty.")
        if len(item.strip()) > DISPOSITION_MAX:
            raise CampaignRefused(f"Disposition {i} is too long (at most {DISPOSITION_MAX} characters).")
        if item.strip().casefold() in seen:
            raise CampaignRefused(f"The disposition {item.strip()!r} is listed twice.")
        seen.add(item.strip().casefold())


def _check_name_free(name: str, campaign_id: int | None = None) -> None:
    query = Campaign.select(Campaign.id).where(peewee.fn.LOWER(Campaign.name) == name.lower())
    if campaign_id is not None:
        query = query.where(Campaign.id != campaign_id)
    if query.exists():
        raise CampaignConflict(f"A campaign is already called {name!r}: choose another name.")


def create_campaign(*, name: str, queue_name: str, active: bool = False, max_attempts: int = 3,
                    retry_delay: int = 600, dispositions: list | None = None,
                    pacing: str = "progressive") -> Campaign:
    """A new campaign dialed for the agents of the queue ``queue_name`` (one campaign per queue).

    :raises CampaignRefused: bad settings or no such queue
    :raises CampaignConflict: the name or the queue is taken
    """
    if dispositions is None:
        dispositions = list(Campaign.dispositions.default())
    check_settings(name=name, max_attempts=max_attempts, retry_delay=retry_delay, dispositions=dispositions,
                   pacing=pacing)
    name = name.strip()
    queue = Queue.get_or_none(Queue.name == queue_name)
    if queue is None:
        raise CampaignRefused(f"No queue is called {queue_name!r}.")
    _check_name_free(name)
    taken = Campaign.get_or_none(Campaign.queue == queue.id)
    if taken is not None:
        raise CampaignConflict(f"The queue {queue.name} already has the campaign {display_name(taken, queue)}: "
                               "a queue has one campaign.")
    try:
        with database.atomic():
            campaign = Campaign.create(queue=queue, name=name, active=bool(active), pacing=pacing,
                                       max_attempts=max_attempts, retry_delay=retry_delay,
                                       dispositions=[d.strip() for d in dispositions])
    except peewee.IntegrityError as exc:  # made by someone else meanwhile
        raise CampaignConflict(f"A campaign named {name!r} or on the queue {queue.name} was just made.") from exc
    log.info("campaign %s created on queue %s", name, queue.name)
    return campaign


def update_campaign(campaign_id: int, **changes) -> Campaign:
    """Change a campaign's ``name``, ``max_attempts``, ``retry_delay``, ``dispositions``, ``pacing``
    or ``active`` (those given; its queue stays). Checked as a whole before anything is written."""
    campaign = get_campaign(campaign_id)
    allowed = {"name", "max_attempts", "retry_delay", "dispositions", "pacing", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise CampaignRefused(f"{sorted(unknown)[0]!r} cannot be changed.")
    merged = {"name": campaign.name or campaign.queue.name, "max_attempts": campaign.max_attempts,
              "retry_delay": campaign.retry_delay, "dispositions": list(campaign.dispositions or []),
              "pacing": campaign.pacing}
    merged.update({k: v for k, v in changes.items() if k != "active" and v is not None})
    check_settings(**merged)
    merged["name"] = merged["name"].strip()
    merged["dispositions"] = [d.strip() for d in merged["dispositions"]]
    _check_name_free(merged["name"], campaign.id)
    if changes.get("active") is not None:
        merged["active"] = bool(changes["active"])
    try:
        Campaign.update(**merged).where(Campaign.id == campaign.id).execute()
    except peewee.IntegrityError as exc:
        raise CampaignConflict(f"A campaign is already called {merged['name']!r}.") from exc
    log.info("campaign %s updated: %s", merged["name"], ", ".join(sorted(k for k in changes if changes[k] is not None)))
    return get_campaign(campaign.id)


def get_campaign(campaign_id: int) -> Campaign:
    campaign = (Campaign.select(Campaign, Queue).join(Queue).where(Campaign.id == campaign_id).first())
    if campaign is None:
        raise UnknownCampaign(f"No campaign {campaign_id}.")
    return campaign


def campaigns() -> list[Campaign]:
    return list(Campaign.select(Campaign, Queue).join(Queue).order_by(Campaign.id))


def display_name(campaign: Campaign, queue: Queue | None = None) -> str:
    return campaign.name or (queue or campaign.queue).name


def as_dict(campaign: Campaign, *, with_progress: bool = True) -> dict:
    out = {"id": campaign.id, "name": display_name(campaign), "queue": campaign.queue.name,
           "active": campaign.active, "pacing": campaign.pacing, "max_attempts": campaign.max_attempts,
           "retry_delay": campaign.retry_delay, "dispositions": list(campaign.dispositions or [])}
    if with_progress:
        out["progress"] = progress(campaign.id)
    return out


def progress(campaign_id: int) -> dict:
    """How far the list is: contacts per status (``ready`` counts those waiting for a retry too,
    ``ready_now`` only those that may be dialed now) and per disposition."""
    by_status = dict.fromkeys(CONTACT_STATUSES, 0)
    for status, count in (CampaignContact.select(CampaignContact.status, peewee.fn.COUNT(CampaignContact.id))
                          .where(CampaignContact.campaign == campaign_id)
                          .group_by(CampaignContact.status).tuples()):
        by_status[status] = by_status.get(status, 0) + count
    ready_now = (CampaignContact.select().where((CampaignContact.campaign == campaign_id)
                                                & (CampaignContact.status == "ready")
                                                & (CampaignContact.next_at <= utcnow())).count())
    by_disposition = {d: n for d, n in (CampaignContact.select(CampaignContact.disposition,
                                                               peewee.fn.COUNT(CampaignContact.id))
                                        .where((CampaignContact.campaign == campaign_id)
                                               & (CampaignContact.disposition != ""))
                                        .group_by(CampaignContact.disposition)
                                        .order_by(peewee.fn.COUNT(CampaignContact.id).desc()).tuples())}
    return {"total": sum(by_status.values()), **by_status, "ready_now": ready_now, "by_disposition": by_disposition}


# ---------------------------------------------------------------- contacts

def parse_csv(text: str) -> list[Row]:
    """Rows of a CSV file: a header naming a ``number`` (or ``phone``) column and optionally a
    ``name`` column, or no header (number first, name second). Comma, semicolon or tab."""
    if len(text) > CSV_MAX_CHARS:
        raise CampaignRefused(f"The file is too large (at most {CSV_MAX_CHARS // 1_000_000} MB).")
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[Row] = []
    number_col, name_col = 0, 1
    header_done = False
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if not header_done:
                header_done = True
                lowered = [cell.strip().lower() for cell in cells]
                found = next((i for i, cell in enumerate(lowered) if cell in NUMBER_HEADERS), None)
                if found is not None:
                    number_col = found
                    name_col = next((i for i, cell in enumerate(lowered) if cell in NAME_HEADERS), None)
                    continue
            if len(rows) >= IMPORT_MAX_ROWS:
                raise CampaignRefused(f"The file has more than {IMPORT_MAX_ROWS} contacts: split it.")
            number = cells[number_col].strip() if number_col < len(cells) else ""
            name = cells[name_col].strip() if name_col is not None and name_col < len(cells) else ""
            rows.append(Row(line, number, name))
    except csv.Error as exc:
        raise CampaignRefused(f"Line {reader.line_num} is not valid CSV: {exc}.") from exc
    if not rows:
        raise CampaignRefused("The file has no contacts.")
    return rows


def import_contacts(campaign_id: int, rows: list[Row], *, region: str = "US", skip_bad_rows: bool = False) -> dict:
    """Add contacts (or update those whose number is already in the campaign).

    :returns: ``{"added", "updated", "skipped": [problem], "total"}``
    :raises CampaignRefused: with ``problems`` (``{line, number, reason}``) when a row is bad
        and ``skip_bad_rows`` is false; nothing is written then
    """
    campaign = get_campaign(campaign_id)
    if len(rows) > IMPORT_MAX_ROWS:
        raise CampaignRefused(f"At most {IMPORT_MAX_ROWS} contacts at once: split the list.")
    good: dict[str, Row] = {}  # E.164 -> the last row giving it
    problems = []
    for row in rows:
        reason = None
        if not row.number.strip():
            reason = "no number"
        elif len(row.name) > CONTACT_NAME_MAX:
            reason = f"the name is longer than {CONTACT_NAME_MAX} characters"
        else:
            try:
                number = callback_number(row.number, region)
            except InvalidNumber as exc:
                reason = str(exc)
        if reason is not None:
            problems.append({"line": row.line, "number": row.number[:40], "reason": reason})
            continue
        good[number] = Row(row.line, number, row.name.strip())
    if problems and not skip_bad_rows:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CampaignRefused(f"Nothing was imported: line {first['line']}: {first['reason']}{more}. "
                              "Correct the rows, or choose to skip bad rows.", problems)
    added = updated = 0
    now = utcnow()
    with database.atomic():
        numbers = list(good)
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            existing = {c.number: c for c in CampaignContact.select(CampaignContact.id, CampaignContact.number,
                                                                    CampaignContact.name)
                        .where((CampaignContact.campaign == campaign.id) & CampaignContact.number.in_(chunk))}
            new = [{"campaign": campaign.id, "number": n, "name": good[n].name, "status": "ready", "next_at": now,
                    "updated_at": now} for n in chunk if n not in existing]
            if new:
                CampaignContact.insert_many(new).execute()
                added += len(new)
            for n, contact in existing.items():
                updated += 1
                if good[n].name and good[n].name != contact.name:
                    (CampaignContact.update(name=good[n].name, updated_at=now)
                     .where(CampaignContact.id == contact.id).execute())
    total = CampaignContact.select().where(CampaignContact.campaign == campaign.id).count()
    log.info("campaign %s: %d contacts added, %d updated, %d bad rows skipped", display_name(campaign), added,
             updated, len(problems))
    return {"added": added, "updated": updated, "skipped": problems, "total": total}


def contact_dict(contact: CampaignContact) -> dict:
    return {"id": contact.id, "number": contact.number, "name": contact.name, "status": contact.status,
            "attempts": contact.attempts, "disposition": contact.disposition, "next_at": contact.next_at,
            "callback_id": contact.callback_id, "contact_id": contact.contact_id, "updated_at": contact.updated_at}


def list_contacts(campaign_id: int, *, status: str | None = None, limit: int = 100, offset: int = 0) -> dict:
    """The campaign's contacts, the list's order (priority, then when they may be dialed)."""
    get_campaign(campaign_id)
    if status is not None and status not in CONTACT_STATUSES:
        raise CampaignRefused(f"'status' must be one of: {', '.join(CONTACT_STATUSES)}.")
    if not 1 <= limit <= 1000 or offset < 0:
        raise CampaignRefused("'limit' must be between 1 and 1000 and 'offset' 0 or more.")
    query = CampaignContact.select().where(CampaignContact.campaign == campaign_id)
    if status is not None:
        query = query.where(CampaignContact.status == status)
    total = query.count()
    rows = query.order_by(CampaignContact.priority.desc(), CampaignContact.next_at, CampaignContact.id)
    return {"contacts": [contact_dict(c) for c in rows.limit(limit).offset(offset)], "total": total}


def contacts_to_remove(campaign_id: int, contact_ids: list[int]) -> tuple[list[CampaignContact], list[int]]:
    """The contacts to remove and the open callbacks to cancel with them.

    :raises UnknownCampaign: a contact is not in this campaign
    :raises CampaignConflict: a contact is being dialed (nothing is removed)
    """
    get_campaign(campaign_id)
    wanted = sorted(set(contact_ids))
    contacts = list(CampaignContact.select().where((CampaignContact.campaign == campaign_id)
                                                   & CampaignContact.id.in_(wanted or [0])))
    missing = sorted(set(wanted) - {c.id for c in contacts})
    if missing:
        raise UnknownCampaign(f"Contact {missing[0]} is not in this campaign.")
    dialing = [c for c in contacts if c.status == "dialing"]
    if dialing:
        raise CampaignConflict(f"{dialing[0].number} is being dialed now: remove it when the call has ended.")
    callbacks = [c.callback_id for c in contacts if c.callback_id]
    open_ids = [cb.id for cb in Callback.select(Callback.id).where(Callback.id.in_(callbacks or [0])
                                                                   & Callback.status.in_(store.OPEN))]
    return contacts, open_ids


def delete_contacts(contacts: list[CampaignContact]) -> int:
    """Delete these contacts unless one started being dialed meanwhile (then none)."""
    ids = [c.id for c in contacts]
    with database.atomic():
        busy = (CampaignContact.select().where(CampaignContact.id.in_(ids or [0])
                                               & (CampaignContact.status == "dialing")).first())
        if busy is not None:
            raise CampaignConflict(f"{busy.number} is being dialed now: remove it when the call has ended.")
        removed = CampaignContact.delete().where(CampaignContact.id.in_(ids or [0])).execute()
    log.info("removed %d campaign contacts", removed)
    return removed


def match_disposition(campaign: Campaign, reason: str) -> str:
    """The campaign's disposition ``reason`` names (case aside).

    :raises CampaignRefused: it is not one of them
    """
    wanted = (reason or "").strip().casefold()
    for disposition in campaign.dispositions or []:
        if disposition.casefold() == wanted:
            return disposition
    raise CampaignRefused(f"{reason!r} is not a disposition of the campaign {display_name(campaign)}: choose one of "
                          f"{', '.join(campaign.dispositions or [])}.")

