"""The campaigns page in headless Chromium against `switchdesk demo`: a supervisor makes a campaign,
imports contacts (a bad row refuses the file until bad rows are skipped), activates and pauses it."""
from __future__ import annotations

import re

import pytest

from .conftest import sign_in
from .stack import expect

pytestmark = pytest.mark.browser


DEMO_OPTIONS = {"call_interval": 0}


def test_a_supervisor_makes_a_campaign_and_imports_its_contacts(new_page, screenshot):
    check = expect()
    page = new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "sam")
    page.click("nav >> text=Campaigns")
    check(page).to_have_url(re.compile(r"/admin/campaigns$"))
    check(page.locator("#no-campaigns")).to_be_visible()

    page.click("#new-campaign")
    page.fill("#c-name", "Spring renewals")
    page.select_option("#c-queue", "support")
    page.fill("#c-max_attempts", "0")
    page.click("#save-campaign")
    check(page.locator("#status")).to_have_text("'max_attempts' must be at least 1.")
    page.fill("#c-max_attempts", "2")
    page.fill("#c-dispositions", "Sale\nNot interested\nCall back")
    page.click("#save-campaign")
    check(page.locator("#status")).to_have_text("Spring renewals is saved.")
    row = page.locator("#campaigns tbody tr")
    check(row).to_have_count(1)
    check(row.locator("td").nth(1)).to_have_text("support")
    check(row.locator(".campaign-state")).to_have_text("Paused")
    check(page.locator("#contacts-panel")).to_be_visible()

    page.fill("#import-text", "number,name\n+1 212 555 0101,Ada\nabc,Nobody\n(212) 555-0102,Grace\n")
    page.click("#import")
    check(page.locator("#status")).to_contain_text("Nothing was imported: line 3:")
    check(page.locator("#problems li")).to_have_count(1)
    check(page.locator("#problems li")).to_contain_text("line 3")
    check(page.locator("#contacts tbody tr")).to_have_count(0)
    page.check("#skip-bad-rows")
    page.click("#import")
    check(page.locator("#status")).to_have_text("2 added, 0 already in the campaign (updated), 1 bad rows skipped; "
                                                "2 contacts in all.")
    check(page.locator("#contacts tbody tr")).to_have_count(2)
    check(page.locator("#contacts tbody tr").first.locator("td").first).to_have_text("+12125550101")
    check(page.locator('#progress dd[data-figure="total"]')).to_have_text("2")
    screenshot(page, "admin-campaigns")

    page.click("#campaigns tbody tr >> text=Activate")
    check(row.locator(".campaign-state")).to_have_text("Dialing")
    page.click("#campaigns tbody tr >> text=Pause")
    check(row.locator(".campaign-state")).to_have_text("Paused")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#contacts tbody tr").first.locator("text=Remove").click()
    check(page.locator("#status")).to_have_text("+12125550101 is removed.")
    check(page.locator("#contacts tbody tr")).to_have_count(1)
    assert errors == []
