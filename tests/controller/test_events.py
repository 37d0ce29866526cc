"""Event parsing on the recorded FreeSWITCH 1.10 byte stream (tests/traces/11-esl-protocol/raw.bin)."""
from __future__ import annotations

import os
import random
from urllib.parse import unquote

import pytest

from controller.events import Event, FrameReader, ProtocolError, event_from_frame, parse_event_plain

RAW = os.path.join(os.path.dirname(__file__), "..", "traces", "11-esl-protocol", "raw.bin")


@pytest.fixture(scope="module")
def raw() -> bytes:
    with open(RAW, "rb") as f:
        return f.read()


def test_frames_of_the_recording(raw):
    frames = FrameReader().feed(raw)
    kinds = [f.content_type for f in frames]
    assert kinds[0] == "auth/request"
    assert kinds[-1] == "text/disconnect-notice"
    assert frames[-1].body == b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    assert kinds.count("text/event-plain") > 50 and kinds.count("text/event-json") > 5


def test_any_split_of_the_stream_gives_the_same_frames(raw):
    whole = [(f.headers, f.body) for f in FrameReader().feed(raw)]
    rng = random.Random(7)
    for _ in range(5):
        reader, frames, pos = FrameReader(), [], 0
        while pos < len(raw):
            step = rng.choice((1, 2, 3, 17, 500, 4096, 65536))
            frames += [(f.headers, f.body) for f in reader.feed(raw[pos:pos + step])]
            pos += step
        assert frames == whole
        assert reader.pending() == 0


def test_header_values_are_decoded_one_by_one(raw):
    events = [event_from_frame(f) for f in FrameReader().feed(raw) if f.content_type == "text/event-plain"]
    park = next(e for e in events if e.name == "CHANNEL_PARK" and e.variable("cc_queue"))
    assert park.variable("cc_queue") == "sales"
    assert park.get("Event-Date-Local").count(" ") == 1  # "2026-11-22 02:52:13" was sent as 2026-11-22%2002...
    assert park.get("Caller-Destination-Number") == "8005550100"
    assert park.get("No-Such-Header") is None and park.get("No-Such-Header", "x") == "x"
    # greenswitch unquotes whole frames; a value holding an encoded newline would then split the frame.
    event = parse_event_plain(b"Event-Name: CUSTOM\nEvent-Subclass: conference%3A%3Amaintenance\n"
                              b"variable_note: line1%0AUnique-ID%3A%20forged\nUnique-ID: real\n\n")
    assert event.uuid == "real"
    assert event.variable("note") == "line1\nUnique-ID: forged"
    assert event.name == "conference::maintenance"


def test_every_header_of_every_event_matches_a_whole_decode(raw):
    for frame in FrameReader().feed(raw):
        if frame.content_type != "text/event-plain":
            continue
        event = event_from_frame(frame)
        head = frame.body.split(b"\n\n", 1)[0].decode()
        expected = {}
        for line in head.split("\n"):
            name, _, value = line.partition(": ")
            expected.setdefault(name, unquote(value))
        assert event.headers == expected
        for name, value in expected.items():
            assert event[name] == value


def test_background_job_body_stays_a_body(raw):
    events = [event_from_frame(f) for f in FrameReader().feed(raw) if f.content_type.startswith("text/event")]
    jobs = [e for e in events if e.name == "BACKGROUND_JOB"]
    assert jobs, "the recording has BACKGROUND_JOB events"
    assert any(j.body == "-ERR foobar Command not found!\n" for j in jobs)
    for job in jobs:
        assert job.get("Job-UUID")
        assert "+OK" not in (job.get("Content-Length") or "")


def test_repeated_headers_keep_the_first_value():
    event = parse_event_plain(b"Event-Name: CHANNEL_HANGUP_COMPLETE\nHangup-Cause: NORMAL_CLEARING\n"
                              b"Hangup-Cause: USER_BUSY\n\n")
    assert event.get("Hangup-Cause") == "NORMAL_CLEARING"


def test_json_events(raw):
    events = [event_from_frame(f) for f in FrameReader().feed(raw) if f.content_type == "text/event-json"]
    assert events and all(isinstance(e, Event) and e.name for e in events)


def test_oversized_header_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        FrameReader().feed(b"X: " + b"a" * (70 * 1024))
    with pytest.raises(ProtocolError):
        FrameReader().feed(b"Content-Length: abc\n\n")


def test_a_header_line_inside_the_body_is_not_a_header():
    # e.g. the result of ``bgapi uuid_dump``: its body is made of "Name: value" lines
    body = b"Unique-ID: not-a-header\nCaller-Caller-ID-Number: 5550100\n"
    data = (b"Event-Name: BACKGROUND_JOB\nJob-UUID: 7f4de4bc\nContent-Length: %d\n\n" % len(body)) + body
    for lookups_first in (True, False):
        event = parse_event_plain(data)
        if not lookups_first:
            assert event.body == body.decode()
        assert event.uuid is None
        assert event.get("Caller-Caller-ID-Number") is None
        assert event.get("Job-UUID") == "7f4de4bc"
        assert event.body == body.decode()
        assert event.headers == {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "7f4de4bc",
                                 "Content-Length": str(len(body))}


def test_content_length_need_not_be_the_last_header():
    # FreeSWITCH writes it last; another writer may not
    data = b"Event-Name: BACKGROUND_JOB\nContent-Length: 4\nJob-UUID: 7f4de4bc\n\n+OK\nJob-UUID: forged\n"
    event = parse_event_plain(data)
    assert event.get("Job-UUID") == "7f4de4bc"
    assert event.body == "+OK\n"
    assert parse_event_plain(data).body == "+OK\n"


def test_event_name_need_not_come_first():
    event = parse_event_plain(b"Unique-ID: u1\nEvent-Name: CHANNEL_ANSWER\n\n")
    assert event.name == "CHANNEL_ANSWER" and event.uuid == "u1" and event.body is None


def test_event_frames_with_other_header_lines_are_split_alike():
    body = b"Event-Name: HEARTBEAT\n\n"
    usual = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body
    reversed_ = b"Content-Type: text/event-plain\nContent-Length: %d\n\n" % len(body) + body
    extra = b"Content-Length: %d\nX-Note: 1\nContent-Type: text/event-plain\n\n" % len(body) + body
    frames = FrameReader().feed(usual + reversed_ + extra)
    assert [f.body for f in frames] == [body] * 3
    assert [f.content_type for f in frames] == ["text/event-plain"] * 3
    assert frames[0].headers == {"Content-Length": str(len(body)), "Content-Type": "text/event-plain"}
    assert frames[2].headers["X-Note"] == "1"
    with pytest.raises(ProtocolError):
        FrameReader().feed(b"Content-Length: 1x\nContent-Type: text/event-plain\n\n")
