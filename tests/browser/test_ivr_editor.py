"""The IVR editor in a real headless Chromium against `switchdesk demo`.

An admin edits the main menu, sees the validation error, fixes it, publishes; a caller
placed through the simulator's control API then hears the new greeting and, pressing 1,
reaches the queue the admin chose. The XML mode points at the line and column of a
syntax error.
"""
from __future__ import annotations

import pytest

from .conftest import running_demo, sign_in
from .stack import channels, expect, sim, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path_factory, request):
    """A demo of its own (the test publishes into its folder); no customers unless placed."""
    with running_demo(tmp_path_factory.mktemp("demo-ivr"), request, call_interval=0, sim_http=True) as server:
        yield server


def entry_row(page, keys: str):
    return page.locator("#entries tbody tr").filter(has=page.locator(f".e-digits[value='{keys}']"))


def test_an_admin_fixes_a_menu_publishes_it_and_a_caller_hears_it(new_page, demo, screenshot):
    check = expect()
    page = new_page()
    sign_in(page, "ada", "ada-demo")
    page.click("text=IVR")
    check(page).to_have_url(demo.url + "/admin/ivr")
    check(page.locator("#versions li[data-number='1'] .live-badge")).to_have_text("Live")
    check(page.locator("#tabs [role=tab][aria-selected=true]")).to_contain_text("main")
    check(page.locator("#f-greet_long")).to_have_value("ivr/ivr-thank_you_for_calling.wav")

    # a new greeting, and choice 1 sent to a queue that does not exist
    page.fill("#f-greet_long", "ivr/ivr-welcome.wav")
    choice = entry_row(page, "1")
    choice.locator(".e-action").select_option("queue")
    choice.locator(".e-target").fill("billing")
    page.click("#check")
    error = page.locator("#problems li[data-rule='unknown-queue']").first
    check(error).to_contain_text("the queue 'billing' does not exist in switchdesk (queues: sales, support)")
    screenshot(page, "ivr-editor-error")
    # publishing is refused for the same reason, and nothing is written
    page.click("#publish")
    check(page.locator("#status")).to_contain_text("The version has 1 error")
    check(page.locator("#versions li")).to_have_count(1)

    # fixed: choice 1 goes to support
    choice.locator(".e-target").fill("support")
    page.fill("#note", "new greeting; 1 goes to support")
    page.click("#check")
    check(page.locator("#problems-none")).to_have_text("No problems: ready to publish.")
    page.fill("#dry-keys", "1")
    page.click("#dry-run")
    check(page.locator("#dry-outcome")).to_have_text(
        "Parked with cc_queue=support: switchdesk takes the call in the queue support.")
    check(page.locator("#dry-steps")).to_contain_text("The caller hears ivr/ivr-welcome.wav.")
    page.click("#publish")
    check(page.locator("#status")).to_contain_text("Version 2 is live. FreeSWITCH loaded the new configuration.")
    check(page.locator("#versions li[data-number='2'] .live-badge")).to_have_text("Live")
    check(page.locator("#versions li[data-number='2'] .v-note")).to_have_text("new greeting; 1 goes to support")
    screenshot(page, "ivr-editor-published")

    # the diff between the versions names the change
    page.select_option("#diff-older", "1")
    page.select_option("#diff-newer", "2")
    page.click("#diff-show")
    check(page.locator("#diff .add").first).to_contain_text('greet-long="ivr/ivr-welcome.wav"')

    # a caller hears the new menu, presses 1 and lands in the support queue
    uuid = sim(demo, "POST", "/calls", {"did": "8005550300", "ani": "+15550002222"})["uuid"]
    wait_for("the caller hears the new greeting",
             lambda: channels(demo).get(uuid, {}).get("hears") == "playback:ivr/ivr-welcome.wav", timeout=15.0)
    sim(demo, "POST", f"/channels/{uuid}/dtmf", {"digits": "1"})
    # parked by queue_support, then taken by the controller: the queue's hold music plays
    wait_for("the caller waits in a queue with its music",
             lambda: channels(demo).get(uuid, {}).get("hears") == "moh", timeout=15.0)
    # the supervisor sees the call waiting in support
    supervisor = new_page()
    sign_in(supervisor, "sam")
    check(supervisor.locator("#queues-table tr[data-queue='support'] td").nth(1)).to_have_text("1")

    # rollback: version 1 is live again and a new caller hears the old greeting
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#versions li[data-number='1'] .v-publish")
    check(page.locator("#status")).to_contain_text("Version 1 is live.")
    check(page.locator("#versions li[data-number='1'] .live-badge")).to_have_text("Live")
    uuid = sim(demo, "POST", "/calls", {"did": "8005550300", "ani": "+15550003333"})["uuid"]
    wait_for("the caller hears the old greeting",
             lambda: channels(demo).get(uuid, {}).get("hears") == "playback:ivr/ivr-thank_you_for_calling.wav",
             timeout=15.0)
    sim(demo, "POST", f"/channels/{uuid}/hangup", {})


def test_the_xml_mode_points_at_a_syntax_error(new_page, demo, screenshot):
    check = expect()
    page = new_page()
    sign_in(page, "ada", "ada-demo")
    page.goto("/admin/ivr")
    check(page.locator("#f-name")).to_have_value("main")
    page.click("#mode-xml")
    check(page.locator(".CodeMirror")).to_be_visible()
    check(page.locator("#tabs [role=tab][aria-selected=true] .tab-mode")).to_have_text("XML")
    # break line 4: greet-long loses its closing quote
    line = page.locator(".CodeMirror-line").nth(3)
    check(line).to_contain_text('greet-long="ivr/ivr-thank_you_for_calling.wav"')
    line.click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.click("#check")
    problem = page.locator("#problems li[data-rule='xml-syntax']")
    check(problem).to_contain_text("ivr_menus/main.xml, line 5, column")
    check(problem).to_contain_text("The XML is not well-formed")
    check(page.locator(".CodeMirror .cm-error-line")).to_have_count(1)
    screenshot(page, "ivr-editor-xml-error")
    # the form cannot show a file that is not XML
    page.click("#mode-form")
    check(page.locator("#status")).to_contain_text("This menu stays in XML: the XML is not well-formed")
    # fixed by typing the quote back; the form shows the menu again
    line.click()
    page.keyboard.press("End")
    page.keyboard.type('"')
    page.click("#check")
    check(page.locator("#problems li[data-severity='error']")).to_have_count(0)
    page.click("#mode-form")
    check(page.locator("#menu-form")).to_be_visible()
    check(page.locator("#f-greet_long")).to_have_value("ivr/ivr-thank_you_for_calling.wav")
