"""The OpenAPI document and body validation, over real HTTP."""
from __future__ import annotations

import re

import pytest

from .live import Http, serve

#: issue 3's "API shape we want" (and the desktop's older endpoints): method, path -> body model
API_SHAPE = {
    ("get", "/api/me"): None,
    ("post", "/api/agent/state"): "AgentStateBody",
    ("get", "/api/supervisor"): None,
    ("post", "/api/calls"): "NewCall",
    ("get", "/api/calls"): None,
    ("get", "/api/calls/{call_id}"): None,
    ("post", "/api/calls/{call_id}/accept"): None,
    ("post", "/api/calls/{call_id}/hold"): None,
    ("post", "/api/calls/{call_id}/unhold"): None,
    ("post", "/api/calls/{call_id}/hangup"): None,
    ("post", "/api/calls/{call_id}/wrapup"): "WrapUpBody",
    ("post", "/api/calls/{call_id}/transfer"): "TransferBody",
    ("post", "/api/calls/{call_id}/consult"): "ConsultBody",
    ("post", "/api/calls/{call_id}/consult/cancel"): None,
    ("post", "/api/calls/{call_id}/consult/complete"): None,
    ("post", "/api/calls/{call_id}/consult/conference"): None,
    ("post", "/api/calls/{call_id}/consult/swap"): None,
    ("post", "/api/calls/{call_id}/recording"): "RecordingBody",
    ("post", "/api/calls/{call_id}/recording/tags"): "TagBody",
    ("patch", "/api/calls/{call_id}/data"): "CallDataPatch",
}


@pytest.fixture
def http(app, people):
    with serve(app) as (base_url, _log):
        yield lambda: Http(base_url)


@pytest.fixture
def doc(http):
    response = http().get("/api/openapi.json")  # no credentials: the document is public
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def _schema_ref(content_holder: dict) -> str:
    return content_holder["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_the_document_is_valid_openapi_3(doc):
    from openapi_spec_validator import validate

    validate(doc)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "switchdesk API"


def test_it_lists_every_operation_with_its_body_replies_and_security(doc):
    operations = {(method, path): op for path, ops in doc["paths"].items() for method, op in ops.items()}
    assert set(API_SHAPE) <= set(operations), sorted(set(API_SHAPE) - set(operations))
    for key, body in API_SHAPE.items():
        op, (method, path) = operations[key], key
        if body is None:
            assert "requestBody" not in op, key
        else:
            assert op["requestBody"]["required"] is True
            assert _schema_ref(op["requestBody"]) == body, key
        assert "200" in op["responses"] and _schema_ref(op["responses"]["401"]) == "Error", key
        assert ("400" in op["responses"]) == (method != "get"), key
        if "{call_id}" in path:
            assert [(p["name"], p["in"], p["required"]) for p in op["parameters"]] == [("call_id", "path", True)]
        session = {"session": []} if method == "get" else {"session": [], "csrf": []}
        assert op["security"] == [session, {"bearer": []}], key
        assert op["summary"] and op["operationId"]
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))


def test_it_declares_both_ways_to_authenticate(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie", "name": "switchdesk_session"}
    assert schemes["csrf"] == {**schemes["csrf"], "type": "apiKey", "in": "header", "name": "X-CSRFToken"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}


def test_the_models_say_what_the_controller_checks(doc):
    schemas = doc["components"]["schemas"]
    target = schemas["CallTarget"]
    assert set(target["properties"]) == {"agent", "number", "queue", "extension"}
    assert (target["minProperties"], target["maxProperties"], target["additionalProperties"]) == (1, 1, False)
    assert schemas["TransferBody"]["properties"]["mode"]["enum"] == ["blind", "consult"]
    assert schemas["RecordingBody"]["properties"]["action"]["enum"] == ["start", "stop", "pause", "resume"]
    assert schemas["AgentStateBody"]["properties"]["state"]["enum"] == ["available", "idle", "logged_out"]
    for name in ("held", "consult", "recording", "legs"):
        assert name in schemas["Call"]["properties"] and name not in schemas["Call"]["required"]


def test_every_api_view_is_documented_and_matches_the_planned_contract(app, doc):
    """A view added without api_route would be missing from the document; one that
    serves a planned operation must take the body and reply the contract names."""
    from web.openapi import API_SHAPE as PLANNED

    planned = {(op.method, op.path): op for op in PLANNED}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("openapi_"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <string:call_id> -> {call_id}
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            assert "x-switchdesk-planned" not in op, (method, path)
            contract = planned.get((method.lower(), path))
            if contract is None:
                continue
            body = _schema_ref(op["requestBody"]) if "requestBody" in op else None
            assert body == (contract.body.__name__ if contract.body else None), (method, path)
            if contract.ok is not None:
                assert _schema_ref(op["responses"]["200"]) == contract.ok.__name__, (method, path)


def test_the_docs_page_points_at_the_document(http):
    response = http().get("/api/docs")
    assert response.status_code == 200 and "/api/openapi.json" in response.text


@pytest.mark.parametrize("body, message", [
    ({"state": "on_call"}, "'state' must be one of: available, idle, logged_out."),
    ({}, "'state' is required."),
    ({"state": "idle", "reason": 42}, "'reason' must be text."),
    ({"state": "idle", "reason": "  " + "x" * 65}, "'reason' is too long (65 characters; at most 64)."),
    ({"state": "idle", "reasn": "Lunch"}, "'reasn' is not a field of this request."),
    ([], "Send a JSON object (Content-Type: application/json)."),
    ("available", "Send a JSON object (Content-Type: application/json)."),
])
def test_a_bad_body_is_a_400_with_one_readable_sentence(http, body, message):
    alice = http().sign_in("alice")
    response = alice.post("/api/agent/state", json=body, headers={"X-CSRFToken": alice.csrf})
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert alice.get("/api/me").json()["agent"]["state"] == "logged_out"


def test_a_body_that_is_not_json_is_refused(http):
    alice = http().sign_in("alice")
    for kwargs in ({"data": "state=available"}, {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
                   {"data": {"state": "available"}}):
        kwargs.setdefault("headers", {})["X-CSRFToken"] = alice.csrf
        response = alice.post("/api/agent/state", **kwargs)
        assert response.status_code == 400, kwargs
        assert response.json() == {"error": "Send a JSON object (Content-Type: application/json)."}


def test_a_refusal_never_repeats_the_value_sent(http, caplog):
    alice = http().sign_in("alice")
    secret = "hunter2-" * 10
    response = alice.post("/api/agent/state", json={"state": "idle", "reason": secret},
                          headers={"X-CSRFToken": alice.csrf})
    assert response.status_code == 400
    assert "hunter2" not in response.text and "hunter2" not in caplog.text


def test_a_good_body_reaches_the_view_trimmed(http):
    alice = http().sign_in("alice")
    response = alice.post("/api/agent/state", json={"state": "idle", "reason": "  Lunch "},
                          headers={"X-CSRFToken": alice.csrf})
    assert response.json() == {"ok": True}
    assert alice.get("/api/me").json()["agent"]["reason"] == "Lunch"


@pytest.mark.parametrize("model, body, message", [
    ("TransferBody", {"mode": "blind", "to": {"agent": "bob", "number": "5550100"}},
     "'to' must name exactly one of: agent, number, queue, extension."),
    ("TransferBody", {"mode": "blind", "to": {}}, "'to' must name exactly one of: agent, number, queue, extension."),
    ("TransferBody", {"mode": "sideways", "to": {"queue": "sales"}}, "'mode' must be one of: blind, consult."),
    ("TransferBody", {"mode": "blind", "to": "bob"}, "'to' must be an object."),
    ("TransferBody", {"mode": "blind", "to": {"number": "1" * 33}}, "'to.number' is too long (33 characters; at most 32)."),
    ("TransferBody", {"mode": "blind", "to": {"phone": "1"}}, "'to.phone' is not a field of this request."),
    ("NewCall", {"to": {"extension": "  "}}, "'to.extension' is required."),
    ("RecordingBody", {"action": "pause", "seconds": 0}, "'seconds' must be at least 1."),
    ("RecordingBody", {"action": "pause", "seconds": 601}, "'seconds' must be at most 600."),
    ("RecordingBody", {"action": "pause", "seconds": "10"}, "'seconds' must be a whole number."),
    ("RecordingBody", {"action": "pause", "seconds": True}, "'seconds' must be a whole number."),
    ("RecordingBody", {"action": "start", "seconds": 10}, "'seconds' goes only with the action 'pause'."),
    ("TagBody", {"text": ""}, "'text' is required."),
    ("WrapUpBody", {"reason": "x" * 129}, "'reason' is too long (129 characters; at most 128)."),
    ("CallDataPatch", {"values": {"account": "s" * 257}, "versions": {"account": 1}},
     "'values.account' is too long (257 characters; at most 256)."),
    ("CallDataPatch", {"values": {"account": 7}, "versions": {}}, "'values.account' must be text."),
    ("CallDataPatch", {"values": {}, "versions": {"account": -1}}, "'versions.account' must be at least 0."),
    ("CallDataPatch", {"values": {}}, "'versions' is required."),
])
def test_every_body_model_refuses_with_a_sentence(app, model, body, message):
    from pydantic import ValidationError

    from web import schemas
    from web.openapi import describe_invalid_body

    with app.test_request_context(json=body), pytest.raises(ValidationError) as refused:
        getattr(schemas, model).model_validate(body)
    with app.test_request_context(json=body):
        assert describe_invalid_body(refused.value) == message


def test_a_call_target_says_what_it_names():
    from web.schemas import CallTarget, TransferBody

    target = TransferBody.model_validate({"mode": "consult", "to": {"number": " +1 555 0100 "}}).to
    assert (target.kind, target.value) == ("number", "+1 555 0100")
    assert CallTarget(agent="bob").kind == "agent"


def test_replies_match_their_models(app, people, live_center, simulator, pushes):
    """The reply models describe what the controller really sends, with a live call."""
    from web.schemas import CallList, Me, SupervisorSnapshot

    with serve(app) as (base_url, _log):
        alice, sam = Http(base_url).sign_in("alice"), Http(base_url).sign_in("sam")
        assert alice.post("/api/agent/state", json={"state": "available"},
                          headers={"X-CSRFToken": alice.csrf}).status_code == 200
        simulator.customer_call("8005550100", ani="5550100")
        pushes.wait_for(lambda room, event, p: event == "call" and p["state"] == "connected")
        calls = CallList.model_validate(alice.get("/api/calls").json()).calls
        assert [c.state for c in calls] == ["connected"]
        me = Me.model_validate(alice.get("/api/me").json())
        assert me.agent.state == "on_call" and me.agent.call_id == calls[0].id
        snapshot = SupervisorSnapshot.model_validate(sam.get("/api/supervisor").json())
        assert [q.name for q in snapshot.queues] == ["sales"] and snapshot.calls[0].id == calls[0].id
