"""freeswitch/conf, read the way FreeSWITCH 1.10 reads it, and checked against the controller.

FreeSWITCH does not parse its files one by one. It first preprocesses freeswitch.xml
line by line (``preprocess`` in src/switch_xml.c): include directives are replaced by
the files their glob matches, relative to the including file's folder; double-dollar
references are replaced by global variables; ``set``/``env-set`` directives set those
variables. Then it parses the one resulting document. The controller's own
:func:`controller.ivr.fsxml.preprocess` (which the IVR editor checks versions with)
follows the same rules, so these tests look at the document FreeSWITCH would load, and
then check what the controller relies on: the DIDs park calls with ``cc_queue``, ``cc_did`` and
``park_after_bridge``; the queues they name exist; agents' extensions exist; the event
socket takes its password and ACL from the environment.
"""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.ivr import fsxml
from controller.seed import DEMO_PEOPLE, DEMO_QUEUES

CONF = Path(__file__).resolve().parents[2] / "freeswitch" / "conf"

#: the modules the configuration loads, and no others
MODULES = ["mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_loopback",
           "mod_commands", "mod_conference", "mod_db", "mod_dptools", "mod_expr", "mod_hash",
           "mod_dialplan_xml", "mod_sndfile", "mod_native_file", "mod_local_stream",
           "mod_tone_stream", "mod_say_en"]

DIRECTIVE = re.compile(r"x-pre-process", re.IGNORECASE)
#: a directive alone on its line, and only those this configuration uses
DIRECTIVE_LINE = re.compile(r'^\s*<X-PRE-PROCESS cmd="(set|env-set|include)" data="[^"]*"/>\s*$')


@dataclass
class Loaded:
    root: ET.Element
    pre: fsxml.Preprocessed

    @property
    def variables(self) -> dict[str, str]:
        return self.pre.variables


def load(conf: Path = CONF, environ: dict[str, str] | None = None) -> Loaded:
    """The document FreeSWITCH would load from ``conf`` (the controller's own preprocessor,
    :mod:`controller.ivr.fsxml`), parsed by the standard library."""
    pre = fsxml.preprocess(fsxml.ConfTree(str(conf)), environ)
    try:
        root = ET.fromstring(pre.text)
    except ET.ParseError as exc:
        line = exc.position[0]
        where = "%s:%d" % pre.origin(line)
        raise AssertionError(f"the preprocessed document is not well-formed at {where}: {exc}") from None
    return Loaded(root, pre)


@pytest.fixture(scope="module")
def fs() -> Loaded:
    return load()


def configuration(fs: Loaded, name: str) -> ET.Element:
    found = fs.root.find(f"./section[@name='configuration']/configuration[@name='{name}']")
    assert found is not None, f"no <configuration name={name!r}> in the configuration section"
    return found


def settings(element: ET.Element, child: str = "settings") -> dict[str, str]:
    holder = element.find(child)
    assert holder is not None, f"<{element.tag} name={element.get('name')!r}> has no <{child}>"
    return {param.get("name"): param.get("value") for param in holder.findall("param")}


def sip_profile(fs: Loaded, name: str) -> ET.Element:
    found = configuration(fs, "sofia.conf").find(f"./profiles/profile[@name='{name}']")
    assert found is not None, f"no SIP profile {name!r}"
    return found


def context(fs: Loaded, name: str) -> ET.Element:
    found = fs.root.find(f"./section[@name='dialplan']/context[@name='{name}']")
    assert found is not None, f"no dialplan context {name!r}"
    return found


def route(fs: Loaded, context_name: str, number: str) -> tuple[str | None, list[tuple[str, str]]]:
    """What the XML dialplan runs for a call to ``number``: the first extension whose
    destination_number conditions all match, and its actions with ``$1`` and
    ``${destination_number}`` filled in."""
    for extension in context(fs, context_name).findall("extension"):
        matched = []
        for condition in extension.findall("condition"):
            assert condition.get("field") == "destination_number", (
                f"extension {extension.get('name')!r}: only destination_number conditions are expected")
            found = re.search(condition.get("expression"), number)
            if not found:
                break
            matched.append((condition, found))
        else:
            actions = []
            for condition, found in matched:
                for action in condition.findall("action"):
                    data = re.sub(r"\$(\d)", lambda m, f=found: f.group(int(m.group(1))) or "", action.get("data", ""))
                    actions.append((action.get("application"), data.replace("${destination_number}", number)))
            return extension.get("name"), actions
    return None, []


def channel_variables(actions: list[tuple[str, str]]) -> dict[str, str]:
    return dict(data.split("=", 1) for app, data in actions if app == "set")


def applications(actions: list[tuple[str, str]]) -> list[str]:
    return [app for app, _data in actions]


def every_file() -> list[Path]:
    return sorted(p for p in CONF.rglob("*") if p.is_file())


# -- the files as FreeSWITCH reads them ---------------------------------------------------

def test_the_preprocessor_reads_like_freeswitch(tmp_path):
    """The rules this module relies on, on a small tree of its own."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "freeswitch.xml").write_text(
        '<?xml version="1.0"?>\n<document>\n'
        '  <X-PRE-PROCESS cmd="set" data="colour = blue"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="secret=default"/>\n'
        '  <X-PRE-PROCESS cmd="env-set" data="secret=$SECRET"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="unset=default"/>\n'
        '  <X-PRE-PROCESS cmd="env-set" data="unset=$NOT_IN_ENVIRONMENT"/>\n'
        '  <!--<X-PRE-PROCESS cmd="set" data="commented=still-runs"/>-->\n'
        '  <X-PRE-PROCESS cmd="include" data="sub/*.xml"/>\n</document>\n')
    (tmp_path / "sub" / "a.xml").write_text(
        '<include>\n  <a colour="$${colour}" secret="$${secret}" unset="$${unset}" c="$${commented}"/>\n'
        '  <X-PRE-PROCESS cmd="include" data="../sub/b.*"/>\n</include>\n')
    (tmp_path / "sub" / "b.part").write_text('<include> <lost/> </include>\n<b/>\n')
    root = load(tmp_path, {"SECRET": "from-env"}).root
    a = root.find("a")
    assert (a.get("colour"), a.get("secret"), a.get("unset"), a.get("c")) == ("blue", "from-env", "default", "still-runs")
    assert [child.tag for child in root] == ["a", "b"]  # the whole <include> line went, <lost/> with it


def test_every_file_is_well_formed_xml_on_its_own():
    for path in every_file():
        try:
            ET.parse(path)
        except ET.ParseError as exc:
            pytest.fail(f"{path.relative_to(CONF)}: {exc}")


def test_files_keep_to_the_preprocessors_line_rules():
    """A directive, or an <include> tag, takes its whole line: FreeSWITCH drops the rest of it."""
    for path in every_file():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(CONF)}:{number}"
            if "<include>" in line or "</include>" in line:
                assert line.strip() in ("<include>", "</include>"), f"{where}: <include> shares its line"
            if DIRECTIVE.search(line):
                assert DIRECTIVE_LINE.match(line), f"{where}: a directive must stand alone on its line: {line!r}"
            assert "<!--#" not in line, f"{where}: <!--# directives are not used by this configuration"


def test_the_document_freeswitch_assembles_is_complete(fs):
    pre = fs.pre
    assert pre.unmatched == [], "includes that match no file (FreeSWITCH logs an error for each)"
    assert pre.undefined == [], "references to global variables that nobody sets"
    read = set(pre.read)
    orphans = [str(p.relative_to(CONF)) for p in every_file() if p.suffix == ".xml"
               and str(p.relative_to(CONF)) not in read]
    assert orphans == [], "files no include reaches"
    assert [s.get("name") for s in fs.root.findall("section")] == ["configuration", "dialplan", "directory"]
    names = {c.get("name") for c in fs.root.findall("./section[@name='configuration']/configuration")}
    assert names == {"modules.conf", "console.conf", "logfile.conf", "switch.conf", "acl.conf",
                     "event_socket.conf", "sofia.conf", "local_stream.conf", "conference.conf", "ivr.conf"}


def test_only_the_modules_switchdesk_uses_are_loaded(fs):
    loaded = [load.get("module") for load in configuration(fs, "modules.conf").findall("./modules/load")]
    assert loaded == MODULES


def test_dialplan_conditions_are_valid_regular_expressions(fs):
    for condition in fs.root.iter("condition"):
        re.compile(condition.get("expression"))


# -- the event socket -----------------------------------------------------------------------

def esl_acl(fs: Loaded) -> tuple[str, list[tuple[str, str]]]:
    name = settings(configuration(fs, "event_socket.conf"))["apply-inbound-acl"]
    found = configuration(fs, "acl.conf").find(f"./network-lists/list[@name='{name}']")
    assert found is not None, f"the event socket's ACL {name!r} is not in acl.conf"
    return found.get("default"), [(node.get("type"), node.get("cidr")) for node in found.findall("node")]


def test_event_socket_defaults(fs):
    esl = settings(configuration(fs, "event_socket.conf"))
    assert (esl["listen-ip"], esl["listen-port"], esl["password"]) == ("127.0.0.1", "8021", "ClueCon")
    assert esl_acl(fs) == ("deny", [("allow", "127.0.0.0/8"), ("allow", "127.0.0.1/32")])


def test_event_socket_and_sip_settings_come_from_the_environment():
    fs = load(environ={"ESL_PASSWORD": "s3cret", "ESL_LISTEN_IP": "0.0.0.0", "ESL_ALLOW_CIDR": "10.20.0.0/16",
                       "SIP_DOMAIN": "pbx.example.org", "SIP_PASSWORD": "phones-pw", "EXTERNAL_IP": "203.0.113.7"})
    esl = settings(configuration(fs, "event_socket.conf"))
    assert (esl["listen-ip"], esl["password"]) == ("0.0.0.0", "s3cret")
    assert ("allow", "10.20.0.0/16") in esl_acl(fs)[1]
    assert fs.root.find("./section[@name='directory']/domain").get("name") == "pbx.example.org"
    assert {p.get("value") for p in fs.root.iterfind(".//user/params/param[@name='password']")} == {"phones-pw"}
    assert settings(sip_profile(fs, "internal"))["ext-rtp-ip"] == "203.0.113.7"


# -- SIP ------------------------------------------------------------------------------------

def test_sip_profiles(fs):
    internal, external = settings(sip_profile(fs, "internal")), settings(sip_profile(fs, "external"))
    assert (internal["sip-port"], internal["auth-calls"]) == ("5060", "true")
    assert (external["sip-port"], external["auth-calls"], external["context"]) == ("5080", "false", "public")
    assert internal["sip-ip"] == internal["rtp-ip"] == fsxml.CORE_VARIABLES["local_ip_v4"]
    assert sip_profile(fs, "external").findall("./gateways/gateway") == [], "no gateway until carrier.xml exists"


def test_the_carrier_gateway_example_gives_the_gateway_the_controller_dials(tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    gateways = conf / "sip_profiles" / "external"
    shutil.copy(gateways / "carrier.xml.example", gateways / "carrier.xml")
    fs = load(conf)
    gateway = sip_profile(fs, "external").find("./gateways/gateway[@name='carrier']")
    assert gateway is not None
    params = {p.get("name"): p.get("value") for p in gateway.findall("param")}
    assert {"realm", "proxy", "username", "password", "register"} <= params.keys()
    assert fs.pre.unmatched == []
    # an agent's outside call leaves through it, as the controller's do
    assert route(fs, "default", "+15551230000") == ("outside_number", [("bridge", "sofia/gateway/carrier/15551230000")])


# -- the directory --------------------------------------------------------------------------

def test_every_demo_agent_has_a_sip_user(fs):
    domain = fs.root.find("./section[@name='directory']/domain")
    assert domain.get("name") == fsxml.CORE_VARIABLES["local_ip_v4"]
    assert "sofia_contact" in settings(domain, "params")["dial-string"]
    users = {user.get("id"): user for user in domain.iterfind("./groups/group/users/user")}
    for _username, name, extension, role, _password, _queues in DEMO_PEOPLE:
        if role != "agent":
            continue
        user = users.get(extension)
        assert user is not None, f"no SIP user {extension} for {name} (the controller dials user/{extension})"
        assert settings(user, "params")["password"] == fs.variables["default_password"]
        variables = {v.get("name"): v.get("value") for v in user.iterfind("./variables/variable")}
        assert variables["user_context"] == "default"
        assert variables["effective_caller_id_name"] == name


def test_agents_reach_each_other_and_the_dids_from_their_phones(fs):
    assert route(fs, "default", "1001")[1][-1] == ("bridge", "user/1001@${domain_name}")
    assert route(fs, "default", "8005550100") == ("did_from_desk", [("transfer", "8005550100 XML public")])


# -- the dialplan the controller relies on ---------------------------------------------------

@pytest.mark.parametrize("queue,did", [(name, did) for name, _label, did in DEMO_QUEUES])
def test_each_demo_queue_did_parks_the_call_with_what_the_controller_reads(fs, queue, did):
    extension, actions = route(fs, "public", did)
    assert extension is not None, f"DID {did} is not routed"
    variables = channel_variables(actions)
    assert variables["cc_queue"] == queue
    assert variables["cc_did"] == did
    assert variables["park_after_bridge"] == "true"
    assert variables["hold_music"] == "local_stream://moh"
    # every variable is set before the call is answered and parked: CHANNEL_PARK carries them all
    assert applications(actions) == ["set"] * len(variables) + ["answer", "park"]


def test_the_priority_line_parks_its_callers_with_a_priority(fs):
    extension, actions = route(fs, "public", "8005550110")
    assert extension == "did_sales_priority"
    variables = channel_variables(actions)
    assert (variables["cc_queue"], variables["cc_did"], variables["cc_priority"]) == ("sales", "8005550110", "50")
    assert applications(actions) == ["set"] * len(variables) + ["answer", "park"]


def test_every_priority_the_dialplan_sets_is_one_the_controller_takes(fs):
    from controller.queues import checked_priority

    values = [data.split("=", 1)[1] for action in fs.root.iter("action")
              if action.get("application") == "set" and (data := action.get("data", "")).startswith("cc_priority=")]
    assert values, "no extension sets cc_priority"
    for value in values:
        checked_priority(value)  # raises for anything the controller would ignore


def test_every_queue_the_dialplan_names_is_a_demo_queue(fs):
    named = {data.split("=", 1)[1] for action in fs.root.iter("action")
             if action.get("application") == "set" and (data := action.get("data", "")).startswith("cc_queue=")}
    assert named, "no extension sets cc_queue"
    assert named <= {name for name, _label, _did in DEMO_QUEUES}


def test_an_unknown_number_hears_a_message_and_is_released(fs):
    extension, actions = route(fs, "public", "5551234567")
    assert extension == "unknown_did"
    assert "cc_queue" not in channel_variables(actions)
    assert "park" not in applications(actions) and "answer" not in applications(actions)
    assert "playback" in applications(actions)
    assert applications(actions)[-1] == "hangup"


def test_hold_music_and_the_conference_profile(fs):
    assert fs.variables["hold_music"] == "local_stream://moh"
    stream = configuration(fs, "local_stream.conf").find("./directory[@name='moh']")
    assert stream is not None and stream.get("path") == "/usr/share/freeswitch/sounds/music/8000"
    profile = configuration(fs, "conference.conf").find("./profiles/profile[@name='default']")
    assert profile is not None, "the controller's conferences are cc-<id>@default"
    assert {p.get("name"): p.get("value") for p in profile.findall("param")}["caller-controls"] == "none"


# -- the IVR --------------------------------------------------------------------------------

def test_the_main_menu_did_runs_the_menu(fs):
    extension, actions = route(fs, "public", "8005550300")
    assert channel_variables(actions)["cc_did"] == "8005550300"
    assert actions[-1] == ("ivr", "main")


@pytest.mark.parametrize("digit,queue,extra", [
    ("1", "sales", {}),
    ("2", "support", {}),
    ("3", "sales", {"cc_callback": "ivr", "cc_callback_number": "${caller_id_number}"}),
    ("4", "support", {"cc_message": "ivr"}),
    ("0", "support", {}),
])
def test_each_main_menu_choice_parks_the_caller_for_the_controller(fs, digit, queue, extra):
    menu = configuration(fs, "ivr.conf").find("./menus/menu[@name='main']")
    assert menu is not None
    entries = {entry.get("digits"): entry for entry in menu.findall("entry")}
    assert set(entries) == {"1", "2", "3", "4", "0"}
    entry = entries[digit]
    assert entry.get("action") == "menu-exec-app"
    app, target, dialplan, context_name = entry.get("param").split()
    assert (app, dialplan) == ("transfer", "XML")
    extension, actions = route(fs, context_name, target)
    assert extension is not None, f"menu choice {digit}: {target} is not in the {context_name} context"
    variables = channel_variables(actions)
    assert variables["cc_queue"] == queue
    assert variables["park_after_bridge"] == "true"
    assert "cc_did" not in variables, "the DID extension set cc_did; a menu choice keeps it"
    assert {name: variables.get(name) for name in extra} == extra
    assert applications(actions)[-2:] == ["answer", "park"]
