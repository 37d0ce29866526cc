"""Campaign dispositions at wrap-up, and the global callback an agent schedules while wrapping up,
end to end on the simulator: dialed progressively, answered, offered, wrapped up, called again."""
from __future__ import annotations

import pytest

from .conftest import history
from .test_agenda import this_minute

FIRST, SECOND = "+12125550101", "+12125550102"


@pytest.fixture
def campaign(people, simulator):
    from controller.models import AgentQueue, Campaign, CampaignContact, Queue

    queue = Queue.create(name="renewals", label="Renewals", caller_id_number="8005550199", wrapup_seconds=60,
                         wrapup_reasons=["Resolved"], callback_window_start="00:00", callback_window_end="24:00")
    AgentQueue.create(agent=people.alice, queue=queue)
    camp = Campaign.create(queue=queue, name="Renewals", active=True, max_attempts=2, retry_delay=60,
                           dispositions=["Sale", "Not interested", "Call back"])
    CampaignContact.create(campaign=camp, number=FIRST, name="Ada")
    return camp


def contact(number):
    from controller.models import CampaignContact

    return CampaignContact.get(CampaignContact.number == number)


def connected_call(pushes, agent_id, after=0):
    """The next campaign call the agent is offered and then connected to (pushes after index ``after``)."""
    def match(state):
        def predicate(room, event, payload):
            return room == f"agent:{agent_id}" and event == "call" and payload["state"] == state
        return predicate

    offered = _wait_after(pushes, match("offering"), after)
    connected = _wait_after(pushes, lambda r, e, p: match("connected")(r, e, p) and p["id"] == offered["id"], after)
    return offered, connected


def _wait_after(pushes, predicate, after):
    _, _, payload = pushes.wait_for(lambda r, e, p: predicate(r, e, p) and
                                    pushes.pushes.index((r, e, p)) >= after, timeout=10)
    return payload


def test_the_desktop_offers_the_campaigns_dispositions_at_wrap_up(campaign, signed_in):
    alice = signed_in("alice")
    reasons = alice.get("/api/me").get_json()["wrapup_reasons"]
    assert reasons["renewals"] == ["Sale", "Not interested", "Call back"]
    assert reasons["sales"] == ["Resolved", "Follow-up needed", "Wrong number"]


def test_a_wrapped_up_call_back_comes_back_into_the_list_and_is_dialed_and_offered_again(
        campaign, live_center, simulator, pushes, people, signed_in):
    from controller.models import Callback, Interaction

    dialed = []
    simulator.add_listener(lambda ev: dialed.append(ev.get("Caller-Destination-Number"))
                           if ev.name == "CHANNEL_CREATE" and ev.get("Call-Direction") == "outbound" else None)
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})

    # 1. dialed progressively, answered, offered to alice: she talks, the customer hangs up
    offered, connected = connected_call(pushes, alice.agent_id)
    assert (offered["queue"], offered["ani"], offered["kind"]) == ("renewals", FIRST, "outbound")
    assert contact(FIRST).status == "done" and contact(FIRST).disposition == "answered"
    live_center.hangup(connected["id"], None)
    simulator.wait_for(lambda: live_center.agents[alice.agent_id].state == "wrap_up", timeout=5)

    # 2. wrap-up: only the campaign's dispositions; a refusal changes nothing
    url = f"/api/calls/{connected['id']}/wrapup"
    wrong = alice.post(url, json={"reason": "Resolved"})
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == ("'Resolved' is not a disposition of the campaign Renewals: choose one of "
                                         "Sale, Not interested, Call back.")
    past = alice.post(url, json={"reason": "Call back", "callback": {"date": "2020-01-01", "time": "10:00",
                                                                     "time_zone": "America/Chicago"}})
    assert past.status_code == 400 and "already passed" in past.get_json()["error"]
    assert live_center.agents[alice.agent_id].state == "wrap_up"
    assert contact(FIRST).disposition == "answered" and Callback.select().count() == 0

    # "call back at T" (T = now, so the test need not wait): a global callback, the contact is scheduled
    date, time = this_minute("America/Chicago")
    before = len(pushes.pushes)
    done = alice.post(url, json={"reason": "call back", "callback": {"date": date, "time": time,
                                                                     "time_zone": "America/Chicago",
                                                                     "note": "after the board meeting"}})
    assert done.status_code == 200, done.get_json()
    assert Interaction.get_by_id(connected["id"]).wrapup_reason == "call back"
    cb = Callback.get()
    assert (cb.kind, cb.launch, cb.number, cb.note, cb.original_contact_id) == \
        ("global", "campaign", FIRST, "after the board meeting", connected["id"])

    # 3. at T the contact is back at the top of the list, dialed, and offered to alice when it answers
    again, reconnected = connected_call(pushes, alice.agent_id, after=before)
    assert again["id"] != offered["id"]
    assert (again["ani"], again["kind"]) == (FIRST, "callback")
    assert dialed.count(FIRST) == 2
    live_center.hangup(reconnected["id"], None)
    simulator.wait_for(lambda: live_center.agents[alice.agent_id].state == "wrap_up", timeout=5)
    assert alice.post(f"/api/calls/{reconnected['id']}/wrapup", json={"reason": "Sale"}).status_code == 200
    final = contact(FIRST)
    assert (final.status, final.disposition, final.attempts) == ("done", "Sale", 2)
    simulator.wait_for(lambda: Callback.get_by_id(cb.id).status == "completed", timeout=5)
    assert [h[1] for h in history(cb.id)] == ["request", "offer", "dial", "answer", "complete"]


def test_a_disposition_without_a_callback_finishes_the_contact_and_counts_in_the_progress(
        campaign, live_center, simulator, pushes, people, signed_in):
    from controller.callbacks.campaign_admin import progress

    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    _, connected = connected_call(pushes, alice.agent_id)
    live_center.hangup(connected["id"], None)
    simulator.wait_for(lambda: live_center.agents[alice.agent_id].state == "wrap_up", timeout=5)
    assert alice.post(f"/api/calls/{connected['id']}/wrapup", json={"reason": "Not interested"}).status_code == 200
    assert (contact(FIRST).status, contact(FIRST).disposition) == ("done", "Not interested")
    assert progress(campaign.id)["by_disposition"] == {"Not interested": 1}


def test_a_callback_time_is_only_for_campaign_calls(sales, live_center, simulator, pushes, people, signed_in):
    from controller.models import Callback, Interaction

    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    simulator.customer_call("8005550100", ani="+12125550123")
    _, _, call = pushes.wait_for(lambda r, e, p: e == "call" and p["state"] == "connected", timeout=10)
    live_center.hangup(call["id"], None)
    simulator.wait_for(lambda: live_center.agents[alice.agent_id].state == "wrap_up", timeout=5)
    date, time = this_minute()
    refused = alice.post(f"/api/calls/{call['id']}/wrapup", json={
        "reason": "Resolved", "callback": {"date": date, "time": time, "time_zone": "Europe/Paris"}})
    assert refused.status_code == 400 and "use the agenda" in refused.get_json()["error"]
    assert Callback.select().count() == 0 and live_center.agents[alice.agent_id].state == "wrap_up"
    # an inbound queue's reasons are not checked against any campaign
    assert alice.post(f"/api/calls/{call['id']}/wrapup", json={"reason": "Resolved"}).status_code == 200
    assert Interaction.get_by_id(call["id"]).wrapup_reason == "Resolved"


def test_a_global_callback_that_is_never_answered_finishes_its_contact(campaign, live_center, simulator, pushes,
                                                                        people):
    from controller.models import Callback

    simulator.set_number(SECOND, behaviour="busy")
    date, time = this_minute("America/Chicago")
    cb = live_center.schedule_agenda(people.alice.id, number=SECOND, date=date, time=time,
                                     time_zone="America/Chicago", scope="global", queue_name="renewals")
    Callback.update(max_attempts=1).where(Callback.id == cb["id"]).execute()
    assert (contact(SECOND).status, contact(SECOND).callback_id) == ("scheduled", cb["id"])
    live_center.set_agent_state(people.alice.id, "available")
    simulator.wait_for(lambda: Callback.get_by_id(cb["id"]).status == "expired", timeout=10)
    simulator.wait_for(lambda: contact(SECOND).status == "done", timeout=5)
    assert contact(SECOND).disposition == "no answer (USER_BUSY)" and contact(SECOND).attempts == 1


def test_the_desktops_agenda_is_a_disposition_once_an_agenda_was_scheduled_for_the_call(
        campaign, live_center, simulator, pushes, people, signed_in):
    """The desktop's Agenda dialog schedules with ``POST /api/agenda`` and then wraps up with
    the reason "Agenda": a campaign call takes it, but only when a callback was really scheduled."""
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    _, connected = connected_call(pushes, alice.agent_id)
    live_center.hangup(connected["id"], None)
    simulator.wait_for(lambda: live_center.agents[alice.agent_id].state == "wrap_up", timeout=5)
    url = f"/api/calls/{connected['id']}/wrapup"
    early = alice.post(url, json={"reason": "Agenda"})
    assert early.status_code == 400 and "is not a disposition of the campaign Renewals" in early.get_json()["error"]

    scheduled = alice.post("/api/agenda", json={"number": FIRST, "date": "2030-01-02", "time": "10:00",
                                                "time_zone": "America/New_York", "reason": "wants the manager",
                                                "scope": "global", "contact_id": connected["id"]})
    assert scheduled.status_code == 201, scheduled.get_json()
    assert alice.post(url, json={"reason": "Agenda"}).status_code == 200
    assert (contact(FIRST).status, contact(FIRST).disposition) == ("scheduled", "Agenda")
    assert live_center.agents[alice.agent_id].state == "available"
