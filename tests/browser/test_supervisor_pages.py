"""The supervisor page's last hour and the recordings page, in headless Chromium against
`switchdesk demo` (one demo for the module; calls placed through the simulator)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from .conftest import QUIET_DEMO, sign_in
from .stack import SALES_DID, SUPPORT_DID, call_pane, channels, customer_calls, Desk, expect, settle_all, signed_in, sim

pytestmark = pytest.mark.browser


DEMO_OPTIONS = QUIET_DEMO


@pytest.fixture(autouse=True)
def at_rest(demo):
    yield
    settle_all(demo)
    sam = Desk(demo, "sam")
    for entry in sam.get("/api/address-book").json()["entries"]:
        sam.delete(f"/api/address-book/{entry['id']}")


def supervisor(new_page, path: str = "/supervisor/"):
    page = new_page()
    page.on("pageerror", lambda exc: print(f"[sam page error] {exc}"))
    sign_in(page, "sam")
    if path != "/supervisor/":
        page.goto(path)
    return page


def figures(page) -> dict[str, int]:
    """The last hour's totals, from the chart's table of figures."""
    return page.evaluate("""() => {
        const sum = (cls) => [...document.querySelectorAll(`#activity-table td.${cls}`)]
            .reduce((s, td) => s + Number(td.textContent), 0);
        return {offered: sum("f-offered"), answered: sum("f-answered"), abandoned: sum("f-abandoned"),
                waiting: sum("f-waiting")};
    }""")


def test_the_last_hour_counts_answered_and_abandoned_calls_live(new_page, demo, screenshot):
    check = expect()
    sam = supervisor(new_page)
    check(sam.locator("#connection")).to_have_text("Live")
    check(sam.locator("#activity-chart svg")).to_be_visible()
    check(sam.locator("#activity-table tbody tr")).to_have_count(12)  # five minutes each
    assert figures(sam) == {"offered": 0, "answered": 0, "abandoned": 0, "waiting": 0}

    bob = signed_in(new_page, "bob", "available")
    customer_calls(demo, SALES_DID, ani="+15550008888")
    check(call_pane(bob).locator(".call-state")).to_have_text("Connected")
    waiting = customer_calls(demo, SALES_DID, ani="+15550009999")  # bob is busy: it waits
    sales = sam.locator('#queues-table tr[data-queue="sales"]')
    check(sales.locator("td").nth(1)).to_have_text("1")
    check(sales.locator("td.wait")).to_have_text(re.compile(r"^0:0\d$"))  # the longest wait, counting
    check(sam.locator('#agents-table tr', has_text="Bob Agent").locator(".badge")).to_have_text("On call")
    sam.wait_for_timeout(1200)
    sim(demo, "POST", f"/channels/{waiting}/hangup", {})  # the caller gives up
    check(sales.locator("td").nth(1)).to_have_text("0")

    expected = {"offered": 2, "answered": 1, "abandoned": 1, "waiting": 0}
    for _ in range(100):  # the chart follows the calls by itself (a couple of seconds after them)
        if figures(sam) == expected:
            break
        sam.wait_for_timeout(100)
    assert figures(sam) == expected
    check(sam.locator("#activity-chart rect.chart-answered")).to_have_count(1)
    check(sam.locator("#activity-chart rect.chart-abandoned")).to_have_count(1)
    longest = [t for t in sam.locator("#activity-table td.f-max-wait").all_text_contents() if t != "–"]
    assert longest and all(re.fullmatch(r"\d+:\d\d", t) for t in longest)
    assert max(int(t.split(":")[1]) for t in longest) >= 1  # the abandoned caller waited over a second
    screenshot(sam, "supervisor")

    # the figures of one queue
    sam.select_option("#activity-queue", "support")
    check(sam.locator("#activity-chart rect.chart-bar")).to_have_count(0)
    sam.select_option("#activity-queue", "")
    check(sam.locator("#activity-chart rect.chart-answered")).to_have_count(1)


def test_recordings_search_play_and_tags_on_the_timeline(new_page, demo, screenshot):
    check = expect()
    carol = signed_in(new_page, "carol", "available")
    customer_calls(demo, SUPPORT_DID, ani="+15550007777")
    call = call_pane(carol)
    check(call.locator(".call-state")).to_have_text("Connected")
    call_id = call.get_attribute("data-call-id")
    recorded = carol.evaluate(f"""async () => {{
        const path = "/api/calls/{call_id}/recording";
        const wait = (ms) => new Promise((r) => setTimeout(r, ms));
        const out = [(await SD.api("POST", path, {{action: "start"}})).status];
        await wait(1200);
        out.push((await SD.api("POST", path + "/tags", {{text: "card number read out"}})).status);
        await wait(1200);
        out.push((await SD.api("POST", path + "/tags", {{text: "address confirmed"}})).status);
        await wait(800);
        out.push((await SD.api("POST", path, {{action: "stop"}})).status);
        return out;
    }}""")
    assert recorded == [200, 201, 201, 200]
    # agents cannot open the recordings, not even their own
    assert carol.goto("/recordings/").status == 403

    sam = supervisor(new_page, "/recordings/")
    rows = sam.locator("#rec-table tbody tr")
    check(rows).to_have_count(1)
    sam.fill("#rec-tag", "CARD")
    sam.click("#rec-search-button")
    check(rows).to_have_count(1)
    check(rows.first).to_contain_text("Carol Agent")
    check(rows.first).to_contain_text("support")
    check(rows.first).to_contain_text("+15550007777")
    check(rows.first.locator(".rec-tags")).to_have_text("card number read out · address confirmed")
    sam.select_option("#rec-agent", "bob")
    sam.click("#rec-search-button")
    check(rows).to_have_count(0)
    check(sam.locator("#rec-count")).to_have_text("No recording matches.")
    sam.click("#rec-clear")
    sam.fill("#rec-number", "555 000 7777")
    sam.press("#rec-number", "Enter")
    check(rows).to_have_count(1)
    sam.fill("#rec-from", "2030-01-02")
    sam.fill("#rec-to", "2030-01-01")
    sam.click("#rec-search-button")
    check(sam.locator("#rec-message")).to_have_text("The end date comes before the start date.")
    sam.fill("#rec-from", "")
    sam.fill("#rec-to", "")

    rows.first.locator(".act-play").click()
    player = sam.locator("#player")
    check(player).to_be_visible()
    wait = sam.wait_for_function("() => { const a = document.getElementById('player-audio');"
                                 " return a.readyState >= 1 && a.duration > 2 && a.currentTime > 0; }")
    assert wait
    marks = sam.locator("#timeline-marks .timeline-mark")
    check(marks).to_have_count(2)
    offsets = [float(marks.nth(i).get_attribute("data-offset")) for i in range(2)]
    assert 0.8 <= offsets[0] < offsets[1] <= 4, offsets
    lefts = [float(marks.nth(i).evaluate("n => parseFloat(n.style.left)")) for i in range(2)]
    assert 0 < lefts[0] < lefts[1] < 100, lefts
    check(marks.nth(1)).to_have_attribute("title", re.compile(r"^0:0\d — address confirmed$"))
    check(sam.locator("#player-tags li")).to_have_count(2)
    sam.evaluate("document.getElementById('player-audio').pause()")
    marks.nth(1).click()  # a mark seeks to its tag
    position = sam.evaluate("document.getElementById('player-audio').currentTime")
    assert abs(position - offsets[1]) < 0.6, (position, offsets)
    check(sam.locator("#player-message")).to_be_hidden()
    screenshot(sam, "recordings")


def test_callbacks_pending_appear_change_and_leave_live_and_after_a_reconnect(new_page, demo, screenshot):
    check = expect()
    sam = supervisor(new_page)
    check(sam.locator("#connection")).to_have_text("Live")
    rows = sam.locator("#callbacks-table tbody tr")
    check(rows).to_have_count(0)
    check(sam.locator("#callbacks-empty")).to_be_visible()
    sales_pending = sam.locator('#queues-table tr[data-queue="sales"] td.callbacks-pending')
    check(sales_pending).to_have_text("0")

    # a website asks for a callback: it appears at once, with its number, queue, due time and attempts
    website = Desk(demo, "sam")
    made = website.post("/api/callbacks", {"name": "Ada Lovelace", "number": "+1 212 555 0123", "queue": "sales"})
    assert made.status_code == 201, made.text
    ada = rows.filter(has_text="+12125550123")
    check(ada).to_have_count(1)
    check(ada.locator(".sv-cb-kind")).to_have_text("Web request")
    check(ada.locator(".sv-cb-number")).to_have_text("+12125550123Ada Lovelace")
    check(ada.locator(".sv-cb-queue")).to_have_text("sales")
    check(ada.locator(".sv-cb-due")).to_have_text("Due now")
    check(ada.locator(".sv-cb-status")).to_have_text("Waiting")
    check(ada.locator(".sv-cb-attempts")).to_have_text("0 of 3")
    check(sales_pending).to_have_text("1")
    check(sam.locator("#callbacks-count")).to_have_text("(1)")

    # while the page is offline another caller asks; it is there once the page is back (the snapshot)
    sam.context.set_offline(True)
    check(sam.locator("#connection")).to_have_text("Reconnecting…")
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = website.post("/api/callbacks", {"name": "Grace Hopper", "number": "+1 212 555 0177", "queue": "sales",
                                            "preferred_time": tomorrow})
    assert later.status_code == 201, later.text
    sam.context.set_offline(False)
    check(sam.locator("#connection")).to_have_text("Live")
    grace = rows.filter(has_text="+12125550177")
    check(grace).to_have_count(1)
    check(grace.locator(".sv-cb-due")).not_to_have_text("Due now")
    check(sales_pending).to_have_text("2")
    check(rows.first).to_contain_text("+12125550123")  # soonest due first
    screenshot(sam, "supervisor-callbacks")

    # an agent takes Ada's: offered to Bob, being called, then connected: it leaves the list
    bob = signed_in(new_page, "bob")
    bob.select_option("#state-select", "available")
    bob.click("#state-apply")  # the callback is offered to him at once (his badge reads Ringing)
    check(ada.locator(".sv-cb-status")).to_have_text("Offered to Bob Agent")
    bob.locator(".offer-callback .act-accept").click()
    check(ada.locator(".sv-cb-status")).to_have_text("Being called for Bob Agent")
    check(ada).to_have_count(0)
    check(sales_pending).to_have_text("1")
    check(call_pane(bob).locator(".call-state")).to_have_text("Connected")

    # Grace's is cancelled: it leaves the list too
    grace_id = grace.get_attribute("data-callback-id")
    assert website.post(f"/api/callbacks/{grace_id}/cancel").status_code == 200
    check(rows).to_have_count(0)
    check(sales_pending).to_have_text("0")
    check(sam.locator("#callbacks-empty")).to_be_visible()


def test_the_supervisor_keeps_the_address_book_and_bad_input_changes_nothing(new_page, demo):
    check = expect()
    sam = supervisor(new_page)
    sam.locator("#book-details summary").click()
    rows = sam.locator("#book-table tbody tr")
    check(sam.locator("#book-count")).to_have_text("(0)")
    sam.fill("#book-name", "Billing hotline")
    sam.fill("#book-number", "1-800-FLOWERS")
    sam.click("#book-save")
    check(sam.locator("#book-message")).to_have_text("Letters are not allowed in a number (found 'F'): type the digits.")
    check(rows).to_have_count(0)
    sam.fill("#book-number", "(212) 555-0100")
    sam.fill("#book-team", "Finance")
    sam.press("#book-number", "Enter")
    check(rows).to_have_count(1)
    check(rows.first.locator(".book-number")).to_have_text("+12125550100")
    check(sam.locator("#book-message")).to_be_hidden()
    # a name used already, in another case
    sam.fill("#book-name", "BILLING HOTLINE")
    sam.fill("#book-number", "2125550111")
    sam.click("#book-save")
    check(sam.locator("#book-message")).to_have_text(
        "The address book has an entry called 'BILLING HOTLINE' already: choose another name.")
    check(rows).to_have_count(1)
    # change it, then remove it
    rows.first.locator(".book-edit").click()
    check(sam.locator("#book-name")).to_be_focused()
    check(sam.locator("#book-number")).to_have_value("+12125550100")
    sam.fill("#book-note", "Mon-Fri 9-17")
    sam.click("#book-save")
    check(rows.first).to_contain_text("Mon-Fri 9-17")
    rows.first.locator(".book-delete").click()
    check(rows).to_have_count(0)
