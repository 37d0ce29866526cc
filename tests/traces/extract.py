"""Trim the golden FreeSWITCH traces into the compact replay files the fssim tests use.

Run from the repository root::

    python tests/traces/extract.py /work/shared/traces

For every scenario folder it writes ``tests/traces/<scenario>/replay.json.gz`` with

* ``labels``  - recorded uuid -> party label (from parties.json, FreeSWITCH-generated
  uuids without a label become ``uuid:<first 8 chars>``),
* ``actions`` - what the capture tool and the sipp parties did, in time order:
  ``connect``/``command`` (exact bytes sent, exact reply frame), ``call`` (a customer
  dials a DID), ``hangup`` (a party sent BYE), ``dtmf`` (RFC 2833 digit from a party),
  ``talk`` (a conference member started/stopped talking: audio energy, not a command),
* ``events``  - every event the simulator models, as ``[t, label, name, {key headers}]``
  with uuids replaced by labels.

It also copies ``11-esl-protocol/raw.bin`` (the controller benchmark reads it) and
writes ``header-sets.json.gz``: the header names of one recorded example per event type,
so tests can check the simulator emits a realistic header block.
"""
import gzip
import json
import os
import re
import shutil
import sys

#: Events the simulator models; everything else (CODEC, CALL_UPDATE, PRESENCE_IN, ...)
#: is dropped here because the simulator does not emit it.
MODELLED = {
    "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_CALLSTATE",
    "CHANNEL_OUTGOING", "CHANNEL_ORIGINATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
    "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "BACKGROUND_JOB", "DTMF",
    "PLAYBACK_START", "PLAYBACK_STOP", "RECORD_START", "RECORD_STOP", "CUSTOM",
    "RELOADXML", "HEARTBEAT", "RE_SCHEDULE",
}
# CHANNEL_STATE and API are emitted by the simulator too, but their order against the
# other events is a thread race in FreeSWITCH, so they are not replayed (and not stored).

KEY_HEADERS = [
    "Event-Name", "Event-Subclass", "Action", "Unique-ID", "Channel-Call-UUID",
    "Other-Leg-Unique-ID", "Channel-State", "Channel-Call-State", "Original-Channel-Call-State",
    "Answer-State", "Call-Direction", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name",
    "Caller-Destination-Number", "Hangup-Cause", "Bridge-A-Unique-ID", "Bridge-B-Unique-ID",
    "Application", "Application-Data", "Application-Response", "Application-UUID",
    "Job-UUID", "Job-Command", "Job-Command-Arg", "DTMF-Digit", "DTMF-Duration", "DTMF-Source",
    "Playback-File-Path", "Record-File-Path", "Record-Completion-Cause", "Member-ID",
    "Conference-Name", "Conference-Size", "File", "API-Command", "API-Command-Argument",
    "variable_sip_hangup_disposition", "variable_cc_queue", "variable_cc_did",
    "variable_park_after_bridge", "variable_origination_uuid", "variable_hold_music",
    "variable_read_result", "variable_cc_digits", "variable_cc_digits2", "variable_cc_digits3",
    "Channel-HIT-Dialplan",
]

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NIL_UUID = "00000000-0000-4000-8000-000000000000"


def _load_jsonl(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Labeller:
    """Replace uuids by party labels (generated uuids get a stable short label)."""

    def __init__(self, uuid_to_label):
        self.labels = dict(uuid_to_label)

    def label(self, uuid):
        if uuid == NIL_UUID:
            return uuid
        if uuid not in self.labels:
            self.labels[uuid] = "uuid:" + uuid[:8]
        return self.labels[uuid]

    def text(self, value):
        if isinstance(value, list):
            return [self.text(v) for v in value]
        if value is None:
            return None
        return UUID_RE.sub(lambda m: "<" + self.label(m.group(0)) + ">", value)


def _name(headers):
    name = headers.get("Event-Name")
    return name[-1] if isinstance(name, list) else name


def extract(src, scenario, dst_root):
    folder = os.path.join(src, scenario)
    parties = json.load(open(os.path.join(folder, "parties.json"))).get("uuid_to_label", {})
    labeller = Labeller(parties)
    events = _load_jsonl(os.path.join(folder, "events.jsonl"))
    commands = _load_jsonl(os.path.join(folder, "commands.jsonl"))
    job_uuids = {
        c["reply_headers"].get("Job-UUID") for c in commands if c.get("reply_headers", {}).get("Job-UUID")
    }
    out_events = []
    actions = []
    seen_legs = set()
    disposition = {}
    created = {}
    for event in events:
        headers = event["headers"]
        if _name(headers) == "CHANNEL_CREATE":
            created.setdefault(headers["Unique-ID"], headers)
        if _name(headers) == "CHANNEL_HANGUP_COMPLETE":
            disposition[headers["Unique-ID"]] = headers.get("variable_sip_hangup_disposition")
    for event in events:
        headers = event["headers"]
        name = _name(headers)
        uuid = headers.get("Unique-ID")
        if uuid and uuid not in seen_legs and name in ("CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_OUTGOING"):
            seen_legs.add(uuid)
            if headers.get("Call-Direction") == "inbound":
                create = created.get(uuid, headers)
                actions.append({
                    "t": round(event["t"] - 0.0005, 4), "kind": "call", "label": labeller.label(uuid),
                    "did": create.get("Caller-Destination-Number"),
                    "ani": create.get("Caller-Caller-ID-Number"),
                    "caller_name": create.get("Caller-Caller-ID-Name"),
                    "run": event.get("run"),
                })
        if name not in MODELLED:
            continue
        if name == "BACKGROUND_JOB":
            label = "job"
        elif name == "CUSTOM":
            label = labeller.label(uuid) if uuid else "conference"
        elif uuid:
            label = labeller.label(uuid)
        else:
            label = "core"
        key = {}
        for h in KEY_HEADERS:
            if h in headers:
                value = headers[h]
                key[h] = labeller.text(value) if h not in ("Job-UUID",) else value
        if event.get("body") is not None:
            key["_body"] = labeller.text(event["body"])
        if event["content_type"].endswith("json"):
            key["_json"] = 1
        out_events.append([round(event["t"], 4), label, name, key])
        if name == "CHANNEL_HANGUP" and disposition.get(uuid) == "recv_bye":
            # A held leg's BYE first un-holds it (trace 12): those events belong to the BYE.
            t_bye = event["t"]
            for prev in reversed(out_events[:-1]):
                if prev[1] != label or event["t"] - prev[0] > 0.05:
                    continue
                if prev[2] == "CHANNEL_UNHOLD" or (prev[2] == "CHANNEL_CALLSTATE"
                                                   and prev[3].get("Channel-Call-State") == "UNHELD"):
                    t_bye = prev[0]
            actions.append({"t": round(t_bye - 0.0005, 4), "kind": "hangup",
                            "label": labeller.label(uuid), "run": event.get("run")})
        if name == "CUSTOM" and headers.get("Action") in ("start-talking", "stop-talking") and uuid:
            # FreeSWITCH's energy detector heard the party: the simulator is told instead.
            actions.append({"t": round(event["t"] - 0.0005, 4), "kind": "talk", "label": labeller.label(uuid),
                            "talking": headers["Action"] == "start-talking", "run": event.get("run")})
        if name == "DTMF" and headers.get("DTMF-Source") == "RTP":
            actions.append({"t": round(event["t"] - 0.0005, 4), "kind": "dtmf", "label": labeller.label(uuid),
                            "digit": headers["DTMF-Digit"], "run": event.get("run")})
    for command in commands:
        if command.get("unsolicited"):
            # Frames nobody asked for (disconnect-notice) belong to the previous command.
            for action in reversed(actions):
                if action.get("conn") == command["conn"] and action["kind"] in ("command", "connect"):
                    action.setdefault("extra_frames", []).append(
                        {"headers": command["reply_headers"], "body": command["reply_body"]})
                    break
            continue
        sent = command["sent"]
        actions.append({
            "t": round(command.get("t_sent", command["t"]), 4),
            "t_reply": round(command["t"], 4),
            "kind": "connect" if sent is None else "command",
            "conn": command["conn"],
            "sent": labeller.text(sent),
            "reply_headers": {k: (v if k == "Job-UUID" else labeller.text(v))
                              for k, v in command["reply_headers"].items()},
            "reply_body": labeller.text(command["reply_body"]),
            "run": command.get("run"),
        })
    actions.sort(key=lambda a: a["t"])
    out = {
        "scenario": scenario,
        "labels": sorted(set(labeller.labels.values())),
        "job_uuids": sorted(j for j in job_uuids if j),
        "actions": actions,
        "events": out_events,
    }
    os.makedirs(os.path.join(dst_root, scenario), exist_ok=True)
    # gzip keeps the repository small (the uuids and headers repeat a lot); mtime=0 makes
    # the output byte-for-byte reproducible.
    path = os.path.join(dst_root, scenario, "replay.json.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(json.dumps(out, separators=(",", ":")).encode())
    return events


def header_sets(src, dst_root):
    """Header names of one recorded example per (event, direction)."""
    result = {}
    for scenario in sorted(os.listdir(src)):
        path = os.path.join(src, scenario, "events.jsonl")
        if not os.path.exists(path):
            continue
        for event in _load_jsonl(path):
            if event["content_type"] != "text/event-plain":
                continue
            headers = event["headers"]
            name = _name(headers)
            if name == "CUSTOM":
                name = "CUSTOM " + headers.get("Event-Subclass", "")
            key = name + ("/" + headers["Call-Direction"] if "Call-Direction" in headers else "")
            if key in result:
                continue
            names = [h for h in headers if not h.startswith("variable_")]
            # Variables differ per call; keep only how many there were.
            names.append("variable_* x%d" % sum(1 for h in headers if h.startswith("variable_")))
            result[key] = names
    with gzip.GzipFile(os.path.join(dst_root, "header-sets.json.gz"), "wb", mtime=0) as handle:
        handle.write(json.dumps(result, sort_keys=True).encode())


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/traces"
    dst_root = os.path.dirname(os.path.abspath(__file__))
    for scenario in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, scenario)) and scenario[:2].isdigit():
            extract(src, scenario, dst_root)
    header_sets(src, dst_root)
    for small in ("raw-probe-noauth.bin", "raw-probe-badauth.bin"):
        shutil.copyfile(os.path.join(src, "11-esl-protocol", small), os.path.join(dst_root, "11-esl-protocol", small))
    raw = os.path.join(src, "11-esl-protocol", "raw.bin")
    target = os.path.join(dst_root, "11-esl-protocol", "raw.bin")
    if os.path.getsize(raw) <= 2 * 1024 * 1024:
        shutil.copyfile(raw, target)
    else:  # pragma: no cover - the recorded file is 366 KB
        raise SystemExit("raw.bin is over 2 MB: trim it to whole frames first")


if __name__ == "__main__":
    main()
