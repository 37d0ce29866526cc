"""Campaign administration over HTTP: settings, contacts (JSON and CSV), progress, removal, the page."""
from __future__ import annotations

import pytest

BASE = {"name": "Spring renewals", "queue": "renewals", "max_attempts": 2, "retry_delay": 120,
        "dispositions": ["Sale", "Not interested", "Call back"]}


@pytest.fixture
def renewals(people):
    from controller.models import AgentQueue, Queue

    queue = Queue.create(name="renewals", label="Renewals", caller_id_number="8005550199")
    AgentQueue.create(agent=people.alice, queue=queue)
    return queue


@pytest.fixture
def sam(signed_in, renewals):
    return signed_in("sam")


@pytest.fixture
def made(sam):
    response = sam.post("/api/campaigns", json=BASE)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["campaign"]


def contacts(client, campaign_id, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    response = client.get(f"/api/campaigns/{campaign_id}/contacts?{args}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_supervisor_creates_edits_activates_and_pauses_a_campaign(sam, made):
    assert made["name"] == "Spring renewals" and made["queue"] == "renewals" and made["active"] is False
    assert made["progress"] == {"total": 0, "ready": 0, "ready_now": 0, "dialing": 0, "done": 0, "scheduled": 0,
                                "by_disposition": {}}
    listed = sam.get("/api/campaigns").get_json()
    assert [c["name"] for c in listed["campaigns"]] == ["Spring renewals"]
    assert "renewals" not in listed["queues"] and "sales" in listed["queues"]

    changed = sam.patch(f"/api/campaigns/{made['id']}", json={"retry_delay": 900, "dispositions": ["Sale", "No"]})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["campaign"]["retry_delay"], changed.get_json()["campaign"]["dispositions"],
            changed.get_json()["campaign"]["max_attempts"]) == (900, ["Sale", "No"], 2)
    assert sam.post(f"/api/campaigns/{made['id']}/activate").get_json()["campaign"]["active"] is True
    assert sam.get(f"/api/campaigns/{made['id']}").get_json()["campaign"]["active"] is True
    assert sam.post(f"/api/campaigns/{made['id']}/pause").get_json()["campaign"]["active"] is False


@pytest.mark.parametrize("change, status, message", [
    ({"max_attempts": 0}, 400, "'max_attempts' must be at least 1."),
    ({"max_attempts": 21}, 400, "'max_attempts' must be at most 20."),
    ({"retry_delay": 30}, 400, "'retry_delay' must be at least 60."),
    ({"retry_delay": 7 * 86400 + 1}, 400, "'retry_delay' must be at most 604800."),
    ({"dispositions": []}, 400, "'dispositions'"),
    ({"dispositions": ["Sale", "sale "]}, 400, "The disposition 'sale' is listed twice."),
    ({"name": "spring RENEWALS"}, 409, "A campaign is already called 'spring RENEWALS': choose another name."),
    ({"name": "Other"}, 409, "The queue renewals already has the campaign Spring renewals: a queue has one campaign."),
    ({"name": "Other", "queue": "nowhere"}, 400, "No queue is called 'nowhere'."),
    ({"pacing": "predictive"}, 400, "'pacing' must be one of: progressive."),
])
def test_settings_that_cannot_work_are_refused_with_a_sentence(sam, made, change, status, message):
    from controller.models import Campaign

    response = sam.post("/api/campaigns", json={**BASE, **change})
    assert response.status_code == status
    assert response.get_json()["error"].startswith(message)
    assert Campaign.select().count() == 1


def test_an_edit_is_checked_too_and_changes_nothing_when_refused(sam, made, renewals, people):
    from controller.models import Queue

    other = sam.post("/api/campaigns", json={**BASE, "name": "Winback", "queue": "sales"}).get_json()["campaign"]
    taken = sam.patch(f"/api/campaigns/{other['id']}", json={"name": "Spring Renewals", "max_attempts": 5})
    assert taken.status_code == 409 and "already called" in taken.get_json()["error"]
    empty = sam.patch(f"/api/campaigns/{other['id']}", json={"dispositions": ["  "]})
    assert empty.status_code == 400
    unknown = sam.patch(f"/api/campaigns/{other['id']}", json={"queue": "renewals"})
    assert unknown.status_code == 400 and unknown.get_json()["error"] == "'queue' is not a field of this request."
    assert sam.get(f"/api/campaigns/{other['id']}").get_json()["campaign"]["max_attempts"] == 2
    assert sam.get("/api/campaigns/999").status_code == 404
    assert Queue.select().count() == 2


def test_the_controller_checks_the_ranges_itself(renewals):
    from controller.callbacks import campaign_admin as admin

    with pytest.raises(admin.CampaignRefused, match=r"'max_attempts' must be between 1 and 20\."):
        admin.create_campaign(name="X", queue_name="renewals", max_attempts=50)
    with pytest.raises(admin.CampaignRefused, match=r"'retry_delay' must be between 60 seconds and 7 days"):
        admin.create_campaign(name="X", queue_name="renewals", retry_delay=10)
    with pytest.raises(admin.CampaignRefused, match="at least one disposition"):
        admin.create_campaign(name="X", queue_name="renewals", dispositions=[])


def test_agents_get_403_everywhere(signed_in, made):
    alice = signed_in("alice")
    cid = made["id"]
    assert alice.get("/api/campaigns").status_code == 403
    assert alice.post("/api/campaigns", json={**BASE, "name": "Mine"}).status_code == 403
    assert alice.get(f"/api/campaigns/{cid}").status_code == 403
    assert alice.patch(f"/api/campaigns/{cid}", json={"max_attempts": 3}).status_code == 403
    assert alice.post(f"/api/campaigns/{cid}/activate").status_code == 403
    assert alice.get(f"/api/campaigns/{cid}/contacts").status_code == 403
    assert alice.post(f"/api/campaigns/{cid}/contacts", json={"contacts": [{"number": "+12125550101"}]}) \
        .status_code == 403
    assert alice.post(f"/api/campaigns/{cid}/contacts/csv", json={"csv": "+12125550101"}).status_code == 403
    assert alice.delete(f"/api/campaigns/{cid}/contacts/1").status_code == 403
    assert alice.get("/admin/campaigns").status_code == 403
    assert alice.get("/api/campaigns/1").status_code == 403
    assert "/admin/campaigns" not in alice.get("/").get_data(as_text=True)


def test_a_bad_row_refuses_the_list_unless_bad_rows_are_skipped(sam, made):
    from controller.models import CampaignContact

    rows = [{"number": "(212) 555-0101", "name": "Ada"}, {"number": "12", "name": "Short"},
            {"number": "+44 20 7946 0958", "name": "Bob"}, {"number": "call me", "name": "Letters"},
            {"number": "", "name": "Nobody"}]
    refused = sam.post(f"/api/campaigns/{made['id']}/contacts", json={"contacts": rows})
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["error"].startswith("Nothing was imported: line 2: ") and "(and 2 more)" in body["error"]
    assert [(p["line"], p["number"]) for p in body["problems"]] == [(2, "12"), (4, "call me"), (5, "")]
    assert body["problems"][2]["reason"] == "no number"
    assert "Letters" in body["problems"][1]["reason"]
    assert CampaignContact.select().count() == 0

    done = sam.post(f"/api/campaigns/{made['id']}/contacts", json={"contacts": rows, "skip_bad_rows": True})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["added"], done.get_json()["updated"], done.get_json()["total"]) == (2, 0, 2)
    assert [p["line"] for p in done.get_json()["skipped"]] == [2, 4, 5]
    listed = contacts(sam, made["id"])
    assert listed["total"] == 2
    assert {(c["number"], c["name"], c["status"], c["attempts"]) for c in listed["contacts"]} == \
        {("+12125550101", "Ada", "ready", 0), ("+442079460958", "Bob", "ready", 0)}


def test_a_number_already_in_the_campaign_is_updated_not_added(sam, made):
    url = f"/api/campaigns/{made['id']}/contacts"
    sam.post(url, json={"contacts": [{"number": "+12125550101", "name": "Ada"}]})
    again = sam.post(url, json={"contacts": [{"number": "212-555-0101", "name": "Ada Lovelace"},
                                             {"number": "+12125550102", "name": "Grace"},
                                             {"number": "+1 212 555 0102", "name": "Grace Hopper"}]}).get_json()
    assert (again["added"], again["updated"], again["total"]) == (1, 1, 2)
    names = {c["number"]: c["name"] for c in contacts(sam, made["id"])["contacts"]}
    assert names == {"+12125550101": "Ada Lovelace", "+12125550102": "Grace Hopper"}


def test_csv_upload_reports_bad_rows_by_their_line(sam, made):
    url = f"/api/campaigns/{made['id']}/contacts/csv"
    text = "Name;Phone\nAda;+1 212 555 0101\n\nBad;abc\nGrace;(212) 555-0102\n;\n"
    refused = sam.post(url, json={"csv": text})
    assert refused.status_code == 400
    assert [(p["line"], p["number"]) for p in refused.get_json()["problems"]] == [(4, "abc")]
    done = sam.post(url, json={"csv": text, "skip_bad_rows": True}).get_json()
    assert (done["added"], [p["line"] for p in done["skipped"]]) == (2, [4])
    # no header: number, name
    plain = sam.post(url, json={"csv": "+12125550103,Linus\n+12125550101\n"}).get_json()
    assert (plain["added"], plain["updated"], plain["total"]) == (1, 1, 3)
    names = {c["number"]: c["name"] for c in contacts(sam, made["id"])["contacts"]}
    assert names == {"+12125550101": "Ada", "+12125550102": "Grace", "+12125550103": "Linus"}
    assert sam.post(url, json={"csv": "number,name\n"}).get_json()["error"] == "The file has no contacts."


def test_contacts_are_listed_by_status_progress_counts_them_and_removal_cancels_their_callback(
        sam, made, contact_center, people):
    from controller.models import Callback, CampaignContact

    cid = made["id"]
    sam.post(f"/api/campaigns/{cid}/contacts", json={"contacts": [
        {"number": f"+1212555010{i}", "name": f"C{i}"} for i in range(1, 6)]})
    CampaignContact.update(status="done", disposition="Sale", attempts=1).where(
        CampaignContact.number.in_(["+12125550101", "+12125550102"])).execute()
    CampaignContact.update(status="done", disposition="Not interested", attempts=2).where(
        CampaignContact.number == "+12125550103").execute()
    CampaignContact.update(status="dialing").where(CampaignContact.number == "+12125550104").execute()
    alice_cb = contact_center.schedule_agenda(
        people.alice.id, number="+12125550105", date="2030-01-02", time="10:00",
        time_zone="America/New_York", scope="global", queue_name="renewals")
    progress = sam.get(f"/api/campaigns/{cid}").get_json()["campaign"]["progress"]
    assert progress == {"total": 5, "ready": 0, "ready_now": 0, "dialing": 1, "done": 3, "scheduled": 1,
                        "by_disposition": {"Sale": 2, "Not interested": 1}}
    done = contacts(sam, cid, status="done")
    assert done["total"] == 3 and {c["disposition"] for c in done["contacts"]} == {"Sale", "Not interested"}
    scheduled = contacts(sam, cid, status="scheduled")["contacts"]
    assert [(c["number"], c["callback_id"]) for c in scheduled] == [("+12125550105", alice_cb["id"])]
    assert sam.get(f"/api/campaigns/{cid}/contacts?status=gone").status_code == 400

    dialing = contacts(sam, cid, status="dialing")["contacts"][0]
    busy = sam.post(f"/api/campaigns/{cid}/contacts/remove", json={"ids": [dialing["id"], scheduled[0]["id"]]})
    assert busy.status_code == 409 and "+12125550104 is being dialed now" in busy.get_json()["error"]
    assert CampaignContact.select().count() == 5 and Callback.get_by_id(alice_cb["id"]).status == "pending"

    removed = sam.delete(f"/api/campaigns/{cid}/contacts/{scheduled[0]['id']}")
    assert removed.status_code == 200, removed.get_json()
    assert (removed.get_json()["removed"], removed.get_json()["callbacks_cancelled"]) == (1, 1)
    assert Callback.get_by_id(alice_cb["id"]).status == "cancelled"
    assert sam.delete(f"/api/campaigns/{cid}/contacts/{scheduled[0]['id']}").status_code == 404
    assert contacts(sam, cid)["total"] == 4


def test_the_page_is_for_supervisors_and_admins_and_in_their_header(sam, made, app):
    page = sam.get("/admin/campaigns")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="campaigns"' in html and "admin_campaigns.js" in html
    assert 'href="/admin/campaigns" aria-current="page">Campaigns</a>' in html
    assert ">Campaigns</a>" in sam.get("/supervisor/").get_data(as_text=True)
    from controller.models import Agent

    root = Agent(username="root", name="Root Admin", extension="1099", role="admin")
    root.set_password("root-pass")
    root.save()
    from tests.web.conftest import ApiClient, sign_in

    client = app.test_client()
    assert sign_in(client, "root", "root-pass").status_code == 302
    admin = ApiClient(client)
    assert admin.get("/admin/campaigns").status_code == 200
    assert admin.get("/api/campaigns").get_json()["campaigns"][0]["id"] == made["id"]


def test_the_endpoints_are_in_the_openapi_document(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    paths = doc["paths"]
    for path, methods in {"/api/campaigns": {"get", "post"}, "/api/campaigns/{campaign_id}": {"get", "patch"},
                          "/api/campaigns/{campaign_id}/activate": {"post"},
                          "/api/campaigns/{campaign_id}/pause": {"post"},
                          "/api/campaigns/{campaign_id}/contacts": {"get", "post"},
                          "/api/campaigns/{campaign_id}/contacts/csv": {"post"},
                          "/api/campaigns/{campaign_id}/contacts/remove": {"post"},
                          "/api/campaigns/{campaign_id}/contacts/{contact_id}": {"delete"}}.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert "campaigns" in paths[path][method]["tags"]
            assert "403" in paths[path][method]["responses"]
    assert "ImportReply" in doc["components"]["schemas"] and "WrapUpCallback" in doc["components"]["schemas"]
