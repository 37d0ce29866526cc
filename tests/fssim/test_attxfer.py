"""att_xfer through the Python API: who hears whom, and what is left after each ending."""
import pytest

from tests.fssim.conftest import lab_simulator

ATT_XFER = "%s att_xfer::{origination_uuid=%s}sofia/internal/1001@127.0.0.1:%s aleg"


@pytest.fixture
def sim(tmp_path):
    simulator = lab_simulator(tmp_path)
    yield simulator
    simulator.stop()


def customer_with_agent(sim):
    customer = sim.customer_call("8005550100")
    sim.wait_for(lambda: sim.channels[customer].application == "park")
    reply = sim.api.execute("originate", "{park_after_bridge=true}user/1000 &park()")
    agent = reply.split()[1]
    sim.api.execute("uuid_bridge", "%s %s" % (customer, agent))
    sim.wait_for(lambda: sim.hears(customer) == "party:" + agent)
    return customer, agent


def consult(sim, agent, port="5072"):
    x = sim.switch.new_uuid()
    assert sim.api.execute("uuid_broadcast", ATT_XFER % (agent, x, port)) == "+OK Message sent\n"
    sim.wait_for(lambda: sim.channels[agent].consult is not None)
    return x


def test_customer_hears_silence_during_the_consult_and_b_after_a_hangs_up(sim):
    customer, agent = customer_with_agent(sim)
    x = consult(sim, agent)
    sim.wait_for(lambda: sim.hears(agent) == "party:" + x)
    assert sim.hears(customer) == "silence"
    assert sim.hears(x) == "party:" + agent
    sim.hangup(agent)
    sim.wait_for(lambda: sim.hears(customer) == "party:" + x)
    assert sim.hears(x) == "party:" + customer and agent not in sim.channels


def test_killing_the_consulted_leg_returns_the_agent_to_the_customer(sim):
    customer, agent = customer_with_agent(sim)
    x = consult(sim, agent)
    sim.wait_for(lambda: sim.hears(agent) == "party:" + x)
    sim.api.execute("uuid_kill", x)
    sim.wait_for(lambda: sim.hears(customer) == "party:" + agent)
    assert sim.hears(agent) == "party:" + customer and sim.channels[agent].application is None


def test_a_consult_that_never_answers_leaves_the_bridge_alone(sim):
    customer, agent = customer_with_agent(sim)
    x = consult(sim, agent, port="5076")  # rings forever
    assert sim.hears(customer) == "silence"
    sim.api.execute("uuid_kill", x)
    sim.wait_for(lambda: sim.channels[agent].consult is None)
    assert sim.hears(customer) == "party:" + agent and sim.channels[customer].partner == agent


def test_customer_hangup_during_the_consult_waits_for_the_agent(sim):
    customer, agent = customer_with_agent(sim)
    names = []
    sim.add_listener(lambda e: names.append((e.name, e.get("Unique-ID"))))
    x = consult(sim, agent)
    sim.wait_for(lambda: sim.hears(agent) == "party:" + x)
    sim.hangup(customer)
    sim.wait_for(lambda: ("CHANNEL_HANGUP", customer) in names)
    assert ("CHANNEL_HANGUP_COMPLETE", customer) not in names
    sim.hangup(agent)
    sim.wait_for(lambda: ("CHANNEL_DESTROY", customer) in names)
    sim.wait_for(lambda: ("CHANNEL_PARK", x) in names)
    sim.wait_for(lambda: x not in sim.channels)  # park timeout (2.2 switch seconds)
