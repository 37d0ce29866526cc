"""IVR fixtures: the shipped menu and dialplan (version 1), a copy of freeswitch/conf to
publish into, and the queues of the demo."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "freeswitch" / "conf"
MENU = "ivr_menus/main.xml"
DIALPLAN = "dialplan/switchdesk.xml"


def shipped_files() -> dict[str, str]:
    """The files switchdesk manages, as they ship."""
    return {MENU: (CONF / MENU).read_text(), DIALPLAN: (CONF / DIALPLAN).read_text()}


@pytest.fixture
def shipped() -> dict[str, str]:
    return shipped_files()


@pytest.fixture
def conf_dir(tmp_path) -> Path:
    """freeswitch/conf copied where a test may publish."""
    folder = tmp_path / "freeswitch-conf"
    shutil.copytree(CONF, folder)
    return folder


@pytest.fixture
def catalogue():
    from controller.ivr import Catalogue

    return Catalogue({"sales", "support"})
