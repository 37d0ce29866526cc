"""The recordings page and its API: search filters, who may listen, and that no request can
make the server read a file outside the recordings folder."""
from __future__ import annotations

import datetime as dt
import os
import wave

import pytest

T0 = dt.datetime(2026, 3, 2, 9, 0, 0)


def _wav(path, seconds: float = 1.0) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return str(path)


@pytest.fixture
def recordings(people, settings):
    """Three recordings: alice on sales (two tags), bob on support (one tag), alice on sales a day later."""
    from controller.models import Interaction, Queue, Recording, RecordingTag

    support = Queue.create(name="support", label="Support")
    rows = {}
    for key, agent, queue, ani, dnis, start, tags in (
            ("a", people.alice, people.queue, "+15550001111", "8005550100", T0, [(3.5, "card number read out"),
                                                                                 (1.0, "greeting")]),
            ("b", people.bob, support, "+442071234567", "8005550200", T0 + dt.timedelta(hours=2),
             [(2.0, "Address confirmed")]),
            ("c", people.alice, people.queue, "5550100", "8005550100", T0 + dt.timedelta(days=1), [])):
        call = Interaction.create(id=f"{key * 8}-2222-4333-8444-555555555555", queue=queue, agent=agent,
                                  state="ended", ani=ani, dnis=dnis, enqueued_at=start)
        path = _wav(os.path.join(os.path.abspath(settings.recordings_dir), "2026", f"{key}.wav"))
        rec = Recording.create(interaction=call, path=path, agent=agent, started_at=start,
                               stopped_at=start + dt.timedelta(seconds=42))
        for offset, text in tags:
            RecordingTag.create(recording=rec, offset_seconds=offset, text=text, agent=agent)
        rows[key] = rec
    return rows


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["call_id"][0] for r in response.get_json()["recordings"]]


def test_search_without_filters_lists_every_recording_newest_first(signed_in, recordings):
    sam = signed_in("sam")
    response = sam.get("/api/recordings")
    assert _ids(response) == ["c", "b", "a"]
    first = response.get_json()["recordings"][2]
    assert first["agent"] == "alice" and first["agent_name"] == "Alice Agent" and first["queue"] == "sales"
    assert first["duration"] == 42.0
    assert first["started_at"] == "2026-03-02T09:00:00Z"
    assert first["audio"] == f"/recordings/{recordings['a'].id}/audio"
    # tags in the order of the timeline
    assert [(t["offset_seconds"], t["text"], t["agent"]) for t in first["tags"]] == [
        (1.0, "greeting", "alice"), (3.5, "card number read out", "alice")]
    assert "path" not in first  # where the file lies is the server's business
    assert response.get_json()["more"] is False


@pytest.mark.parametrize("query, expected", [
    ("agent=alice", ["c", "a"]),
    ("agent=bob", ["b"]),
    ("agent=nobody", []),
    ("queue=support", ["b"]),
    ("queue=sales&agent=alice", ["c", "a"]),
    ("number=2071234567", ["b"]),          # part of the caller's number
    ("number=%2B44%20207-123", ["b"]),     # spaces and dashes are ignored
    ("number=8005550100", ["c", "a"]),     # the dialled number
    ("tag=CARD", ["a"]),                   # part of a tag, in any case
    ("tag=address", ["b"]),
    ("tag=card&agent=bob", []),
    ("from=2026-03-02&to=2026-03-02", ["b", "a"]),                     # dates: whole days
    ("from=2026-03-03", ["c"]),
    ("to=2026-03-02T10:00:00Z", ["a"]),                                # an instant: up to it
    ("from=2026-03-02T10:30:00%2B01:00&to=2026-03-02T12:00:00Z", ["b"]),  # with a zone
    ("to=9999-12-31", ["c", "b", "a"]),                                # the last day there is: no end
])
def test_search_filters(signed_in, recordings, query, expected):
    assert _ids(signed_in("sam").get("/api/recordings?" + query)) == expected


@pytest.mark.parametrize("query, message", [
    ("from=yesterday", "'from' must be a date"),
    ("to=2026-13-40", "'to' must be a date"),
    ("from=2026-03-03&to=2026-03-01", "'to' must come after 'from'."),
    ("from=0001-01-01T00:00:00%2B01:00", "'from' is out of range"),     # before year 1 in UTC
    ("to=9999-12-31T23:00:00-05:00", "'to' is out of range"),          # after year 9999 in UTC
    ("tag=" + "x" * 65, "'tag' is too long (65 characters; at most 64)."),
])
def test_a_bad_search_is_a_400_naming_the_field(signed_in, recordings, query, message):
    response = signed_in("sam").get("/api/recordings?" + query)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_one_recording_and_the_search_options(signed_in, recordings):
    sam = signed_in("sam")
    one = sam.get(f"/api/recordings/{recordings['b'].id}").get_json()
    assert one["call_id"].startswith("bbbbbbbb") and one["tags"][0]["text"] == "Address confirmed"
    options = sam.get("/api/recordings/options").get_json()
    assert [a["username"] for a in options["agents"]] == ["alice", "bob", "sam"]
    assert [q["name"] for q in options["queues"]] == ["sales", "support"]
    assert sam.get("/api/recordings/999999").status_code == 404
    assert sam.get("/api/recordings/999999").get_json() == {"error": "No such recording."}


def test_the_audio_is_served_to_supervisors_with_ranges(signed_in, recordings):
    sam = signed_in("sam")
    response = sam.get(f"/recordings/{recordings['a'].id}/audio")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data[:4] == b"RIFF"
    assert "no-store" in response.headers["Cache-Control"]
    # the player seeks with ranges
    part = sam.client.get(f"/recordings/{recordings['a'].id}/audio", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"RIFF"


def test_agents_may_not_search_or_listen(signed_in, recordings, app):
    alice = signed_in("alice")  # even her own recordings: listening is for supervisors
    for path in ("/api/recordings", "/api/recordings/options", f"/api/recordings/{recordings['a'].id}"):
        response = alice.get(path)
        assert response.status_code == 403, path
        assert response.get_json() == {"error": "You are not allowed to do that."}
    for path in ("/recordings/", f"/recordings/{recordings['a'].id}/audio"):
        response = alice.get(path)
        assert response.status_code == 403, path
        assert b"RIFF" not in response.get_data()
    anonymous = app.test_client()
    assert anonymous.get("/api/recordings").status_code == 401
    for path in ("/recordings/", f"/recordings/{recordings['a'].id}/audio"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_page_is_for_supervisors(signed_in, recordings):
    html = signed_in("sam").get("/recordings/").get_data(as_text=True)
    assert 'id="rec-search"' in html and "recordings.js" in html


@pytest.mark.parametrize("path", [
    "/recordings/..%2F..%2Fetc%2Fpasswd/audio",
    "/recordings/../../etc/passwd/audio",
    "/recordings/%2Fetc%2Fpasswd/audio",
    "/recordings/1%00/audio",
    "/recordings/-1/audio",
    "/recordings/1.wav/audio",
    "/recordings/1/audio?path=/etc/passwd",
])
def test_no_path_from_the_request_reaches_the_disk(signed_in, recordings, path):
    response = signed_in("sam").get(path)
    body = response.get_data()
    assert b"root:" not in body
    if "?path=" in path:  # the id is the only thing read: its own file
        assert response.status_code == 200 and body[:4] == b"RIFF"
    else:
        assert response.status_code in (404, 405), (path, response.status_code)


def test_a_file_outside_the_recordings_folder_is_never_served(signed_in, recordings, settings, tmp_path):
    from controller.models import Recording

    outside = _wav(tmp_path / "elsewhere" / "secret.wav")
    sam = signed_in("sam")
    rec = recordings["a"]
    for path in (outside, "/etc/passwd", os.path.join(settings.recordings_dir, "..", "elsewhere", "secret.wav"),
                 "../elsewhere/secret.wav", os.path.abspath(settings.recordings_dir)):
        Recording.update(path=path).where(Recording.id == rec.id).execute()
        response = sam.get(f"/recordings/{rec.id}/audio")
        assert response.status_code == 404, path
        assert "The recording&#39;s file is not available." in response.get_data(as_text=True)
    # a symbolic link inside the folder that points out of it
    link = os.path.join(os.path.abspath(settings.recordings_dir), "2026", "link.wav")
    os.symlink(outside, link)
    Recording.update(path=link).where(Recording.id == rec.id).execute()
    assert sam.get(f"/recordings/{rec.id}/audio").status_code == 404
    # a missing file
    Recording.update(path=os.path.join(os.path.abspath(settings.recordings_dir), "gone.wav")).where(
        Recording.id == rec.id).execute()
    assert sam.get(f"/recordings/{rec.id}/audio").status_code == 404


def test_a_relative_path_is_read_under_the_recordings_folder(signed_in, recordings):
    from controller.models import Recording

    Recording.update(path="2026/b.wav").where(Recording.id == recordings["a"].id).execute()
    response = signed_in("sam").get(f"/recordings/{recordings['a'].id}/audio")
    assert response.status_code == 200 and response.data[:4] == b"RIFF"
