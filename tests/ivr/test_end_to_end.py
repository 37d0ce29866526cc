"""A caller goes through the published main menu and the controller queues the call.

The real stack: the simulator runs freeswitch/conf (a copy), the contact center is
connected to it over ESL, and the pushes are what agents' and supervisors' pages get.
"""
from __future__ import annotations

import pytest


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
