"""Publishing: write a version's files into FreeSWITCH's folder, ``reloadxml``, undo on failure.

Each file is written to a temporary name in its own folder and renamed over the old one
(``os.replace``), so FreeSWITCH never reads half a file; the temporary names do not end in
``.xml``, so no include glob picks them up. Menus of the folder that the version does not
have are removed. Then ``reloadxml``: FreeSWITCH answers ``+OK [Success]`` when the whole
configuration loaded, and ``+OK [<error>]`` otherwise (``reload_xml_function`` in
mod_commands.c always says +OK), keeping the configuration it had. On any other answer,
or when it cannot be asked, the previous files are put back and FreeSWITCH is asked to
reload again, so what runs and what is on disk stay the same.

Writing several files is not one atomic step: a ``reloadxml`` run by someone else in the
middle of a publish could load half a version. The files are written first and the reload
follows, so that window is a few milliseconds.
"""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from typing import Callable

from .validate import managed

log = logging.getLogger(__name__)

RELOAD_OK = "+OK [Success]"
MANAGED_FOLDERS = ("ivr_menus", "dialplan")


class ReloadUnavailable(Exception):
    """FreeSWITCH cannot be asked to reload (no event socket connection)."""


@dataclass
class PublishResult:
    """How a publish went: ``ok``, and a sentence for the admin."""

    ok: bool
    message: str
    reply: str = ""          # FreeSWITCH's answer to the (first) reloadxml
    restored: bool = False   # the previous files were put back


def read_managed(conf_dir: str) -> dict[str, bytes]:
    """The files switchdesk manages that are in ``conf_dir`` now (relative path -> bytes)."""
    found: dict[str, bytes] = {}
    for folder in MANAGED_FOLDERS:
        path = os.path.join(conf_dir, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            rel = f"{folder}/{name}"
            if managed(rel) and os.path.isfile(os.path.join(conf_dir, rel)):
                with open(os.path.join(conf_dir, rel), "rb") as fh:
                    found[rel] = fh.read()
    return found


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` by renaming a complete temporary file over it."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def put_files(conf_dir: str, files: dict[str, bytes]) -> None:
    """Make the managed files of ``conf_dir`` exactly ``files``."""
    for rel, data in sorted(files.items()):
        write_atomically(os.path.join(conf_dir, rel), data)
    for rel in read_managed(conf_dir):
        if rel not in files:
            os.unlink(os.path.join(conf_dir, rel))


def publish_files(conf_dir: str, files: dict[str, str], reload: Callable[[], str]) -> PublishResult:
    """Write ``files`` into ``conf_dir`` and reload FreeSWITCH; put the old files back if that fails.

    :param reload: runs ``reloadxml`` and returns FreeSWITCH's reply; raises
        :class:`ReloadUnavailable` (or any exception) when it cannot be asked
    """
    previous = read_managed(conf_dir)
    put_files(conf_dir, {rel: text.encode("utf-8") for rel, text in files.items()})
    problem, reply = _reload(reload)
    if problem is None:
        log.info("ivr: published %d files to %s: %s", len(files), conf_dir, reply)
        return PublishResult(True, "FreeSWITCH loaded the new configuration.", reply)
    log.warning("ivr: reloadxml failed (%s); putting the previous files back", problem)
    put_files(conf_dir, previous)
    again, again_reply = _reload(reload)
    if again is None:
        after = "The previous files are back and FreeSWITCH reloaded them."
    elif isinstance(again, str) and again.startswith("FreeSWITCH cannot be reached"):
        after = "The previous files are back; FreeSWITCH will read them at its next reload."
    else:
        after = f"The previous files are back, but FreeSWITCH refused them too ({again})."
    return PublishResult(False, f"{problem}. {after}", reply, restored=True)


def _reload(reload: Callable[[], str]) -> tuple[str | None, str]:
    """``(None, reply)`` when FreeSWITCH loaded its configuration, else ``(why, reply)``."""
    try:
        reply = reload()
    except ReloadUnavailable as exc:
        return f"FreeSWITCH cannot be reached ({exc})", ""
    except Exception as exc:  # noqa: BLE001 - any failure to ask is a failed reload
        return f"FreeSWITCH cannot be reached ({exc.__class__.__name__}: {exc or 'no answer'})", ""
    answer = reply.strip()
    if answer == RELOAD_OK:
        return None, answer
    if answer.startswith("+OK [") and answer.endswith("]"):
        return f"FreeSWITCH refused the configuration: {answer[5:-1]}", answer
    return f"FreeSWITCH answered reloadxml with {answer!r}", answer
