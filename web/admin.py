"""The administrators' pages and API: IVR menus and the switchdesk dialplan (docs/ivr.md),
and the page of outbound campaigns (``/admin/campaigns``; its API is :mod:`web.campaigns_api`).

``/admin/ivr`` is the editor (menus as a form or as XML with highlighting, checks, a dry
run, versions, diffs, publish and rollback). Everything it does goes through the JSON
API under ``/api/admin/ivr``, declared with :func:`web.openapi.api_route`, and through
:class:`controller.ivr.service.IvrAdmin`. Only people with the role ``admin`` may use
them: agents are refused before their request is read, supervisors with a 403 too.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user, login_required
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from controller.ivr.model import ACTIONS, Menu
from controller.ivr.service import IvrAdmin, IvrRefused, NoSuchVersion, check_forms, reload_over, render_forms

from .auth import contact_center
from .openapi import ApiError, api_route

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__)
api_bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")

ADMIN_ROLE = "admin"
NOT_ADMIN = "Only administrators can change IVR menus and the dialplan."
MAX_FILE = 200_000


def ivr_admin() -> IvrAdmin:
    """The app's :class:`IvrAdmin` (made on first use: ``reloadxml`` over the controller's ESL)."""
    admin = current_app.extensions.get("switchdesk.ivr")
    if admin is None:
        settings = current_app.extensions["switchdesk.settings"]
        admin = IvrAdmin(getattr(settings, "fs_conf_dir", "var/freeswitch-conf"), reload_over(contact_center().esl))
        current_app.extensions["switchdesk.ivr"] = admin
    return admin


def _require_admin() -> None:
    if getattr(current_user, "role", None) != ADMIN_ROLE:
        raise ApiError(403, NOT_ADMIN)


# ---------------------------------------------------------------- request and reply models

def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MenuEntryForm(_Body):
    """One choice of a menu: the caller presses `digits` and `action` runs with `target`."""

    digits: _text(10, 1) = Field(description="Keys the caller presses: 0-9, * (and # only during the greeting).",
                                 examples=["1"])
    action: Literal[tuple(ACTIONS)] = Field(description="What the choice does.")  # type: ignore[valid-type]
    target: _text(64) = Field("", description="The queue, mailbox, extension, dialplan extension or menu; "
                                              "empty for top, back and hangup.")


class MenuForm(_Body):
    """A menu as the form edits it; times in milliseconds."""

    name: _text(48, 1) = Field(examples=["main"])
    greet_long: _text(255) = ""
    greet_short: _text(255) = ""
    invalid_sound: _text(255) = ""
    exit_sound: _text(255) = ""
    timeout: int = Field(5000, ge=1, le=600_000)
    inter_digit_timeout: int = Field(2000, ge=1, le=600_000)
    max_failures: int = Field(3, ge=1, le=100)
    max_timeouts: int = Field(3, ge=1, le=100)
    digit_len: int = Field(1, ge=1, le=32)
    entries: list[MenuEntryForm] = Field(default_factory=list, max_length=60)

    def menu(self) -> Menu:
        return Menu.from_dict(self.model_dump())


class IvrDraft(_Body):
    """A version being edited: files as XML (path -> text), and the menus edited as forms
    (written as XML over the files of the same path)."""

    files: dict[Annotated[str, StringConstraints(max_length=120)],
                Annotated[str, StringConstraints(max_length=MAX_FILE)]] = Field(default_factory=dict)
    forms: list[MenuForm] = Field(default_factory=list, max_length=50)


class IvrSaveBody(IvrDraft):
    """Save the draft as a new version; `publish` makes it live at once."""

    note: _text(256) = ""
    based_on: int | None = Field(None, ge=1)
    publish: bool = False


class DryRunBody(IvrDraft):
    """A DID and the keys the caller presses (a space = a pause that ends the keys so far,
    `t` = no key until the timeout), against a saved `version` or the draft's files and forms."""

    did: _text(32, 1) = Field(examples=["8005550300"])
    keys: _text(40) = Field("", examples=["1"])
    ani: _text(32, 1) = "5550100"
    version: int | None = Field(None, ge=1)


class ProblemReply(BaseModel):
    rule: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    severity: Literal["error", "warning"] = "error"
    subject: str = ""


class VersionSummary(BaseModel):
    number: int
    author: str
    created_at: dt.datetime
    note: str
    based_on: int | None = None
    live: bool = False


class PublicationReply(BaseModel):
    version: int
    author: str
    at: dt.datetime
    ok: bool
    message: str


class PromptReply(BaseModel):
    file: str
    says: str


class IvrOverview(BaseModel):
    """The versions (newest first), which one is live, recent publishes, and what menus may name."""

    live: int | None
    latest: int
    conf_dir: str
    versions: list[VersionSummary]
    publications: list[PublicationReply]
    queues: list[str]
    prompts: list[PromptReply]
    actions: dict[str, str]


class MenuFormView(BaseModel):
    menu: MenuForm | None
    xml_only: str = Field("", description="Why the form cannot show this menu (edit it as XML).")


class IvrChecked(BaseModel):
    """The files as they would be written, each menu's form view, and every problem."""

    files: dict[str, str]
    forms: dict[str, MenuFormView]
    problems: list[ProblemReply]


class IvrVersionReply(IvrChecked):
    version: VersionSummary


class IvrSaved(BaseModel):
    ok: bool
    version: int
    published: bool = False
    message: str = ""
    problems: list[ProblemReply] = Field(default_factory=list)


class IvrPublished(BaseModel):
    ok: bool
    version: int
    message: str


class IvrDiff(BaseModel):
    older: int
    newer: int
    diff: str = Field(description="A unified diff of every file that changed.")


class DryRunStep(BaseModel):
    kind: str
    text: str
    where: str = ""


class DryRunReply(BaseModel):
    steps: list[DryRunStep]
    outcome: dict[str, str]
    variables: dict[str, str]


# ---------------------------------------------------------------- helpers

def _summary(version, live_number: int | None) -> dict:
    return {"number": version.number, "author": version.author_name, "created_at": version.created_at,
            "note": version.note, "based_on": version.based_on, "live": version.number == live_number}


def _draft_files(admin: IvrAdmin, body: IvrDraft) -> tuple[dict[str, str], list]:
    forms = [form.menu() for form in body.forms]
    return render_forms(dict(body.files), forms), check_forms(forms, admin.queues())


def _checked(admin: IvrAdmin, files: dict[str, str], early: list | None = None) -> dict:
    return {"files": files, "forms": admin.forms(files),
            "problems": [p.as_dict() for p in _together(early or [], admin.check(files))]}


def _together(early: list, later: list) -> list:
    """The form's problems, then the XML's, without saying twice that a queue is missing
    (the form's choice and the extension it needs name the same queue)."""
    said = {(p.rule, p.subject) for p in early if p.subject}
    return list(early) + [p for p in later if not (p.subject and (p.rule, p.subject) in said)]


def _refused(exc: IvrRefused):
    return jsonify(error=str(exc), problems=[p.as_dict() for p in exc.problems]), exc.status


# ---------------------------------------------------------------- the page

@bp.route("/admin/ivr")
@login_required
def ivr_page():
    if current_user.role != ADMIN_ROLE:
        abort(403)
    return render_template("admin_ivr.html")


@bp.route("/admin/campaigns")
@login_required
def campaigns_page():
    """Outbound campaigns (supervisors and admins, like their API: web/campaigns_api.py)."""
    if not current_user.is_supervisor:
        abort(403)
    return render_template("admin_campaigns.html")


# ---------------------------------------------------------------- the API

@api_route(api_bp, "get", "/ivr", ok=IvrOverview, errors=(403,), tags=("admin",), supervisor=True)
def ivr_overview():
    """The IVR versions, the live one, recent publishes, queues and prompts (admins)."""
    _require_admin()
    admin = ivr_admin()
    versions = admin.versions()
    live = admin.live()
    live_number = live.number if live else None
    return jsonify(live=live_number, latest=versions[0].number, conf_dir=admin.conf_dir,
                   versions=[_summary(v, live_number) for v in versions],
                   publications=[{"version": p.version.number, "author": p.author_name, "at": p.at, "ok": p.ok,
                                  "message": p.message} for p in admin.publications()],
                   queues=sorted(admin.queues()), prompts=admin.prompts(),
                   actions={kind: label for kind, (label, _needs) in ACTIONS.items()})


@api_route(api_bp, "get", "/ivr/versions/<int:number>", ok=IvrVersionReply, errors=(403, 404), tags=("admin",),
           supervisor=True)
def ivr_version(number: int):
    """One version: its files, each menu's form view, and its problems today (admins)."""
    _require_admin()
    admin = ivr_admin()
    admin.first_version()
    try:
        version = admin.version(number)
    except NoSuchVersion as exc:
        raise ApiError(404, str(exc)) from exc
    live = admin.live()
    return jsonify(version=_summary(version, live.number if live else None), **_checked(admin, version.files))


@api_route(api_bp, "post", "/ivr/check", body=IvrDraft, ok=IvrChecked, errors=(403,), tags=("admin",),
           supervisor=True)
def ivr_check(body: IvrDraft):
    """Check a draft: the files as they would be written, and every problem (admins)."""
    _require_admin()
    admin = ivr_admin()
    files, early = _draft_files(admin, body)
    return jsonify(**_checked(admin, files, early))


@api_route(api_bp, "post", "/ivr/versions", body=IvrSaveBody, ok=IvrSaved, errors=(403, 409, 502), tags=("admin",),
           supervisor=True)
def ivr_save(body: IvrSaveBody):
    """Save a draft as a new version (refused with its problems when it has errors); with
    `publish`, make it live at once (admins)."""
    _require_admin()
    admin = ivr_admin()
    files, early = _draft_files(admin, body)
    errors = [p for p in early if p.severity == "error"]
    if errors:
        return _refused(IvrRefused(f"The version has {len(errors)} error{'s' if len(errors) != 1 else ''}: "
                                   f"{errors[0]}", _together(early, admin.check(files))))
    from controller.models import Agent

    try:
        version = admin.save(files, author=Agent.get_by_id(current_user.id), note=body.note, based_on=body.based_on)
    except IvrRefused as exc:
        return _refused(exc)
    reply = {"ok": True, "version": version.number, "published": False,
             "message": f"Version {version.number} is saved.",
             "problems": [p.as_dict() for p in admin.check(files)]}
    if body.publish:
        return _publish(admin, version.number, reply)
    return jsonify(reply)


@api_route(api_bp, "post", "/ivr/versions/<int:number>/publish", ok=IvrPublished, errors=(403, 404, 502),
           tags=("admin",), supervisor=True)
def ivr_publish(number: int):
    """Publish a version: write its files into FreeSWITCH's folder and reloadxml; an older
    version is a rollback. A failed reload puts the previous files back (502, why) (admins)."""
    _require_admin()
    return _publish(ivr_admin(), number, {"version": number})


def _publish(admin: IvrAdmin, number: int, reply: dict):
    try:
        done = admin.publish(number, author_name=current_user.username)
    except NoSuchVersion as exc:
        raise ApiError(404, str(exc)) from exc
    except IvrRefused as exc:
        return _refused(exc)
    reply.update(ok=done.result.ok, version=number, message=done.result.message)
    if "published" in reply:
        reply["published"] = done.result.ok
    if not done.result.ok:
        return jsonify(error=done.result.message, **reply), 502
    return jsonify(reply)


@api_route(api_bp, "get", "/ivr/diff", ok=IvrDiff, errors=(400, 403, 404), tags=("admin",), supervisor=True)
def ivr_diff():
    """The changes between two versions (`?older=1&newer=2`), as a unified diff (admins)."""
    _require_admin()
    try:
        older, newer = int(request.args["older"]), int(request.args["newer"])
    except (KeyError, ValueError):
        raise ApiError(400, "Name two versions: ?older=1&newer=2.") from None
    try:
        return jsonify(older=older, newer=newer, diff=ivr_admin().diff(older, newer))
    except NoSuchVersion as exc:
        raise ApiError(404, str(exc)) from exc


@api_route(api_bp, "post", "/ivr/dry-run", body=DryRunBody, ok=DryRunReply, errors=(403, 404), tags=("admin",),
           supervisor=True)
def ivr_dry_run(body: DryRunBody):
    """What a call to a DID does when the caller presses some keys, step by step (admins)."""
    _require_admin()
    admin = ivr_admin()
    if body.version is not None:
        try:
            files = admin.version(body.version).files
        except NoSuchVersion as exc:
            raise ApiError(404, str(exc)) from exc
    elif body.files or body.forms:
        files, _early = _draft_files(admin, body)
    else:
        files = admin.latest().files
    return jsonify(admin.dry_run(files, body.did, body.keys, body.ani).as_dict())
