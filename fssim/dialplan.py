"""A small XML-context-like dialplan, configured from Python.

Every routed call first runs the vanilla ``global`` extension (3x ``hash`` and
``export RFC2822_DATE``) as the traces show, then the matching extension.
"""
import time

#: Extensions of the trace lab (00_lab.xml / 00_cc_traces.xml) available by default.
DEFAULT_EXTENSIONS = {
    "7000": [("answer", ""), ("park", "")],
    "7001": [("answer", ""), ("endless_playback", "local_stream://moh")],
    "7002": [("answer", ""), ("echo", "")],
    "7005": [("answer", ""), ("endless_playback", "tone_stream://%(1000,0,440);loops=-1")],
}


class Dialplan:
    """DID -> variables/queue table plus plain extensions."""

    def __init__(self):
        self.extensions = {k: list(v) for k, v in DEFAULT_EXTENSIONS.items()}
        self.run_global = True
        #: the XML dialplan of a configuration folder (fssim.xmlconf.XmlConf), after the table
        self.xml = None

    def add_did(self, did, queue=None, variables=None, park_after_bridge=False):
        """A customer DID: ``set cc_queue``, ``set cc_did``, extra sets, answer, park."""
        actions = []
        if queue is not None:
            actions.append(("set", "cc_queue=%s" % queue))
        actions.append(("set", "cc_did=%s" % did))
        for name, value in (variables or {}).items():
            actions.append(("set", "%s=%s" % (name, value)))
        if park_after_bridge:
            actions.append(("set", "park_after_bridge=true"))
        actions += [("answer", ""), ("park", "")]
        self.extensions[did] = actions

    def add_extension(self, number, actions):
        """Any extension: ``[(application, data), ...]``."""
        self.extensions[number] = list(actions)

    def lookup(self, channel, destination, transfer=False, context=None):
        """Applications for ``destination``, or ``None`` when nothing matches.

        :param transfer: re-routing after ``uuid_transfer``/``transfer``: the ``global``
            extension's hash/export actions do not show again (trace 04).
        :param context: the XML context to hunt in when the table has no such number
            (default ``public``, where a carrier's calls arrive)
        """
        actions = self.extensions.get(destination)
        if actions is None and self.xml is not None:
            channel_vars = dict(channel.variables)
            channel_vars.update(destination_number=destination, caller_id_number=channel.profile.caller_id_number,
                                caller_id_name=channel.profile.caller_id_name, ani=channel.profile.ani,
                                uuid=channel.uuid, context=context or "public")
            actions = self.xml.lookup(context or "public", channel_vars)
            if actions is not None:
                channel.profile.context = context or "public"  # Caller-Context of the events that follow
        if actions is None:
            return None
        prefix = []
        if self.run_global and not transfer:
            caller = channel.profile.caller_id_number
            date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
            prefix = [
                ("hash", "insert/127.0.0.1-spymap/%s/%s" % (caller, channel.uuid)),
                ("hash", "insert/127.0.0.1-last_dial/%s/%s" % (caller, destination)),
                ("hash", "insert/127.0.0.1-last_dial/global/%s" % channel.uuid),
                ("export", "RFC2822_DATE=%s" % date),
            ]
        return prefix + list(actions)
