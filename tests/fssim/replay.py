"""Replay a recorded FreeSWITCH scenario (tests/traces/<scenario>/replay.json.gz) against
the simulator and collect what it answers, for comparison with the recording.

The recorded actions (commands, a customer dialing, a party's BYE, an RTP digit) are
performed in recorded order; before each one the replay waits - on events, never on a
clock - until the simulator has produced, for every leg, as many modelled events as the
recording had by then, and every reply the recording had by then.
"""
import gzip
import itertools
import json
import os
import re
import uuid as uuidlib

import gevent

from tests.fssim.esl_client import EslTestClient, first

TRACES = os.path.join(os.path.dirname(__file__), "..", "traces")
RECORDINGS = "/var/lib/freeswitch/recordings"

#: Events compared leg by leg (what a controller cares about).  CHANNEL_STATE/API are not
#: recorded in the trimmed files (thread races in FreeSWITCH).
KEY_EVENTS = {
    "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_OUTGOING", "CHANNEL_ORIGINATE", "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_CALLSTATE", "DTMF", "PLAYBACK_START",
    "PLAYBACK_STOP", "RECORD_START", "RECORD_STOP", "CUSTOM",
}
#: Headers compared on each event (when the recording has them).  Caller-* after a bridge
#: and Channel-Call-UUID are not modelled (FreeSWITCH swaps caller/callee profiles).
KEY_HEADERS = (
    "Channel-State", "Channel-Call-State", "Original-Channel-Call-State", "Answer-State", "Call-Direction",
    "Hangup-Cause", "Bridge-A-Unique-ID", "Bridge-B-Unique-ID", "Application", "Application-Data",
    "Application-Response", "DTMF-Digit", "DTMF-Source", "Playback-File-Path", "Record-File-Path",
    "variable_sip_hangup_disposition", "variable_cc_queue", "Action", "Other-Leg-Unique-ID", "Unique-ID",
    "Job-Command", "Job-Command-Arg", "Record-Completion-Cause", "variable_read_result",
    "Conference-Name", "Conference-Size", "Member-ID", "File",
)
#: json_list values that are wall-clock or random in FreeSWITCH too.
VOLATILE_JSON_RE = re.compile(r'"(run_time|join_time|last_talking|conference_uuid)":\t("[^"]*"|\d+)')
#: Pairs of events FreeSWITCH emits from two threads for the SAME leg, so the recording
#: itself shows both orders (03: toggle unhold gives CALLSTATE UNHELD->ACTIVE before
#: CHANNEL_UNHOLD once in six).  Only these adjacent swaps are tolerated.
RACY_PAIRS = {frozenset(("CHANNEL_CALLSTATE", "CHANNEL_UNHOLD"))}
#: (event, recorded Channel-State) where the recording caught the session thread of a
#: leg between two states: 09 has the same refused dial string in CS_ROUTING (api) and
#: CS_CONSUME_MEDIA (bgapi) at CHANNEL_HANGUP.
RACY_STATES = {("CHANNEL_HANGUP", "CS_ROUTING")}
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLACEHOLDER_RE = re.compile(r"<([^<>]+)>")
NIL = "00000000-0000-4000-8000-000000000000"


def load(scenario):
    with gzip.open(os.path.join(TRACES, scenario, "replay.json.gz")) as handle:
        return json.loads(handle.read())


def event_key(name, headers):
    if name == "CUSTOM":
        return "CUSTOM " + str(headers.get("Action"))
    return name


class Replay:
    """One replay run; ``sim`` is a started Simulator configured like the lab."""

    def __init__(self, sim, scenario, recordings_dir, sync_timeout=8.0, actions_filter=None):
        self.sim = sim
        self.data = load(scenario)
        self.recordings_dir = recordings_dir
        self.sync_timeout = sync_timeout
        self.label_to_uuid = {}
        self.uuid_to_label = {}
        self.conns = {}
        self.conn_frames = {}  # conn name -> list of (client, index of first reply)
        self.results = []  # (action, frames received for it)
        self.creation_order = []
        for _t, label, name, _h in self.data["events"]:
            if label not in self.creation_order and label not in ("job", "core", "conference"):
                self.creation_order.append(label)
        self.recorded = self._recorded_by_label()
        self.event_clients = []
        self.expected_frames = {}  # id(client) -> frames the recording says it should have had

    # -- label <-> uuid --------------------------------------------------------------------
    def _recorded_by_label(self):
        out = {}
        for t, label, name, headers in self.data["events"]:
            if name in KEY_EVENTS:
                out.setdefault(label, []).append((t, name, headers))
        # A leg with no CHANNEL_CREATE in the recording (a lone CHANNEL_DESTROY of a session
        # FreeSWITCH set up internally for a refused dial string) is not replayable.
        return {label: events for label, events in out.items()
                if any(name in ("CHANNEL_CREATE", "CUSTOM") for _t, name, _h in events)}

    def uuid_for(self, label):
        if label == NIL:
            return NIL
        if label not in self.label_to_uuid:
            uuid = str(uuidlib.uuid4())
            self.label_to_uuid[label] = uuid
            self.uuid_to_label[uuid] = label
        return self.label_to_uuid[label]

    def label_of(self, uuid):
        if uuid in self.uuid_to_label:
            return self.uuid_to_label[uuid]
        for label in self.creation_order:
            if label not in self.label_to_uuid:
                self.label_to_uuid[label] = uuid
                self.uuid_to_label[uuid] = label
                return label
        self.uuid_to_label[uuid] = "uuid:" + uuid[:8]
        return self.uuid_to_label[uuid]

    def fill(self, text):
        """Recorded text with ``<label>`` placeholders -> text for the simulator."""
        if text is None:
            return None
        text = PLACEHOLDER_RE.sub(lambda m: self.uuid_for(m.group(1)) if not m.group(1).startswith(
            ("uuid", "call url", "exten", "application", "app_args", "dialplan", "context", "cid_", "timeout",
             "path", "limit", "recording_vars", "display", "dest-exten", "var", "other_uuid")) or
            m.group(1).startswith("uuid:") else m.group(0), text)
        return text.replace(RECORDINGS, self.recordings_dir)

    def labelled(self, value):
        if not isinstance(value, str):
            return value
        return UUID_RE.sub(lambda m: "<" + self.label_of(m.group(0)) + ">" if m.group(0) != NIL else NIL, value)

    # -- sim side collection ------------------------------------------------------------------
    def sim_events_by_label(self):
        out = {}
        for client in self.event_clients:
            for event in client.events:
                name = first(event, "Event-Name")
                if name not in KEY_EVENTS:
                    continue
                uuid = first(event, "Unique-ID")
                if name == "CUSTOM" and not uuid:
                    label = "conference"
                elif not uuid:
                    continue
                else:
                    label = self.label_of(uuid)
                headers = {}
                for key, value in event["headers"]:
                    if key in KEY_HEADERS or key == "Event-Subclass":
                        headers.setdefault(key, self.labelled(value))
                out.setdefault(label, []).append((name, headers))
        return out

    def jobs(self):
        out = []
        for client in self.event_clients:
            for event in client.events:
                if first(event, "Event-Name") == "BACKGROUND_JOB":
                    out.append((first(event, "Job-Command"), self.labelled(event["body"])))
        return out

    # -- sync -------------------------------------------------------------------------------
    def _needed(self, t):
        counts = {}
        for label, events in self.recorded.items():
            counts[label] = sum(1 for et, _n, _h in events if et < t)
        return counts

    def _replies_needed(self, t):
        need = {}
        for action, client, before in self.results:
            if action["kind"] in ("command", "connect") and action["t_reply"] < t:
                extra = len(action.get("extra_frames", []))
                need[id(client)] = (client, max(need.get(id(client), (client, 0))[1], before + 1 + extra))
        return need.values()

    def sync(self, t):
        need = self._needed(t)

        def ready():
            have = self.sim_events_by_label()
            for label, count in need.items():
                if count and len(have.get(label, [])) < count:
                    return False
            for client, count in self._replies_needed(t):
                if len(client.replies) < count and not client.closed.is_set():
                    return False
            return True

        try:
            with gevent.Timeout(self.sync_timeout):
                while not ready():
                    gevent.sleep(0.005)
        except gevent.Timeout:
            have = self.sim_events_by_label()
            detail = {label: (count, len(have.get(label, []))) for label, count in need.items()
                      if count and len(have.get(label, [])) < count}
            raise AssertionError("replay stuck before t=%.3f: (recorded, simulated) events per leg %s\n%s"
                                 % (t, detail, self.diff_text()))

    # -- run ----------------------------------------------------------------------------------
    def _first_member_id(self):
        for _t, _label, name, headers in self.data["events"]:
            if name == "CUSTOM" and "Member-ID" in headers:
                return int(headers["Member-ID"])
        return 1

    def run(self):
        # Member ids are global in FreeSWITCH: start where the lab's counter was.
        self.sim.switch.member_ids = itertools.count(self._first_member_id())
        run = None
        for action in self.data["actions"]:
            self.sync(action["t"])
            if action.get("run") != run:
                # Party labels repeat in every run: a new run's legs take them afresh
                # (uuids FreeSWITCH generates, e.g. a dialplan bridge's B leg, trace 04).
                run = action.get("run")
                self.label_to_uuid.clear()
            kind = action["kind"]
            if kind == "connect":
                client = EslTestClient(self.sim.port)
                old = self.conns.get(action["conn"])
                self.conns[action["conn"]] = client
                if action["conn"] == "event" or (old is not None and old in self.event_clients):
                    self.event_clients.append(client)
                self.results.append((action, client, 0))
                self.expected_frames[id(client)] = 1 + len(action.get("extra_frames", []))
            elif kind == "command":
                client = self.conns[action["conn"]]
                before = self.expected_frames.get(id(client), 0)
                self.expected_frames[id(client)] = before + 1 + len(action.get("extra_frames", []))
                self.results.append((action, client, before))
                client.sock.sendall(self.fill(action["sent"]).encode())
            elif kind == "call":
                uuid = self.sim.customer_call(action["did"], ani=action["ani"], caller_name=action["caller_name"])
                self.label_to_uuid[action["label"]] = uuid
                self.uuid_to_label[uuid] = action["label"]
            elif kind == "hangup":
                self.sim.hangup(self.label_to_uuid[action["label"]])
            elif kind == "dtmf":
                self.sim.send_dtmf(self.label_to_uuid[action["label"]], action["digit"])
            elif kind == "talk":
                self.sim.talk(self.label_to_uuid[action["label"]], action["talking"])
        self.sync(1e9)
        for action, client, before in self.results:
            if action["kind"] in ("command", "connect"):
                try:
                    client.wait(lambda: len(client.replies) > before or client.closed.is_set(), 5)
                except TimeoutError:
                    pass
        return self

    # -- comparison -------------------------------------------------------------------------------
    def expected_legs(self, headers_to_compare=KEY_HEADERS):
        out = {}
        for label, events in self.recorded.items():
            seq = []
            for _t, name, headers in events:
                seq.append((event_key(name, headers), {
                    k: (v[0] if isinstance(v, list) else v).replace(RECORDINGS, self.recordings_dir)
                    if isinstance(v, (str, list)) else v
                    for k, v in headers.items() if k in headers_to_compare}))
            out[label] = seq
        return out

    def simulated_legs(self):
        out = {}
        for label, events in self.sim_events_by_label().items():
            out[label] = [(event_key(name, headers), headers) for name, headers in events]
        return out

    @staticmethod
    def _normal(value):
        # The dialplan's ``export RFC2822_DATE=<now>`` carries the wall-clock date.
        if isinstance(value, str) and value.startswith("RFC2822_DATE="):
            return "RFC2822_DATE=<date>"
        return value

    def compare_legs(self, headers_to_compare=KEY_HEADERS, ignore_headers=()):
        """Return a list of human-readable differences (empty = identical)."""
        problems = []
        expected = self.expected_legs(headers_to_compare)
        simulated = self.simulated_legs()
        for label, seq in expected.items():
            got = simulated.get(label, [])
            seq = _align_races(seq, got)
            names_expected = [n for n, _ in seq]
            names_got = [n for n, _ in got]
            if names_expected != names_got:
                problems.append("leg %s: event order differs\n  recorded:  %s\n  simulated: %s"
                                % (label, names_expected, names_got))
                continue
            for index, ((name, want), (_n, have)) in enumerate(zip(seq, got)):
                for header, value in want.items():
                    if header in ignore_headers:
                        continue
                    if name == "CHANNEL_UNHOLD" and header == "Channel-Call-State":
                        continue  # racy in FreeSWITCH (see RACY_PAIRS)
                    if header == "Channel-State" and (name, value) in RACY_STATES:
                        continue
                    if self._normal(have.get(header)) != self._normal(value):
                        problems.append("leg %s event #%d %s: %s recorded %r simulated %r"
                                        % (label, index, name, header, value, have.get(header)))
        return problems

    def compare_replies(self, skip=()):
        """Compare every reply frame (headers and body) with the recording."""
        problems = []
        for action, client, before in self.results:
            if action["kind"] not in ("command", "connect"):
                continue
            sent = action.get("sent") or "(connect)"
            if any(s in sent for s in skip):
                continue
            frames = client.replies[before:before + 1 + len(action.get("extra_frames", []))]
            wanted = [{"headers": action["reply_headers"], "body": action["reply_body"]}]
            wanted += action.get("extra_frames", [])
            if len(frames) < len(wanted):
                problems.append("%r: %d reply frames, recorded %d" % (sent, len(frames), len(wanted)))
                continue
            for frame, want in zip(frames, wanted):
                got_headers = {k: self.labelled(v) for k, v in frame.headers.items()}
                for name, value in want["headers"].items():
                    if name == "Job-UUID" or (name == "Reply-Text" and "Job-UUID" in value):
                        continue  # generated ids differ; checked separately
                    if name == "Content-Length":
                        continue  # follows the body
                    if got_headers.get(name) != value:
                        problems.append("%r: header %s recorded %r simulated %r"
                                        % (sent, name, value, got_headers.get(name)))
                body = self.labelled(frame.text) if frame.body else None
                want_body = want["body"]
                if want_body is not None:
                    want_body = VOLATILE_JSON_RE.sub(r'"\1":\t<volatile>', want_body.replace(
                        RECORDINGS, self.recordings_dir))
                if body is not None:
                    body = VOLATILE_JSON_RE.sub(r'"\1":\t<volatile>', body)
                if body != want_body:
                    problems.append("%r: body recorded %r simulated %r" % (sent, want_body, body))
        return problems

    def diff_text(self):
        return "\n".join(self.compare_legs()[:10])


def _align_races(recorded, simulated):
    """Swap adjacent recorded events of a known racy pair where the simulator has the other order."""
    recorded = list(recorded)
    i = 0
    while i < min(len(recorded), len(simulated)) - 1:
        if recorded[i][0] != simulated[i][0] and recorded[i][0] == simulated[i + 1][0] \
                and recorded[i + 1][0] == simulated[i][0] \
                and frozenset((recorded[i][0], recorded[i + 1][0])) in RACY_PAIRS:
            recorded[i], recorded[i + 1] = recorded[i + 1], recorded[i]
        i += 1
    return recorded
