"""Personal agenda callbacks (reminder, one-click call, to the queue after the grace) and global callbacks of a
progressive outbound campaign."""
from __future__ import annotations

import datetime as dt

import pytest

from .conftest import CUSTOMER, callback_rows, history


def this_minute(tz="Europe/Paris"):
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo(tz))
    return now.date().isoformat(), now.strftime("%H:%M")


def test_the_owner_is_reminded_when_due_and_calls_with_one_click(sales, live_center, simulator, pushes, signed_in):
    alice = signed_in("alice")
    date, time = this_minute()
    response = alice.post("/api/agenda", json={"number": "+1 212 555 0123", "date": date, "time": time,
                                               "time_zone": "Europe/Paris", "reason": "Send the quote"})
    assert response.status_code == 201, response.get_json()
    cb = response.get_json()["callback"]
    assert (cb["kind"], cb["launch"], cb["owner"]["username"], cb["note"]) == \
        ("personal", "owner", "alice", "Send the quote")
    _, _, reminder = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_reminder")
    assert reminder["id"] == cb["id"] and reminder["status"] == "offered"
    assert not [r for r, e, p in pushes.pushes if e == "callback_reminder" and r != f"agent:{alice.agent_id}"]
    agenda = alice.get("/api/callbacks?view=agenda").get_json()["callbacks"]
    assert [c["id"] for c in agenda] == [cb["id"]]
    assert signed_in("bob").get("/api/callbacks?view=agenda").get_json()["callbacks"] == []

    alice.post("/api/agent/state", json={"state": "idle", "reason": "Back office"})
    call = alice.post(f"/api/callbacks/{cb['id']}/call").get_json()["call"]
    pushes.wait_for(lambda r, e, p: e == "call" and p["id"] == call["id"] and p["state"] == "connected", timeout=10)
    assert callback_rows()[0].status == "connected"


def test_an_owner_who_does_not_log_in_hands_the_callback_to_the_queue(sales, live_center, pushes, people):
    sales.agenda_grace = 1
    sales.save()
    live_center.reload_queues()
    date, time = this_minute("America/New_York")
    cb = live_center.schedule_agenda(people.alice.id, number=CUSTOMER, date=date, time=time,
                                     time_zone="America/New_York", reason="Renewal", queue_name="sales")
    pushes.wait_for(lambda r, e, p: e == "callback_reminder")
    live_center.set_agent_state(people.bob.id, "available")          # alice stays logged out
    _, _, offer = pushes.wait_for(lambda r, e, p: r == f"agent:{people.bob.id}" and e == "callback_offer", timeout=6)
    assert offer["callback"]["id"] == cb["id"] and offer["callback"]["launch"] == "queue"
    assert [h[1] for h in history(cb["id"])] == ["request", "offer", "hand_to_queue", "offer"]


def test_agenda_times_are_checked(sales, live_center, signed_in):
    alice = signed_in("alice")
    base = {"number": CUSTOMER, "time_zone": "Europe/Paris"}
    past = alice.post("/api/agenda", json={**base, "date": "2020-01-01", "time": "10:00"})
    assert past.status_code == 400 and "already passed" in past.get_json()["error"]
    bad = alice.post("/api/agenda", json={**base, "date": "2030-02-30", "time": "10:00"})
    assert bad.status_code == 400 and "not a date and time" in bad.get_json()["error"]
    zone = alice.post("/api/agenda", json={**base, "date": "2030-01-01", "time": "10:00", "time_zone": "Nowhere"})
    assert zone.status_code == 400 and "not a time zone" in zone.get_json()["error"]
    # a local time that is before year 1 or after year 9999 in UTC (astimezone raised OverflowError: a 500)
    for date, time, time_zone in (("9999-12-31", "23:59", "America/New_York"), ("0001-01-01", "00:00", "Asia/Tokyo")):
        edge = alice.post("/api/agenda", json={**base, "date": date, "time": time, "time_zone": time_zone})
        assert edge.status_code == 400 and "out of range" in edge.get_json()["error"], edge.get_json()
    nocampaign = alice.post("/api/agenda", json={**base, "date": "2030-01-01", "time": "10:00", "scope": "global",
                                                 "queue": "sales"})
    assert nocampaign.status_code == 400 and "campaign" in nocampaign.get_json()["error"]


@pytest.fixture
def campaign(people, simulator):
    from controller.models import AgentQueue, Campaign, CampaignContact, Queue

    queue = Queue.create(name="renewals", label="Renewals", caller_id_number="8005550199",
                         callback_window_start="00:00", callback_window_end="24:00")
    AgentQueue.create(agent=people.alice, queue=queue)
    camp = Campaign.create(queue=queue, active=True, max_attempts=2, retry_delay=60)
    for i, number in enumerate(("+12125550101", "+12125550102")):
        CampaignContact.create(campaign=camp, number=number, name=f"Customer {i}")
    return camp


def test_progressive_campaign_dials_one_customer_per_free_agent(campaign, live_center, simulator, pushes, people):
    from controller.models import CampaignContact

    dialed = []
    simulator.add_listener(lambda ev: dialed.append(ev.get("Caller-Destination-Number"))
                           if ev.name == "CHANNEL_CREATE" and ev.get("Call-Direction") == "outbound" else None)
    live_center.set_agent_state(people.alice.id, "available")
    _, _, offered = pushes.wait_for(lambda r, e, p: r == f"agent:{people.alice.id}" and e == "call"
                                    and p["state"] == "offering", timeout=10)
    assert offered["queue"] == "renewals" and offered["ani"] == "+12125550101"
    _, _, connected = pushes.wait_for(lambda r, e, p: e == "call" and p["state"] == "connected", timeout=10)
    # one agent: the second customer is not dialed while the first call is on
    assert [n for n in dialed if n.startswith("+1212")] == ["+12125550101"]
    assert CampaignContact.get(CampaignContact.number == "+12125550102").status == "ready"
    live_center.hangup(connected["id"], None)


def test_a_global_callback_goes_back_into_the_campaign_at_its_time(campaign, live_center, simulator, pushes, people,
                                                                   signed_in):
    from controller.models import CampaignContact

    CampaignContact.update(status="done").execute()                  # the list is worked through
    alice = signed_in("alice")
    date, time = this_minute("America/Chicago")
    response = alice.post("/api/agenda", json={"number": "+12125550102", "date": date, "time": time,
                                               "time_zone": "America/Chicago", "scope": "global",
                                               "queue": "renewals", "reason": "Call after 3pm"})
    assert response.status_code == 201, response.get_json()
    cb = response.get_json()["callback"]
    assert cb["kind"] == "global" and cb["launch"] == "campaign" and cb["owner"] is None
    alice.post("/api/agent/state", json={"state": "available"})
    _, _, connected = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "call"
                                      and p["state"] == "connected", timeout=10)
    assert connected["kind"] == "callback" and connected["ani"] == "+12125550102"
    assert CampaignContact.get(CampaignContact.number == "+12125550102").status == "done"
    live_center.hangup(connected["id"], None)
    pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "completed", timeout=5)
    assert [h[1] for h in history(cb["id"])] == ["request", "offer", "dial", "answer", "complete"]


def test_an_agents_agenda_is_pushed_to_that_agent_only(sales, live_center, pushes, people):
    """Her agenda (the number, her reason) is hers: bob, of the same queue, is told nothing of it."""
    cb = live_center.schedule_agenda(people.alice.id, number=CUSTOMER, date="2030-03-04", time="09:30",
                                     time_zone="America/New_York", reason="Renewal quote", queue_name="sales")
    pushes.wait_for(lambda r, e, p: r == f"agent:{people.alice.id}" and e == "callback" and p["id"] == cb["id"])
    assert pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "callback" and p["id"] == cb["id"])
    assert not [r for r, e, p in pushes.pushes if p.get("id") == cb["id"] and r == f"agent:{people.bob.id}"]


def test_an_agents_agenda_is_not_listed_to_the_other_agents_of_its_queue(sales, contact_center, signed_in, people):
    """bob, of the same queue, does not find alice's agenda (her customer's number, her reason) in any list."""
    cb = contact_center.schedule_agenda(people.alice.id, number=CUSTOMER, date="2030-03-04", time="09:30",
                                        time_zone="America/New_York", reason="Renewal quote", queue_name="sales")
    bob, alice, sam = signed_in("bob"), signed_in("alice"), signed_in("sam")
    for view in ("missed", "queue", "agenda"):
        assert bob.get(f"/api/callbacks?view={view}").get_json()["callbacks"] == [], view
    assert bob.get(f"/api/callbacks/{cb['id']}").status_code == 403
    assert [c["id"] for c in alice.get("/api/callbacks?view=queue").get_json()["callbacks"]] == [cb["id"]]
    assert [c["id"] for c in alice.get("/api/callbacks?view=agenda").get_json()["callbacks"]] == [cb["id"]]
    assert [c["id"] for c in sam.get("/api/callbacks?view=all").get_json()["callbacks"]] == [cb["id"]]


def test_an_agenda_handed_to_the_queue_is_the_queues_to_open_too(sales, contact_center, signed_in, people):
    """Once the owner missed it and it went to the queue, the queue's agents find it in their list
    and can open it, as they are offered it; until then only the owner can."""
    from controller.models import Callback

    cb = contact_center.schedule_agenda(people.alice.id, number=CUSTOMER, date="2030-03-04", time="09:30",
                                        time_zone="America/New_York", reason="Renewal quote", queue_name="sales")
    bob = signed_in("bob")
    assert bob.get(f"/api/callbacks/{cb['id']}").status_code == 403
    Callback.update(launch="queue").where(Callback.id == cb["id"]).execute()   # what hand_to_queue writes
    assert [c["id"] for c in bob.get("/api/callbacks?view=queue").get_json()["callbacks"]] == [cb["id"]]
    response = bob.get(f"/api/callbacks/{cb['id']}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["callback"]["number"] == CUSTOMER
