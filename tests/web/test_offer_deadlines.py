"""What the contact-request popover is told: when the ring timeout ends the offer (``offer_expires_at``),
also after a reconnect, and that a failed offer is over for its agent (``call_ended``) — on the real stack."""
from __future__ import annotations

import datetime as dt

from .test_call_control import Desk, start_consult


def moment(text: str) -> dt.datetime:
    assert text.endswith("Z"), text
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def received(client, name):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


def test_an_offer_names_when_its_ring_timeout_ends_also_in_a_reconnect_snapshot(
        app, socketio, signed_in, live_center, simulator, pushes, people):
    desk = Desk(signed_in, live_center, simulator, pushes)
    simulator.add_phone("1000", behaviour="never")
    desk.available(desk.alice)
    before = now()
    simulator.customer_call("8005550100", ani="5550100")
    _, _, offered = desk.wait_call(lambda c: c["state"] == "offering", agent=desk.alice)
    after = now()
    # the sales queue rings an agent for 10 s (the originate_timeout of the agent's leg)
    assert offered["ring_timeout"] == 10
    expires = moment(offered["offer_expires_at"])
    assert before + dt.timedelta(seconds=10) <= expires + dt.timedelta(milliseconds=1)
    assert expires <= after + dt.timedelta(seconds=10)

    # a page that connects now is told the same moment, not a fresh ring timeout
    socket = socketio.test_client(app, flask_test_client=desk.alice.client)
    [snapshot] = received(socket, "snapshot")
    [call] = snapshot["calls"]
    assert call["id"] == offered["id"] and call["offer_expires_at"] == offered["offer_expires_at"]
    assert desk.alice.get(f"/api/calls/{call['id']}").get_json()["call"]["offer_expires_at"] == \
        offered["offer_expires_at"]


def test_a_failed_offer_takes_the_popover_away_and_an_answered_one_has_no_deadline(
        app, socketio, signed_in, live_center, simulator, pushes, people):
    desk = Desk(signed_in, live_center, simulator, pushes)
    simulator.add_phone("1000", behaviour="reject")
    desk.available(desk.alice)
    socket = socketio.test_client(app, flask_test_client=desk.alice.client)
    socket.get_received()
    simulator.customer_call("8005550100", ani="5550100")
    _, _, ended = desk.wait_call(lambda c: True, agent=desk.alice, event="call_ended")
    # the popover's call, as it was offered: not a call to wrap up
    assert ended["state"] == "offering" and ended["answered_at"] is None
    desk.wait_agent(desk.alice, "rona")
    got = [(p["name"], p["args"][0].get("state")) for p in socket.get_received()]
    # the page hears that the offer is over for it, then that its agent is in RONA
    assert got.index(("call_ended", "offering")) < got.index(("agent_state", "rona")), got

    # answered: the call is connected and no longer counts down
    simulator.add_phone("1000", answer_after=0.2)
    desk.available(desk.alice)
    _, _, connected = desk.wait_call(lambda c: c["state"] == "connected", agent=desk.alice)
    assert connected["offer_expires_at"] is None and connected["ring_timeout"] is None


def test_a_consulted_agents_request_counts_down_for_them_only(
        signed_in, live_center, simulator, pushes, people):
    desk = Desk(signed_in, live_center, simulator, pushes)
    call_id, _customer, _agent, _consult = start_consult(desk, answer_after=120)
    _, _, ringing = desk.wait_call(lambda c: c["id"] == call_id and c["role"] == "consulted", agent=desk.bob)
    assert ringing["consult"]["phase"] == "ringing" and ringing["allowed"] == []
    assert ringing["ring_timeout"] == 10 and moment(ringing["offer_expires_at"]) > now()
    assert ringing["consult"]["expires_at"] == ringing["offer_expires_at"]
    # the consulting agent's own view has no popover to count down
    assert desk.alice.get(f"/api/calls/{call_id}").get_json()["call"]["offer_expires_at"] is None
