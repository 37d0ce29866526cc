"""The shared address book: named external numbers agents consult, transfer to or call.

Supervisors and admins keep it (:mod:`web.address_book_api`); every agent reads it in the
transfer/consult dialog and the New call form, where picking an entry fills the number
field (which is checked again, by the page and by the controller, when it is dialed).

A number is kept as :func:`controller.numbers.dialable` makes it: E.164 when it is a
public number, digits to send after the answer kept after ``:``. A refusal is an
:class:`EntryRefused` (400) with one sentence; a name that is taken (in any case) is an
:class:`EntryConflict` (409); an unknown id is :class:`UnknownEntry` (404).
"""
from __future__ import annotations

import logging
import unicodedata

import peewee

from .calls.errors import BadInput
from .db import database
from .machine import InvalidAction
from .models import AddressBookEntry, Agent, utcnow
from .numbers import InvalidNumber, dialable

log = logging.getLogger(__name__)

NAME_MAX = 64
NOTE_MAX = 256
TEAM_MAX = 64
#: fields a person may set (``number`` is checked, the rest trimmed texts)
FIELDS = ("name", "number", "note", "team")


class EntryRefused(BadInput):
    """A field that cannot be used (400)."""


class EntryConflict(InvalidAction):
    """Another entry has that name already (409)."""


class UnknownEntry(LookupError):
    """No entry has that id (404)."""


def stored_number(text: str, region: str = "US") -> str:
    """What the address book keeps of a typed number: ``dialable``'s digits (E.164 when public),
    plus ``:digits`` to send after the answer.

    :raises EntryRefused: with the dial-number rules' sentence
    """
    try:
        number = dialable(text, region=region)
    except InvalidNumber as exc:
        raise EntryRefused(str(exc)) from exc
    return number.digits + (f":{number.dtmf}" if number.dtmf else "")


def _text(field: str, value: object, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise EntryRefused(f"'{field}' must be text.")
    value = unicodedata.normalize("NFC", value).strip()
    if required and not value:
        raise EntryRefused(f"'{field}' is required.")
    if len(value) > limit:
        raise EntryRefused(f"'{field}' is too long ({len(value)} characters; at most {limit}).")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise EntryRefused(f"'{field}' cannot contain a line break, a tab or other control characters.")
    return value


def _checked(fields: dict, region: str, *, partial: bool) -> dict:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise EntryRefused(f"'{unknown[0]}' is not a field of an address book entry.")
    out = {}
    if "name" in fields or not partial:
        out["name"] = _text("name", fields.get("name"), NAME_MAX, required=True)
    if "number" in fields or not partial:
        out["number"] = stored_number(_text("number", fields.get("number"), 64, required=True), region)
    for field, limit in (("note", NOTE_MAX), ("team", TEAM_MAX)):
        if field in fields or not partial:
            out[field] = _text(field, fields.get(field), limit)
    return out


def as_dict(entry: AddressBookEntry, usernames: dict[int, str] | None = None) -> dict:
    by = None
    if entry.updated_by_id:
        by = (usernames or {}).get(entry.updated_by_id)
        if by is None:
            agent = Agent.get_or_none(Agent.id == entry.updated_by_id)
            by = agent.username if agent else None
    return {"id": entry.id, "name": entry.name, "number": entry.number, "note": entry.note, "team": entry.team,
            "updated_at": entry.updated_at.isoformat() + "Z", "updated_by": by}


def entries() -> list[dict]:
    """Every entry, by name."""
    usernames = {a.id: a.username for a in Agent.select(Agent.id, Agent.username)}
    return [as_dict(e, usernames) for e in AddressBookEntry.select().order_by(AddressBookEntry.name_key)]


def _get(entry_id: int) -> AddressBookEntry:
    entry = AddressBookEntry.get_or_none(AddressBookEntry.id == entry_id)
    if entry is None:
        raise UnknownEntry("No such address book entry.")
    return entry


def _name_taken(name: str, but: int | None = None) -> None:
    query = AddressBookEntry.select().where(AddressBookEntry.name_key == name.casefold())
    if but is not None:
        query = query.where(AddressBookEntry.id != but)
    if query.exists():
        raise EntryConflict(f"The address book has an entry called '{name}' already: choose another name.")


def create(fields: dict, agent_id: int | None, region: str = "US") -> dict:
    """Add an entry. :raises EntryRefused: bad field; :raises EntryConflict: the name is taken."""
    values = _checked(fields, region, partial=False)
    with database.atomic():
        _name_taken(values["name"])
        try:
            entry = AddressBookEntry.create(name_key=values["name"].casefold(), updated_by=agent_id,
                                            updated_at=utcnow(), **values)
        except peewee.IntegrityError as exc:  # another request took the name meanwhile
            raise EntryConflict(f"The address book has an entry called '{values['name']}' already: "
                                "choose another name.") from exc
    log.info("address book: %s added %r (%s)", agent_id, entry.name, entry.id)
    return as_dict(entry)


def update(entry_id: int, fields: dict, agent_id: int | None, region: str = "US") -> dict:
    """Change some fields of an entry (the others stay)."""
    values = _checked(fields, region, partial=True)
    with database.atomic():
        entry = _get(entry_id)
        if "name" in values:
            _name_taken(values["name"], but=entry.id)
            entry.name_key = values["name"].casefold()
        for field, value in values.items():
            setattr(entry, field, value)
        entry.updated_by = agent_id
        entry.updated_at = utcnow()
        try:
            entry.save()
        except peewee.IntegrityError as exc:
            raise EntryConflict(f"The address book has an entry called '{entry.name}' already: "
                                "choose another name.") from exc
    log.info("address book: %s changed %r (%s)", agent_id, entry.name, entry.id)
    return as_dict(entry)


def delete(entry_id: int, agent_id: int | None) -> None:
    entry = _get(entry_id)
    entry.delete_instance()
    log.info("address book: %s removed %r (%s)", agent_id, entry.name, entry.id)
