"""Publishing IVR versions to a real FreeSWITCH 1.10: files written, ``reloadxml``, rollback.

Needs ``FREESWITCH_ESL`` and ``SWITCHDESK_FS_CONF_DIR``: the configuration folder that
FreeSWITCH reads (its ``/etc/freeswitch``), writable by these tests and holding this
repository's configuration (``cp -r freeswitch/conf <dir>`` and mount ``<dir>``, not the
read-only ``freeswitch/conf``, as ``/etc/freeswitch``). The tests put the folder's menu and
dialplan back as they found them.
"""
from __future__ import annotations

import os

import pytest

from controller.config import parse_esl_url
from controller.esl import EslClient
from controller.ivr.publish import publish_files, read_managed
from controller.ivr.service import IvrAdmin, reload_over

URL = os.environ.get("FREESWITCH_ESL")
CONF_DIR = os.environ.get("SWITCHDESK_FS_CONF_DIR")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not URL, reason="no real FreeSWITCH: set FREESWITCH_ESL=esl://:password@host:8021"),
    pytest.mark.skipif(not CONF_DIR, reason="set SWITCHDESK_FS_CONF_DIR to the (writable) folder FreeSWITCH reads"),
]
MENU = "ivr_menus/main.xml"


@pytest.fixture(scope="module")
def esl():
    client = EslClient(parse_esl_url(URL), lambda e: None)
    client.start()
    assert client.wait_connected(10), client.last_error
    yield client
    client.stop()


@pytest.fixture
def admin(esl, database):
    from controller.models import Queue

    for name in ("sales", "support"):
        Queue.create(name=name)
    before = read_managed(CONF_DIR)
    yield IvrAdmin(CONF_DIR, reload_over(esl))
    publish_files(CONF_DIR, {rel: data.decode() for rel, data in before.items()}, reload_over(esl))


def loaded_menus(esl) -> str:
    return esl.api("xml_locate configuration configuration name ivr.conf")


def test_a_published_version_is_what_freeswitch_runs_and_a_rollback_undoes_it(admin, esl):
    first = admin.first_version()
    assert admin.check(first.files) == [] or all(p.severity == "warning" for p in admin.check(first.files))
    files = dict(first.files)
    files[MENU] = files[MENU].replace('greet-long="ivr/ivr-thank_you_for_calling.wav"',
                                      'greet-long="ivr/ivr-welcome.wav"')
    second = admin.save(files, author=None, note="integration test")
    done = admin.publish(second.number, author_name="integration")
    assert done.result.ok and done.result.reply == "+OK [Success]", done.result.message
    assert 'greet-long="ivr/ivr-welcome.wav"' in loaded_menus(esl)

    back = admin.publish(first.number, author_name="integration")
    assert back.result.ok, back.result.message
    assert 'greet-long="ivr/ivr-thank_you_for_calling.wav"' in loaded_menus(esl)


def test_freeswitch_refusing_the_xml_puts_the_previous_files_back(admin, esl):
    before = read_managed(CONF_DIR)
    broken = {rel: data.decode() for rel, data in before.items()}
    broken[MENU] = broken[MENU].replace("</menu>", "</menu")  # what validation would have refused
    result = publish_files(CONF_DIR, broken, reload_over(esl))
    assert not result.ok and result.restored
    assert result.reply.startswith("+OK [") and result.reply != "+OK [Success]"
    assert result.message.endswith("The previous files are back and FreeSWITCH reloaded them.")
    assert read_managed(CONF_DIR) == before
    assert 'name="main"' in loaded_menus(esl)
