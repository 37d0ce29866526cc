"""The ESL connection manager against the simulator, over real sockets."""
from __future__ import annotations

import json
import uuid as uuidlib

import gevent
import gevent.event
import gevent.server
import pytest

from controller.config import EslAddress
from controller.dispatch import OrderedDispatcher
from controller.esl import AuthenticationFailed, CommandTimeout, EslClient, NotConnected


def client(sim, password="ClueCon", **kw) -> EslClient:
    return EslClient(EslAddress("127.0.0.1", sim.port, password), kw.pop("on_event", lambda e: None), **kw)


def test_bad_password_is_a_clear_error(simulator):
    esl = client(simulator, password="WrongPassword")
    with pytest.raises(AuthenticationFailed, match="refused the ESL password.*-ERR invalid"):
        esl.connect_once()
    esl.start()
    with gevent.Timeout(5):
        while esl.last_error is None:
            gevent.sleep(0.01)
    assert "refused the ESL password" in esl.last_error
    assert "WrongPassword" not in esl.last_error
    assert not esl.connected.is_set()
    esl.stop()


def test_nothing_listening_is_a_clear_error():
    esl = EslClient(EslAddress("127.0.0.1", 1, "ClueCon"), lambda e: None)
    with pytest.raises(NotConnected, match="cannot reach FreeSWITCH at esl://127.0.0.1:1"):
        esl.connect_once()


def test_api_and_reply_texts(simulator):
    esl = client(simulator)
    esl.start()
    assert esl.wait_connected(5)
    assert esl.api("uuid_exists 00000000-0000-4000-8000-000000000000") == "false"
    assert esl.api("uuid_getvar 00000000-0000-4000-8000-000000000000 cc_queue") == "-ERR No such channel!\n"
    assert json.loads(esl.api("show channels as json")) == {"row_count": 0}
    esl.stop()


def test_hundred_concurrent_bgapi_jobs_each_get_their_own_result(simulator):
    simulator.set_number("5550199", answer_after=0.05)
    esl = client(simulator)
    esl.start()
    assert esl.wait_connected(5)
    wanted = [str(uuidlib.uuid4()) for _ in range(100)]

    def originate(leg):
        job = esl.bgapi(f"originate {{origination_uuid={leg}}}loopback/5550199 &park()")
        return job.wait(timeout=20)

    greenlets = [gevent.spawn(originate, leg) for leg in wanted]
    gevent.joinall(greenlets, timeout=30, raise_error=True)
    assert [g.value for g in greenlets] == [f"+OK {leg}\n" for leg in wanted]
    assert esl.pending_jobs == 0
    esl.api("hupall")
    esl.stop()


def test_failed_job_reports_the_cause(simulator):
    simulator.add_phone("1009", behaviour="busy")
    esl = client(simulator)
    esl.start()
    assert esl.wait_connected(5)
    job = esl.bgapi("originate user/1009 &park()")
    assert job.wait(timeout=10) == "-ERR USER_BUSY\n"
    esl.stop()


@pytest.fixture
def silent_switch():
    """A server that greets and accepts auth, then never answers again: a hung FreeSWITCH."""
    received = []

    def handle(sock, _addr):
        sock.sendall(b"Content-Type: auth/request\n\n")
        buf = b""
        while True:
            data = sock.recv(4096)
            if not data:
                return
            buf += data
            while b"\n\n" in buf:
                command, buf = buf.split(b"\n\n", 1)
                received.append(command.decode())
                if command.startswith(b"auth ") or command.startswith(b"event "):
                    sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")

    server = gevent.server.StreamServer(("127.0.0.1", 0), handle)
    server.start()
    server.received = received
    yield server
    server.stop()


def test_a_command_without_reply_times_out_and_the_connection_is_replaced(silent_switch):
    connects = gevent.event.Event()
    esl = EslClient(EslAddress("127.0.0.1", silent_switch.server_port, "ClueCon"), lambda e: None,
                    on_connect=connects.set, command_timeout=0.3)
    esl.start()
    assert esl.wait_connected(5)
    with pytest.raises(CommandTimeout, match="did not answer 'api status' within 0.3s"):
        esl.api("status")
    # replies are matched by order: after a timeout only a new connection is safe
    with gevent.Timeout(5):
        while esl.connections < 2:
            gevent.sleep(0.01)
    esl.stop()


def test_silent_switch_trips_the_heartbeat_watchdog(silent_switch):
    esl = EslClient(EslAddress("127.0.0.1", silent_switch.server_port, "ClueCon"), lambda e: None,
                    heartbeat_timeout=0.5)
    esl.start()
    with gevent.Timeout(10):
        while esl.connections < 2:
            gevent.sleep(0.05)
    esl.stop()


def test_reconnects_after_the_switch_restarts_its_event_socket(simulator):
    esl = client(simulator)
    esl.start()
    assert esl.wait_connected(5)
    simulator.restart_esl()
    with gevent.Timeout(10):
        while esl.connections < 2 or not esl.connected.is_set():
            gevent.sleep(0.01)
    assert esl.api("uuid_exists 00000000-0000-4000-8000-000000000000") == "false"
    esl.stop()


def test_events_of_one_call_stay_in_order_while_another_call_is_slow(simulator):
    """Two customer calls; the first call's handler blocks; the second call is handled meanwhile."""
    simulator.add_did("8005550100", queue="sales")
    handled: dict[str, list[str]] = {}
    received: dict[str, list[str]] = {}
    release = gevent.event.Event()
    slow_uuid = []

    def handler(key, event):
        if key == slow_uuid[0] and not release.is_set():
            release.wait(10)
        handled.setdefault(key, []).append(event.name)

    dispatcher = OrderedDispatcher(handler)

    def on_event(event):
        if event.uuid:
            received.setdefault(event.uuid, []).append(event.name)
            dispatcher.submit(event.uuid, event)

    esl = client(simulator, on_event=on_event)
    esl.start()
    assert esl.wait_connected(5)
    slow_uuid.append(simulator.customer_call("8005550100", ani="5550100"))
    fast = simulator.customer_call("8005550100", ani="5550101")
    simulator.wait_for(lambda: fast in received and "CHANNEL_PARK" in received[fast], timeout=10)
    simulator.hangup(fast)
    with gevent.Timeout(10):
        while "CHANNEL_HANGUP_COMPLETE" not in handled.get(fast, []):
            gevent.sleep(0.01)
    # the slow call is still stuck on its first event, the fast one is complete and in order
    assert handled.get(slow_uuid[0], []) == []
    assert handled[fast] == received[fast]
    release.set()
    simulator.hangup(slow_uuid[0])
    with gevent.Timeout(10):
        while "CHANNEL_HANGUP_COMPLETE" not in handled.get(slow_uuid[0], []):
            gevent.sleep(0.01)
    assert handled[slow_uuid[0]] == received[slow_uuid[0]]
    esl.stop()
