"""IVR menus as data, and the FreeSWITCH XML they are written as.

A :class:`Menu` is what the form edits: prompts, timeouts, failure limits and entries
(``digits -> action``). :func:`render_menu` writes it as FreeSWITCH 1.10's ``ivr.conf``
``<menu>`` (attribute names of ``switch_ivr_menu_stack_xml_build``), and
:func:`menu_from_xml` reads such a file back when the form can show it (an expert's raw
XML may use what the form does not: it is then edited as XML only).

Every choice that leaves the menu goes through the ``switchdesk`` dialplan context
(``dialplan/switchdesk.xml``): ``transfer queue_sales XML switchdesk`` and so on.
:func:`ensure_extensions` adds the extensions a menu needs to that context's XML when they
are missing (a queue, callback or voicemail choice), and never removes one an admin wrote.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from xml.sax.saxutils import quoteattr

from .fsxml import Node, XmlSyntaxError, parse

#: the file of the ``switchdesk`` context, relative to the FreeSWITCH configuration folder
DIALPLAN_FILE = "dialplan/switchdesk.xml"
MENU_FOLDER = "ivr_menus"
SWITCHDESK_CONTEXT = "switchdesk"
#: where an extension choice rings (the agents' phones, dialplan/default.xml)
EXTENSION_CONTEXT = "default"

MENU_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}")
QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EXTENSION_NUMBER = re.compile(r"[0-9*#+]{1,20}")
DIALPLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
DIGITS = re.compile(r"[0-9*#]{1,10}")

#: action kind -> (label, what its target is)
ACTIONS = {
    "queue": ("Queue", "queue"),
    "callback": ("Callback request", "queue"),
    # a voice message for a queue's agents, listed in their Missed calls with the audio
    # (switchdesk records it: no mod_voicemail, no mailbox to check)
    "voicemail": ("Leave a message", "queue"),
    "extension": ("Transfer to extension", "extension"),
    "route": ("Dialplan extension (switchdesk context)", "dialplan extension"),
    "submenu": ("Sub-menu", "menu"),
    "top": ("Back to the first menu", ""),
    "back": ("Back to the previous menu", ""),
    "hangup": ("Goodbye and hang up", ""),
}
#: the prefixes of the switchdesk-context extensions that the form's choices create
GENERATED = {"queue": "queue_", "callback": "callback_", "voicemail": "voicemail_"}

#: menu defaults for a new menu (FreeSWITCH's own: timeout 10000, inter-digit timeout/2, 3 and 3)
DEFAULTS = {"timeout": 5000, "inter_digit_timeout": 2000, "max_failures": 3, "max_timeouts": 3, "digit_len": 1}


@dataclass
class Entry:
    """One menu choice: the caller presses ``digits`` and ``action`` runs with ``target``."""

    digits: str
    action: str
    target: str = ""

    def xml_action(self) -> tuple[str, str]:
        """The ``<entry>``'s ``action`` and ``param`` attributes."""
        kind, target = self.action, self.target
        if kind in GENERATED:
            return "menu-exec-app", f"transfer {GENERATED[kind]}{target} XML {SWITCHDESK_CONTEXT}"
        if kind == "route":
            return "menu-exec-app", f"transfer {target} XML {SWITCHDESK_CONTEXT}"
        if kind == "extension":
            return "menu-exec-app", f"transfer {target} XML {EXTENSION_CONTEXT}"
        if kind == "submenu":
            return "menu-sub", target
        if kind == "top":
            return "menu-top", ""
        if kind == "back":
            return "menu-back", ""
        if kind == "hangup":
            return "menu-exit", ""
        raise ValueError(f"unknown action {kind!r}")


@dataclass
class Menu:
    """One IVR menu, as the form shows it. Times are milliseconds."""

    name: str
    greet_long: str = ""
    greet_short: str = ""
    invalid_sound: str = ""
    exit_sound: str = ""
    timeout: int = DEFAULTS["timeout"]
    inter_digit_timeout: int = DEFAULTS["inter_digit_timeout"]
    max_failures: int = DEFAULTS["max_failures"]
    max_timeouts: int = DEFAULTS["max_timeouts"]
    digit_len: int = DEFAULTS["digit_len"]
    entries: list[Entry] = field(default_factory=list)

    @property
    def path(self) -> str:
        return menu_path(self.name)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Menu":
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "entries"}
        return cls(**values, entries=[Entry(**{k: e.get(k, "") for k in ("digits", "action", "target")})
                                      for e in data.get("entries", [])])


def menu_path(name: str) -> str:
    return f"{MENU_FOLDER}/{name}.xml"


#: form field -> XML attribute (FreeSWITCH 1.10 names)
ATTRIBUTES = {
    "greet_long": "greet-long", "greet_short": "greet-short", "invalid_sound": "invalid-sound",
    "exit_sound": "exit-sound", "timeout": "timeout", "inter_digit_timeout": "inter-digit-timeout",
    "max_failures": "max-failures", "max_timeouts": "max-timeouts", "digit_len": "digit-len",
}
PROMPT_FIELDS = ("greet_long", "greet_short", "invalid_sound", "exit_sound")


def render_menu(menu: Menu) -> str:
    """``menu`` as the text of ``ivr_menus/<name>.xml``."""
    pad = " " * len("  <menu ")
    attrs = [f"name={quoteattr(menu.name)}"]
    for name, xml_name in ATTRIBUTES.items():
        value = getattr(menu, name)
        if name in PROMPT_FIELDS and not value:
            continue
        attrs.append(f"{xml_name}={quoteattr(str(value))}")
    lines = ["<include>",
             f"  <!-- IVR menu {menu.name}: written by switchdesk's IVR editor (docs/ivr.md) -->",
             "  <menu " + ("\n" + pad).join(attrs) + ">"]
    for entry in menu.entries:
        action, param = entry.xml_action()
        param_attr = f" param={quoteattr(param)}" if param else ""
        lines.append(f"    <entry action={quoteattr(action)} digits={quoteattr(entry.digits)}{param_attr}/>")
    lines += ["  </menu>", "</include>", ""]
    return "\n".join(lines)


class NotAForm(ValueError):
    """A menu's XML uses something the form cannot show; it is edited as XML."""


TRANSFER = re.compile(r"transfer\s+(\S+)\s+XML\s+(\S+)")


def entry_from_xml(action: str, digits: str, param: str) -> Entry:
    """The form's view of one ``<entry>``.

    :raises NotAForm: for what the form does not offer (regex digits, other applications)
    """
    if digits.startswith("/"):
        raise NotAForm(f"the entry {digits} matches digits with a regular expression")
    if action == "menu-exec-app":
        found = TRANSFER.fullmatch(param.strip())
        if found is None:
            raise NotAForm(f"the entry {digits} runs {param.split(' ')[0] or 'nothing'!r}, not a transfer")
        target, context = found.groups()
        if context == SWITCHDESK_CONTEXT:
            for kind, prefix in GENERATED.items():
                if target.startswith(prefix) and len(target) > len(prefix):
                    return Entry(digits, kind, target[len(prefix):])
            return Entry(digits, "route", target)
        if context == EXTENSION_CONTEXT:
            return Entry(digits, "extension", target)
        raise NotAForm(f"the entry {digits} transfers to the {context} context")
    simple = {"menu-top": "top", "menu-back": "back", "menu-exit": "hangup"}
    if action in simple:
        return Entry(digits, simple[action], "")
    if action == "menu-sub":
        return Entry(digits, "submenu", param.strip())
    raise NotAForm(f"the entry {digits} uses the action {action!r}")


def menu_from_node(node: Node) -> Menu:
    """The form's view of a parsed ``<menu>``.

    :raises NotAForm: the menu uses attributes or entries the form does not offer
    """
    known = {"name", *ATTRIBUTES.values()}
    extra = sorted(set(node.attrs) - known)
    if extra:
        raise NotAForm(f"the menu uses {', '.join(extra)}")
    values: dict = {"name": node.get("name", "")}
    for name, xml_name in ATTRIBUTES.items():
        raw = node.get(xml_name)
        if raw is None:
            continue
        if name in PROMPT_FIELDS:
            values[name] = raw
        else:
            try:
                values[name] = int(raw)
            except ValueError:
                raise NotAForm(f"{xml_name} is not a whole number") from None
    entries = []
    for child in node.children:
        if child.tag != "entry":
            raise NotAForm(f"the menu holds <{child.tag}>")
        entries.append(entry_from_xml(child.get("action", ""), child.get("digits", ""), child.get("param", "")))
    return Menu(**values, entries=entries)


def menu_from_xml(text: str) -> Menu:
    """The form's view of a menu file (``<include>`` with one ``<menu>``).

    :raises NotAForm: not one menu the form can show
    :raises XmlSyntaxError: not well-formed
    """
    root = parse(text)
    menus = [child for child in root.children if child.tag == "menu"]
    if root.tag != "include" or len(menus) != 1 or len(root.children) != 1:
        raise NotAForm("the file does not hold exactly one <menu> in <include>")
    return menu_from_node(menus[0])


def try_menu_from_xml(text: str) -> tuple[Menu | None, str]:
    """``(menu, "")`` or ``(None, why the form cannot show it)``."""
    try:
        return menu_from_xml(text), ""
    except XmlSyntaxError as exc:
        return None, f"the XML is not well-formed (line {exc.line}, column {exc.column}: {exc.message})"
    except NotAForm as exc:
        return None, str(exc)


# ---------------------------------------------------------------- the switchdesk context

def extension_xml(kind: str, target: str) -> str:
    """The ``switchdesk``-context extension a queue, callback or voicemail choice needs."""
    name = GENERATED[kind] + target
    if kind == "queue":
        body = [("set", f"cc_queue={target}"), ("set", "park_after_bridge=true"),
                ("set", "hold_music=local_stream://moh"), ("answer", ""), ("park", "")]
        note = f"Queue {target}: parked with cc_queue for the controller"
    elif kind == "callback":
        body = [("set", "cc_callback=ivr"), ("set", "cc_callback_number=${caller_id_number}"),
                ("set", f"cc_queue={target}"), ("set", "park_after_bridge=true"),
                ("set", "hold_music=local_stream://moh"), ("answer", ""), ("park", "")]
        note = f"Callback request for queue {target} (cc_callback=ivr, the caller's number)"
    elif kind == "voicemail":
        body = [("set", "cc_message=ivr"), ("set", f"cc_queue={target}"), ("set", "park_after_bridge=true"),
                ("answer", ""), ("park", "")]
        note = f"A message for queue {target} (cc_message=ivr: recorded, listed in its Missed calls)"
    else:
        raise ValueError(f"no extension is generated for {kind!r}")
    lines = [f"    <!-- {note}: added by switchdesk's IVR editor -->",
             f"    <extension name={quoteattr(name)}>",
             f"      <condition field=\"destination_number\" expression={quoteattr('^' + re.escape(name) + '$')}>"]
    for app, data in body:
        data_attr = f" data={quoteattr(data)}" if data else ""
        lines.append(f"        <action application={quoteattr(app)}{data_attr}/>")
    lines += ["      </condition>", "    </extension>"]
    return "\n".join(lines) + "\n"


EMPTY_DIALPLAN = f"""<include>
  <!--
    Where the IVR menus send callers (ivr_menus/*.xml: transfer <name> XML {SWITCHDESK_CONTEXT}).
    No profile or user has this context, so nobody can dial these names directly.
  -->
  <context name="{SWITCHDESK_CONTEXT}">
  </context>
</include>
"""


def needed_extensions(menus: list[Menu]) -> list[tuple[str, str]]:
    """``(kind, target)`` of every generated extension the menus' choices use, in order."""
    needed: list[tuple[str, str]] = []
    for menu in menus:
        for entry in menu.entries:
            if entry.action in GENERATED and entry.target and (entry.action, entry.target) not in needed:
                needed.append((entry.action, entry.target))
    return needed


def extension_names(dialplan_text: str) -> set[str]:
    """Names of the extensions in the text's ``switchdesk`` context (empty if not parseable)."""
    try:
        root = parse(dialplan_text)
    except XmlSyntaxError:
        return set()
    names = set()
    for context in root.iter("context"):
        if context.get("name") == SWITCHDESK_CONTEXT:
            names |= {ext.get("name", "") for ext in context.findall("extension")}
    return names


def ensure_extensions(dialplan_text: str | None, menus: list[Menu]) -> str:
    """``dialplan_text`` with an extension added for each choice that needs a missing one.

    The text is changed only by inserting before the ``switchdesk`` context's closing tag,
    so an admin's own extensions, comments and layout stay as they were.
    """
    text = dialplan_text if dialplan_text and dialplan_text.strip() else EMPTY_DIALPLAN
    present = extension_names(text)
    missing = [(kind, target) for kind, target in needed_extensions(menus)
               if GENERATED[kind] + target not in present]
    if not missing:
        return text
    block = "".join("\n" + extension_xml(kind, target) for kind, target in missing)
    closing = _context_end(text)
    if closing < 0:
        return text  # not a switchdesk context we can find: validation says so
    return text[:closing].rstrip(" ") + block + "  " + text[closing:]


def _context_end(text: str) -> int:
    """Offset of the ``</context>`` closing the switchdesk context, or -1."""
    start = re.search(r"<context\s+name\s*=\s*[\"']" + SWITCHDESK_CONTEXT + r"[\"']", text)
    if start is None:
        return -1
    end = text.find("</context>", start.end())
    return end


GENERATED_BLOCK = re.compile(
    r"(?:\n[ \t]*)?\n[ \t]*<!-- [^\n]*: added by switchdesk's IVR editor -->\n"
    r"[ \t]*<extension name=\"(?P<name>[^\"]+)\">.*?</extension>", re.DOTALL)


def prune_generated(dialplan_text: str, used: set[str]) -> str:
    """Remove the extensions the editor added (its comment marks them) that no menu uses any
    more, so a queue that was renamed or deleted does not stay behind in the dialplan."""
    return GENERATED_BLOCK.sub(lambda m: m.group(0) if m.group("name") in used else "", dialplan_text)


def transfer_targets(menu_texts: list[str]) -> set[str]:
    """Names of the switchdesk-context extensions the menu files transfer to."""
    names = set()
    for text in menu_texts:
        for found in re.finditer(r"transfer\s+(\S+)\s+XML\s+" + SWITCHDESK_CONTEXT + r"\b", text):
            names.add(found.group(1))
    return names
