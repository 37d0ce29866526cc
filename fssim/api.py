"""The ``api``/``bgapi`` commands: each takes the argument string and returns the body.

Reply texts are the ones recorded in tests/traces (newline or not, exactly).
"""
import json
import logging
import shlex
import time

import gevent.event

from fssim import apps, bridge, dialstring, dtmf, hold, originate, recording, transfer
from fssim import conference
from fssim import switch as sw

log = logging.getLogger(__name__)

VERSION = "FreeSWITCH Version 1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit (git a88d069 2024-08-02 21:02:27Z 64bit)"
NO_CHANNEL = "-ERR No such channel!\n"
ORIGINATE_USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
                   "[<cid_name>] [<cid_num>] [<timeout_sec>]\n")


def words(text):
    """Split arguments, honouring single/double quotes; ``#`` is not a comment."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return text.split()


class Api:
    """Dispatcher bound to one switch."""

    def __init__(self, switch):
        self.switch = switch
        self.commands = {
            "status": self.status, "version": self.version, "show": self.show,
            "uuid_exists": self.uuid_exists, "uuid_getvar": self.uuid_getvar,
            "uuid_setvar": self.uuid_setvar, "uuid_setvar_multi": self.uuid_setvar_multi,
            "uuid_dump": self.uuid_dump, "reloadxml": self.reloadxml,
            "global_setvar": self.global_setvar, "global_getvar": self.global_getvar,
            "hupall": self.hupall, "originate": self.originate, "uuid_kill": self.uuid_kill,
            "uuid_answer": self.uuid_answer, "uuid_phone_event": self.uuid_phone_event, "uuid_park": self.uuid_park, "uuid_bridge": self.uuid_bridge,
            "uuid_transfer": lambda a: transfer.uuid_transfer(self.switch, words(a)),
            "uuid_hold": lambda a: hold.uuid_hold(self.switch, a.split()),
            "uuid_broadcast": self.uuid_broadcast,
            "uuid_record": lambda a: recording.uuid_record(self.switch, a.split()),
            "uuid_recv_dtmf": self.uuid_recv_dtmf, "uuid_send_dtmf": self.uuid_send_dtmf,
            "uuid_break": self.uuid_break,
            "conference": lambda a: conference.api(self.switch, a),
            "eval": lambda a: a, "echo": lambda a: a,
        }

    def execute(self, command, args):
        handler = self.commands.get(command)
        if handler is None:
            return "-ERR %s Command not found!\n" % command
        try:
            return handler(args.strip())
        except Exception:  # FreeSWITCH never drops the connection on a bad command
            log.exception("api %s %s failed", command, args)
            return "-ERR %s failed\n" % command

    # -- core ------------------------------------------------------------------------
    def status(self, args=""):
        up = time.time() - self.switch.started
        ms, us = int(up * 1000) % 1000, int(up * 1_000_000) % 1000
        s = int(up)
        live = len(self.switch.live_channels())
        return (
            "UP 0 years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds\n"
            "FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n"
            "%d session(s) since startup\n"
            "%d session(s) - peak %d, last 5min %d \n"
            "0 session(s) per Sec out of max 30, peak 2, last 5min 2 \n"
            "1000 session(s) max\n"
            "min idle cpu 0.00/99.00\n"
            "Current Stack Size/Max 240K/240K\n"
        ) % (s // 86400, s // 3600 % 24, s // 60 % 60, s % 60, ms, us, self.switch.sessions_since_startup,
             live, self.switch.session_peak, self.switch.session_peak)

    def version(self, args=""):
        return VERSION + "\n"

    def reloadxml(self, args=""):
        # reload_xml_function always answers +OK; the bracket says whether the XML loaded
        # (the configuration in use stays when it did not)
        from fssim.xmlconf import ConfError

        sw = self.switch
        refusals = getattr(sw, "reload_refusals", None)
        if refusals:
            return "+OK [%s]\n" % refusals.pop(0)
        if getattr(sw, "xmlconf", None) is not None:
            try:
                sw.xmlconf.load()
            except ConfError as exc:
                return "+OK [%s]\n" % exc
        sw.fire("RELOADXML", None, ("switch_xml.c", "switch_xml_open_root", 2385))
        return "+OK [Success]\n"

    def global_setvar(self, args):
        name, _, value = args.partition("=")
        if value:
            self.switch.globals[name.strip()] = value
        else:
            self.switch.globals.pop(name.strip(), None)
        return "+OK"

    def global_getvar(self, args):
        if not args:
            return "".join("%s=%s\n" % kv for kv in self.switch.globals.items())
        value = self.switch.globals.get(args)
        return value if value is not None else "-ERR no reply\n"

    def hupall(self, args):
        parts = args.split()
        cause = parts[0] if parts else "MANAGER_REQUEST"
        for channel in list(self.switch.live_channels()):
            if len(parts) >= 3 and channel.variables.get(parts[1]) != parts[2]:
                continue
            self.switch.hangup(channel, cause)
        return "+OK hangup all channels with cause %s\n" % cause

    # -- channel variables -------------------------------------------------------------
    def uuid_exists(self, args):
        return "true" if self.switch.get(args.split()[0] if args else "") else "false"

    def uuid_getvar(self, args):
        parts = args.split()
        if len(parts) < 2:
            return "-USAGE: <uuid> <var>\n"
        channel = self.switch.get(parts[0])
        if channel is None:
            return NO_CHANNEL
        value = channel.get_var(parts[1])
        return "_undef_" if value is None else value

    def uuid_setvar(self, args):
        parts = args.split(None, 2)
        if len(parts) < 2:
            return "-USAGE: <uuid> <var> [value]\n"
        channel = self.switch.get(parts[0])
        if channel is None:
            return NO_CHANNEL
        if len(parts) == 3 and parts[2] != "":
            channel.variables[parts[1]] = parts[2]
        else:
            channel.variables.pop(parts[1], None)
        return "+OK\n"

    def uuid_setvar_multi(self, args):
        parts = args.split(None, 1)
        if len(parts) < 2:
            return "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
        channel = self.switch.get(parts[0])
        if channel is None:
            return NO_CHANNEL
        for item in parts[1].split(";"):
            name, _, value = item.partition("=")
            if value:
                channel.variables[name.strip()] = value
            else:
                channel.variables.pop(name.strip(), None)
        return "+OK\n"

    def uuid_dump(self, args):
        parts = args.split()
        channel = self.switch.get(parts[0]) if parts else None
        if channel is None:
            return NO_CHANNEL
        headers = self.switch.factory.core_headers("CHANNEL_DATA", ("mod_commands.c", "uuid_dump_function", 6468))
        headers += channel.headers()
        if len(parts) > 1 and parts[1] == "json":
            return json.dumps(dict(headers), separators=(",", ":"), ensure_ascii=False)
        return "".join("%s: %s\n" % (k, v) for k, v in headers)

    # -- call control ------------------------------------------------------------------
    def originate(self, args):
        parsed = dialstring.parse_originate(args)
        if parsed is None:
            return ORIGINATE_USAGE
        result = gevent.event.AsyncResult()

        def on_answer(channel):
            result.set("+OK %s\n" % channel.uuid)
            if parsed["app"]:
                channel.hit_dialplan = True
                apps.start_dialplan(self.switch, channel, [(parsed["app"], parsed["app_args"])])
            else:
                actions = self.switch.dialplan.lookup(channel, parsed["extension"])
                channel.profile.destination = parsed["extension"]
                if actions is None:
                    self.switch.hangup(channel, "NO_ROUTE_DESTINATION")
                else:
                    apps.start_dialplan(self.switch, channel, actions)

        def on_fail(channel, cause):
            result.set("-ERR %s\n" % cause)

        try:
            originate.place_call(self.switch, parsed["endpoint_text"] if not parsed["variables"] else
                                 "{%s}%s" % (",".join("%s=%s" % kv for kv in parsed["variables"].items()),
                                             parsed["endpoint_text"]),
                                 on_answer=on_answer, on_fail=on_fail, cid_name=parsed["cid_name"],
                                 cid_num=parsed["cid_num"], timeout=parsed["timeout"])
        except dialstring.DialError as exc:
            return "-ERR %s\n" % exc
        return result.get()

    def uuid_kill(self, args):
        parts = args.split()
        channel = self.switch.get(parts[0]) if parts else None
        if channel is None:
            return NO_CHANNEL
        cause = parts[1] if len(parts) > 1 else "NORMAL_CLEARING"
        self.switch.later(None, 0, self.switch.hangup, channel, cause)
        return "+OK\n"

    def uuid_answer(self, args):
        channel = self.switch.get(args.split()[0]) if args else None
        if channel is None:
            return NO_CHANNEL
        if channel.direction == "inbound":
            self.switch.pre_answer(channel)
        self.switch.answer(channel)
        return "+OK\n"

    def uuid_phone_event(self, args):
        """mod_commands: ``+OK Success`` once the message is delivered, else ``-ERR Operation Failed``."""
        parts = args.split()
        if not parts:
            return "-USAGE: <uuid>\n"
        channel = self.switch.get(parts[0])
        if channel is None:
            return "-ERR Operation Failed\n"
        originate.phone_event(self.switch, channel, parts[1] if len(parts) > 1 else "")
        return "+OK Success\n"

    def uuid_park(self, args):
        channel = self.switch.get(args.split()[0]) if args else None
        if channel is None:
            return NO_CHANNEL
        self.switch.later(None, 0, self._park, channel)
        return "+OK\n"

    def _park(self, channel):
        bridge.leave(self.switch, channel, reason="transfer")
        if channel.alive:
            apps.start_dialplan(self.switch, channel, [("park", "")])

    def uuid_bridge(self, args):
        parts = args.split()
        if len(parts) < 2:
            return "-USAGE: <uuid> <other_uuid>\n"
        a, b = self.switch.get(parts[0]), self.switch.get(parts[1])
        if a is None or b is None:
            return "-ERR Invalid uuid\n"
        self.switch.later(None, 0, self._bridge, a, b)
        return "+OK %s\n" % b.uuid

    def _bridge(self, a, b):
        if a.alive and b.alive:
            bridge.uuid_bridge(self.switch, a, b)

    def uuid_broadcast(self, args):
        parts = words(args)
        if len(parts) < 2:
            return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
        channel = self.switch.get(parts[0])
        if channel is None:
            return NO_CHANNEL
        what = parts[1]
        leg = parts[2] if len(parts) > 2 else "aleg"
        if "::" in what:
            app, _, data = what.partition("::")
        else:
            app, data = "playback", what
        targets = []
        partner = channel.bridge.other(channel) if channel.bridge is not None else None
        if leg in ("aleg", "both"):
            targets.append(channel)
        if leg in ("bleg", "both") and partner is not None:
            targets.append(partner)
        for target in targets:
            self.switch.later(target, 0, self.run_nested, target, app, data, None)
        return "+OK Message sent\n"

    def run_nested(self, channel, app, data, app_uuid):
        """An application from uuid_broadcast/sendmsg: runs on top of what the leg does."""
        if channel.alive:
            apps.execute(self.switch, channel, app, data, app_uuid=app_uuid, nested=True)

    def uuid_break(self, args):
        parts = args.split()
        channel = self.switch.get(parts[0]) if parts else None
        if channel is None:
            return NO_CHANNEL
        for app in list(reversed(channel.apps)):
            if app.nested:
                apps.break_app(self.switch, channel, app, "break")
                if not (len(parts) > 1 and parts[1] == "all"):
                    break
        return "+OK\n"

    def uuid_recv_dtmf(self, args):
        parts = args.split()
        channel = self.switch.get(parts[0]) if parts else None
        if channel is None or len(parts) < 2:
            return NO_CHANNEL
        self.switch.later(channel, 0, dtmf.receive, self.switch, channel, parts[1], "APP")
        return "+OK %s received DTMF %s.\n" % (channel.uuid, parts[1])

    def uuid_send_dtmf(self, args):
        parts = args.split()
        channel = self.switch.get(parts[0]) if parts else None
        if channel is None or len(parts) < 2:
            return NO_CHANNEL
        return "+OK %s sent DTMF %s.\n" % (channel.uuid, parts[1])

    # -- show ----------------------------------------------------------------------------
    def show(self, args):
        parts = args.split()
        what = parts[0] if parts else ""
        if what not in ("channels", "calls"):
            return "-USAGE: show channels|calls [as json]|[count]\n"
        if "count" in parts:
            return "\n%d total.\n" % len(self.switch.live_channels())
        rows = [self._row(c, calls=(what == "calls")) for c in self.switch.live_channels()]
        if "json" in parts:
            if not rows:
                return '{"row_count": 0}\n'
            return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))
        if not rows:
            return "\n0 total.\n"
        keys = list(rows[0].keys())
        lines = [",".join(keys)] + [",".join(r[k] for k in keys) for r in rows]
        return "\n".join(lines) + "\n\n%d total.\n" % len(rows)

    def _row(self, channel, calls=False):
        app, data = getattr(channel, "last_app", (None, None)) or (None, None)
        created = time.localtime(channel.created)
        other = self.switch.known_profiles.get(channel.partner) if channel.partner else None
        row = {
            "uuid": channel.uuid, "direction": channel.direction,
            "created": time.strftime("%Y-%m-%d %H:%M:%S", created), "created_epoch": str(int(channel.created)),
            "name": channel.name, "state": channel.state, "cid_name": channel.profile.caller_id_name,
            "cid_num": channel.profile.caller_id_number, "ip_addr": channel.profile.network_addr,
            "dest": channel.profile.destination,
        }
        if not calls:
            row.update({
                "application": app or "", "application_data": data or "",
                "dialplan": channel.profile.dialplan, "context": channel.profile.context,
                "read_codec": "PCMU" if channel.media else "", "read_rate": "8000" if channel.media else "",
                "read_bit_rate": "64000" if channel.media else "",
                "write_codec": "PCMU" if channel.media else "", "write_rate": "8000" if channel.media else "",
                "write_bit_rate": "64000" if channel.media else "", "secure": "",
                "hostname": self.switch.factory.hostname,
            })
        row.update({
            "presence_id": channel.presence_id, "presence_data": "", "accountcode": "",
            "callstate": channel.call_state,
            "callee_name": other.caller_id_name if other else "", "callee_num": other.caller_id_number if other else "",
            "callee_direction": "SEND" if other else "", "call_uuid": channel.bridge.a.uuid if channel.bridge else "",
        })
        if calls:
            row["hostname"] = self.switch.factory.hostname
        row.update({"sent_callee_name": "", "sent_callee_num": ""})
        if not calls:
            row.update({"initial_cid_name": channel.profile.orig_caller_id_name,
                        "initial_cid_num": channel.profile.orig_caller_id_number,
                        "initial_ip_addr": channel.profile.network_addr,
                        "initial_dest": channel.variables.get("initial_dest", channel.profile.destination),
                        "initial_dialplan": channel.profile.dialplan, "initial_context": "default"})
        else:
            for key in ("uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
                        "ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate",
                        "callee_name", "callee_num", "callee_direction", "sent_callee_name", "sent_callee_num"):
                row["b_" + key] = ""
            row["call_created_epoch"] = ""
        return row
