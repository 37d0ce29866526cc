"""The shared address book over HTTP (see docs/api.md, tag ``address-book``).

- ``GET /api/address-book`` — every entry, for any signed-in person (the desktop's dialogs);
- ``POST /api/address-book``, ``PATCH|DELETE /api/address-book/<id>`` — supervisors and
  admins only (403 for agents).

The checks and the storage are :mod:`controller.address_book`; the page that keeps the book
is the supervisor page (``web/templates/supervisor.html``).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app, jsonify
from flask_login import current_user
from pydantic import Field

from controller import address_book as book

from .api import bp
from .callback_schemas import _nested
from .openapi import ApiError, api_route, whole_number
from .schemas import Body, Reply, _text

TAGS = ("address-book",)


class AddressBookBody(Body):
    """A new entry. The number follows the dial-number rules and is kept normalised (E.164 when public)."""

    name: _text(book.NAME_MAX, 1) = Field(description="Unique, in any case.", examples=["Billing hotline"])
    number: _text(64, 1) = Field(description="3-18 digits; `+ * # :` allowed; spaces, dashes, dots, brackets "
                                             "ignored; letters refused.", examples=["+1 212 555 0100"])
    note: _text(book.NOTE_MAX) = Field("", description="Shown next to the entry (opening hours, what it is for).")
    team: _text(book.TEAM_MAX) = Field("", description="Who it belongs to, to filter by.")


class AddressBookPatch(Body):
    """The fields to change; the others stay."""

    name: _text(book.NAME_MAX, 1) | None = None
    number: _text(64, 1) | None = None
    note: _text(book.NOTE_MAX) | None = None
    team: _text(book.TEAM_MAX) | None = None


class AddressBookEntry(Reply):
    id: int
    name: str
    number: str = Field(description="As the controller dials it: E.164 for public numbers, `:digits` after.")
    note: str
    team: str
    updated_at: str = Field(description="ISO 8601, UTC.")
    updated_by: str | None = Field(description="Username of who last changed it.")


class AddressBookList(Reply):
    entries: list[AddressBookEntry]


class AddressBookReply(Reply):
    ok: bool = True
    entry: AddressBookEntry


def _register() -> None:
    from . import schemas

    schemas.REQUEST_BODIES = tuple(_nested(schemas.REQUEST_BODIES + (AddressBookBody, AddressBookPatch)))
    schemas.RESPONSES = tuple(_nested(schemas.RESPONSES + (AddressBookList, AddressBookReply)))


_register()


def _region() -> str:
    return current_app.extensions["switchdesk.settings"].default_region


def _do(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except book.EntryRefused as exc:
        raise ApiError(400, str(exc)) from exc
    except book.EntryConflict as exc:
        raise ApiError(409, str(exc)) from exc
    except book.UnknownEntry as exc:
        raise ApiError(404, str(exc)) from exc


def _entry_id(value: str) -> int:
    number = whole_number(value, 12)
    if number is None:
        raise ApiError(404, "No such address book entry.")
    return number


@api_route(bp, "get", "/address-book", ok=AddressBookList, tags=TAGS)
def list_address_book():
    """Every entry of the shared address book, by name."""
    return jsonify(entries=book.entries())


@api_route(bp, "post", "/address-book", body=AddressBookBody, ok=AddressBookReply, errors=(409,), tags=TAGS,
           supervisor=True)
def create_address_book_entry(body: AddressBookBody):
    """Add a named number (supervisors and admins)."""
    entry = _do(lambda: book.create(body.model_dump(), current_user.id, _region()))
    return jsonify(ok=True, entry=entry), 201


@api_route(bp, "patch", "/address-book/<entry_id>", body=AddressBookPatch, ok=AddressBookReply,
           errors=(404, 409), tags=TAGS, supervisor=True)
def update_address_book_entry(entry_id: str, body: AddressBookPatch):
    """Change an entry's name, number, note or team (supervisors and admins)."""
    fields = body.model_dump(exclude_unset=True)
    if any(value is None for key, value in fields.items() if key in ("name", "number")):
        raise ApiError(400, "'name' and 'number' cannot be emptied.")
    entry = _do(lambda: book.update(_entry_id(entry_id), fields, current_user.id, _region()))
    return jsonify(ok=True, entry=entry)


@api_route(bp, "delete", "/address-book/<entry_id>", errors=(404,), tags=TAGS, supervisor=True)
def delete_address_book_entry(entry_id: str):
    """Remove an entry (supervisors and admins)."""
    _do(lambda: book.delete(_entry_id(entry_id), current_user.id))
    return jsonify(ok=True)
