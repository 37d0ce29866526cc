"""The public entry point: :class:`Simulator` (Python control API) - see docs/simulator.md."""
import logging
import os
import tempfile
import time

import gevent

from fssim import apps, dtmf
from fssim.api import Api
from fssim.dialplan import Dialplan
from fssim.esl_server import EslServer
from fssim.parties import Parties
from fssim.switch import CORE_SM, Switch

log = logging.getLogger(__name__)

CUSTOMER_HOST = "127.0.0.1:5071"


class Simulator:
    """A FreeSWITCH 1.10 stand-in speaking ESL, with scripted phones and customers.

    :param host: ESL listen address.
    :param port: ESL port, ``0`` for a free one (read :attr:`port` after :meth:`start`).
    :param password: ESL password.
    :param recordings_dir: where relative ``uuid_record`` paths go (created if missing).
    :param heartbeat_interval: seconds between HEARTBEAT (+RE_SCHEDULE) events.
    :param http_port: control API port; ``None`` = no HTTP API, ``0`` = a free port.
    :param time_scale: factor applied to the switch's own timers (ringing, originate
        timeouts, prompts, park timeouts), e.g. ``0.05`` in tests.
    :param conf_dir: a FreeSWITCH configuration folder whose XML dialplan and IVR menus the
        simulator runs (read at start and at every ``reloadxml``; see :mod:`fssim.xmlconf`)
    """

    def __init__(self, host="127.0.0.1", port=0, password="ClueCon", recordings_dir=None,
                 heartbeat_interval=20.0, http_port=None, time_scale=1.0, http_host=None, conf_dir=None):
        self.host = host
        self.password = password
        self.recordings_dir = recordings_dir or os.path.join(tempfile.gettempdir(), "fssim-recordings")
        self.heartbeat_interval = heartbeat_interval
        self.switch = Switch(time_scale=time_scale)
        self.switch.recordings_dir = self.recordings_dir
        self.parties = self.switch.parties = Parties()
        self.dialplan = self.switch.dialplan = Dialplan()
        self.dialplan.add_did("8005550100", queue="sales")
        self.dialplan.add_did("8005550101", queue="sales", park_after_bridge=True)
        self.switch.xmlconf = None
        self.switch.reload_refusals = []  # test control: the next reloadxml answers fail with these
        if conf_dir is not None:
            self.load_conf(conf_dir)
        self.api = Api(self.switch)
        self.esl = EslServer(self.switch, self.api, host, port, password)
        self._http_port_wanted = http_port
        self._http_host = http_host or host
        self.http = None
        self._heartbeat = None
        self.running = False

    # -- life cycle ------------------------------------------------------------------
    @property
    def port(self):
        return self.esl.port

    @property
    def http_port(self):
        return self.http.port if self.http is not None else None

    def start(self):
        """Start listening (non-blocking)."""
        os.makedirs(self.recordings_dir, exist_ok=True)
        self.esl.start()
        if self._http_port_wanted is not None and self.http is None:
            from fssim.control_http import ControlHttp
            self.http = ControlHttp(self, self._http_host, self._http_port_wanted)
            self.http.start()
        self._heartbeat = gevent.spawn(self._heartbeat_loop)
        self.running = True
        return self

    def stop(self):
        """FreeSWITCH dies: listener and client sockets close, every channel is gone."""
        self.running = False
        if self._heartbeat is not None:
            self._heartbeat.kill(block=False)
        self.esl.stop()
        if self.http is not None:
            self.http.stop()
            self.http = None
        for channel in list(self.switch.channels.values()):
            for timer in channel.timers:
                timer.kill(block=False)
        self.switch.channels.clear()

    def restart_esl(self):
        """Drop every ESL connection and the listener, then listen again on the same port.

        Channels stay up (an ESL drop / controller reconnect while calls are up).
        """
        port = self.esl.port
        observer = self.esl.observer
        self.esl.stop()
        self.esl = EslServer(self.switch, self.api, self.host, port, self.password)
        self.esl.observer = observer
        for attempt in range(50):
            try:
                self.esl.start()
                return
            except OSError:
                gevent.sleep(0.05)
        raise RuntimeError("could not listen again on port %s" % port)

    def _heartbeat_loop(self):
        while True:
            gevent.sleep(self.heartbeat_interval)
            self.fire_heartbeat()

    def fire_heartbeat(self):
        sw = self.switch
        up = time.time() - sw.started
        s = int(up)
        sw.fire("HEARTBEAT", None, ("switch_core.c", "send_heartbeat", 95), headers=[
            ("Event-Info", "System Ready"),
            ("Up-Time", "0 years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds"
             % (s // 86400, s // 3600 % 24, s // 60 % 60, s % 60, int(up * 1000) % 1000,
                int(up * 1_000_000) % 1000)),
            ("FreeSWITCH-Version", "1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit"),
            ("Uptime-msec", str(int(up * 1000))),
            ("Session-Count", str(len(sw.live_channels()))), ("Max-Sessions", "1000"),
            ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"), ("Session-Per-Sec-Max", "2"),
            ("Session-Per-Sec-FiveMin", "2"), ("Session-Since-Startup", str(sw.sessions_since_startup)),
            ("Session-Peak-Max", str(sw.session_peak)), ("Session-Peak-FiveMin", str(sw.session_peak)),
            ("Idle-CPU", "99.000000"),
        ])
        sw.fire("RE_SCHEDULE", None, ("switch_scheduler.c", "switch_scheduler_execute", 73), headers=[
            ("Task-ID", "1"), ("Task-Desc", "heartbeat"), ("Task-Group", "core"),
            ("Task-Runtime", str(int(time.time() + self.heartbeat_interval))),
        ])

    # -- configuration -----------------------------------------------------------------
    def add_phone(self, extension, answer_after=0.5, behaviour="answer", hangup_after=None, **kwargs):
        """Register an agent phone (``user/<ext>`` and ``sofia/internal/<ext>@...`` reach it).

        ``extension`` may be ``"1000@127.0.0.1:5070"`` to tell phones apart by contact.
        """
        return self.parties.add_phone(extension, answer_after=answer_after, behaviour=behaviour,
                                      hangup_after=hangup_after, **kwargs)

    def remove_phone(self, extension):
        self.parties.remove_phone(extension)

    def set_number(self, number, answer_after=1.0, behaviour="answer", hangup_after=None, **kwargs):
        """Behaviour of an external number (gateways, customers called back)."""
        return self.parties.set_number(number, answer_after=answer_after, behaviour=behaviour,
                                       hangup_after=hangup_after, **kwargs)

    def add_did(self, did, queue=None, variables=None, park_after_bridge=False):
        """Route a DID: set cc_queue/cc_did (+variables), answer, park."""
        self.dialplan.add_did(did, queue=queue, variables=variables, park_after_bridge=park_after_bridge)

    def add_extension(self, number, actions):
        """Route ``number`` to ``[(application, data), ...]``."""
        self.dialplan.add_extension(number, actions)

    def load_conf(self, conf_dir, environ=None):
        """Run the XML dialplan and IVR menus of the FreeSWITCH configuration folder ``conf_dir``
        (after the numbers configured from Python); ``reloadxml`` reads it again.

        :raises fssim.xmlconf.ConfError: the folder's XML does not load
        """
        from fssim.xmlconf import XmlConf

        conf = XmlConf(conf_dir, environ)
        conf.load()
        self.switch.xmlconf = self.dialplan.xml = conf
        return conf

    def refuse_next_reloadxml(self, reason="[error near line 1]: simulated failure"):
        """Test control: the next ``reloadxml`` fails as FreeSWITCH's does (``+OK [<reason>]``,
        the configuration it had stays)."""
        self.switch.reload_refusals.append(reason)

    # -- parties' actions ------------------------------------------------------------------
    def customer_call(self, did, ani="5550100", hangup_after=None, dtmf=None, caller_name=None):
        """A customer dials ``did``; returns the inbound channel's uuid.

        :param hangup_after: seconds after answer when the customer hangs up.
        :param dtmf: ``[(seconds after answer, digits), ...]`` sent as RFC 2833.
        """
        sw = self.switch
        uuid = sw.new_uuid()
        name = "sofia/internal/%s@%s" % (ani, CUSTOMER_HOST)
        channel = sw.new_channel(uuid=uuid, direction="inbound", name=name, profile_kwargs=dict(
            caller_id_name=caller_name or ani, caller_id_number=ani, destination=did, source="mod_sofia",
            network_addr="127.0.0.1", username=ani), variables={
            "sip_from_user": ani, "sip_to_user": did, "sip_req_user": did,
            "sofia_profile_name": "internal", "presence_id": "%s@127.0.0.1" % ani,
        })
        channel.presence_id = "%s@127.0.0.1" % ani
        channel.variables["initial_dest"] = did
        sw.fire("CHANNEL_STATE", channel, CORE_SM, channel_vars=False)
        sw.set_state(channel, "CS_INIT")
        sw.fire("CHANNEL_CREATE", channel, CORE_SM)
        channel.state = "CS_ROUTING"
        sw.set_callstate(channel, "RINGING")
        sw.fire("CHANNEL_STATE", channel, CORE_SM, channel_vars=False)
        actions = self.dialplan.lookup(channel, did)
        if hangup_after is not None or dtmf:
            gevent.spawn(self._customer_script, channel, hangup_after, list(dtmf or []))
        if actions is None:
            sw.later(channel, 0, sw.hangup, channel, "NO_ROUTE_DESTINATION")
        else:
            apps.start_dialplan(sw, channel, actions)
        return uuid

    def _customer_script(self, channel, hangup_after, dtmf_plan):
        while channel.alive and channel.answered_at is None:
            gevent.sleep(0.01)
        if not channel.alive:
            return
        for delay, digits in sorted(dtmf_plan, key=lambda d: d[0]):
            self.switch.later(channel, 0, lambda d=digits: None)
            gevent.spawn_later(delay, self._dtmf, channel, digits)
        if hangup_after is not None:
            gevent.spawn_later(hangup_after, self.hangup, channel.uuid)

    def _dtmf(self, channel, digits):
        if channel.alive:
            dtmf.receive(self.switch, channel, digits, "RTP")

    def hangup(self, uuid, cause="NORMAL_CLEARING"):
        """The party on ``uuid`` hangs up (BYE from the phone: disposition recv_bye)."""
        channel = self.switch.get(uuid)
        if channel is None:
            return False
        if channel.answered_at is None and channel.direction == "outbound":
            return self.switch.hangup(channel, "CALL_REJECTED" if cause == "NORMAL_CLEARING" else cause,
                                      "recv_refuse")
        return self.switch.hangup(channel, cause, "recv_bye")

    def answer(self, uuid):
        """The called party on an outbound leg answers now."""
        from fssim import originate
        channel = self.switch.get(uuid)
        if channel is not None and channel.answered_at is None:
            originate._answered(self.switch, channel)

    def send_dtmf(self, uuid, digits):
        """The party on ``uuid`` presses ``digits`` (DTMF-Source RTP)."""
        channel = self.switch.get(uuid)
        if channel is not None:
            dtmf.receive(self.switch, channel, str(digits), "RTP")

    def talk(self, uuid, talking=True):
        """The party on ``uuid`` starts (or stops) speaking into its conference.

        FreeSWITCH detects talking from the audio energy; the simulator is told.
        Returns whether anything changed.
        """
        from fssim import conference
        channel = self.switch.get(uuid)
        return channel is not None and conference.talk(self.switch, channel, talking)

    # -- observation ---------------------------------------------------------------------
    @property
    def channels(self):
        """uuid -> :class:`fssim.channels.Channel` of the live channels."""
        return {u: c for u, c in self.switch.channels.items() if not c.ended}

    def hears(self, uuid):
        channel = self.switch.get(uuid)
        return channel.hears() if channel is not None else "silence"

    def recordings(self):
        """Every recording file the simulator wrote or is writing."""
        out = []
        for channel in self.switch.channels.values():
            for rec in channel.recordings:
                out.append({"uuid": channel.uuid, "path": rec.path, "active": rec.active})
        out += list(getattr(self.switch, "finished_recordings", []))
        return out

    def wait_for(self, predicate, timeout=5.0, interval=0.01):
        """Poll ``predicate`` until it is truthy (returns its value) or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met within %.1f s" % timeout)
            gevent.sleep(interval)

    def add_listener(self, callback):
        """Call ``callback(event)`` for every event (Python-side, no socket)."""
        self.switch.bus.listeners.append(callback)
