"""FreeSWITCH's XML as FreeSWITCH reads it: files, the preprocessor, positions.

FreeSWITCH never parses its files one by one. It preprocesses ``freeswitch.xml`` line by
line (``preprocess`` in src/switch_xml.c): an ``<X-PRE-PROCESS cmd="include" data="glob"/>``
line is replaced by the files its glob matches (relative to the including file's folder),
``set``/``env-set`` lines set global variables, every ``$${name}`` is replaced by one, and
a line holding ``<include>`` or ``</include>`` is dropped whole. Then it parses the one
resulting document. :class:`ConfTree` is a configuration folder with some files replaced
(the version being checked or published), :func:`preprocess` follows those rules, and
:func:`parse` keeps the line and column of every element so that a problem can point at
the file and line an admin wrote.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from xml.parsers import expat

#: what FreeSWITCH has set before it reads vars.xml (switch_core.c); the folders of an
#: ``--enable-fhs`` build like the container's
CORE_VARIABLES = {
    "hostname": "freeswitch", "local_ip_v4": "127.0.0.1", "local_mask_v4": "255.0.0.0",
    "local_ip_v6": "::1", "base_dir": "/usr", "conf_dir": "/etc/freeswitch",
    "log_dir": "/var/log/freeswitch", "run_dir": "/run/freeswitch", "db_dir": "/var/lib/freeswitch/db",
    "sounds_dir": "/usr/share/freeswitch/sounds", "recordings_dir": "/var/lib/freeswitch/recordings",
    "storage_dir": "/var/lib/freeswitch/storage", "certs_dir": "/etc/freeswitch/tls", "temp_dir": "/tmp",
}

#: the root document used when a folder has no freeswitch.xml (only switchdesk's own files)
SYNTHETIC_ROOT = """<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="include" data="vars.xml"/>
<section name="configuration">
<configuration name="ivr.conf">
<menus>
<X-PRE-PROCESS cmd="include" data="ivr_menus/*.xml"/>
</menus>
</configuration>
</section>
<section name="dialplan">
<X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
</section>
</document>
"""

DIRECTIVE = re.compile(r"x-pre-process", re.IGNORECASE)


class XmlSyntaxError(ValueError):
    """Not well-formed XML, with the 1-based line and column of the error."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass
class Node:
    """One element with where it starts (1-based line, 1-based column)."""

    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    children: list["Node"] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def findall(self, tag: str) -> list["Node"]:
        return [child for child in self.children if child.tag == tag]

    def find(self, tag: str, **attrs: str) -> "Node | None":
        for child in self.children:
            if child.tag == tag and all(child.attrs.get(k) == v for k, v in attrs.items()):
                return child
        return None

    def iter(self, tag: str | None = None):
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)


def parse(text: str) -> Node:
    """Parse ``text`` with expat, keeping every element's position.

    :raises XmlSyntaxError: with expat's message, line and column (1-based)
    """
    parser = expat.ParserCreate()
    root: list[Node] = []
    stack: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag, dict(attrs), parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise XmlSyntaxError(expat.ErrorString(exc.code), exc.lineno, exc.offset + 1) from None
    return root[0]


class ConfTree:
    """A FreeSWITCH configuration folder, with some of its files replaced or hidden.

    :param root: the folder (``None`` or a missing folder: only ``overlay`` exists)
    :param overlay: relative path -> text, read instead of (or besides) the folder's files
    :param hidden: glob patterns (relative) of the folder's files that do not count, e.g.
        ``ivr_menus/*.xml`` when a version replaces the whole set of menus
    """

    def __init__(self, root: str | None, overlay: dict[str, str] | None = None, hidden: tuple[str, ...] = ()):
        self.root = root if root and os.path.isdir(root) else None
        self.overlay = dict(overlay or {})
        self.hidden = tuple(hidden)

    def _on_disk(self, rel: str) -> bool:
        return not any(fnmatch.fnmatchcase(rel, pattern) for pattern in self.hidden)

    def read(self, rel: str) -> str | None:
        rel = _normal(rel)
        if rel in self.overlay:
            return self.overlay[rel]
        if self.root is None or not self._on_disk(rel):
            return None
        try:
            with open(os.path.join(self.root, rel), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching ``pattern`` (relative, ``*``/``?`` globs), sorted like glob()."""
        pattern = _normal(pattern)
        found = {rel for rel in self.overlay if fnmatch.fnmatchcase(rel, pattern)}
        if self.root is not None:
            import glob as globmod

            for path in globmod.glob(os.path.join(self.root, pattern)):
                rel = _normal(os.path.relpath(path, self.root))
                if os.path.isfile(path) and self._on_disk(rel):
                    found.add(rel)
        return sorted(found)

    def exists(self, rel: str) -> bool:
        return self.read(rel) is not None


def _normal(rel: str) -> str:
    return os.path.normpath(rel).replace(os.sep, "/").lstrip("./") if rel not in (".", "") else rel


@dataclass
class Preprocessed:
    """The one document FreeSWITCH would parse, and where each of its lines came from."""

    text: str
    origins: list[tuple[str, int]]  # per output line: (relative file, its line number)
    variables: dict[str, str]
    unmatched: list[str]            # include globs that matched nothing ("Couldnt open ...")
    undefined: list[str] = field(default_factory=list)  # "file:line: name" of $${name} nobody set ("")
    read: list[str] = field(default_factory=list)       # the files read, in order (relative)

    def origin(self, line: int) -> tuple[str, int]:
        """The file and line of the document's 1-based ``line``."""
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return ("freeswitch.xml", 0)


def preprocess(tree: ConfTree, environ: dict[str, str] | None = None) -> Preprocessed:
    """Run FreeSWITCH's preprocessor over ``tree`` from ``freeswitch.xml``.

    A tree without ``freeswitch.xml`` (a folder holding only what switchdesk writes) is
    read through :data:`SYNTHETIC_ROOT`: ``vars.xml``, the menus and the dialplan.
    """
    state = _State(dict(CORE_VARIABLES), environ if environ is not None else {}, [], [], [])
    root_text = tree.read("freeswitch.xml")
    if root_text is None:
        root_text = SYNTHETIC_ROOT
    _file(tree, "", "freeswitch.xml", root_text, state, depth=0)
    return Preprocessed("".join(state.out), state.origins, state.variables, state.unmatched, state.undefined,
                        state.read)


@dataclass
class _State:
    variables: dict[str, str]
    environ: dict[str, str]
    out: list[str]
    origins: list[tuple[str, int]]
    unmatched: list[str]
    undefined: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)


def _file(tree: ConfTree, cwd: str, rel: str, text: str, state: _State, depth: int) -> None:
    if depth > 20:  # FreeSWITCH gives up on deep include loops too
        return
    state.read.append(rel)
    for number, raw in enumerate(text.splitlines(keepends=True), 1):
        missing: list[str] = []
        line = expand_globals(raw, state.variables, missing)
        state.undefined += [f"{rel}:{number}: {name}" for name in missing]
        # FreeSWITCH drops any line holding these, whatever else is on it
        if "<include>" in raw or "</include>" in raw or "<?" in raw:
            continue
        found = DIRECTIVE.search(line)
        if found:
            if found.start() > 0 and line[found.start() - 1] == "<":
                _directive(tree, cwd, line[found.end():], rel, state, depth)
            continue
        if not line.endswith("\n"):
            line += "\n"
        state.out.append(line)
        state.origins.append((rel, number))


def _directive(tree: ConfTree, cwd: str, rest: str, rel: str, state: _State, depth: int) -> None:
    cmd = re.search(r'cmd[^=]*=[^"]*"([^"]*)"', rest, re.IGNORECASE)
    data = cmd and re.search(r'data[^=]*=[^"]*"([^"]*)"', rest[cmd.end():], re.IGNORECASE)
    if not (cmd and data):
        return
    command, argument = cmd.group(1).lower(), data.group(1)
    name, equals, value = argument.partition("=")
    if command == "set":
        if equals:
            state.variables[name.rstrip(" ")] = value.lstrip(" ")
    elif command == "env-set":
        if equals and value.startswith("$") and value[1:] in state.environ:
            state.variables[name] = state.environ[value[1:]]
    elif command == "include":
        pattern = argument if os.path.isabs(argument) else _normal(os.path.join(cwd, argument))
        matches = tree.glob(pattern)
        if not matches:
            state.unmatched.append(f"{rel}: {argument}")
        for match in matches:
            text = tree.read(match)
            if text is not None:
                _file(tree, os.path.dirname(match), match, text, state, depth + 1)


def expand_globals(line: str, variables: dict[str, str], undefined: list[str] | None = None) -> str:
    """Replace every ``$${name}`` by its global variable (unset ones by nothing, as FreeSWITCH).

    ``expand_vars`` of switch_xml.c: the name ends at the *matching* brace
    (``switch_find_end_paren``); an unterminated one is copied as it is.

    :param undefined: collects the names nobody set
    """
    parts, at = [], 0
    while (start := line.find("$${", at)) >= 0:
        end = _closing_brace(line, start + 2)
        if end < 0:
            break
        name = line[start + 3:end]
        if name not in variables and undefined is not None:
            undefined.append(name)
        parts += [line[at:start], variables.get(name, "")]
        at = end + 1
    return "".join(parts) + line[at:]


def _closing_brace(text: str, opening: int) -> int:
    depth = 0
    for at in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[at], 0)
        if depth == 0:
            return at
    return -1


@dataclass
class Loaded:
    """The parsed configuration: the dialplan's contexts and the IVR menus, with positions."""

    document: Node | None
    pre: Preprocessed
    error: XmlSyntaxError | None = None

    @property
    def variables(self) -> dict[str, str]:
        return self.pre.variables

    def contexts(self) -> dict[str, Node]:
        """Context name -> element; the first of a name wins, as FreeSWITCH looks it up."""
        found: dict[str, Node] = {}
        if self.document is None:
            return found
        for section in self.document.findall("section"):
            if section.get("name") == "dialplan":
                for context in section.findall("context"):
                    found.setdefault(context.get("name", ""), context)
        return found

    def menus(self) -> dict[str, Node]:
        """Menu name -> ``<menu>`` of ``ivr.conf`` (the first of a name wins)."""
        found: dict[str, Node] = {}
        if self.document is None:
            return found
        for section in self.document.findall("section"):
            if section.get("name") != "configuration":
                continue
            for configuration in section.findall("configuration"):
                if configuration.get("name") == "ivr.conf":
                    for menus in configuration.findall("menus"):
                        for menu in menus.findall("menu"):
                            found.setdefault(menu.get("name", ""), menu)
        return found

    def where(self, node: Node) -> tuple[str, int]:
        """The file and line an element of the document came from."""
        return self.pre.origin(node.line)


def load(tree: ConfTree, environ: dict[str, str] | None = None) -> Loaded:
    """Preprocess and parse ``tree`` as FreeSWITCH's ``reloadxml`` would."""
    pre = preprocess(tree, environ)
    try:
        return Loaded(parse(pre.text), pre)
    except XmlSyntaxError as exc:
        return Loaded(None, pre, exc)
