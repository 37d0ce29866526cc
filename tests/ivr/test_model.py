"""Menus as data <-> FreeSWITCH XML, and the switchdesk context's extensions they need."""
from __future__ import annotations

import pytest

from controller.ivr import Entry, Menu, menu_from_xml, render_menu
from controller.ivr.fsxml import parse
from controller.ivr.model import (EMPTY_DIALPLAN, NotAForm, ensure_extensions, extension_names, prune_generated,
                                  transfer_targets, try_menu_from_xml)
from controller.ivr.service import check_forms, render_forms

from .conftest import DIALPLAN, MENU


def test_the_shipped_menu_is_exactly_what_the_form_writes(shipped):
    menu = menu_from_xml(shipped[MENU])
    assert [(e.digits, e.action, e.target) for e in menu.entries] == [
        ("1", "queue", "sales"), ("2", "queue", "support"), ("3", "callback", "sales"), ("4", "voicemail", "support"),
        ("0", "route", "operator")]
    assert render_menu(menu) == shipped[MENU]


def test_rendering_uses_freeswitch_1_10_attribute_names():
    menu = Menu(name="billing", greet_long="ivr/ivr-account_number.wav", timeout=7000, inter_digit_timeout=1500,
                max_failures=2, max_timeouts=4, digit_len=2,
                entries=[Entry("1", "queue", "sales"), Entry("2", "callback", "support"), Entry("3", "voicemail", "support"),
                         Entry("4", "extension", "1001"), Entry("5", "submenu", "main"), Entry("7", "route", "operator"),
                         Entry("8", "top"), Entry("9", "back"), Entry("*", "hangup")])
    root = parse(render_menu(menu))
    [node] = root.findall("menu")
    assert node.attrs == {"name": "billing", "greet-long": "ivr/ivr-account_number.wav", "timeout": "7000",
                          "inter-digit-timeout": "1500", "max-failures": "2", "max-timeouts": "4", "digit-len": "2"}
    assert [(e.get("digits"), e.get("action"), e.get("param")) for e in node.findall("entry")] == [
        ("1", "menu-exec-app", "transfer queue_sales XML switchdesk"),
        ("2", "menu-exec-app", "transfer callback_support XML switchdesk"),
        ("3", "menu-exec-app", "transfer voicemail_support XML switchdesk"),
        ("4", "menu-exec-app", "transfer 1001 XML default"),
        ("5", "menu-sub", "main"),
        ("7", "menu-exec-app", "transfer operator XML switchdesk"),
        ("8", "menu-top", None), ("9", "menu-back", None), ("*", "menu-exit", None),
    ]
    assert menu_from_xml(render_menu(menu)) == menu


def test_text_is_escaped():
    menu = Menu(name="main", greet_long='a "quoted" & <odd>.wav', entries=[Entry("1", "top")])
    assert menu_from_xml(render_menu(menu)).greet_long == 'a "quoted" & <odd>.wav'


@pytest.mark.parametrize("xml, why", [
    ('<include>\n<menu name="m" greet-long="x.wav" tts-engine="flite"><entry action="menu-top" digits="1"/></menu>\n'
     '</include>', "the menu uses tts-engine"),
    ('<include>\n<menu name="m"><entry action="menu-play-sound" digits="1" param="x.wav"/></menu>\n</include>',
     "the entry 1 uses the action 'menu-play-sound'"),
    ('<include>\n<menu name="m"><entry action="menu-exec-app" digits="1" param="playback x.wav"/></menu>\n</include>',
     "the entry 1 runs 'playback', not a transfer"),
    ('<include>\n<menu name="m"><entry action="menu-top" digits="/^1$/"/></menu>\n</include>',
     "the entry /^1$/ matches digits with a regular expression"),
    ('<include>\n<menu name="m"><entry action="menu-exec-app" digits="1" param="transfer 1 XML public"/></menu>\n'
     '</include>', "the entry 1 transfers to the public context"),
    ('<include>\n<menu name="a"/>\n<menu name="b"/>\n</include>', "the file does not hold exactly one <menu> in <include>"),
    ('<include>\n<menu name="m" timeout="soon"/>\n</include>', "timeout is not a whole number"),
    ('<include>\n<menu name="m">\n</include>', "the XML is not well-formed (line 3, column 3: mismatched tag)"),
])
def test_what_the_form_cannot_show_is_edited_as_xml(xml, why):
    menu, reason = try_menu_from_xml(xml)
    assert menu is None and reason == why


def test_a_menu_choice_adds_the_extension_it_needs_and_keeps_the_rest(shipped):
    menu = menu_from_xml(shipped[MENU])
    menu.entries.append(Entry("4", "queue", "billing"))
    text = ensure_extensions(shipped[DIALPLAN], [menu])
    assert text.startswith(shipped[DIALPLAN][:shipped[DIALPLAN].index("  </context>")])  # nothing else changed
    assert extension_names(text) == {"queue_sales", "queue_support", "operator", "callback_sales", "voicemail_support",
                                     "queue_billing"}
    [ext] = [e for e in parse(text).iter("extension") if e.get("name") == "queue_billing"]
    [condition] = ext.findall("condition")
    assert (condition.get("field"), condition.get("expression")) == ("destination_number", "^queue_billing$")
    assert [(a.get("application"), a.get("data")) for a in condition.findall("action")] == [
        ("set", "cc_queue=billing"), ("set", "park_after_bridge=true"), ("set", "hold_music=local_stream://moh"),
        ("answer", None), ("park", None)]
    assert ensure_extensions(text, [menu]) == text  # already there: unchanged


def test_a_callback_choice_sets_what_the_callback_feature_reads():
    menu = Menu(name="m", entries=[Entry("3", "callback", "support")])
    text = ensure_extensions(None, [menu])
    [ext] = [e for e in parse(text).iter("extension") if e.get("name") == "callback_support"]
    actions = [(a.get("application"), a.get("data")) for a in ext.iter("action")]
    assert actions[:3] == [("set", "cc_callback=ivr"), ("set", "cc_callback_number=${caller_id_number}"),
                           ("set", "cc_queue=support")]


def test_extensions_the_editor_added_go_when_no_menu_uses_them(shipped):
    menu = menu_from_xml(shipped[MENU])
    menu.entries.append(Entry("4", "queue", "billing"))
    with_billing = render_forms({DIALPLAN: shipped[DIALPLAN]}, [menu])
    assert "queue_billing" in extension_names(with_billing[DIALPLAN])
    menu.entries.pop()
    assert render_forms({DIALPLAN: with_billing[DIALPLAN]}, [menu])[DIALPLAN] == shipped[DIALPLAN]
    # an admin's own extension stays even when no menu uses it
    assert prune_generated(shipped[DIALPLAN], set()) == shipped[DIALPLAN]
    assert transfer_targets([shipped[MENU]]) == {"queue_sales", "queue_support", "callback_sales",
                                                  "voicemail_support", "operator"}


def test_an_empty_dialplan_gets_the_switchdesk_context():
    text = ensure_extensions("", [Menu(name="m", entries=[Entry("1", "queue", "sales")])])
    assert text.startswith(EMPTY_DIALPLAN[:EMPTY_DIALPLAN.index("  </context>")])
    assert extension_names(text) == {"queue_sales"}


@pytest.mark.parametrize("entry, rule, message", [
    (Entry("1", "queue", ""), "missing-target", "The choice 1 of the menu 'm' (Queue) needs a queue."),
    (Entry("1", "submenu", ""), "missing-target", "The choice 1 of the menu 'm' (Sub-menu) needs a menu."),
    (Entry("1", "callback", "billing"), "unknown-queue",
     "The choice 1 of the menu 'm': the queue 'billing' does not exist in switchdesk (queues: sales, support)."),
    (Entry("1", "extension", "10 01"), "value-type",
     "The choice 1 of the menu 'm': '10 01' is not an extension number (digits, * # +)."),
    (Entry("1", "voicemail", "billing"), "unknown-queue",
     "The choice 1 of the menu 'm': the queue 'billing' does not exist in switchdesk (queues: sales, support)."),
    (Entry("1", "route", "box 1"), "value-type",
     "The choice 1 of the menu 'm': 'box 1' may use only letters, digits and _ . + -."),
])
def test_the_form_says_what_a_choice_lacks(entry, rule, message):
    [problem] = check_forms([Menu(name="m", greet_long="x.wav", entries=[entry])], {"sales", "support"})
    assert (problem.rule, problem.message, problem.file) == (rule, message, "ivr_menus/m.xml")


def test_two_forms_with_one_name_are_refused():
    problems = check_forms([Menu(name="m"), Menu(name="m")], set())
    assert [p.message for p in problems] == ["Two menus are called 'm'.", "Two menus are called 'm'."]


def test_an_unknown_action_is_not_written():
    with pytest.raises(ValueError):
        Entry("1", "dance").xml_action()
    with pytest.raises(NotAForm):
        menu_from_xml('<include>\n<menu name="m"><x/></menu>\n</include>')
