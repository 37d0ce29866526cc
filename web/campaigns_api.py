"""Campaign administration over HTTP (supervisors and admins; agents get 403).

REST (declared with :func:`web.openapi.api_route`, tag ``campaigns``; see docs/api.md):

- ``GET /api/campaigns`` (with progress) and ``POST /api/campaigns``;
- ``GET|PATCH /api/campaigns/<id>``, ``POST /api/campaigns/<id>/activate|pause``;
- ``GET /api/campaigns/<id>/contacts?status=&limit=&offset=``;
- ``POST /api/campaigns/<id>/contacts`` (a JSON list) and ``…/contacts/csv`` (a CSV file's
  text): all or nothing unless ``skip_bad_rows``; bad rows come back with their line and why;
- ``POST /api/campaigns/<id>/contacts/remove`` and ``DELETE /api/campaigns/<id>/contacts/<cid>``.

The page is ``/admin/campaigns`` (:mod:`web.admin`).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import jsonify, request
from flask_login import current_user

from controller.callbacks import campaign_admin as admin

from .api import bp
from .auth import contact_center
from .campaign_schemas import (CampaignBody, CampaignList, CampaignPatch, CampaignReply, ContactList, ContactsBody,
                               ContactsCsvBody, ImportReply, RemovedReply, RemoveContactsBody)
from .openapi import ApiError, api_route, whole_number

log = logging.getLogger(__name__)

TAGS = ("campaigns",)


def _do(action: Callable[[], Any]) -> Any:
    """Run one administration step; its refusals become the API's answers."""
    try:
        return action()
    except admin.UnknownCampaign as exc:
        raise ApiError(404, str(exc)) from exc
    except admin.CampaignConflict as exc:
        raise ApiError(409, str(exc)) from exc
    except admin.CampaignRefused as exc:
        if exc.problems:
            raise _Refused(str(exc), exc.problems) from exc
        raise ApiError(400, str(exc)) from exc


class _Refused(Exception):
    def __init__(self, message: str, problems: list[dict]):
        super().__init__(message)
        self.problems = problems


def _campaign_id(value: str) -> int:
    number = whole_number(value, 12)
    if number is None:
        raise ApiError(404, "No such campaign.")
    return number


def _wake() -> None:
    """The scheduler looks at once: a campaign activated or given contacts dials now."""
    scheduler = getattr(contact_center(), "callback_scheduler", None)
    if scheduler is not None:
        scheduler.wake()


def _changed(campaign) -> dict:
    _wake()
    return admin.as_dict(campaign)


@api_route(bp, "get", "/campaigns", ok=CampaignList, tags=TAGS, supervisor=True)
def list_campaigns():
    """Every campaign with its progress, and the queues that have none yet (supervisors and admins)."""
    from controller.models import Queue

    rows = admin.campaigns()
    taken = {c.queue_id for c in rows}
    return jsonify(campaigns=[admin.as_dict(c) for c in rows],
                   queues=[q.name for q in Queue.select(Queue.id, Queue.name).order_by(Queue.name)
                           if q.id not in taken])


@api_route(bp, "post", "/campaigns", body=CampaignBody, ok=CampaignReply, errors=(409,), tags=TAGS,
           supervisor=True)
def create_campaign(body: CampaignBody):
    """Create a campaign on a queue (paused unless `active`)."""
    campaign = _do(lambda: admin.create_campaign(
        name=body.name, queue_name=body.queue, active=body.active, pacing=body.pacing,
        max_attempts=body.max_attempts, retry_delay=body.retry_delay, dispositions=list(body.dispositions)))
    log.info("%s created the campaign %s", current_user.username, campaign.name)
    return jsonify(ok=True, campaign=_changed(campaign)), 201


@api_route(bp, "get", "/campaigns/<campaign_id>", ok=CampaignReply, errors=(404,), tags=TAGS, supervisor=True)
def get_campaign(campaign_id: str):
    """One campaign: settings and progress (contacts ready, dialing, done, scheduled, per disposition)."""
    return jsonify(ok=True, campaign=_do(lambda: admin.as_dict(admin.get_campaign(_campaign_id(campaign_id)))))


@api_route(bp, "patch", "/campaigns/<campaign_id>", body=CampaignPatch, ok=CampaignReply, errors=(404, 409),
           tags=TAGS, supervisor=True)
def update_campaign(campaign_id: str, body: CampaignPatch):
    """Change a campaign's name, attempts, retry delay, dispositions or whether it dials."""
    changes = body.model_dump(exclude_none=True)
    campaign = _do(lambda: admin.update_campaign(_campaign_id(campaign_id), **changes))
    log.info("%s changed the campaign %s: %s", current_user.username, campaign.name, ", ".join(sorted(changes)))
    return jsonify(ok=True, campaign=_changed(campaign))


@api_route(bp, "post", "/campaigns/<campaign_id>/activate", ok=CampaignReply, errors=(404,), tags=TAGS,
           supervisor=True)
def activate_campaign(campaign_id: str):
    """Start (or resume) dialing: one customer call per free agent of the queue."""
    campaign = _do(lambda: admin.update_campaign(_campaign_id(campaign_id), active=True))
    log.info("%s activated the campaign %s", current_user.username, campaign.name)
    return jsonify(ok=True, campaign=_changed(campaign))


@api_route(bp, "post", "/campaigns/<campaign_id>/pause", ok=CampaignReply, errors=(404,), tags=TAGS,
           supervisor=True)
def pause_campaign(campaign_id: str):
    """Stop dialing new contacts (calls already made go on; callbacks wait until it is active again)."""
    campaign = _do(lambda: admin.update_campaign(_campaign_id(campaign_id), active=False))
    log.info("%s paused the campaign %s", current_user.username, campaign.name)
    return jsonify(ok=True, campaign=_changed(campaign))


@api_route(bp, "get", "/campaigns/<campaign_id>/contacts", ok=ContactList, errors=(404,), tags=TAGS,
           supervisor=True)
def list_contacts(campaign_id: str):
    """The campaign's contacts in dialing order, with status, attempts and disposition
    (`?status=ready|dialing|done|scheduled`, `limit` up to 1000, `offset`)."""
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise ApiError(400, "'limit' and 'offset' must be whole numbers.") from None
    status = request.args.get("status") or None
    return jsonify(_do(lambda: admin.list_contacts(_campaign_id(campaign_id), status=status, limit=limit,
                                                   offset=offset)))


def _import(campaign_id: str, rows: Callable[[], list], skip_bad_rows: bool):
    cid = _campaign_id(campaign_id)
    region = contact_center().settings.default_region
    try:
        done = _do(lambda: admin.import_contacts(cid, rows(), region=region, skip_bad_rows=skip_bad_rows))
    except _Refused as exc:
        return jsonify(error=str(exc), problems=exc.problems), 400
    log.info("%s imported contacts into campaign %s: %d added, %d updated, %d skipped", current_user.username,
             cid, done["added"], done["updated"], len(done["skipped"]))
    _wake()
    return jsonify(ok=True, **done)


@api_route(bp, "post", "/campaigns/<campaign_id>/contacts", body=ContactsBody, ok=ImportReply, errors=(404,),
           tags=TAGS, supervisor=True)
def add_contacts(campaign_id: str, body: ContactsBody):
    """Add contacts (numbers made E.164; one already in the campaign is updated). A bad row refuses the
    list (400 with `problems`: line and reason) unless `skip_bad_rows`."""
    return _import(campaign_id, lambda: [admin.Row(i, c.number, c.name) for i, c in enumerate(body.contacts, 1)],
                   body.skip_bad_rows)


@api_route(bp, "post", "/campaigns/<campaign_id>/contacts/csv", body=ContactsCsvBody, ok=ImportReply,
           errors=(404,), tags=TAGS, supervisor=True)
def upload_contacts(campaign_id: str, body: ContactsCsvBody):
    """Add the contacts of a CSV file (its text in `csv`); bad rows are reported by line, as for a list."""
    return _import(campaign_id, lambda: admin.parse_csv(body.csv), body.skip_bad_rows)


def _remove(campaign_id: int, ids: list[int]):
    cc = contact_center()
    contacts, callbacks = _do(lambda: admin.contacts_to_remove(campaign_id, ids))
    cancelled = 0
    for cb_id in callbacks:
        try:
            cc.cancel_callback(cb_id, current_user.id, f"contact removed from the campaign by {current_user.username}")
            cancelled += 1
        except Exception as exc:  # noqa: BLE001 - taken meanwhile: the contact goes anyway
            log.info("campaign contact removal: callback %s not cancelled: %s", cb_id, exc)
    removed = _do(lambda: admin.delete_contacts(contacts))
    log.info("%s removed %d contacts from campaign %s", current_user.username, removed, campaign_id)
    return jsonify(ok=True, removed=removed, callbacks_cancelled=cancelled)


@api_route(bp, "post", "/campaigns/<campaign_id>/contacts/remove", body=RemoveContactsBody, ok=RemovedReply,
           errors=(404, 409), tags=TAGS, supervisor=True)
def remove_contacts(campaign_id: str, body: RemoveContactsBody):
    """Remove contacts (their open global callbacks are cancelled); refused while one is being dialed."""
    return _remove(_campaign_id(campaign_id), list(body.ids))


@api_route(bp, "delete", "/campaigns/<campaign_id>/contacts/<contact_id>", ok=RemovedReply, errors=(404, 409),
           tags=TAGS, supervisor=True)
def remove_contact(campaign_id: str, contact_id: str):
    """Remove one contact (its open global callback is cancelled)."""
    return _remove(_campaign_id(campaign_id), [_campaign_id(contact_id)])
