"""Replay each recorded scenario against the simulator and compare leg by leg."""
import pytest

from tests.fssim.conftest import lab_simulator
from tests.fssim.replay import Replay

import os
SCENARIOS = os.environ.get("FSSIM_SCENARIOS", "01-inbound-park,02-originate-agent-bridge,03-hold-unhold,"
                           "05-attended-manual,07-three-way-conference,08-recording,09-originate-failures,10-dtmf,"
                           "12-caller-hangup-while-held").split(",")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replay(scenario, tmp_path):
    sim = lab_simulator(tmp_path)
    try:
        replay = Replay(sim, scenario, str(tmp_path / "rec")).run()
        problems = replay.compare_legs() + replay.compare_replies(skip=("api status", "show channels as json",
                                                                         "show calls as json", "uuid_dump"))
        assert not problems, "\n".join(problems)
    finally:
        sim.stop()
