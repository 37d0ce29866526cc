"""The XML configuration a real FreeSWITCH would read from its folder: dialplan and IVR menus.

``Simulator(conf_dir=...)`` (or :meth:`Simulator.load_conf`) points the simulator at a
FreeSWITCH configuration folder. It is read as FreeSWITCH reads it (``switch_xml.c``):
``freeswitch.xml`` preprocessed line by line (``include`` globs relative to the including
file, ``set``/``env-set`` global variables, ``$${name}``, lines with ``<include>`` or
``</include>`` dropped), then parsed as one document. A folder without ``freeswitch.xml``
is read as if one included ``vars.xml``, ``ivr_menus/*.xml`` (the ``ivr.conf`` menus) and
``dialplan/*.xml``. ``reloadxml`` reads it again; when the document is not well-formed the
reply is ``+OK [<error>]`` and the previous configuration stays, as in FreeSWITCH.

The dialplan's hunt follows mod_dialplan_xml: conditions in order (``break``), ``$1``
from the captures, anti-actions, ``continue``. Regular expressions are Python's.
"""
import glob
import os
import re
import xml.etree.ElementTree as ET

CORE_VARIABLES = {
    "hostname": "fssim", "local_ip_v4": "127.0.0.1", "local_mask_v4": "255.0.0.0", "local_ip_v6": "::1",
    "base_dir": "/usr", "conf_dir": "/etc/freeswitch", "log_dir": "/var/log/freeswitch",
    "sounds_dir": "/usr/share/freeswitch/sounds", "recordings_dir": "/var/lib/freeswitch/recordings",
    "storage_dir": "/var/lib/freeswitch/storage", "temp_dir": "/tmp",
}
SYNTHETIC_ROOT = """<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="include" data="vars.xml"/>
<section name="configuration"><configuration name="ivr.conf"><menus>
<X-PRE-PROCESS cmd="include" data="ivr_menus/*.xml"/>
</menus></configuration></section>
<section name="dialplan">
<X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
</section>
</document>
"""
DIRECTIVE = re.compile(r"x-pre-process", re.IGNORECASE)
PROFILE_FIELDS = {"destination_number", "caller_id_number", "caller_id_name", "ani", "network_addr",
                  "context", "uuid", "username"}


class ConfError(Exception):
    """The configuration does not load; the message is FreeSWITCH-like."""


class XmlConf:
    """The dialplan contexts and IVR menus of one configuration folder."""

    def __init__(self, conf_dir, environ=None):
        self.conf_dir = conf_dir
        self.environ = dict(os.environ if environ is None else environ)
        self.variables = {}
        self.contexts = {}  # name -> Element
        self.menus = {}  # name -> Element

    def load(self):
        """Read the folder again; raises :class:`ConfError` and keeps what it had on failure."""
        variables = dict(CORE_VARIABLES)
        root_path = os.path.join(self.conf_dir, "freeswitch.xml")
        out = []
        if os.path.isfile(root_path):
            with open(root_path, encoding="utf-8", errors="replace") as fh:
                self._lines(self.conf_dir, fh.read(), variables, out, 0)
        else:
            self._lines(self.conf_dir, SYNTHETIC_ROOT, variables, out, 0)
        text = "".join(out)
        try:
            document = ET.fromstring(text)
        except ET.ParseError as exc:
            line, column = exc.position
            raise ConfError("[error near line %d]: %s" % (line, str(exc).split(":")[0])) from None
        contexts, menus = {}, {}
        for section in document.findall("section"):
            if section.get("name") == "dialplan":
                for context in section.findall("context"):
                    contexts.setdefault(context.get("name", ""), context)
            elif section.get("name") == "configuration":
                for configuration in section.findall("configuration"):
                    if configuration.get("name") == "ivr.conf":
                        for menu in configuration.iterfind("./menus/menu"):
                            menus.setdefault(menu.get("name", ""), menu)
        self.variables, self.contexts, self.menus = variables, contexts, menus

    def _lines(self, cwd, text, variables, out, depth):
        if depth > 20:
            return
        for raw in text.splitlines(keepends=True):
            line = expand_globals(raw, variables)
            if "<include>" in raw or "</include>" in raw or "<?" in raw:
                continue
            found = DIRECTIVE.search(line)
            if found:
                if found.start() > 0 and line[found.start() - 1] == "<":
                    self._directive(cwd, line[found.end():], variables, out, depth)
                continue
            out.append(line if line.endswith("\n") else line + "\n")

    def _directive(self, cwd, rest, variables, out, depth):
        cmd = re.search(r'cmd[^=]*=[^"]*"([^"]*)"', rest, re.IGNORECASE)
        data = cmd and re.search(r'data[^=]*=[^"]*"([^"]*)"', rest[cmd.end():], re.IGNORECASE)
        if not (cmd and data):
            return
        command, argument = cmd.group(1).lower(), data.group(1)
        name, equals, value = argument.partition("=")
        if command == "set" and equals:
            variables[name.rstrip(" ")] = value.lstrip(" ")
        elif command == "env-set" and equals and value.startswith("$") and value[1:] in self.environ:
            variables[name] = self.environ[value[1:]]
        elif command == "include":
            pattern = argument if os.path.isabs(argument) else os.path.join(cwd, argument)
            for path in sorted(glob.glob(pattern)):
                if os.path.isfile(path):
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        self._lines(os.path.dirname(path), fh.read(), variables, out, depth + 1)

    # -- the dialplan ------------------------------------------------------------------
    def lookup(self, context_name, channel_vars):
        """``[(application, data)]`` of the extensions a call reaches in ``context_name``, or ``None``."""
        context = self.contexts.get(context_name)
        if context is None:
            return None
        actions = []
        for extension in context.findall("extension"):
            found_actions, matched = _extension_actions(extension, channel_vars)
            if matched and found_actions:
                actions += found_actions
                if extension.get("continue", "false") != "true":
                    break
        return actions or None


def expand_globals(line, variables):
    parts, at = [], 0
    while True:
        start = line.find("$${", at)
        if start < 0:
            break
        end = line.find("}", start + 3)
        if end < 0:
            break
        parts += [line[at:start], variables.get(line[start + 3:end], "")]
        at = end + 1
    return "".join(parts) + line[at:]


def _field(name, channel_vars):
    if name.startswith("${") and name.endswith("}"):
        return channel_vars.get(name[2:-1], "")
    return channel_vars.get(name, "")


def _extension_actions(extension, channel_vars):
    actions, matched = [], True
    for condition in extension.findall("condition"):
        field, expression = condition.get("field"), condition.get("expression")
        found = None
        if field is None or expression is None:
            passed = True
        else:
            try:
                found = re.search(expression, _field(field, channel_vars))
            except re.error:
                found = None
            passed = found is not None
        if passed:
            for action in condition.findall("action"):
                actions.append((action.get("application", ""), _captures(action.get("data", ""), found)))
        else:
            anti = condition.findall("anti-action")
            actions += [(a.get("application", ""), a.get("data", "")) for a in anti]
            matched = matched and bool(anti)
        brk = condition.get("break", "on-false")
        if (brk == "on-false" and not passed) or (brk == "on-true" and passed) or brk == "always":
            break
    return actions, matched


def _captures(data, found):
    if found is None:
        return data
    return re.sub(r"\$(\d)", lambda m: (found.group(int(m.group(1))) or "")
                  if int(m.group(1)) <= (found.re.groups or 0) else "", data)
