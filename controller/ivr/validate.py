"""Everything checked before a version is written: one :class:`Problem` per finding.

A version is the set of files switchdesk manages in FreeSWITCH's configuration folder
(``ivr_menus/<menu>.xml`` and ``dialplan/switchdesk.xml``). :func:`validate` reads them
the way FreeSWITCH will, together with the rest of the folder, and checks, in order:

1. each file is well-formed XML (the line and column of the first error);
2. FreeSWITCH structure: the elements and attributes FreeSWITCH 1.10 knows at each
   place, the menu fields and their value types, ``<include>`` lines;
3. references: sub-menus, transfer targets and their contexts, queues in switchdesk's
   database, prompt files, applications and the modules that provide them; nothing that
   runs a program on the FreeSWITCH server (``system``, inline script code, API calls in
   ``${name(args)}`` other than those that compute a value);
4. dialplan expressions that compile (FreeSWITCH uses PCRE; Python's ``re`` reads the
   PCRE dialplans use the same way, and refuses PCRE-only syntax);
5. digits: duplicates and overlaps (FreeSWITCH runs *every* matching entry), entries the
   caller can never reach, single-digit choices made to wait by longer ones;
6. the whole configuration still loads (``reloadxml`` would refuse it otherwise), and
   menus no call can reach.

Errors stop a publish; warnings are shown and do not.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import Iterable

from . import dialplan as dp
from .fsxml import ConfTree, Loaded, Node, XmlSyntaxError, expand_globals, load, parse
from .model import DIALPLAN_FILE, DIGITS, GENERATED, MENU_FOLDER, MENU_NAME, SWITCHDESK_CONTEXT, menu_path
from .stock_prompts import STOCK_PROMPTS

#: every file a version holds matches one of these (relative to the configuration folder)
MANAGED = (f"{MENU_FOLDER}/*.xml", DIALPLAN_FILE)
#: where an admin's own recordings live, relative to the configuration folder
PROMPTS_FOLDER = "prompts"

MENU_ATTRIBUTES = {
    # switch_ivr_menu_stack_xml_build (src/switch_ivr_menu.c, FreeSWITCH 1.10)
    "name", "greet-long", "greet-short", "invalid-sound", "exit-sound", "timeout", "max-failures",
    "max-timeouts", "exec-on-max-failures", "exec-on-max-timeouts", "confirm-macro", "confirm-key",
    "tts-engine", "tts-voice", "confirm-attempts", "digit-len", "inter-digit-timeout", "pin", "pin-file",
    "bad-pin-file",
}
MENU_NUMBERS = {
    # attribute -> (smallest, largest) accepted
    "timeout": (1, 600_000), "inter-digit-timeout": (1, 600_000), "max-failures": (1, 100),
    "max-timeouts": (1, 100), "digit-len": (1, 32), "confirm-attempts": (1, 100),
}
MENU_SOUNDS = ("greet-long", "greet-short", "invalid-sound", "exit-sound", "pin-file", "bad-pin-file")
ENTRY_ATTRIBUTES = {"action", "digits", "param"}
MENU_ACTIONS = ("menu-exit", "menu-sub", "menu-exec-app", "menu-play-sound", "menu-back", "menu-top")

DIALPLAN_ELEMENTS = {
    # element -> (its attributes, the elements it may hold)
    "include": (set(), {"context"}),
    "context": ({"name"}, {"extension"}),
    "extension": ({"name", "continue"}, {"condition"}),
    "condition": ({"field", "expression", "break", "require-nested", "regex", *dp.TIME_ATTRIBUTES},
                  {"action", "anti-action", "regex", "condition"}),
    "regex": ({"field", "expression"}, set()),
    "action": ({"application", "data", "inline", "loop"}, set()),
    "anti-action": ({"application", "data", "inline", "loop"}, set()),
}
BREAK_VALUES = ("on-false", "on-true", "always", "never")

#: applications of mod_dptools (always loaded with a dialplan), FreeSWITCH 1.10
DPTOOLS_APPS = frozenset("""
answer att_xfer bind_digit_action bind_meta_app block_dtmf break bridge bridge_export capture chat
check_acl clear_digit_action clear_speech_cache cng_plc deflect delay_echo detect_speech
digit_action_set_realm displace_session early_hangup echo enable_heartbeat enable_keepalive
endless_playback eval event execute_extension export fax_detect filter_codecs flush_dtmf gentones
hangup hold info intercept ivr jitterbuffer limit limit_execute limit_hash limit_hash_execute log
loop_playback media_reset mkdir multiset mutex page park park_state phrase pickup
play_and_detect_speech play_and_get_digits playback pre_answer presence privacy push queue_dtmf read
record record_session record_session_mask record_session_pause record_session_resume
record_session_unmask recovery_refresh redirect remove_bugs rename respond ring_ready say
sched_broadcast sched_cancel sched_hangup sched_heartbeat sched_transfer send_display send_dtmf
send_info session_loglevel set set_audio_level set_global set_media_stats set_mute set_name
set_profile_var set_user set_zombie_exec sleep sound_test soft_hold speak start_dtmf
start_dtmf_generate stop_displace_session stop_dtmf stop_dtmf_generate stop_record_session
stop_tone_detect strftime system bgsystem three_way tone_detect transfer transfer_vars unbind_meta_app
unblock_dtmf unhold unset unshift verbose_events wait_for_answer wait_for_silence wait_for_video_ready
eavesdrop
""".split())
#: applications other modules provide
MODULE_APPS = {
    "voicemail": "mod_voicemail", "conference": "mod_conference", "hash": "mod_hash", "db": "mod_db",
    "group": "mod_db", "socket": "mod_event_socket", "unloop": "mod_loopback", "fifo": "mod_fifo",
    "callcenter": "mod_callcenter", "valet_park": "mod_valet_parking", "lua": "mod_lua",
    "python": "mod_python3", "javascript": "mod_v8", "txfax": "mod_spandsp", "rxfax": "mod_spandsp",
    "httapi": "mod_httapi", "directory": "mod_directory", "esf_page_group": "mod_esf",
}
SOUND_SCHEMES = ("silence_stream://", "tone_stream://", "local_stream://")
#: applications that run a program on the FreeSWITCH server: never published from the editor
HOST_COMMAND_APPS = frozenset({"system", "bgsystem"})
#: script applications that run inline code when their data starts with ``~``
SCRIPT_APPS = frozenset({"lua", "python", "javascript", "perl"})
#: API commands a value may call with ``${name(args)}`` (FreeSWITCH runs the API command while
#: it expands the value): these compute a value and start nothing; ``system``, ``bg_system``,
#: ``lua``, ``bgapi`` and the like would run programs or scripts on the FreeSWITCH server
SAFE_API_EXPANSIONS = frozenset("""
cond create_uuid db domain_exists eval expr global_getvar hash md5 regex strepoch strftime
strftime_tz tolower toupper url_decode url_encode user_data user_exists uuid_getvar
""".split())
#: a whole number as FreeSWITCH reads a menu's numbers: ASCII digits (str.isdigit() also takes
#: "²", on which int() fails)
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
#: ``${name(``: the API call FreeSWITCH makes while expanding a value (switch_channel_expand_variables)
API_EXPANSION = re.compile(r"\$\{([^}(]*)\(")


@dataclass
class Problem:
    """One finding: which rule, a sentence for a person, and where."""

    rule: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    severity: str = "error"
    #: what the problem is about when it names something (a queue, a menu, a prompt)
    subject: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "") + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Catalogue:
    """What references may name: switchdesk's queues and the prompts FreeSWITCH can play."""

    queues: set[str]
    prompts: dict[str, str] | None = None  # stock prompts (default: the English package)

    def __post_init__(self):
        if self.prompts is None:
            self.prompts = dict(STOCK_PROMPTS)


def managed(path: str) -> bool:
    """Whether switchdesk owns ``path`` (relative to the configuration folder)."""
    return path == DIALPLAN_FILE or (path.startswith(MENU_FOLDER + "/") and path.endswith(".xml")
                                     and path.count("/") == 1)


def tree_for(conf_dir: str | None, files: dict[str, str]) -> ConfTree:
    """The configuration folder as it will be once ``files`` are published."""
    return ConfTree(conf_dir, overlay=files, hidden=MANAGED)


def validate(files: dict[str, str], catalogue: Catalogue, conf_dir: str | None = None,
             environ: dict[str, str] | None = None) -> list[Problem]:
    """Every problem of the version ``files`` (path -> text) in the folder ``conf_dir``."""
    checker = _Checker(files, catalogue, conf_dir, environ)
    checker.run()
    return checker.problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class _Checker:
    def __init__(self, files: dict[str, str], catalogue: Catalogue, conf_dir: str | None,
                 environ: dict[str, str] | None):
        self.files = files
        self.catalogue = catalogue
        self.conf_dir = conf_dir
        self.tree = tree_for(conf_dir, files)
        self.environ = environ
        self.problems: list[Problem] = []
        self.parsed: dict[str, Node] = {}
        self.loaded: Loaded | None = None

    def add(self, rule: str, message: str, file: str = "", node: Node | None = None, *, line: int = 0,
            column: int = 0, severity: str = "error", subject: str = "") -> None:
        if node is not None:
            line, column = node.line, node.column
        self.problems.append(Problem(rule, message, file, line, column, severity, subject))

    # -- the order of the checks ----------------------------------------------------
    def run(self) -> None:
        self.check_paths()
        self.check_syntax()
        self.loaded = load(self.tree, self.environ)
        variables = self.loaded.variables
        for path in sorted(self.files):
            if path not in self.parsed:
                continue
            # check what FreeSWITCH will see: $${...} replaced (a line stays a line)
            expanded = "".join(expand_globals(line, variables) for line in self.files[path].splitlines(True))
            try:
                self.parsed[path] = parse(expanded)
            except XmlSyntaxError:
                continue
            if path == DIALPLAN_FILE:
                self.check_dialplan_structure(path, self.parsed[path])
            else:
                self.check_menu_structure(path, self.parsed[path])
            self.check_api_expansions(path, self.parsed[path])
        self.check_document()
        if self.loaded.document is not None:
            self.check_references()

    # -- 1. files and syntax ----------------------------------------------------------
    def check_paths(self) -> None:
        if DIALPLAN_FILE not in self.files:
            self.add("file-name", f"The version has no {DIALPLAN_FILE}: the menus' choices need the "
                                  f"{SWITCHDESK_CONTEXT} context.")
        for path in sorted(self.files):
            if not managed(path):
                self.add("file-name", f"switchdesk writes only {MENU_FOLDER}/<menu>.xml and {DIALPLAN_FILE}, "
                                      "not this file.", path)

    def check_syntax(self) -> None:
        for path in sorted(self.files):
            text = self.files[path]
            try:
                self.parsed[path] = parse(text)
            except XmlSyntaxError as exc:
                self.add("xml-syntax", f"The XML is not well-formed: {exc.message}.", path,
                         line=exc.line, column=exc.column)
                continue
            for number, line in enumerate(text.splitlines(), 1):
                stripped = line.strip()
                for tag in ("<include>", "</include>"):
                    if tag in line and stripped != tag and not stripped.startswith("<!--"):
                        self.add("include-line", f"{tag} must be alone on its line: FreeSWITCH drops the "
                                                 "whole line that holds it.", path, line=number,
                                 column=line.index(tag) + 1)

    # -- 2. structure ------------------------------------------------------------------
    def check_menu_structure(self, path: str, root: Node) -> None:
        if root.tag != "include":
            self.add("structure", f"A menu file holds <include> around its <menu>, not <{root.tag}>.", path, root)
            return
        menus = []
        for child in root.children:
            if child.tag == "X-PRE-PROCESS":
                continue
            if child.tag != "menu":
                self.add("unknown-element", f"<{child.tag}> is not an IVR menu element (expected <menu>).",
                         path, child)
                continue
            menus.append(child)
        if len(menus) != 1:
            self.add("structure", f"A menu file holds exactly one <menu> (this one has {len(menus)}).", path, root)
        for menu in menus:
            self.check_menu(path, menu)

    def check_menu(self, path: str, menu: Node) -> None:
        name = menu.get("name")
        if not name:
            self.add("missing-attribute", "The <menu> has no name.", path, menu)
        elif not MENU_NAME.fullmatch(name):
            self.add("menu-name", f"The menu name '{name}' may use only letters, digits, _ and - "
                                  "(at most 48 characters).", path, menu)
        elif path != menu_path(name):
            self.add("file-name", f"The menu '{name}' belongs in {menu_path(name)}.", path, menu)
        for attr in sorted(set(menu.attrs) - MENU_ATTRIBUTES):
            self.add("unknown-attribute", f"FreeSWITCH's <menu> has no attribute '{attr}'.", path, menu)
        for attr, (low, high) in MENU_NUMBERS.items():
            raw = menu.get(attr)
            if raw is None:
                continue
            if not WHOLE_NUMBER.fullmatch(raw.strip()) or not low <= int(raw) <= high:
                self.add("value-type", f"{attr} must be a whole number from {low} to {high} "
                                       f"{'(milliseconds) ' if 'timeout' in attr else ''}(it is '{raw}').",
                         path, menu)
        if not menu.get("greet-long"):
            self.add("missing-attribute", f"The menu '{name}' has no greet-long: the caller would hear nothing "
                                          "before choosing.", path, menu)
        entries = []
        for child in menu.children:
            if child.tag != "entry":
                self.add("unknown-element", f"<{child.tag}> is not allowed in a <menu> (only <entry>).", path, child)
                continue
            entries.append(child)
            for attr in sorted(set(child.attrs) - ENTRY_ATTRIBUTES):
                self.add("unknown-attribute", f"An <entry> has no attribute '{attr}' (action, digits, param).",
                         path, child)
            action, digits = child.get("action"), child.get("digits")
            if not action:
                self.add("missing-attribute", "An <entry> has no action.", path, child)
            elif action not in MENU_ACTIONS:
                self.add("unknown-action", f"'{action}' is not a menu action; FreeSWITCH knows "
                                           f"{', '.join(MENU_ACTIONS)}.", path, child)
            elif action in ("menu-sub", "menu-exec-app", "menu-play-sound") and not child.get("param"):
                self.add("missing-attribute", f"The entry {digits or ''} ({action}) needs a param.", path, child)
            if not digits:
                self.add("missing-attribute", "An <entry> has no digits: FreeSWITCH stops building the "
                                              "menu there.", path, child)
            elif digits.startswith("/"):
                if len(digits) < 3 or not digits.endswith("/"):
                    self.add("digits", f"The digits pattern {digits} must be written /expression/.", path, child)
                else:
                    self.check_regex(digits[1:-1], path, child, f"the digits pattern {digits}")
            elif not DIGITS.fullmatch(digits):
                self.add("digits", f"The digits '{digits}' may use only 0-9, * and # (at most 10), or be "
                                   "a /pattern/.", path, child)
        if not entries:
            self.add("empty-menu", f"The menu '{name}' has no entries: every caller would hear the greeting, "
                                   "fail and be hung up.", path, menu)
        self.check_digits(path, menu, entries)

    def check_digits(self, path: str, menu: Node, entries: list[Node]) -> None:
        seen: dict[str, Node] = {}
        patterns = []
        plain = []
        for entry in entries:
            digits = entry.get("digits") or ""
            if not digits:
                continue
            if digits.startswith("/") and digits.endswith("/") and len(digits) > 2:
                try:
                    patterns.append((digits, dp.compile_expression(digits[1:-1]), entry))
                except re.error:
                    pass
                continue
            if digits in seen:
                self.add("duplicate-digits", f"The digits {digits} are used twice (lines {seen[digits].line} and "
                                             f"{entry.line}): FreeSWITCH runs both entries.", path, entry)
            else:
                seen[digits] = entry
            if "#" in digits:
                self.add("unreachable-digits", f"The entry {digits} cannot be chosen: # ends what the caller keys "
                                               "in a FreeSWITCH menu (it is kept only when pressed during the "
                                               "greeting).", path, entry)
            plain.append((digits, entry))
        for digits, entry in plain:
            for text, pattern, pattern_entry in patterns:
                if pattern.search(digits):
                    self.add("duplicate-digits", f"The digits {digits} also match the pattern {text} "
                                                 f"(line {pattern_entry.line}): FreeSWITCH runs both entries.",
                             path, entry)
        longest = max((len(d) for d, _ in plain), default=0)
        for digits, entry in plain:
            longer = sorted(other for other, _ in plain if other != digits and other.startswith(digits))
            if longer:
                wait = menu.get("inter-digit-timeout") or "timeout/2"
                self.add("prefix-digits", f"The entry {digits} is the start of {', '.join(longer)}: after "
                                          f"{digits} FreeSWITCH waits {wait} ms for more digits.", path, entry,
                         severity="warning")
        raw_len = menu.get("digit-len")
        if raw_len and WHOLE_NUMBER.fullmatch(raw_len) and plain and not patterns and int(raw_len) > longest:
            self.add("digit-len", f"digit-len is {raw_len} but no entry is longer than {longest}: callers wait "
                                  f"{menu.get('inter-digit-timeout') or 'timeout/2'} ms after each choice (or "
                                  "press #).", path, menu, severity="warning")

    def check_regex(self, expression: str, path: str, node: Node, what: str) -> None:
        try:
            dp.compile_expression(expression)
        except re.error as exc:
            position = f" at character {exc.pos + 1}" if exc.pos is not None else ""
            self.add("regex", f"{what[0].upper()}{what[1:]} is not a valid regular expression: "
                              f"{exc.msg}{position}.", path, node)

    def check_dialplan_structure(self, path: str, root: Node) -> None:
        if root.tag != "include":
            self.add("structure", f"{DIALPLAN_FILE} holds <include> around its context, not <{root.tag}>.",
                     path, root)
            return
        contexts = [c for c in root.children if c.tag == "context"]
        if not any(c.get("name") == SWITCHDESK_CONTEXT for c in contexts):
            self.add("structure", f"{DIALPLAN_FILE} must hold <context name=\"{SWITCHDESK_CONTEXT}\">.", path, root)
        self.check_dialplan_element(path, root)

    def check_dialplan_element(self, path: str, node: Node) -> None:
        allowed_attrs, allowed_children = DIALPLAN_ELEMENTS.get(node.tag, (set(), set()))
        for attr in sorted(set(node.attrs) - allowed_attrs):
            self.add("unknown-attribute", f"The dialplan's <{node.tag}> has no attribute '{attr}'.", path, node)
        if node.tag == "context" and not node.get("name"):
            self.add("missing-attribute", "A <context> needs a name.", path, node)
        if node.tag == "extension" and not node.get("name"):
            self.add("missing-attribute", "An <extension> needs a name.", path, node)
        if node.tag in ("action", "anti-action") and not node.get("application"):
            self.add("missing-attribute", f"An <{node.tag}> needs an application.", path, node)
        if node.tag == "condition":
            brk = node.get("break")
            if brk is not None and brk not in BREAK_VALUES:
                self.add("value-type", f"break must be one of {', '.join(BREAK_VALUES)} (it is '{brk}').", path, node)
            if (node.get("field") is None) != (node.get("expression") is None):
                self.add("missing-attribute", "A <condition> with a field needs an expression, and the other way "
                                              "round.", path, node)
        if node.tag in ("condition", "regex") and node.get("expression") is not None:
            self.check_regex(node.get("expression"), path, node,
                             f"the expression of the {node.tag} on {node.get('field')}")
        for child in node.children:
            if child.tag == "X-PRE-PROCESS":
                continue
            if child.tag not in allowed_children:
                self.add("unknown-element", f"<{child.tag}> is not allowed in the dialplan's <{node.tag}>.",
                         path, child)
                continue
            self.check_dialplan_element(path, child)

    # -- 6. the whole configuration -----------------------------------------------------
    def check_document(self) -> None:
        loaded = self.loaded
        if loaded.error is not None:
            where, line = loaded.pre.origin(loaded.error.line)
            if where in self.files:
                return  # that file's own syntax error is already reported
            self.add("document", f"FreeSWITCH could not load its configuration ({where}, line {line}: "
                                 f"{loaded.error.message}); reloadxml would refuse every change until that "
                                 "file is fixed.", where, line=line)
            return
        menus = loaded.menus()
        for path, root in self.parsed.items():
            if path == DIALPLAN_FILE:
                if SWITCHDESK_CONTEXT not in loaded.contexts():
                    self.add("not-loaded", f"FreeSWITCH does not load {DIALPLAN_FILE}: the dialplan section of "
                                           "freeswitch.xml must include dialplan/*.xml.", path)
                continue
            for menu in root.findall("menu"):
                name = menu.get("name")
                if not name:
                    continue
                found = menus.get(name)
                if found is None:
                    self.add("not-loaded", f"FreeSWITCH does not load the menu '{name}': "
                                           "autoload_configs/ivr.conf.xml must include ../ivr_menus/*.xml.", path, menu)
                elif loaded.where(found)[0] != path:
                    other = loaded.where(found)
                    self.add("duplicate-menu", f"The menu '{name}' is also defined in {other[0]} (line {other[1]}), "
                                               "which FreeSWITCH reads first.", path, menu)

    # -- 3. references -------------------------------------------------------------------
    def check_references(self) -> None:
        loaded = self.loaded
        contexts = loaded.contexts()
        menus = loaded.menus()
        modules = self.loaded_modules()
        reached: set[str] = set()
        for context in contexts.values():
            for action in context.iter("action"):
                if action.get("application") == "ivr":
                    reached.add((action.get("data") or "").strip())
        for path, root in sorted(self.parsed.items()):
            if path == DIALPLAN_FILE:
                self.check_dialplan_references(path, root, modules)
                continue
            for menu in root.findall("menu"):
                name = menu.get("name", "")
                for attr in MENU_SOUNDS:
                    value = menu.get(attr)
                    if value:
                        self.check_prompt(value, path, menu, f"{attr} of the menu '{name}'")
                for attr in ("exec-on-max-failures", "exec-on-max-timeouts"):
                    if menu.get(attr):
                        app, _, data = menu.get(attr).partition(" ")
                        self.check_application(app, path, menu, modules, data)
                for entry in menu.findall("entry"):
                    self.check_entry(path, name, entry, menus, contexts, modules)
                    if entry.get("action") == "menu-sub":
                        reached.add((entry.get("param") or "").strip())
        self.check_menu_loops(menus)
        for path, root in sorted(self.parsed.items()):
            for menu in root.findall("menu") if path != DIALPLAN_FILE else ():
                name = menu.get("name", "")
                if name and name not in reached:
                    self.add("unreachable-menu", f"No call reaches the menu '{name}': no dialplan runs ivr {name} "
                                                 "and no menu has it as a sub-menu.", path, menu, severity="warning")

    def check_entry(self, path: str, menu_name: str, entry: Node, menus: dict[str, Node],
                    contexts: dict[str, Node], modules: set[str] | None) -> None:
        action, param, digits = entry.get("action"), (entry.get("param") or "").strip(), entry.get("digits", "")
        if action == "menu-sub" and param:
            if param not in menus:
                self.add("unknown-submenu", f"The entry {digits} opens the sub-menu '{param}', which does not "
                                            "exist.", path, entry, subject=param)
        elif action == "menu-play-sound" and param:
            self.check_prompt(param, path, entry, f"the sound of the entry {digits}")
        elif action == "menu-exec-app" and param:
            app, _, data = param.partition(" ")
            self.check_application(app, path, entry, modules, data)
            if app == "transfer":
                self.check_transfer(data.strip(), path, entry, contexts, f"The entry {digits} of the menu "
                                                                         f"'{menu_name}'")
            elif app == "playback":
                self.check_prompt(data.strip(), path, entry, f"the playback of the entry {digits}")
            elif app == "ivr" and data.strip() not in menus:
                self.add("unknown-submenu", f"The entry {digits} runs the menu '{data.strip()}', which does not "
                                            "exist.", path, entry)

    def check_transfer(self, data: str, path: str, node: Node, contexts: dict[str, Node], who: str) -> None:
        words = data.split()
        if not words:
            self.add("missing-attribute", f"{who} transfers to nothing.", path, node)
            return
        number = words[0]
        dialplan = words[1] if len(words) > 1 else "XML"
        context_name = words[2] if len(words) > 2 else "default"
        if dialplan != "XML":
            return  # inline and other dialplans are not looked up here
        context = contexts.get(context_name)
        if context is None:
            self.add("unknown-context", f"{who} transfers to the context '{context_name}', which FreeSWITCH does "
                                        "not have.", path, node)
            return
        hunted = dp.route(context, number)
        if not hunted:
            self.add("unknown-target", f"{who} transfers to {number}, which no extension of the context "
                                       f"'{context_name}' matches (FreeSWITCH would hang up with "
                                       "NO_ROUTE_DESTINATION).", path, node)
            return
        if context_name == SWITCHDESK_CONTEXT:
            for prefix_kind, prefix in GENERATED.items():
                if number.startswith(prefix) and prefix_kind in ("queue", "callback", "voicemail"):
                    wanted = number[len(prefix):]
                    queues = [d.partition("=")[2] for a, d, _ in hunted[0].actions
                              if a == "set" and d.startswith("cc_queue=")]
                    if queues and queues[-1] != wanted:
                        self.add("target-mismatch", f"{who} is labelled for queue {wanted}, but the extension "
                                                    f"{number} sets cc_queue={queues[-1]}.", path, node,
                                 severity="warning")

    def check_dialplan_references(self, path: str, root: Node, modules: set[str] | None) -> None:
        contexts = self.loaded.contexts()
        menus = self.loaded.menus()
        names: dict[str, Node] = {}
        for extension in root.iter("extension"):
            name = extension.get("name", "")
            if name in names:
                self.add("duplicate-extension", f"Two extensions are called '{name}' (lines {names[name].line} and "
                                                f"{extension.line}); only the first can be reached by its name.",
                         path, extension, severity="warning")
            names.setdefault(name, extension)
        for action in list(root.iter("action")) + list(root.iter("anti-action")):
            app, data = action.get("application", ""), action.get("data", "")
            self.check_application(app, path, action, modules, data)
            if app == "set" and data.startswith("cc_queue="):
                queue = data.partition("=")[2]
                if queue and "${" not in queue and queue not in self.catalogue.queues:
                    self.add("unknown-queue", f"The queue '{queue}' does not exist in switchdesk (queues: "
                                              f"{', '.join(sorted(self.catalogue.queues)) or 'none'}).", path, action,
                             subject=queue)
            elif app == "transfer":
                self.check_transfer(data, path, action, contexts, "This action")
            elif app == "ivr" and data.strip() not in menus:
                self.add("unknown-submenu", f"This action runs the menu '{data.strip()}', which does not exist.",
                         path, action)
            elif app in ("playback", "endless_playback"):
                self.check_prompt(data.strip(), path, action, "the playback")

    def check_api_expansions(self, path: str, root: Node) -> None:
        for node in root.iter():
            for attr, value in node.attrs.items():
                for match in API_EXPANSION.finditer(value):
                    name = match.group(1).strip()
                    if name not in SAFE_API_EXPANSIONS:
                        self.add("api-expansion", f"{attr}=\"{value}\" calls the API command '{name}' "
                                                  f"(${{{name}(...)}}): switchdesk publishes only API calls that "
                                                  f"compute a value ({', '.join(sorted(SAFE_API_EXPANSIONS))}).",
                                 path, node, subject=name)

    def check_application(self, app: str, path: str, node: Node, modules: set[str] | None, data: str) -> None:
        if not app:
            return
        if app in HOST_COMMAND_APPS:
            self.add("host-command", f"The application '{app}' runs a program on the FreeSWITCH server: "
                                     "switchdesk does not publish it.", path, node, subject=app)
            return
        if app in SCRIPT_APPS and data.lstrip().startswith("~"):
            self.add("host-command", f"'{app} ~…' runs inline {app} code on the FreeSWITCH server: switchdesk "
                                     "does not publish it (name a script file instead).", path, node, subject=app)
        module = MODULE_APPS.get(app)
        if module is not None:
            if modules is not None and module not in modules:
                self.add("module-not-loaded", f"The application '{app}' needs {module}, which "
                                              "autoload_configs/modules.conf.xml does not load.", path, node)
        elif app not in DPTOOLS_APPS:
            self.add("unknown-application", f"FreeSWITCH has no application '{app}' in the modules this "
                                            "configuration loads (a typo?).", path, node, severity="warning")

    def check_prompt(self, value: str, path: str, node: Node, what: str) -> None:
        value = value.strip()
        if value.startswith(SOUND_SCHEMES) or "${" in value:
            return
        conf_dir = self.loaded.variables.get("conf_dir", "/etc/freeswitch") if self.loaded else "/etc/freeswitch"
        if value.startswith(conf_dir.rstrip("/") + "/"):
            rel = value[len(conf_dir.rstrip("/")) + 1:]
            if self.conf_dir and os.path.isfile(os.path.join(self.conf_dir, rel)):
                return
            self.add("unknown-prompt", f"The prompt {value} ({what}) is not in {os.path.join(self.conf_dir or '', rel)}"
                                       " on this server.", path, node)
            return
        if value in self.catalogue.prompts:
            return
        hint = ""
        if "/" not in value:
            matches = [p for p in self.catalogue.prompts if p.endswith("/" + value)]
            if matches:
                hint = f" Did you mean {matches[0]}?"
        self.add("unknown-prompt", f"The prompt '{value}' ({what}) is neither one of FreeSWITCH's stock "
                                   f"recordings nor a file in the {PROMPTS_FOLDER} folder "
                                   f"($${{conf_dir}}/{PROMPTS_FOLDER}/<file>).{hint}", path, node, subject=value)

    def check_menu_loops(self, menus: dict[str, Node]) -> None:
        graph = {name: [(e.get("param") or "").strip() for e in node.findall("entry") if e.get("action") == "menu-sub"]
                 for name, node in menus.items()}
        reported: set[frozenset[str]] = set()
        for path, root in sorted(self.parsed.items()):
            for menu in root.findall("menu") if path != DIALPLAN_FILE else ():
                start = menu.get("name", "")
                cycle = _cycle(graph, start)
                if cycle and frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    self.add("submenu-loop", f"The menus {' -> '.join(cycle)} open each other as sub-menus: each "
                                             "round goes one level deeper and FreeSWITCH ends the menu after 12 "
                                             "levels (use menu-top or menu-back to go back).", path, menu,
                             severity="warning")

    def loaded_modules(self) -> set[str] | None:
        """Modules of modules.conf, or ``None`` when this configuration has no modules.conf."""
        if self.loaded is None or self.loaded.document is None:
            return None
        for configuration in self.loaded.document.iter("configuration"):
            if configuration.get("name") == "modules.conf":
                return {load.get("module", "") for load in configuration.iter("load")}
        return None


def _cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start through sub-menus (not counting a menu opening itself)."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, trail = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == node:
                continue  # FreeSWITCH just repeats a menu that names itself
            if nxt == start:
                return trail + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, trail + [nxt]))
    return None
