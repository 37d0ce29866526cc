"""The REST API's contract: the OpenAPI document, body validation and :func:`api_route`.

Every JSON endpoint is declared with :func:`api_route`, which in one decorator

- registers the view on a blueprint (URL rule and method);
- lets in only a signed-in person (session cookie + ``X-CSRFToken`` header, or a bearer
  token; see :mod:`web.tokens`), or only supervisors and admins with ``supervisor=True``;
  401 comes before any look at the body;
- validates the JSON body against a model of :mod:`web.schemas` (spectree + pydantic) and
  hands the view the validated model instance as the keyword argument ``body``; a bad
  body is answered ``400 {"error": "'reason' is too long (65 characters; at most 64)."}``
  before the view runs (one sentence naming the field, never the value sent);
- documents the operation in ``/api/openapi.json``: summary (the view's docstring, or
  ``summary=``), body, replies, error statuses and security.

How to add an endpoint (e.g. in ``web/calls_api.py``)::

    from flask import Blueprint, jsonify
    from flask_login import current_user

    from .api import _act, _call_id
    from .auth import contact_center
    from .openapi import api_route
    from .schemas import Ok, TransferBody

    bp = Blueprint("calls_api", __name__, url_prefix="/api")


    @api_route(bp, "post", "/calls/<call_id>/transfer", body=TransferBody, ok=Ok,
               errors=(403, 404, 409), tags=("calls",))
    def transfer(call_id: str, body: TransferBody):
        \"\"\"Transfer the call, blind or consultative, to an agent, a number, a queue or an extension.\"\"\"
        cc = contact_center()
        _act(lambda: cc.transfer(_call_id(call_id), current_user.id, body.mode,
                                 body.to.kind, body.to.value))
        return jsonify(ok=True)

and register the blueprint in :func:`web.create_app` (``app.register_blueprint(calls_api.bp)``).
An endpoint without a body leaves ``body`` out and takes no ``body`` argument. ``errors``
lists the statuses the view itself may answer (raise :class:`ApiError`, or let ``_act``
map the controller's refusals); 401, and 400 on every method but GET (a bad body, or a
cookie session without its CSRF header), are added by themselves. Raise ``ApiError(409, "The customer is on hold: take them off hold first.")``
for a refusal that the controller does not raise itself.

:data:`API_SHAPE` is the contract of issue 3: an operation listed there and not yet
served by a view still appears in the document, marked ``x-switchdesk-planned``, so that
integrators see the whole API; a view declared with :func:`api_route` for the same method
and path replaces it (``tests/web/test_openapi.py`` checks that its body and reply models
match the planned ones).
"""
from __future__ import annotations

import copy
import functools
import logging
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable, Iterable

from flask import Blueprint, Flask, jsonify, request
from flask_login import login_required
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.page import PAGE_TEMPLATES

from . import schemas
from .auth import supervisor_required
from .schemas import Error, Ok

log = logging.getLogger(__name__)

OPENAPI_PATH = "/api/openapi.json"
DOCS_PATH = "/api/docs"

#: which credentials an operation accepts (OpenAPI: any one entry of the list)
SESSION_READ = [{"session": []}, {"bearer": []}]
SESSION_WRITE = [{"session": [], "csrf": []}, {"bearer": []}]

#: what each error status means, for the document
ERROR_MEANINGS = {
    400: "Bad input (the sentence names the field), or a cookie session's CSRF header is missing.",
    401: "Not signed in, or the bearer token is wrong or revoked.",
    403: "Not allowed: not your call, or not a supervisor.",
    404: "No such call.",
    409: "Not possible in the current state; the sentence says why.",
}


class ApiError(Exception):
    """An answer other than success: ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(raw: str, max_digits: int = 18) -> int | None:
    """``raw`` (an id in a URL, a query parameter) as an int when it is 1 to ``max_digits``
    ASCII digits, else None. Not ``str.isdigit()``: it takes "²", on which ``int()`` fails."""
    if not isinstance(raw, str) or len(raw) > max_digits or not _WHOLE_NUMBER.fullmatch(raw):
        return None
    return int(raw)


class _DocumentedResponse(Response):
    """Reply models for the document only: spectree does not check replies at run time
    (a field the controller adds must never turn a reply into a 500).

    :param can_be_refused: whether the operation can answer 400 (spectree adds its
        validation error to every operation; a GET has no body and no CSRF check)
    """

    def __init__(self, *, can_be_refused: bool, **code_models: Any):
        super().__init__(**code_models)
        self.can_be_refused = can_be_refused

    def add_model(self, code: int, model: Any, replace: bool = True, description: str | None = None) -> None:
        if code == 400 and not self.can_be_refused:
            return
        super().add_model(code, model, replace=replace, description=description)

    def find_model(self, code: int) -> None:
        return None


def _refuse_bad_body(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """spectree's hook after validating the body: a refusal becomes our 400, never
    pydantic's error list (which echoes the values sent) and never a log of the body."""
    if error is None:
        return
    message = describe_invalid_body(error)
    log.info("api: %s %s refused: %s", req.method, req.path, message)
    raise ApiError(400, message)


spec = SpecTree(
    "flask",
    title="switchdesk API",
    description="The contact center's REST API: agent state, call control, supervision. "
                "Errors are `{\"error\": \"<one sentence>\"}`; successful actions answer `{\"ok\": true}` "
                "and what changed arrives as a Socket.IO push. See docs/api.md.",
    version="0.1.0",
    mode="strict",            # only views declared with api_route
    annotations=False,        # the validated body is handed over as ``body`` by api_route
    validation_error_status=400,
    validation_error_model=Error,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    before=_refuse_bad_body,
    security_schemes=[
        SecurityScheme(name="session", data=SecuritySchemeData(
            type="apiKey", field_in="cookie", name="switchdesk_session",
            description="The desktop's session cookie, set by signing in at /login.")),
        SecurityScheme(name="csrf", data=SecuritySchemeData(
            type="apiKey", field_in="header", name="X-CSRFToken",
            description="With the session cookie, on every POST and PATCH: the token of the page's "
                        "`<meta name=\"csrf-token\">`.")),
        SecurityScheme(name="bearer", data=SecuritySchemeData(
            type="http", scheme="bearer",
            description="A token made with `switchdesk token create --user NAME --name LABEL`; "
                        "it acts as that user. No CSRF header needed.")),
    ],
    security=SESSION_READ,
)


def api_route(bp: Blueprint, method: str, rule: str, *, body: type[BaseModel] | None = None,
              ok: type[BaseModel] | None = Ok, errors: Iterable[int] = (), summary: str | None = None,
              tags: Iterable[str] = (), supervisor: bool = False) -> Callable[[Callable], Callable]:
    """Declare one JSON endpoint: route, authentication, body validation, documentation.

    :param bp: the blueprint (its ``url_prefix`` is part of the path, e.g. ``/api``)
    :param method: ``"get"``, ``"post"``, ``"patch"``, …
    :param rule: the Flask rule inside the blueprint, e.g. ``"/calls/<call_id>/hold"``
    :param body: the request body's model; the view gets the validated instance as ``body``
    :param ok: the model of the 200 reply (``None``: no documented body)
    :param errors: the error statuses the view may answer besides 401, and 400 (bad body or
        missing CSRF header) on every method but GET
    :param summary: the operation's summary; by default the first paragraph of the docstring
    :param tags: groups in the document (``"agent"``, ``"calls"``, ``"supervisor"``, …)
    :param supervisor: only supervisors and admins (403 for agents)
    """
    method = method.upper()
    # 400: a bad body, or a cookie session's missing CSRF header (any method but GET)
    statuses = {401, *errors} | ({400} if method != "GET" else set()) | ({403} if supervisor else set())
    replies = {f"HTTP_{status}": (Error, ERROR_MEANINGS.get(status, "Refused.")) for status in sorted(statuses)}

    def decorate(view: Callable) -> Callable:
        if not (summary or view.__doc__):
            raise TypeError(f"api_route: {view.__name__} needs a docstring or summary=")

        @functools.wraps(view)
        def with_body(*args: Any, **kwargs: Any) -> Any:
            if body is not None:
                validated = getattr(getattr(request, "context", None), "json", None)
                if validated is None:  # a form or other non-JSON body: spectree did not look at it
                    raise ApiError(400, NOT_AN_OBJECT)
                kwargs["body"] = validated
            return view(*args, **kwargs)

        if summary:
            with_body.__doc__ = summary if not view.__doc__ else f"{summary}\n\n{view.__doc__}"
        validated_view = spec.validate(
            json=body, resp=_DocumentedResponse(can_be_refused=method != "GET", HTTP_200=ok, **replies),
            tags=tuple(tags),
            security=SESSION_READ if method == "GET" else SESSION_WRITE, operation_id=view.__name__,
        )(with_body)
        guarded = supervisor_required(validated_view) if supervisor else login_required(validated_view)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=[method])
        return view

    return decorate


# ---------------------------------------------------------------- readable refusals

NOT_AN_OBJECT = "Send a JSON object (Content-Type: application/json)."


def describe_invalid_body(error: Exception) -> str:
    """One sentence for a refused body, naming the field and never repeating its value.

    :param error: pydantic's :class:`~pydantic.ValidationError` (anything else: a generic sentence)
    """
    if not isinstance(request.get_json(silent=True), dict):
        return NOT_AN_OBJECT
    if not isinstance(error, ValidationError) or not error.errors():
        return "The request body is not valid."
    first = error.errors(include_url=False)[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    name = ".".join(str(part) for part in first["loc"])
    field = f"'{name}'"
    value = first.get("input")
    if kind == "missing":
        return f"{field} is required."
    if kind == "extra_forbidden":
        return f"{field} is not a field of this request."
    if kind == "string_type":
        return f"{field} must be text."
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return f"{field} is required."
        return f"{field} is too short (at least {ctx.get('min_length')} characters)."
    if kind == "string_too_long":
        length = len(value.strip()) if isinstance(value, str) else "too many"
        return f"{field} is too long ({length} characters; at most {ctx.get('max_length')})."
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{field} must be one of: {', '.join(choices)}."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{field} must be a whole number."
    if kind == "bool_type":
        return f"{field} must be true or false."
    if kind == "greater_than_equal":
        return f"{field} must be at least {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"{field} must be at most {ctx.get('le')}."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{field} must be an object." if first["loc"] else NOT_AN_OBJECT
    if kind == "list_type":
        return f"{field} must be a list."
    if kind == "value_error":
        reason = str(ctx.get("error", "is not valid"))
        return f"{field} {reason}." if first["loc"] else f"{reason[0].upper()}{reason[1:]}."
    return f"{field} is not valid." if first["loc"] else "The request body is not valid."


# ---------------------------------------------------------------- the API of issue 3


@dataclass(frozen=True)
class Operation:
    """One operation of the API's contract (OpenAPI path syntax: ``{call_id}``)."""

    method: str
    path: str
    summary: str
    body: type[BaseModel] | None = None
    ok: type[BaseModel] | None = Ok
    errors: tuple[int, ...] = (403, 404, 409)
    tags: tuple[str, ...] = ("calls",)


def _call_action(action: str, summary: str, body: type[BaseModel] | None = None,
                 tags: tuple[str, ...] = ("calls",), ok: type[BaseModel] | None = None) -> Operation:
    return Operation("post", f"/api/calls/{{call_id}}/{action}", summary, body, tags=tags,
                     ok=ok or schemas.CallReply, errors=(403, 404, 409, 502))


#: the issue's "API shape we want", plus the endpoints the desktop already had
API_SHAPE: tuple[Operation, ...] = (
    Operation("get", "/api/me", "The signed-in person: live state and the desktop's menus.",
              ok=schemas.Me, errors=(), tags=("agent",)),
    Operation("post", "/api/agent/state", "Choose available, idle (with a reason) or logged out.",
              schemas.AgentStateBody, errors=(409,), tags=("agent",)),
    Operation("get", "/api/calls", "The calls the signed-in person is on.", ok=schemas.CallList, errors=()),
    Operation("post", "/api/calls", "Call out: the agent's phone rings first, then the destination.",
              schemas.NewCall, ok=schemas.CallReply, errors=(403, 409, 502)),
    Operation("get", "/api/calls/{call_id}", "One call, as the person asking sees it.", ok=schemas.CallReply,
              errors=(403, 404)),
    Operation("get", "/api/directory", "Agents (with their state) and queues a call can go to.",
              ok=schemas.Directory, errors=(), tags=("calls",)),
    _call_action("accept", "Accept the call being offered."),
    _call_action("hold", "Put the customer on hold (they hear music)."),
    _call_action("unhold", "Take the customer off hold."),
    _call_action("hangup", "Hang up the call."),
    _call_action("wrapup", "Finish wrap-up with one of the queue's reasons.", schemas.WrapUpBody, ok=Ok),
    _call_action("transfer", "Transfer the call, blind or consultative.", schemas.TransferBody),
    _call_action("consult", "Consult an agent, a number, a queue or an extension; the customer is held.",
                 schemas.ConsultBody),
    _call_action("consult/cancel", "End the consultation and return to the customer."),
    _call_action("consult/complete", "Complete the transfer: the customer is bridged to the consulted party."),
    _call_action("consult/conference", "Join customer, agent and consulted party in a three-way conference."),
    _call_action("consult/swap", "Talk to the other party; the one left is held."),
    _call_action("recording", "Start, stop, pause (optionally for N seconds) or resume the recording.",
                 schemas.RecordingBody, tags=("recording",)),
    _call_action("recording/tags", "Tag the recording at its current offset.", schemas.TagBody,
                 tags=("recording",), ok=schemas.TagReply),
    Operation("get", "/api/calls/{call_id}/data", "The call's data variables (secure ones masked).",
              ok=schemas.CallDataList, errors=(403, 404)),
    Operation("patch", "/api/calls/{call_id}/data", "Save call-data variables (the first save wins).",
              schemas.CallDataPatch, ok=schemas.CallDataReply, errors=(403, 404, 409)),
    Operation("post", "/api/calls/{call_id}/data/{name}/reveal", "Show one secure value in clear (audited).",
              ok=schemas.Revealed, errors=(403, 404)),
    Operation("get", "/api/supervisor", "Every agent, queue and live call (supervisors and admins).",
              ok=schemas.SupervisorSnapshot, errors=(403,), tags=("supervisor",)),
)


def _planned_operation(op: Operation) -> dict[str, Any]:
    """The document's entry for an operation no view serves yet."""
    statuses = sorted({401, *op.errors} | ({400} if op.method != "get" else set()))
    responses: dict[str, Any] = {"200": {"description": "OK"}}
    if op.ok is not None:
        responses["200"]["content"] = {"application/json": {"schema": {"$ref": _ref(op.ok)}}}
    for status in statuses:
        responses[str(status)] = {"description": ERROR_MEANINGS.get(status, "Refused."),
                                  "content": {"application/json": {"schema": {"$ref": _ref(Error)}}}}
    entry: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method}_{re.sub(r'[^A-Za-z0-9]+', '_', op.path.removeprefix('/api/')).strip('_')}",
        "description": "Planned (issue 3): not served by this version yet.",
        "tags": list(op.tags),
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in re.findall(r"{(\w+)}", op.path)],
        "responses": responses,
        "security": SESSION_READ if op.method == "get" else SESSION_WRITE,
        "x-switchdesk-planned": True,
    }
    if op.body is not None:
        entry["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": {"$ref": _ref(op.body)}}}}
    return entry


def _ref(model: type[BaseModel]) -> str:
    return f"#/components/schemas/{model.__name__}"


def _component_schemas() -> dict[str, Any]:
    """Every model of :mod:`web.schemas`, named by class, nested models lifted."""
    models = [(m, "validation") for m in schemas.REQUEST_BODIES] + [(m, "serialization") for m in schemas.RESPONSES]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return top.get("$defs", {})


def document() -> dict[str, Any]:
    """The OpenAPI document of the current app: its views, then the planned operations."""
    # spectree keeps one document per SpecTree, built from whichever app asked first; each
    # app builds its own (once: see init_app)
    vars(spec).pop("_spec", None)
    # building the document lifts nested models out of spectree's registered schemas (and
    # deletes them there): keep the originals so that the next app's document has them too
    models = copy.deepcopy(spec.models)
    try:
        doc = copy.deepcopy(spec.spec)
    finally:
        spec.models = models
    for op in API_SHAPE:
        doc["paths"].setdefault(op.path, {}).setdefault(op.method, _planned_operation(op))
    doc["paths"] = dict(sorted(doc["paths"].items()))
    doc["components"]["schemas"].update(_component_schemas())
    doc["tags"] = [{"name": "agent", "description": "The signed-in person's own state."},
                   {"name": "calls", "description": "Call control."},
                   {"name": "recording", "description": "Recording control and tags."},
                   {"name": "supervisor", "description": "Live view for supervisors and admins."}]
    try:
        doc["info"]["version"] = metadata.version("switchdesk")
    except metadata.PackageNotFoundError:
        pass
    return doc


def init_app(app: Flask) -> None:
    """Serve the document and its page, and answer :class:`ApiError` from any blueprint."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(error=str(exc)), exc.status

    def openapi_json():
        doc = app.extensions.get("switchdesk.openapi")
        if doc is None:  # built on first use, when every blueprint is registered
            doc = app.extensions["switchdesk.openapi"] = document()
        return jsonify(doc)

    def docs_page():
        # Swagger UI from spectree; the page loads its script from a CDN in the reader's browser
        return PAGE_TEMPLATES["swagger"].format(spec_url=OPENAPI_PATH, spec_path="api/docs",
                                                **spec.config.swagger_oauth2_config())

    app.add_url_rule(OPENAPI_PATH, endpoint="openapi_json", view_func=openapi_json)
    app.add_url_rule(DOCS_PATH, endpoint="openapi_docs", view_func=docs_page)
