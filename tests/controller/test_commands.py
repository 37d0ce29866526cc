"""Command builders: what reaches FreeSWITCH is exactly what was meant, or nothing."""
from __future__ import annotations

import pytest

from controller import commands
from controller.commands import UnsafeValue

U = "0b7b3a3e-5f5e-4c59-9d1e-1a2b3c4d5e6f"


def test_builders():
    assert commands.hold(U) == f"uuid_hold {U}"
    assert commands.hold(U, off=True) == f"uuid_hold off {U}"
    assert commands.bridge(U, U) == f"uuid_bridge {U} {U}"
    assert commands.kill(U) == f"uuid_kill {U} NORMAL_CLEARING"
    assert commands.originate("user/1000", variables={"origination_uuid": U, "park_after_bridge": "true"}) == (
        f"originate {{origination_uuid={U},park_after_bridge=true}}user/1000 &park()")
    assert commands.transfer(U, "7010") == f"uuid_transfer {U} 7010 XML default"
    assert commands.record(U, "mask", "/var/rec/a.wav") == f"uuid_record {U} mask /var/rec/a.wav"


@pytest.mark.parametrize("bad", [
    "1000\n\napi hupall", "1000 &bridge(x)", "1000}{x=1", "10,00", "", "a" * 80, "1000\r", "../x",
])
def test_injection_in_a_destination_is_refused(bad):
    with pytest.raises(UnsafeValue):
        commands.transfer(U, bad)


@pytest.mark.parametrize("value", ["x,origination_uuid=evil", "a}b", "a b", "x\nexit", "it's"])
def test_injection_in_a_dial_string_variable_is_refused(value):
    with pytest.raises(UnsafeValue):
        commands.originate("user/1000", variables={"origination_caller_id_name": value})


@pytest.mark.parametrize("uuid", [f"{U}\n\nexit", f"{U} all", "", "x" * 80])
def test_bad_uuid_is_refused(uuid):
    with pytest.raises(UnsafeValue):
        commands.hold(uuid)


def test_bad_cause_and_path_are_refused():
    with pytest.raises(UnsafeValue):
        commands.kill(U, "NORMAL_CLEARING\nexit")
    with pytest.raises(UnsafeValue):
        commands.record(U, "start", "/tmp/../etc/passwd")
    with pytest.raises(UnsafeValue):
        commands.setvar(U, "x", "a\nb")


@pytest.mark.parametrize("build", [
    lambda: commands.kill("abc\n"),
    lambda: commands.bridge("abc\n", "def"),
    lambda: commands.transfer("abc", "1000\n"),
    lambda: commands.setvar("abc", "park_after_bridge\n", "true"),
    lambda: commands.originate("user/1000\n", variables={}),
    lambda: commands.record("abc", "start", "/tmp/a.wav\n"),
    lambda: commands.transfer_inline("abc", "conference", "room\n"),
    lambda: commands.conference_room("room\n"),
])
def test_a_trailing_newline_is_refused_everywhere(build):
    """``$`` in a regex also matches before a final newline: every check must match the whole value."""
    with pytest.raises(commands.UnsafeValue):
        build()
