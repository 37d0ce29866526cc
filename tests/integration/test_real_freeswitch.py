"""The ESL core against a real FreeSWITCH 1.10 (``FREESWITCH_ESL=esl://:password@host:8021``).

Run with ``make fs-up`` (issue 6) or any FreeSWITCH whose event socket the controller may use.
"""
from __future__ import annotations

import json
import os
import uuid as uuidlib

import pytest

from controller.config import parse_esl_url
from controller.esl import AuthenticationFailed, EslClient

URL = os.environ.get("FREESWITCH_ESL")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not URL, reason="no real FreeSWITCH: set FREESWITCH_ESL=esl://:password@host:8021")]


@pytest.fixture
def esl():
    client = EslClient(parse_esl_url(URL), lambda e: None)
    client.start()
    assert client.wait_connected(10), client.last_error
    yield client
    client.stop()


def test_status_and_channels(esl):
    assert esl.api("status").startswith("UP ")
    assert "row_count" in json.loads(esl.api("show channels as json"))
    assert esl.api(f"uuid_exists {uuidlib.uuid4()}") == "false"


def test_bgapi_job_result_comes_back_by_our_job_uuid(esl):
    job = esl.bgapi(f"uuid_getvar {uuidlib.uuid4()} cc_queue")
    assert job.wait(timeout=10) == "-ERR No such channel!\n"


def test_wrong_password_is_refused():
    address = parse_esl_url(URL)
    client = EslClient(type(address)(address.host, address.port, address.password + "-wrong"), lambda e: None)
    with pytest.raises(AuthenticationFailed):
        client.connect_once()
