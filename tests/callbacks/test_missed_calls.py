"""Missed calls: abandoned callers, the max-wait menu (keep waiting, callback, message) and the IVR's
callback request — on the real stack, asserting what the caller hears and what agents see."""
from __future__ import annotations

import os

import pytest

from .conftest import CUSTOMER, callback_rows, prompt


@pytest.fixture(autouse=True)
def any_time(sales):
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.call_delay = 0
    sales.save()


def queued(sim, pushes, ani=CUSTOMER):
    uuid = sim.customer_call("8005550100", ani=ani)
    pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call" and p["ani"] == ani and p["state"] == "queued")
    return uuid


def in_menu(sim, uuid):
    sim.wait_for(lambda: "play_and_get_digits" in [a.name for a in sim.switch.get(uuid).apps], timeout=5)


def test_a_caller_who_hangs_up_in_queue_is_a_missed_call_agents_can_call_back(sales, live_center, simulator, pushes,
                                                                            signed_in):
    uuid = queued(simulator, pushes)
    simulator.hangup(uuid)
    _, _, missed = pushes.wait_for(lambda r, e, p: r.startswith("agent:") and e == "callback")
    assert (missed["kind"], missed["status"], missed["launch"], missed["notify"]) == \
        ("abandoned", "pending", "manual", False)

    alice = signed_in("alice")
    listed = alice.get("/api/callbacks?view=missed").get_json()["callbacks"]
    assert [(c["kind"], c["number"]) for c in listed] == [("abandoned", CUSTOMER)]
    # nobody is offered it by routing: an agent decides
    alice.post("/api/agent/state", json={"state": "available"})
    assert not [p for r, e, p in pushes.pushes if e == "callback_offer"]

    response = alice.post(f"/api/callbacks/{missed['id']}/call")
    assert response.status_code == 200, response.get_json()
    call = response.get_json()["call"]
    assert call["kind"] == "callback" and call["state"] == "dialing"
    pushes.wait_for(lambda r, e, p: e == "call" and p["id"] == call["id"] and p["state"] == "connected", timeout=15)
    assert callback_rows()[0].status == "connected"
    # a second agent cannot take it meanwhile
    assert signed_in("bob").post(f"/api/callbacks/{missed['id']}/call").status_code == 409


def test_max_wait_menu_1_keeps_the_callers_place(sales, live_center, simulator, pushes, people):
    sales.max_wait, sales.failover = 1, "ivr"
    sales.save()
    live_center.reload_queues()
    first = queued(simulator, pushes)
    in_menu(simulator, first)
    assert simulator.hears(first) == f"playback:{prompt('max_wait_menu')}"
    second = queued(simulator, pushes, ani="+12125550144")            # arrives while the first is in the menu
    sales.max_wait = 0                                                # no second menu in this test
    sales.save()
    live_center.reload_queues()
    first_call = next(c for c in live_center.calls.values() if c.record.customer_uuid == first)
    simulator.send_dtmf(first, "1")
    simulator.wait_for(lambda: simulator.hears(first) == "moh")       # back to the music
    simulator.wait_for(lambda: first_call.id not in live_center._menus)
    live_center.set_agent_state(people.alice.id, "available")
    _, _, offered = pushes.wait_for(lambda r, e, p: e == "call" and p["state"] == "offering")
    assert offered["ani"] == CUSTOMER                                 # the first caller is still first
    simulator.hangup(second)


def test_max_wait_menu_2_is_a_callback_request_agents_are_told_about(sales, live_center, simulator, pushes,
                                                                     signed_in):
    sales.max_wait, sales.failover = 1, "ivr"
    sales.save()
    live_center.reload_queues()
    uuid = queued(simulator, pushes)
    in_menu(simulator, uuid)
    simulator.send_dtmf(uuid, "2")
    _, _, request = pushes.wait_for(lambda r, e, p: r.startswith("agent:") and e == "callback" and p["kind"] == "ivr")
    assert request["notify"] is True and request["status"] == "pending"
    simulator.wait_for(lambda: uuid not in simulator.channels, timeout=5)   # thanked, then hung up
    alice = signed_in("alice")
    alice.client.post  # noqa: B018
    missed = alice.get("/api/callbacks?view=missed").get_json()["callbacks"]
    assert missed[0]["kind"] == "ivr" and missed[0]["original_contact_id"]
    # it keeps the caller's place and is offered like an in-queue callback
    alice.post("/api/agent/state", json={"state": "available"})
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer")


def test_max_wait_menu_3_records_a_message_listed_with_its_audio(sales, live_center, simulator, pushes, signed_in):
    sales.max_wait, sales.failover = 1, "ivr"
    sales.save()
    live_center.reload_queues()
    uuid = queued(simulator, pushes)
    in_menu(simulator, uuid)
    simulator.send_dtmf(uuid, "3")
    simulator.wait_for(lambda: any(r["uuid"] == uuid and r["active"] for r in simulator.recordings()), timeout=5)
    simulator.send_dtmf(uuid, "#")                                    # done speaking
    _, _, message = pushes.wait_for(lambda r, e, p: e == "callback" and p["has_message"], timeout=5)
    simulator.wait_for(lambda: uuid not in simulator.channels, timeout=5)
    row = callback_rows()[0]
    assert (row.kind, row.launch) == ("ivr", "manual") and os.path.getsize(row.message_path) > 44

    alice = signed_in("alice")
    listed = alice.get("/api/callbacks?view=missed").get_json()["callbacks"]
    assert listed[0]["message_url"] == f"/api/callbacks/{row.id}/message"
    audio = alice.get(listed[0]["message_url"])
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data[:4] == b"RIFF"


def test_a_caller_who_hangs_up_while_leaving_a_message_keeps_it(sales, live_center, simulator, pushes):
    sales.max_wait, sales.failover = 1, "voicemail"
    sales.save()
    live_center.reload_queues()
    uuid = queued(simulator, pushes)
    simulator.wait_for(lambda: any(r["uuid"] == uuid and r["active"] for r in simulator.recordings()), timeout=5)
    simulator.hangup(uuid)
    pushes.wait_for(lambda r, e, p: e == "callback" and p["has_message"], timeout=5)
    assert [c.kind for c in callback_rows()] == ["ivr"]               # not also an abandoned call


def test_the_ivr_callback_request_extension(sales, live_center, simulator, pushes):
    simulator.add_did("8005550300", queue="sales", variables={"cc_callback": "ivr",
                                                              "cc_callback_number": "2125550177"})
    simulator.wait_for(lambda: live_center._callbacks_reconciled)     # the start-up reconciliation is over
    uuid = simulator.customer_call("8005550300", ani="anonymous")
    _, _, request = pushes.wait_for(lambda r, e, p: e == "callback" and p["kind"] == "ivr")
    assert request["number"] == "+12125550177" and request["notify"] is True
    simulator.wait_for(lambda: uuid not in simulator.channels, timeout=5)
    assert not live_center.calls                                      # never queued as a call


def test_position_announcements_count_callbacks_ahead(sales, live_center, simulator, pushes):
    sales.announce_position, sales.announce_interval = True, 30
    sales.save()
    live_center.reload_queues()
    live_center.web_callback(number="+442079460958", queue_name="sales")
    uuid = queued(simulator, pushes)
    simulator.wait_for(lambda: "digits/2.wav" in simulator.hears(uuid), timeout=5)
    heard = simulator.hears(uuid)
    assert heard.startswith(f"playback:file_string://{prompt('you_are_number')}!digits/2.wav!")
    assert heard.endswith(f"!{prompt('minutes')}")
