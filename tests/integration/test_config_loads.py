"""freeswitch/conf as a real FreeSWITCH 1.10 loads it (``make fs-up``, then ``make fs-test``).

``tests/freeswitch/test_config.py`` reads the same files the way FreeSWITCH preprocesses
them; these tests ask a running FreeSWITCH started with them what it actually loaded.
"""
from __future__ import annotations

import os

import pytest

from controller.config import parse_esl_url
from controller.esl import EslClient

URL = os.environ.get("FREESWITCH_ESL")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not URL, reason="no real FreeSWITCH: set FREESWITCH_ESL=esl://:password@host:8021")]


@pytest.fixture(scope="module")
def esl():
    client = EslClient(parse_esl_url(URL), lambda e: None)
    client.start()
    assert client.wait_connected(10), client.last_error
    yield client
    client.stop()


def test_status_answers(esl):
    assert esl.api("status").startswith("UP ")


def test_reloadxml_accepts_the_configuration(esl):
    assert esl.api("reloadxml") == "+OK [Success]\n"


def test_both_sip_profiles_run(esl):
    # `sofia status` lists running profiles as "<name> profile <url> RUNNING (<in use>)"
    running = {line.split()[0] for line in esl.api("sofia status").splitlines()
               if "\tprofile\t" in line and "RUNNING" in line}
    assert {"internal", "external"} <= running
    detail = esl.api("sofia status profile internal")
    assert "Invalid Profile!" not in detail
    assert ":5060" in detail


def test_the_hold_music_stream_exists(esl):
    reply = esl.api("local_stream show moh")
    assert reply.startswith("moh\n") and "location:" in reply, (
        f"local_stream://moh is not running ({reply.strip()}): its folder has no audio files?")
    assert esl.api("global_getvar hold_music").strip() == "local_stream://moh"


def test_the_public_context_routes_the_dids(esl):
    public = esl.api("xml_locate dialplan context name public")
    for did, queue in (("8005550100", "sales"), ("8005550200", "support")):
        assert did in public and f"cc_queue={queue}" in public
    assert "park_after_bridge=true" in public


def test_the_main_menu_is_loaded(esl):
    assert 'name="main"' in esl.api("xml_locate configuration configuration name ivr.conf")


def test_the_modules_the_controller_needs_are_loaded(esl):
    for module in ("mod_conference", "mod_event_socket", "mod_sofia", "mod_dptools", "mod_commands",
                   "mod_local_stream", "mod_loopback", "mod_sndfile"):
        assert esl.api(f"module_exists {module}").strip() == "true", module
