"""A caller goes through the published main menu and the controller queues the call.

The real stack: the simulator runs freeswitch/conf (a copy), the contact center is
connected to it over ESL, and the pushes are what agents' and supervisors' pages get.
"""
from __future__ import annotations

import pytest

from tests.web.conftest import app, signed_in, socketio, web  # noqa: F401 - the web fixtures, shared


@pytest.fixture
def center(live_center, simulator, conf_dir):
    from controller.models import Queue

    Queue.create(name="support", label="Support")
    simulator.load_conf(str(conf_dir))
    return live_center


def wait_hears_greeting(simulator, uuid):
    simulator.wait_for(lambda: simulator.hears(uuid) == "playback:ivr/ivr-thank_you_for_calling.wav", timeout=10)


@pytest.mark.parametrize("key, queue", [("1", "sales"), ("2", "support"), ("0", "support")])
def test_a_choice_of_the_main_menu_queues_the_call_there(center, simulator, pushes, key, queue):
    uuid = simulator.customer_call("8005550300", ani="5550142")
    wait_hears_greeting(simulator, uuid)
    simulator.send_dtmf(uuid, key)
    _room, _event, call = pushes.wait_for(lambda room, event, payload: room == "supervisors" and event == "call"
                                          and payload.get("state") == "queued")
    assert call["queue"] == queue
    assert call["dnis"] == "8005550300"  # cc_did from the DID extension, kept through the IVR
    assert call["ani"] == "5550142"
    record = center.by_id[call["id"]].record
    assert record.customer_uuid == uuid


def test_the_callback_choice_reaches_the_controller_with_the_callers_number(center, simulator, pushes):
    uuid = simulator.customer_call("8005550300", ani="5550143")
    wait_hears_greeting(simulator, uuid)
    simulator.send_dtmf(uuid, "3")
    # the controller turns it into an IVR callback for the caller's number (docs/callbacks.md)
    _room, _event, callback = pushes.wait_for(lambda room, event, payload: event == "callback")
    assert (callback["kind"], callback["number"], callback["queue"]) == ("ivr", "5550143", "sales")
    variables = simulator.switch.get(uuid).variables
    assert (variables["cc_callback"], variables["cc_callback_number"], variables["cc_queue"]) == (
        "ivr", "5550143", "sales")


def test_an_invalid_key_then_a_valid_one(center, simulator, pushes):
    uuid = simulator.customer_call("8005550300", ani="5550144")
    wait_hears_greeting(simulator, uuid)
    simulator.send_dtmf(uuid, "5")
    simulator.wait_for(lambda: simulator.hears(uuid) == "playback:ivr/ivr-that_was_an_invalid_entry.wav", timeout=10)
    wait_hears_greeting(simulator, uuid)
    simulator.send_dtmf(uuid, "2")
    _room, _event, call = pushes.wait_for(lambda room, event, payload: event == "call"
                                          and payload.get("state") == "queued")
    assert call["queue"] == "support"


def test_a_caller_who_says_nothing_is_never_queued(center, simulator, pushes):
    simulator.switch.time_scale = 0.05  # three timeouts of the menu, quickly
    uuid = simulator.customer_call("8005550300", ani="5550145")
    simulator.wait_for(lambda: simulator.switch.get(uuid) is None, timeout=10)
    assert not [p for p in pushes.pushes if p[1] == "call"]


def test_the_leave_a_message_choice_records_it_for_the_queues_missed_calls(center, simulator, pushes, conf_dir,
                                                                            signed_in, people):
    """An IVR's *Leave a message* choice needs no mod_voicemail: switchdesk records the caller
    and lists the message, with its audio, at the top of the queue's Missed calls."""
    import os

    from controller.ivr.model import DIALPLAN_FILE, Entry, ensure_extensions, menu_from_xml, render_menu
    from controller.models import AgentQueue, Callback

    from .conftest import MENU

    menu = menu_from_xml((conf_dir / MENU).read_text())
    menu.entries.append(Entry("4", "voicemail", "support"))
    (conf_dir / MENU).write_text(render_menu(menu))
    dialplan = conf_dir / DIALPLAN_FILE
    dialplan.write_text(ensure_extensions(dialplan.read_text(), [menu]))
    simulator.load_conf(str(conf_dir))

    uuid = simulator.customer_call("8005550300", ani="+13125550146")
    wait_hears_greeting(simulator, uuid)
    simulator.send_dtmf(uuid, "4")
    simulator.wait_for(lambda: any(r["uuid"] == uuid and r["active"] for r in simulator.recordings()), timeout=10)
    assert not [p for p in pushes.pushes if p[1] == "call_offer"]  # nobody is offered a caller leaving a message
    simulator.send_dtmf(uuid, "#")  # done speaking
    _, _, message = pushes.wait_for(lambda r, e, p: e == "callback" and p["has_message"], timeout=10)
    simulator.wait_for(lambda: uuid not in simulator.channels, timeout=10)
    row = Callback.get()
    assert (row.kind, row.launch, row.queue.name, row.number) == ("ivr", "manual", "support", "+13125550146")
    assert os.path.getsize(row.message_path) > 44

    listed = signed_in("alice").get("/api/callbacks?view=missed").get_json()["callbacks"]
    assert listed == []  # alice is not an agent of support: not her message
    AgentQueue.create(agent=people.alice, queue=row.queue)
    listed = signed_in("alice").get("/api/callbacks?view=missed").get_json()["callbacks"]
    assert listed[0]["id"] == row.id and listed[0]["message_url"] == f"/api/callbacks/{row.id}/message"
