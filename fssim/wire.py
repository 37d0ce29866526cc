"""ESL wire format: pure builders for the frames FreeSWITCH's mod_event_socket sends.

Nothing here touches a socket; every function takes plain values and returns bytes, so
the byte-exact texts recorded in ``tests/traces`` can be checked without a server.
"""
import json
import re

#: Characters FreeSWITCH's ``switch_url_encode`` escapes besides controls and non-ASCII
#: (``SWITCH_URL_UNSAFE`` in switch_utils.h).  Note that ``,`` ``/`` ``'`` stay as is:
#: the recorded ``Event-Date-GMT: Sun,%2022%20Nov...`` depends on it.
URL_UNSAFE = set(b'\r\n #%&+:;<=>?@[\\]^`{|}"')

_ENCODE_TABLE = [
    ("%%%02X" % b) if (b < 0x20 or b > 0x7E or b in URL_UNSAFE) else chr(b) for b in range(256)
]

#: one ASCII character that ``switch_url_encode`` escapes
_ASCII_UNSAFE = re.compile("[%s]" % re.escape("".join(chr(b) for b in range(0x80) if _ENCODE_TABLE[b] != chr(b))))

DISCONNECT_TEXT = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def url_encode(value: str) -> str:
    """Encode one header value the way ``switch_url_encode`` does (bytewise, UTF-8).

    :param value: the raw header value.
    :return: the encoded value.
    """
    if value.isascii():
        # the common case: only the few unsafe characters are replaced, no walk byte by byte
        return _ASCII_UNSAFE.sub(lambda m: _ENCODE_TABLE[ord(m.group())], value)
    return "".join(_ENCODE_TABLE[b] for b in value.encode("utf-8"))


def auth_request() -> bytes:
    """The banner sent when a client connects."""
    return b"Content-Type: auth/request\n\n"


def command_reply(reply_text: str, **extra_headers: str) -> bytes:
    """A ``command/reply`` frame (auth, event, filter, bgapi, sendmsg, exit ...).

    :param reply_text: the ``Reply-Text`` value, e.g. ``+OK accepted``.
    :param extra_headers: further headers (``Job_UUID`` is written ``Job-UUID``).
    """
    lines = ["Content-Type: command/reply", "Reply-Text: " + reply_text]
    for name, value in extra_headers.items():
        lines.append("%s: %s" % (name.replace("_", "-"), value))
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str) -> bytes:
    """An ``api/response`` frame carrying the command output as body."""
    data = body.encode("utf-8")
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def disconnect_notice() -> bytes:
    """The frame FreeSWITCH sends right before it closes the socket."""
    data = DISCONNECT_TEXT.encode()
    return b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(data) + data


def event_plain_body(headers, body=None) -> bytes:
    """The inner body of a ``text/event-plain`` frame.

    :param headers: sequence of ``(name, value)`` pairs, repeated names allowed.
    :param body: optional event body (BACKGROUND_JOB output ...).
    """
    parts = ["%s: %s\n" % (name, url_encode(value)) for name, value in headers]
    if body is not None:
        data = body.encode("utf-8")
        parts.append("Content-Length: %d\n\n" % len(data))
        return "".join(parts).encode("utf-8") + data
    parts.append("\n")
    return "".join(parts).encode("utf-8")


def event_json_body(headers, body=None) -> bytes:
    """The body of a ``text/event-json`` frame (cJSON output: compact, repeated keys kept)."""
    items = ['%s:%s' % (json.dumps(name, ensure_ascii=False), json.dumps(value, ensure_ascii=False))
             for name, value in headers]
    if body is not None:
        items.append('"Content-Length":%s' % json.dumps(str(len(body.encode("utf-8")))))
        items.append('"_body":%s' % json.dumps(body, ensure_ascii=False))
    return ("{" + ",".join(items) + "}").encode("utf-8")


def _xml_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def event_xml_body(headers, body=None) -> bytes:
    """The body of a ``text/event-xml`` frame (values URL-encoded, as switch_event_xmlize)."""
    lines = ["<event>", "  <headers>"]
    for name, value in headers:
        lines.append("    <%s>%s</%s>" % (name, url_encode(value), name))
    if body is not None:
        lines.append("    <Content-Length>%d</Content-Length>" % len(body.encode("utf-8")))
    lines.append("  </headers>")
    if body is not None:
        lines.append("  <body>%s</body>" % _xml_escape(body))
    lines.append("</event>")
    return "\n".join(lines).encode("utf-8")


_CONTENT_TYPES = {"plain": b"text/event-plain", "json": b"text/event-json", "xml": b"text/event-xml"}
_BODY_BUILDERS = {"plain": event_plain_body, "json": event_json_body, "xml": event_xml_body}


def event_frame(fmt: str, headers, body=None) -> bytes:
    """A complete event frame in one of the formats ``plain``, ``json`` or ``xml``."""
    inner = _BODY_BUILDERS[fmt](headers, body)
    return b"Content-Length: %d\nContent-Type: %s\n\n" % (len(inner), _CONTENT_TYPES[fmt]) + inner


def parse_command(raw: bytes):
    """Split one client command (everything up to the blank line) into line and headers.

    :param raw: the bytes before ``\\n\\n`` (``\\r`` tolerated).
    :return: ``(first_line, {header: value})``; the first line keeps its arguments.
    """
    text = raw.decode("utf-8", "replace").replace("\r", "")
    lines = [line for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    first = lines[0].strip() if lines else ""
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return first, headers
