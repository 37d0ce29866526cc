"""Dry run: a DID and keys -> the extension, menu entry and action FreeSWITCH would run."""
from __future__ import annotations

import pytest

from controller.ivr import dry_run
from controller.ivr.fsxml import load
from controller.ivr.validate import tree_for

from .conftest import MENU, shipped_files

QUEUES = {"sales", "support"}


def run(conf_dir, keys, did="8005550300", files=None, queues=QUEUES):
    return dry_run(load(tree_for(str(conf_dir), files or shipped_files())), did, keys, queues=queues)


@pytest.mark.parametrize("keys, kind, queue, callback", [
    ("1", "queue", "sales", ""),
    ("2", "queue", "support", ""),
    ("3", "queue", "sales", "ivr"),
    ("0", "queue", "support", ""),     # the operator: cc_queue=$${operator_queue} from vars.xml
    ("7 1", "queue", "sales", ""),     # a wrong key, then 1
    ("t2", "queue", "support", ""),    # silence (a timeout), then 2
])
def test_each_choice_ends_in_its_queue(conf_dir, keys, kind, queue, callback):
    result = run(conf_dir, keys)
    assert result.outcome["kind"] == kind
    assert (result.outcome["queue"], result.outcome["callback"]) == (queue, callback)
    assert result.variables["cc_did"] == "8005550300"


def test_the_steps_name_the_extension_the_entry_and_where_they_are_written(conf_dir):
    result = run(conf_dir, "1")
    texts = [(s.kind, s.text, s.where) for s in result.steps]
    assert texts[0] == ("extension", "public context: the extension did_main_menu matches 8005550300.",
                        "dialplan/public.xml:38")
    assert ("prompt", "The caller hears ivr/ivr-thank_you_for_calling.wav.", "ivr_menus/main.xml:3") in texts
    assert ("entry", "1 -> menu-exec-app transfer queue_sales XML switchdesk.", "ivr_menus/main.xml:13") in texts
    assert ("extension", "switchdesk context: the extension queue_sales matches queue_sales.",
            "dialplan/switchdesk.xml:10") in texts
    assert texts[-1][1] == "Parked with cc_queue=sales: switchdesk takes the call in the queue sales."


def test_three_wrong_keys_end_the_call_with_the_goodbye(conf_dir):
    result = run(conf_dir, "789")
    texts = [s.text for s in result.steps]
    assert texts.count("The caller hears ivr/ivr-that_was_an_invalid_entry.wav.") == 3
    assert "3 wrong choices: the menu gives up (ivr_menu_status=failure)." in texts
    assert "The caller hears voicemail/vm-goodbye.wav." in texts
    assert result.outcome == {"kind": "hangup", "text": "The dialplan ends: FreeSWITCH hangs up (NORMAL_CLEARING)."}
    assert result.variables["ivr_menu_status"] == "failure"


def test_silence_ends_the_call_after_max_timeouts(conf_dir):
    result = run(conf_dir, "")
    assert [s.text for s in result.steps if s.kind == "keys"] == [
        "No key within the timeout (1 of 3).", "No key within the timeout (2 of 3).",
        "No key within the timeout (3 of 3)."]
    assert result.variables["ivr_menu_status"] == "timeout"
    assert result.outcome["kind"] == "hangup"


def test_the_short_greeting_plays_from_the_second_round(conf_dir):
    files = shipped_files()
    files[MENU] = files[MENU].replace('greet-short="ivr/ivr-thank_you_for_calling.wav"',
                                      'greet-short="ivr/ivr-please_try_again.wav"')
    prompts = [s.text for s in run(conf_dir, "t1", files=files).steps if s.kind == "prompt"]
    assert prompts == ["The caller hears ivr/ivr-thank_you_for_calling.wav.",
                       "The caller hears ivr/ivr-please_try_again.wav."]


def test_sub_menus_back_and_top(conf_dir):
    files = shipped_files()
    files[MENU] = files[MENU].replace("  </menu>", '    <entry action="menu-sub" digits="9" param="billing"/>\n'
                                                   '  </menu>')
    files["ivr_menus/billing.xml"] = """<include>
  <menu name="billing" greet-long="ivr/ivr-account_number.wav" digit-len="4" max-failures="1">
    <entry action="menu-exec-app" digits="/^(10[0-9][0-9])$/" param="transfer $1 XML default"/>
    <entry action="menu-back" digits="*"/>
    <entry action="menu-top" digits="0"/>
  </menu>
</include>
"""
    into = run(conf_dir, "9 1001", files=files)
    # ${domain_name}: a global variable of vars.xml (this host's address by default)
    assert into.outcome == {"kind": "bridge", "text": "The call rings user/1001@127.0.0.1.",
                            "target": "user/1001@127.0.0.1"}
    assert "1001 -> menu-exec-app transfer 1001 XML default." in [s.text for s in into.steps]
    back = run(conf_dir, "9 * 2", files=files)
    assert back.outcome["queue"] == "support"
    assert [s.text for s in back.steps if s.kind == "prompt"] == [
        "The caller hears ivr/ivr-thank_you_for_calling.wav.", "The caller hears ivr/ivr-account_number.wav.",
        "The caller hears ivr/ivr-thank_you_for_calling.wav."]
    top = run(conf_dir, "9 0 1", files=files)
    assert top.outcome["queue"] == "sales"
    gave_up = run(conf_dir, "9 5555 2", files=files)  # one failure ends the sub-menu: back to main
    assert "Back to the menu that opened billing." in [s.text for s in gave_up.steps]
    assert gave_up.outcome["queue"] == "support"


def test_a_queue_switchdesk_does_not_have_stays_parked(conf_dir):
    result = run(conf_dir, "2", queues={"sales"})
    assert result.outcome["kind"] == "parked"
    assert result.outcome["text"] == "Parked with cc_queue=support: switchdesk has no queue support and leaves the " \
                                     "call parked."


@pytest.mark.parametrize("did, outcome", [
    ("8005550100", "Parked with cc_queue=sales: switchdesk takes the call in the queue sales."),
    ("8005559999", "FreeSWITCH hangs up (UNALLOCATED_NUMBER)."),
])
def test_other_dids(conf_dir, did, outcome):
    assert run(conf_dir, "", did=did).outcome["text"] == outcome


def test_without_a_public_context_the_dry_run_says_so(tmp_path):
    result = dry_run(load(tree_for(str(tmp_path / "nothing"), shipped_files())), "8005550300", "1")
    assert result.outcome == {"kind": "hangup", "text": "FreeSWITCH has no context 'public': the call is hung up "
                                                        "(NO_ROUTE_DESTINATION)."}


def test_a_loop_is_cut_short(conf_dir):
    files = shipped_files()
    files[MENU] = files[MENU].replace("  </menu>", '    <entry action="menu-top" digits="5"/>\n  </menu>')
    result = run(conf_dir, "5" * 400, files=files)
    assert result.outcome["kind"] == "unknown" and "Stopped after 300 steps" in result.outcome["text"]


def test_the_leave_a_message_choice_says_where_the_message_goes(conf_dir):
    from controller.ivr.model import DIALPLAN_FILE, Entry, ensure_extensions, menu_from_xml, render_menu

    files = shipped_files()
    menu = menu_from_xml(files[MENU])
    menu.entries.append(Entry("4", "voicemail", "support"))
    files[MENU] = render_menu(menu)
    files[DIALPLAN_FILE] = ensure_extensions(files[DIALPLAN_FILE], [menu])
    result = run(conf_dir, "4", files=files)
    assert result.outcome["kind"] == "message" and result.outcome["queue"] == "support"
    assert result.steps[-1].text == ("Parked with cc_message: the caller leaves a message for the queue support; "
                                     "it is listed in its agents' Missed calls.")
