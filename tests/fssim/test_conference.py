"""The conference application and API beyond what trace 07 replays."""
import pytest

from tests.fssim.conftest import lab_simulator


@pytest.fixture
def sim(tmp_path):
    simulator = lab_simulator(tmp_path)
    simulator.add_extension("3000", [("answer", ""), ("conference", "room-a@default")])
    events = []
    simulator.add_listener(lambda event: events.append(event) if event.subclass else None)
    simulator.conference_events = events
    yield simulator
    simulator.stop()


def actions(sim, name=None):
    return [e.get("Action") for e in sim.conference_events
            if name is None or e.get("Conference-Name") == name]


def join_two(sim):
    first = sim.customer_call("3000", ani="5550101")
    second = sim.customer_call("3000", ani="5550102")
    sim.wait_for(lambda: actions(sim).count("add-member") == 2)
    return first, second


def api(sim, args):
    return sim.api.execute("conference", args)


def test_members_hear_the_conference_and_the_room_lists_them(sim):
    first, second = join_two(sim)
    assert sim.hears(first) == sim.hears(second) == "conference:room-a"
    listing = api(sim, "list")
    assert listing.startswith("+OK Conference room-a (2 members rate: 8000 flags: ")
    lines = api(sim, "room-a list").splitlines()
    assert [line.split(";")[2] for line in lines] == [second, first]  # newest first
    assert lines[0].split(";")[5] == "hear|speak|floor"  # the second member took the floor
    assert api(sim, "room-a list count") == "2"
    assert '"member_count":\t2' in api(sim, "room-a json_list")


def test_a_member_leaving_leaves_the_others_connected_and_the_last_destroys(sim):
    first, second = join_two(sim)
    sim.hangup(second)
    sim.wait_for(lambda: "del-member" in actions(sim))
    assert sim.channels[first].answered and sim.hears(first) == "conference:room-a"
    assert actions(sim)[-3:] == ["floor-change", "play-file", "del-member"]
    sim.hangup(first)
    sim.wait_for(lambda: "conference-destroy" in actions(sim))
    assert api(sim, "list") == "+OK No active conferences.\n"
    assert api(sim, "room-a list") == "-ERR Conference room-a not found\n"


def test_kick_hangs_the_member_up_and_mute_deaf_change_the_flags(sim):
    first, second = join_two(sim)
    ids = {line.split(";")[2]: line.split(";")[0] for line in api(sim, "room-a list").splitlines()}
    assert api(sim, "room-a mute %s" % ids[first]) == "+OK mute %s\n" % ids[first]
    assert api(sim, "room-a deaf %s" % ids[second]) == "+OK deaf %s\n" % ids[second]
    sim.wait_for(lambda: "deaf-member" in actions(sim))
    assert sim.hears(second) == "silence"
    assert api(sim, "room-a undeaf %s" % ids[second]) == "+OK undeaf %s\n" % ids[second]
    sim.wait_for(lambda: sim.hears(second) == "conference:room-a")
    assert api(sim, "room-a kick %s" % ids[first]) == "+OK kicked %s\n" % ids[first]
    sim.wait_for(lambda: first not in sim.channels)
    assert "kick-member" in actions(sim) and second in sim.channels
    assert api(sim, "room-a kick 999") == "-ERR Non-Existant ID 999\n"


def test_talking_takes_the_floor_from_a_silent_holder(sim):
    first, second = join_two(sim)
    assert sim.talk(first)
    sim.wait_for(lambda: "start-talking" in actions(sim))
    assert actions(sim)[-2:] == ["start-talking", "floor-change"]
    assert api(sim, "room-a list").splitlines()[1].split(";")[5] == "hear|speak|talking|floor"
    assert not sim.talk(first)  # already talking


def test_play_into_the_room(sim):
    join_two(sim)
    assert api(sim, "room-a play /tmp/x.wav") == "+OK (play) Playing file /tmp/x.wav\n"
    sim.wait_for(lambda: [e for e in sim.conference_events
                          if e.get("Action") == "play-file-done" and e.get("File") == "/tmp/x.wav"])


def test_uuid_transfer_into_a_conference_inline(sim):
    customer = sim.customer_call("8005550100")
    sim.wait_for(lambda: sim.channels[customer].application == "park")
    assert sim.api.execute("uuid_transfer", "%s conference:room-b@default inline" % customer) == "+OK\n"
    sim.wait_for(lambda: sim.hears(customer) == "conference:room-b")
    assert actions(sim, "room-b") == ["conference-create", "play-file", "add-member"]
