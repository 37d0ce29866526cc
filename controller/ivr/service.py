"""The IVR editor's use cases: versions, checks, dry runs, publish and rollback.

:class:`IvrAdmin` is what the admin pages and the REST API call. A version is saved only
when it has no errors, and it is published only after being checked again (queues may
have changed since it was saved); publishing the version that is live, or an older one
(a rollback), works the same way. Every publish is recorded, successful or not.
"""
from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass
from typing import Callable

import gevent.lock
import peewee

from ..models import IvrPublication, IvrVersion, Queue, utcnow
from . import publish as pub
from .dryrun import DryRun, dry_run
from .fsxml import load
from .model import (ACTIONS, DIALPLAN_FILE, DIALPLAN_NAME, EXTENSION_NUMBER, QUEUE_NAME, Menu, ensure_extensions,
                    prune_generated, render_menu, transfer_targets, try_menu_from_xml)
from .stock_prompts import STOCK_PROMPTS
from .validate import PROMPTS_FOLDER, Catalogue, Problem, errors, managed, tree_for, validate

log = logging.getLogger(__name__)

#: the configuration that ships with switchdesk (version 1 when nothing else is known)
SHIPPED_CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "freeswitch", "conf")
SYSTEM_AUTHOR = "switchdesk"


def install_shipped_conf(conf_dir: str) -> int:
    """Copy the shipped FreeSWITCH configuration into ``conf_dir``, file by file, leaving
    every file that is already there (a published menu stays published); returns how many
    files were copied. The demo's simulator reads that folder like a FreeSWITCH would."""
    import shutil

    copied = 0
    for folder, _dirs, names in os.walk(SHIPPED_CONF):
        for name in names:
            source = os.path.join(folder, name)
            target = os.path.join(conf_dir, os.path.relpath(source, SHIPPED_CONF))
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target)
                copied += 1
    return copied


class IvrRefused(Exception):
    """A version cannot be saved or published as it is; ``problems`` say why."""

    def __init__(self, message: str, problems: list[Problem] | None = None, status: int = 400):
        super().__init__(message)
        self.problems = problems or []
        self.status = status


class NoSuchVersion(LookupError):
    pass


@dataclass
class Published:
    version: IvrVersion
    result: pub.PublishResult


def reload_over(esl) -> Callable[[], str]:
    """``reloadxml`` over the controller's event socket connection."""
    from ..esl import EslError

    def reload() -> str:
        try:
            return esl.api("reloadxml")
        except EslError as exc:
            raise pub.ReloadUnavailable(str(exc) or exc.__class__.__name__) from exc

    return reload


def render_forms(files: dict[str, str], forms: list[Menu]) -> dict[str, str]:
    """``files`` with each form-edited menu written as XML; in ``dialplan/switchdesk.xml``
    the extensions the forms' choices need are added, and those the editor added earlier
    that no menu uses any more are removed."""
    out = dict(files)
    for menu in forms:
        out[menu.path] = render_menu(menu)
    if forms:
        dialplan = ensure_extensions(out.get(DIALPLAN_FILE), forms)
        used = transfer_targets([text for rel, text in out.items() if rel != DIALPLAN_FILE])
        out[DIALPLAN_FILE] = prune_generated(dialplan, used)
    return out


def check_forms(forms: list[Menu], queues: set[str]) -> list[Problem]:
    """What the form can say before any XML is read: each choice names what it needs."""
    problems = []
    names = [menu.name for menu in forms]
    for menu in forms:
        path = menu.path
        if names.count(menu.name) > 1:
            problems.append(Problem("duplicate-menu", f"Two menus are called '{menu.name}'.", path))
        for entry in menu.entries:
            label, needs = ACTIONS.get(entry.action, (entry.action, ""))
            where = f"The choice {entry.digits or '(no digits)'} of the menu '{menu.name}'"
            if needs and not entry.target:
                problems.append(Problem("missing-target", f"{where} ({label}) needs a {needs}.", path))
            elif entry.action in ("queue", "callback", "voicemail") and entry.target not in queues:
                problems.append(Problem("unknown-queue", f"{where}: the queue '{entry.target}' does not exist in "
                                                         f"switchdesk (queues: {', '.join(sorted(queues)) or 'none'}).",
                                        path, subject=entry.target))
            elif entry.action in ("queue", "callback", "voicemail") and not QUEUE_NAME.fullmatch(entry.target):
                problems.append(Problem("value-type", f"{where}: '{entry.target}' is not a queue name.", path))
            elif entry.action == "extension" and not EXTENSION_NUMBER.fullmatch(entry.target):
                problems.append(Problem("value-type", f"{where}: '{entry.target}' is not an extension number "
                                                      "(digits, * # +).", path))
            elif entry.action == "route" and not DIALPLAN_NAME.fullmatch(entry.target):
                problems.append(Problem("value-type", f"{where}: '{entry.target}' may use only letters, digits "
                                                      "and _ . + -.", path))
    return problems


class IvrAdmin:
    """IVR versions for one FreeSWITCH configuration folder.

    :param conf_dir: FreeSWITCH's configuration folder (``SWITCHDESK_FS_CONF_DIR``)
    :param reload: runs ``reloadxml`` and returns the reply (see :func:`reload_over`)
    """

    def __init__(self, conf_dir: str, reload: Callable[[], str]):
        self.conf_dir = os.path.abspath(conf_dir)
        self.reload = reload
        self._publishing = gevent.lock.BoundedSemaphore()

    # -- what references may name ------------------------------------------------------
    def queues(self) -> set[str]:
        return {q.name for q in Queue.select(Queue.name)}

    def catalogue(self) -> Catalogue:
        return Catalogue(self.queues())

    def prompts(self) -> list[dict]:
        """Prompts a menu may play: the stock recordings, then the admin's own."""
        out = [{"file": name, "says": says} for name, says in sorted(STOCK_PROMPTS.items())]
        folder = os.path.join(self.conf_dir, PROMPTS_FOLDER)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if os.path.isfile(os.path.join(folder, name)):
                    out.append({"file": f"$${{conf_dir}}/{PROMPTS_FOLDER}/{name}", "says": "(your recording)"})
        return out

    # -- versions ------------------------------------------------------------------------
    def first_version(self) -> IvrVersion:
        """Version 1 when there is none: the managed files in the folder, else the shipped ones."""
        existing = IvrVersion.select().order_by(IvrVersion.number).first()
        if existing is not None:
            return existing
        files = {rel: data.decode("utf-8", "replace") for rel, data in pub.read_managed(self.conf_dir).items()}
        note = "imported from FreeSWITCH's configuration folder"
        if DIALPLAN_FILE not in files:
            files = {rel: data.decode("utf-8") for rel, data in pub.read_managed(SHIPPED_CONF).items()}
            note = "the configuration shipped with switchdesk"
        try:
            version = IvrVersion.create(number=1, files=files, author=None, author_name=SYSTEM_AUTHOR, note=note)
        except peewee.IntegrityError:  # another request made it first
            return IvrVersion.get(IvrVersion.number == 1)
        on_disk = {rel: data.decode("utf-8", "replace") for rel, data in pub.read_managed(self.conf_dir).items()}
        if on_disk == files:
            IvrPublication.create(version=version, author_name=SYSTEM_AUTHOR, ok=True,
                                  message="Version 1 is what FreeSWITCH's configuration folder holds.")
        return version

    def versions(self) -> list[IvrVersion]:
        self.first_version()
        return list(IvrVersion.select().order_by(IvrVersion.number.desc()))

    def version(self, number: int) -> IvrVersion:
        found = IvrVersion.get_or_none(IvrVersion.number == number)
        if found is None:
            raise NoSuchVersion(f"There is no version {number}.")
        return found

    def latest(self) -> IvrVersion:
        self.first_version()
        return IvrVersion.select().order_by(IvrVersion.number.desc()).first()

    def live(self) -> IvrVersion | None:
        """The version FreeSWITCH runs: the last one published successfully."""
        last = (IvrPublication.select(IvrPublication, IvrVersion).join(IvrVersion)
                .where(IvrPublication.ok == True).order_by(IvrPublication.id.desc()).first())  # noqa: E712
        return last.version if last is not None else None

    def publications(self, limit: int = 20) -> list[IvrPublication]:
        return list(IvrPublication.select(IvrPublication, IvrVersion).join(IvrVersion)
                    .order_by(IvrPublication.id.desc()).limit(limit))

    # -- checks --------------------------------------------------------------------------
    def check(self, files: dict[str, str]) -> list[Problem]:
        return validate(files, self.catalogue(), self.conf_dir)

    def forms(self, files: dict[str, str]) -> dict[str, dict]:
        """For each menu file: the form's view, or why it can be edited only as XML."""
        out = {}
        for rel, text in sorted(files.items()):
            if rel == DIALPLAN_FILE:
                continue
            menu, why = try_menu_from_xml(text)
            out[rel] = {"menu": menu.as_dict() if menu else None, "xml_only": why}
        return out

    def dry_run(self, files: dict[str, str], did: str, keys: str, ani: str = "5550100") -> DryRun:
        loaded = load(tree_for(self.conf_dir, files))
        return dry_run(loaded, did, keys, ani=ani, queues=self.queues())

    def diff(self, older: int, newer: int) -> str:
        """A unified diff of two versions' files (``a/`` is ``older``)."""
        a, b = self.version(older).files, self.version(newer).files
        lines: list[str] = []
        for rel in sorted(set(a) | set(b)):
            before, after = a.get(rel, ""), b.get(rel, "")
            if before == after:
                continue
            lines += difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                          fromfile=f"version {older}/{rel}" if rel in a else "/dev/null",
                                          tofile=f"version {newer}/{rel}" if rel in b else "/dev/null")
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
        return "".join(lines)

    # -- save, publish, roll back ----------------------------------------------------------
    def save(self, files: dict[str, str], *, author, note: str = "", based_on: int | None = None) -> IvrVersion:
        """Save ``files`` as a new version after checking them.

        :param author: the :class:`~controller.models.Agent` saving it
        :raises IvrRefused: with the problems, when there is an error
        """
        bad = [rel for rel in files if not managed(rel)]
        problems = self.check(files)
        found = errors(problems)
        if found or bad:
            raise IvrRefused(f"The version has {len(found)} error{'s' if len(found) != 1 else ''}: "
                             f"{found[0] if found else 'files outside what switchdesk manages'}", problems)
        self.first_version()
        if based_on is not None:
            base = IvrVersion.get_or_none(IvrVersion.number == based_on)
            if base is not None and base.files == files:
                raise IvrRefused(f"Nothing changed since version {based_on}: publish that version instead.",
                                 status=409)
        for _attempt in range(3):
            number = (IvrVersion.select(peewee.fn.MAX(IvrVersion.number)).scalar() or 0) + 1
            try:
                version = IvrVersion.create(number=number, files=files, author=author,
                                            author_name=author.username if author else SYSTEM_AUTHOR,
                                            note=note[:256], based_on=based_on, created_at=utcnow())
                log.info("ivr: version %d saved by %s", number, version.author_name)
                return version
            except peewee.IntegrityError:
                continue  # two saves at once: take the next number
        raise IvrRefused("Another version was being saved at the same time; try again.", status=409)

    def publish(self, number: int, *, author_name: str) -> Published:
        """Make version ``number`` live (also a rollback to an older one).

        :raises IvrRefused: the version has errors now (e.g. a queue was deleted since)
        """
        version = self.version(number)
        problems = self.check(version.files)
        found = errors(problems)
        if found:
            raise IvrRefused(f"Version {number} cannot be published: {found[0]}", problems)
        with self._publishing:
            result = pub.publish_files(self.conf_dir, version.files, self.reload)
            message = (f"Version {number} is live. {result.message}" if result.ok else
                       f"Version {number} was not published. {result.message}")
            IvrPublication.create(version=version, author_name=author_name, ok=result.ok, message=message)
        log.log(logging.INFO if result.ok else logging.WARNING, "ivr: %s (by %s)", message, author_name)
        result.message = message
        return Published(version, result)
