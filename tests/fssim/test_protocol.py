"""ESL protocol details against the exact bytes of trace 11."""
import os

import gevent
import requests

from tests.fssim.esl_client import EslTestClient, first

TRACE = os.path.join(os.path.dirname(__file__), "..", "traces", "11-esl-protocol")
BYE = (b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
       b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
       b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")


def test_bad_password_bytes(sim):
    client = EslTestClient(sim.port)
    client.wait_reply(1)
    client.send("auth WrongPassword")
    client.closed.wait(5)
    assert client.closed.is_set()
    assert bytes(client.raw) == (b"Content-Type: auth/request\n\n"
                                 b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n"
                                 b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
                                 b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")


def test_noauth_probe_is_byte_identical(sim):
    client = EslTestClient(sim.port)
    client.wait_reply(1)
    for command in ["api status", "auth ClueCon", "linger", "nolinger",
                    "event plain CHANNEL_CREATE CHANNEL_ANSWER CUSTOM conference::maintenance",
                    "event xml HEARTBEAT", "event bogusformat ALL", "noevents", "nosuchcommand"]:
        client.command(command)
    client.send("exit")
    client.closed.wait(5)
    with open(os.path.join(TRACE, "raw-probe-noauth.bin"), "rb") as handle:
        assert bytes(client.raw) == handle.read()


def test_exit_and_api_texts(sim):
    client = EslTestClient(sim.port)
    client.login()
    assert client.api("foobar") == "-ERR foobar Command not found!\n"
    assert client.api("show channels as json") == '{"row_count": 0}\n'
    assert client.api("show channels count") == "\n0 total.\n"
    assert client.api("uuid_exists 00000000-0000-4000-8000-000000000000") == "false"
    assert client.api("uuid_getvar 00000000-0000-4000-8000-000000000000 cc_queue") == "-ERR No such channel!\n"
    assert client.api("reloadxml") == "+OK [Success]\n"
    assert client.api("version").startswith("FreeSWITCH Version 1.10.12-release")
    start = len(client.raw)
    client.send("exit")
    client.closed.wait(5)
    assert bytes(client.raw[start:]) == BYE


def test_bgapi_job_uuid_and_background_job(sim):
    events = EslTestClient(sim.port)
    events.login()
    events.command("event plain BACKGROUND_JOB")
    client = EslTestClient(sim.port)
    client.login()
    reply = client.command("bgapi status\nJob-UUID: 2c886aa2-e68d-4aed-81ef-a1421c419237")
    assert reply.headers["Reply-Text"] == "+OK Job-UUID: 2c886aa2-e68d-4aed-81ef-a1421c419237"
    assert reply.headers["Job-UUID"] == "2c886aa2-e68d-4aed-81ef-a1421c419237"
    job = events.wait_event(lambda e: first(e, "Job-UUID") == "2c886aa2-e68d-4aed-81ef-a1421c419237")
    assert first(job, "Job-Command") == "status" and first(job, "Job-Command-Arg") is None
    assert job["body"].startswith("UP 0 years")
    generated = client.command("bgapi foobar").headers["Job-UUID"]
    job = events.wait_event(lambda e: first(e, "Job-UUID") == generated)
    assert job["body"] == "-ERR foobar Command not found!\n"


def test_heartbeat_then_re_schedule(tmp_path):
    from tests.fssim.conftest import lab_simulator
    sim = lab_simulator(tmp_path, heartbeat_interval=0.1)
    try:
        client = EslTestClient(sim.port)
        client.login()
        client.command("event plain ALL")
        client.wait(lambda: len(client.events) >= 2)
        assert [first(e, "Event-Name") for e in client.events[:2]] == ["HEARTBEAT", "RE_SCHEDULE"]
    finally:
        sim.stop()


def test_filter_and_json(sim):
    client = EslTestClient(sim.port)
    client.login()
    client.command("event plain ALL")
    uuid = sim.customer_call("8005550100", ani="5550100")
    reply = client.command("filter Unique-ID %s" % uuid)
    assert reply.headers["Reply-Text"] == "+OK filter added. [Unique-ID]=[%s]" % uuid
    assert client.command("event json ALL").headers["Reply-Text"] == "+OK event listener enabled json"
    other = sim.customer_call("8005550100", ani="5550111")
    sim.hangup(uuid)
    client.wait_event(lambda e: first(e, "Event-Name") == "CHANNEL_DESTROY" and first(e, "Unique-ID") == uuid)
    assert not any(first(e, "Unique-ID") == other for e in client.events)
    complete = client.wait_event(lambda e: first(e, "Event-Name") == "CHANNEL_HANGUP_COMPLETE")
    assert [v for k, v in complete["headers"] if k == "Hangup-Cause"] == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    reply = client.command("filter delete Unique-ID %s" % uuid)
    assert reply.headers["Reply-Text"] == "+OK filter deleted. [Unique-ID][%s]" % uuid


def test_restart_esl_keeps_channels(sim):
    uuid = sim.customer_call("8005550100", ani="5550100")
    sim.wait_for(lambda: sim.channels[uuid].answered)
    port = sim.port
    client = EslTestClient(port)
    client.login()
    sim.restart_esl()
    client.closed.wait(5)
    assert client.closed.is_set() and sim.port == port
    again = EslTestClient(port)
    again.login()
    assert again.api("uuid_exists %s" % uuid) == "true"


def test_http_control_api(tmp_path):
    from tests.fssim.conftest import lab_simulator
    sim = lab_simulator(tmp_path, http_port=0)
    try:
        base = "http://127.0.0.1:%d" % sim.http_port

        def call(method, path, **kw):
            return gevent.get_hub().threadpool.apply(getattr(requests, method), (base + path,), kw)

        assert call("post", "/phones", json={"extension": "2000", "answer_after": 0.01}).status_code == 201
        uuid = call("post", "/calls", json={"did": "8005550100", "ani": "5550123"}).json()["uuid"]
        sim.wait_for(lambda: sim.channels[uuid].answered)
        rows = call("get", "/channels").json()
        assert rows[0]["uuid"] == uuid and rows[0]["hears"] == "silence" and rows[0]["answered"]
        assert call("post", "/channels/%s/dtmf" % uuid, json={"digits": "12"}).status_code == 200
        assert call("post", "/channels/%s/hangup" % uuid).status_code == 200
        sim.wait_for(lambda: uuid not in sim.channels)
    finally:
        sim.stop()


def test_numbers_that_do_not_exist_are_refused_with_their_cause(sim):
    """A carrier's 404 and 484 (FreeSWITCH's SIP-to-cause table), refused at once like trace 09's 486/603."""
    sim.set_number("5550404", behaviour="unallocated")
    sim.set_number("5550484", behaviour="invalid_format")
    client = EslTestClient(sim.port)
    client.login()
    assert client.api("originate sofia/gateway/carrier/5550404 &park()") == "-ERR UNALLOCATED_NUMBER\n"
    assert client.api("originate sofia/gateway/carrier/5550484 &park()") == "-ERR INVALID_NUMBER_FORMAT\n"
