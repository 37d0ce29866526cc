"""Pure parsing of originate arguments and dial strings."""
import re
import shlex

KNOWN_PROFILES = ("internal", "external")


class Endpoint:
    """One parsed dial string target."""

    def __init__(self, tech, profile, user, host, kind, raw):
        self.tech = tech
        self.profile = profile
        self.user = user
        self.host = host
        self.kind = kind  # phone | number
        self.raw = raw

    @property
    def channel_name(self):
        if self.tech == "sofia" and self.profile == "gateway":
            return "sofia/gateway/%s" % self.host
        if self.tech in ("user", "sofia") and self.host:
            return "sofia/%s/%s@%s" % (self.profile or "internal", self.user, self.host)
        if self.tech == "loopback":
            return "loopback/%s-a" % self.user
        return "sofia/%s/%s" % (self.profile or "internal", self.user)


class DialError(Exception):
    """A dial string FreeSWITCH refuses before dialing (the text is the -ERR cause)."""


def split_vars(text):
    """``{a=1,b=2}rest`` -> ``({'a': '1', 'b': '2'}, 'rest')``; ``[...]`` handled alike."""
    variables = {}
    while text and text[0] in "{[<":
        close = {"{": "}", "[": "]", "<": ">"}[text[0]]
        end = text.find(close)
        if end < 0:
            break
        for item in _split_commas(text[1:end]):
            if "=" in item:
                name, _, value = item.partition("=")
                variables[name.strip()] = value.strip().strip("'")
        text = text[end + 1:]
    return variables, text


def _split_commas(text):
    # FreeSWITCH allows \, and '...' to protect commas inside a value.
    items, current, quote = [], "", False
    for ch in text:
        if ch == "'":
            quote = not quote
        if ch == "," and not quote:
            items.append(current)
            current = ""
        else:
            current += ch
    if current:
        items.append(current)
    return items


def parse_endpoint(text):
    """Parse one dial string (after the ``{vars}``)."""
    parts = text.split("/")
    tech = parts[0]
    if tech == "user" and len(parts) >= 2:
        user, _, host = parts[1].partition("@")
        return Endpoint("user", "internal", user, host, "phone", text)
    if tech == "sofia" and len(parts) >= 3:
        profile = parts[1]
        if profile == "gateway" and len(parts) >= 4:
            return Endpoint("sofia", "gateway", parts[3].split("@")[0], parts[2] + "/" + parts[3], "number", text)
        if profile not in KNOWN_PROFILES:
            raise DialError("INVALID_PROFILE")
        user, _, host = "/".join(parts[2:]).partition("@")
        kind = "phone" if profile == "internal" else "number"
        return Endpoint("sofia", profile, user, host, kind, text)
    if tech == "loopback" and len(parts) >= 2:
        return Endpoint("loopback", None, parts[1], "", "number", text)
    if tech == "error" and len(parts) >= 2:
        raise DialError(parts[1])
    raise DialError("CHAN_NOT_IMPLEMENTED")


def parse_originate(args):
    """Split the ``originate`` api arguments.

    :return: dict with ``variables``, ``endpoint_text``, and either ``app``/``app_args`` or
        ``extension``/``dialplan``/``context``, plus ``cid_name``/``cid_num``/``timeout``.
    """
    args = args.strip()
    if not args:
        return None
    variables, rest = split_vars(args)
    dial, _, tail = rest.partition(" ")
    result = {"variables": variables, "endpoint_text": dial, "app": None, "app_args": "",
              "extension": None, "dialplan": "XML", "context": "default", "cid_name": None,
              "cid_num": None, "timeout": None}
    tail = tail.strip()
    if not tail:
        return None
    if tail.startswith("&"):
        match = re.match(r"&([\w:]+)(?:\((.*)\))?\s*(.*)$", tail)
        if match is None:
            return None
        result["app"] = match.group(1)
        result["app_args"] = match.group(2) or ""
        tail_words = match.group(3).split()
        extra = tail_words
    else:
        words = tail.split()
        result["extension"] = words[0]
        extra = words[1:]
        if extra:
            result["dialplan"] = extra.pop(0)
        if extra:
            result["context"] = extra.pop(0)
        return _cid(result, extra)
    # "&app(args) [dialplan] [context] [cid_name] [cid_num] [timeout]" - dialplan/context ignored
    return _cid(result, extra[2:] if len(extra) > 2 else [])


def _cid(result, extra):
    if extra:
        result["cid_name"] = extra.pop(0)
    if extra:
        result["cid_num"] = extra.pop(0)
    if extra:
        try:
            result["timeout"] = int(extra.pop(0))
        except ValueError:
            pass
    return result


def split_inline(text):
    """``app:arg,app2:arg2`` (uuid_transfer ... inline) -> ``[(app, arg), ...]``."""
    out = []
    for item in _split_commas(text):
        name, _, data = item.partition(":")
        out.append((name.strip(), data))
    return out


def split_api_args(text):
    """Split api arguments like FreeSWITCH's ``switch_separate_string`` with quotes."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()
