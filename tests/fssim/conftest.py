import pytest

from fssim import Simulator


def lab_simulator(tmp_path, **kwargs):
    """A simulator set up like the trace lab (README of tests/traces)."""
    sim = Simulator(port=0, recordings_dir=str(tmp_path / "rec"), time_scale=kwargs.pop("time_scale", 0.02),
                    heartbeat_interval=kwargs.pop("heartbeat_interval", 3600), **kwargs)
    sim.add_phone("1000", answer_after=0.05)
    sim.add_phone("1001", answer_after=0.05)
    sim.add_phone("1001@127.0.0.1:5076", behaviour="never")
    sim.add_phone("1001@127.0.0.1:5078", behaviour="busy")
    sim.add_phone("1001@127.0.0.1:5082", behaviour="reject")
    sim.add_phone("1001@127.0.0.1:5099", behaviour="unreachable")
    sim.add_extension("7010", [("bridge", "{origination_caller_id_number=7010}sofia/internal/1001@127.0.0.1:5072")])
    sim.add_extension("7011", [("bridge", "sofia/internal/5550199@127.0.0.1:5074")])
    return sim.start()


@pytest.fixture
def sim(tmp_path):
    simulator = lab_simulator(tmp_path)
    yield simulator
    simulator.stop()
