"""The simulator runs published IVR menus (``ivr`` application, XML dialplan, ``reloadxml``).

The configuration is freeswitch/conf copied into a temporary folder: the DID 8005550300
answers, sleeps half a second and runs ``ivr main`` (1 sales, 2 support, 3 callback
request for sales, 0 the operator), whose choices transfer into the ``switchdesk`` context.
"""
import shutil
from pathlib import Path

import pytest

from fssim import Simulator

CONF = Path(__file__).resolve().parents[2] / "freeswitch" / "conf"
MAIN_DID = "8005550300"
GREETING = "ivr/ivr-thank_you_for_calling.wav"
INVALID = "ivr/ivr-that_was_an_invalid_entry.wav"
GOODBYE = "voicemail/vm-goodbye.wav"


@pytest.fixture
def conf(tmp_path):
    folder = tmp_path / "conf"
    shutil.copytree(CONF, folder)
    return folder


@pytest.fixture
def sim(tmp_path, conf):
    simulator = Simulator(port=0, recordings_dir=str(tmp_path / "rec"), time_scale=0.02, heartbeat_interval=3600,
                          conf_dir=str(conf))
    simulator.events = []
    simulator.add_listener(simulator.events.append)
    simulator.start()
    yield simulator
    simulator.stop()


def call(sim, ani="5550123"):
    uuid = sim.customer_call(MAIN_DID, ani=ani)
    sim.wait_for(lambda: sim.hears(uuid) == "playback:" + GREETING)
    return uuid


def parked(sim, uuid):
    channel = sim.switch.get(uuid)
    return channel is not None and any(app.name == "park" for app in channel.apps)


def leg_events(sim, uuid, names=("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_START", "PLAYBACK_STOP",
                                 "DTMF", "CHANNEL_PARK", "CHANNEL_HANGUP")):
    out = []
    for event in sim.events:
        if event.get("Unique-ID") != uuid or event.name not in names:
            continue
        detail = (event.get("Application") or event.get("Playback-File-Path") or event.get("DTMF-Digit")
                  or event.get("Hangup-Cause") or "")
        if event.name == "PLAYBACK_STOP":
            detail += " " + event.get("Playback-Status")
        out.append(f"{event.name} {detail}".strip())
    return out


def hangup_cause(sim, uuid):
    found = [e.get("Hangup-Cause") for e in sim.events if e.get("Unique-ID") == uuid and e.name == "CHANNEL_HANGUP"]
    return found[0] if found else None


@pytest.mark.parametrize("key, queue, extra", [
    ("1", "sales", {}),
    ("2", "support", {}),
    ("3", "sales", {"cc_callback": "ivr", "cc_callback_number": "5550123"}),
    ("4", "support", {"cc_message": "ivr"}),
    ("0", "support", {}),
])
def test_each_choice_parks_the_caller_with_its_queue(sim, key, queue, extra):
    uuid = call(sim)
    sim.send_dtmf(uuid, key)
    sim.wait_for(lambda: parked(sim, uuid))
    variables = sim.switch.get(uuid).variables
    assert variables["cc_queue"] == queue
    assert variables["cc_did"] == MAIN_DID  # set by the DID, kept through the transfer
    assert variables["park_after_bridge"] == "true"
    assert variables["ivr_menu_status"] == "success"
    assert {name: variables.get(name) for name in extra} == extra
    assert sim.switch.get(uuid).profile.context == "switchdesk"


def test_the_events_are_those_of_freeswitch_s_menu(sim):
    uuid = call(sim)
    sim.send_dtmf(uuid, "1")
    sim.wait_for(lambda: parked(sim, uuid))
    events = leg_events(sim, uuid)
    start = events.index("CHANNEL_EXECUTE ivr")
    assert events[start:start + 7] == [
        "CHANNEL_EXECUTE ivr",
        f"PLAYBACK_START {GREETING}",
        "DTMF 1",
        f"PLAYBACK_STOP {GREETING} break",  # a key stops the greeting (switch_ivr_play_file: BREAK)
        "CHANNEL_EXECUTE transfer",         # menu-exec-app runs the application inside the menu
        "CHANNEL_EXECUTE_COMPLETE transfer",
        "CHANNEL_EXECUTE_COMPLETE ivr",
    ]
    assert events[-2:] == ["CHANNEL_EXECUTE park", "CHANNEL_PARK"]
    execute = next(e for e in sim.events if e.get("Unique-ID") == uuid and e.name == "CHANNEL_EXECUTE"
                   and e.get("Application") == "transfer")
    assert execute.get("Application-Data") == "queue_sales XML switchdesk"
    dtmf = next(e for e in sim.events if e.get("Unique-ID") == uuid and e.name == "DTMF")
    assert (dtmf.get("DTMF-Source"), dtmf.get("DTMF-Duration")) == ("RTP", "2240")
    assert "CHANNEL_EXECUTE_COMPLETE park" not in events


def test_an_invalid_key_plays_the_invalid_sound_then_the_short_greeting(sim):
    uuid = call(sim)
    sim.send_dtmf(uuid, "7")
    sim.wait_for(lambda: sim.hears(uuid) == "playback:" + INVALID)
    sim.wait_for(lambda: sim.hears(uuid) == "playback:" + GREETING)  # greet-short (the same file here)
    sim.send_dtmf(uuid, "2")
    sim.wait_for(lambda: parked(sim, uuid))
    assert sim.switch.get(uuid).variables["cc_queue"] == "support"
    events = leg_events(sim, uuid)
    assert f"PLAYBACK_START {INVALID}" in events and f"PLAYBACK_STOP {INVALID} done" in events


def test_three_invalid_keys_say_goodbye_and_hang_up(sim):
    uuid = call(sim)
    for _ in range(3):
        sim.wait_for(lambda: sim.hears(uuid) == "playback:" + GREETING)
        sim.send_dtmf(uuid, "9")
        sim.wait_for(lambda: sim.hears(uuid) != "playback:" + GREETING)
    sim.wait_for(lambda: hangup_cause(sim, uuid) is not None)
    events = leg_events(sim, uuid)
    assert events.count(f"PLAYBACK_START {INVALID}") == 3
    assert f"PLAYBACK_START {GOODBYE}" in events
    assert events.index(f"PLAYBACK_STOP {GOODBYE} done") < events.index("CHANNEL_EXECUTE_COMPLETE ivr")
    assert hangup_cause(sim, uuid) == "NORMAL_CLEARING"  # the dialplan ends after ivr main
    complete = [e for e in sim.events if e.get("Unique-ID") == uuid and e.name == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application") == "ivr"][0]
    assert complete.get("variable_ivr_menu_status") == "failure"


def test_silence_times_out_three_times_then_goodbye(sim):
    uuid = call(sim)
    sim.wait_for(lambda: hangup_cause(sim, uuid) is not None, timeout=10)
    events = leg_events(sim, uuid)
    assert events.count(f"PLAYBACK_START {GREETING}") == 3
    assert f"PLAYBACK_START {INVALID}" not in events  # a timeout is not an invalid choice
    assert f"PLAYBACK_START {GOODBYE}" in events
    complete = [e for e in sim.events if e.get("Unique-ID") == uuid and e.name == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application") == "ivr"][0]
    assert complete.get("variable_ivr_menu_status") == "timeout"


def test_keys_pressed_before_the_menu_wait_for_it(sim):
    uuid = sim.customer_call(MAIN_DID, ani="5550123", dtmf=[(0.0, "2")])  # during answer/sleep
    sim.wait_for(lambda: parked(sim, uuid))
    assert sim.switch.get(uuid).variables["cc_queue"] == "support"


def test_reloadxml_runs_what_was_published_and_keeps_the_old_menu_when_the_xml_is_broken(sim, conf):
    menu = conf / "ivr_menus" / "main.xml"
    menu.write_text(menu.read_text().replace('greet-long="ivr/ivr-thank_you_for_calling.wav"',
                                             'greet-long="ivr/ivr-welcome.wav"'))
    assert sim.api.execute("reloadxml", "") == "+OK [Success]\n"
    assert any(e.name == "RELOADXML" for e in sim.events)
    uuid = sim.customer_call(MAIN_DID)
    sim.wait_for(lambda: sim.hears(uuid) == "playback:ivr/ivr-welcome.wav")

    (conf / "dialplan" / "public.xml").write_text("<include>\n  <context name=\"public\">\n</include>\n")
    reply = sim.api.execute("reloadxml", "")
    assert reply.startswith("+OK [[error near line ") and "mismatched tag" in reply  # FreeSWITCH's +OK [<error>]
    other = sim.customer_call(MAIN_DID)  # the configuration in use stays
    sim.wait_for(lambda: sim.hears(other) == "playback:ivr/ivr-welcome.wav")

    sim.refuse_next_reloadxml("[error near line 3]: unclosed token")
    assert sim.api.execute("reloadxml", "") == "+OK [[error near line 3]: unclosed token]\n"


def sub_menus(conf):
    (conf / "ivr_menus" / "billing.xml").write_text("""<include>
  <menu name="billing" greet-long="ivr/ivr-account_number.wav" invalid-sound="ivr/ivr-that_was_an_invalid_entry.wav"
        exit-sound="voicemail/vm-goodbye.wav" timeout="3000" max-failures="2" digit-len="4">
    <entry action="menu-exec-app" digits="/^(10[0-9][0-9])$/" param="transfer $1 XML switchdesk_test"/>
    <entry action="menu-back" digits="*"/>
    <entry action="menu-top" digits="0"/>
  </menu>
</include>
""")
    main = conf / "ivr_menus" / "main.xml"
    main.write_text(main.read_text().replace("  </menu>", '    <entry action="menu-sub" digits="9" param="billing"/>\n'
                                                          '    <entry action="menu-exit" digits="8"/>\n  </menu>'))


def test_a_sub_menu_collects_several_keys_and_uses_the_captures(sim, conf):
    sub_menus(conf)
    assert sim.api.execute("reloadxml", "") == "+OK [Success]\n"
    uuid = call(sim)
    sim.send_dtmf(uuid, "9")
    sim.wait_for(lambda: sim.hears(uuid) == "playback:ivr/ivr-account_number.wav")
    sim.send_dtmf(uuid, "1042")  # four keys: the regex entry, $1 into the transfer
    sim.wait_for(lambda: sim.switch.get(uuid) is not None and sim.switch.get(uuid).profile.destination == "1042")
    assert sim.switch.get(uuid).profile.context == "switchdesk_test"


def test_back_and_top_return_to_the_menu_that_opened_the_sub_menu(sim, conf):
    sub_menus(conf)
    sim.api.execute("reloadxml", "")
    uuid = call(sim)
    sim.send_dtmf(uuid, "9")
    sim.wait_for(lambda: sim.hears(uuid) == "playback:ivr/ivr-account_number.wav")
    sim.send_dtmf(uuid, "*")  # menu-back: the main menu greets again
    sim.wait_for(lambda: sim.hears(uuid) == "playback:" + GREETING)
    sim.send_dtmf(uuid, "9")
    sim.wait_for(lambda: sim.hears(uuid) == "playback:ivr/ivr-account_number.wav")
    sim.send_dtmf(uuid, "0")  # menu-top
    sim.wait_for(lambda: sim.hears(uuid) == "playback:" + GREETING)
    sim.send_dtmf(uuid, "1")
    sim.wait_for(lambda: parked(sim, uuid))
    assert sim.switch.get(uuid).variables["cc_queue"] == "sales"


def test_menu_exit_says_goodbye_and_the_dialplan_ends(sim, conf):
    sub_menus(conf)
    sim.api.execute("reloadxml", "")
    uuid = call(sim)
    sim.send_dtmf(uuid, "8")
    sim.wait_for(lambda: hangup_cause(sim, uuid) == "NORMAL_CLEARING")
    assert f"PLAYBACK_START {GOODBYE}" in leg_events(sim, uuid)


def test_the_http_control_api_reports_what_the_caller_hears(tmp_path, conf):
    import json
    import urllib.request

    import gevent

    sim = Simulator(port=0, http_port=0, time_scale=0.02, heartbeat_interval=3600, conf_dir=str(conf),
                    recordings_dir=str(tmp_path / "rec")).start()
    try:
        def http(method, path, body=None):
            req = urllib.request.Request(f"http://127.0.0.1:{sim.http_port}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})

            def fetch():
                with urllib.request.urlopen(req, timeout=5) as reply:
                    return json.loads(reply.read())
            # urllib is not cooperative here: it runs in gevent's thread pool while the hub serves
            return gevent.get_hub().threadpool.spawn(fetch).get()

        uuid = http("POST", "/calls", {"did": MAIN_DID})["uuid"]
        sim.wait_for(lambda: [c["hears"] for c in http("GET", "/channels") if c["uuid"] == uuid]
                     == ["playback:" + GREETING])
        assert [c["application"] for c in http("GET", "/channels") if c["uuid"] == uuid] == ["ivr"]
    finally:
        sim.stop()


def test_an_unknown_menu_is_skipped_as_freeswitch_does(sim):
    sim.add_extension("7400", [("answer", ""), ("ivr", "nosuch"), ("playback", "ivr/ivr-welcome.wav")])
    uuid = sim.customer_call("7400")
    sim.wait_for(lambda: sim.hears(uuid) == "playback:ivr/ivr-welcome.wav")
