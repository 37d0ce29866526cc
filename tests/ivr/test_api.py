"""The IVR editor's REST API (/api/admin/ivr) and page, for admins only."""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import sign_in

from .conftest import DIALPLAN, MENU, shipped_files


@pytest.fixture
def app(settings, people, contact_center, conf_dir, tmp_path):
    from controller.models import Agent, Queue
    from web import create_app

    Queue.create(name="support", label="Support")
    ada = Agent(username="ada", name="Ada Admin", extension="1091", role="admin")
    ada.set_password("ada-pass")
    ada.save()
    settings.fs_conf_dir = str(conf_dir)
    app, _socketio = create_app(contact_center, settings, secret_key_file=str(tmp_path / "secret_key"))
    return app


class Client:
    def __init__(self, app, username, password=None):
        self.http = app.test_client()
        assert sign_in(self.http, username, password).status_code == 302
        page = self.http.get("/").get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def get(self, path):
        return self.http.get(path)

    def post(self, path, json=None):
        return self.http.post(path, json=json, headers={"X-CSRFToken": self.csrf})


@pytest.fixture
def ada(app):
    return Client(app, "ada", "ada-pass")


def main_form(client):
    return client.get("/api/admin/ivr/versions/1").get_json()["forms"][MENU]["menu"]


def test_only_admins_get_in(app, ada):
    alice, sam = Client(app, "alice"), Client(app, "sam")
    assert alice.get("/api/admin/ivr").status_code == 403  # agents: refused before anything else
    refused = sam.get("/api/admin/ivr")
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "Only administrators can change IVR menus and the dialplan."}
    assert sam.post("/api/admin/ivr/versions/1/publish").status_code == 403
    assert sam.get("/admin/ivr").status_code == 403
    assert app.test_client().get("/api/admin/ivr").status_code == 401
    assert ada.get("/admin/ivr").status_code == 200
    assert 'href="/admin/ivr"' in ada.get("/supervisor/").get_data(as_text=True)  # the header's IVR link
    assert 'href="/admin/ivr"' not in sam.get("/supervisor/").get_data(as_text=True)


def test_the_overview_lists_versions_queues_and_prompts(ada, conf_dir):
    data = ada.get("/api/admin/ivr").get_json()
    assert (data["live"], data["latest"], data["conf_dir"]) == (1, 1, str(conf_dir))
    assert [(v["number"], v["author"], v["live"]) for v in data["versions"]] == [(1, "switchdesk", True)]
    assert data["queues"] == ["sales", "support"]
    assert {"file": "ivr/ivr-welcome.wav", "says": "Welcome."} in data["prompts"]
    assert data["actions"]["callback"] == "Callback request"


def test_a_version_comes_with_its_forms_and_problems(ada):
    data = ada.get("/api/admin/ivr/versions/1").get_json()
    assert data["files"] == shipped_files()
    assert data["forms"][MENU]["menu"]["entries"][0] == {"digits": "1", "action": "queue", "target": "sales"}
    assert data["problems"] == [] and data["version"]["live"] is True
    assert ada.get("/api/admin/ivr/versions/9").get_json() == {"error": "There is no version 9."}


def test_check_renders_the_forms_and_reports_problems(ada):
    form = main_form(ada)
    form["entries"][0]["target"] = "billing"
    reply = ada.post("/api/admin/ivr/check", {"files": {DIALPLAN: shipped_files()[DIALPLAN]}, "forms": [form]})
    data = reply.get_json()
    assert reply.status_code == 200
    assert "transfer queue_billing XML switchdesk" in data["files"][MENU]
    assert "queue_billing" in data["files"][DIALPLAN]  # the extension the choice needs
    # said once, where the admin made the choice (not again for the generated extension)
    assert [(p["rule"], p["message"], p["subject"]) for p in data["problems"]] == [
        ("unknown-queue", "The choice 1 of the menu 'main': the queue 'billing' does not exist in switchdesk "
                          "(queues: sales, support).", "billing")]


def test_a_bad_body_is_refused_with_a_sentence(ada):
    form = main_form(ada)
    form["entries"][0]["action"] = "dance"
    reply = ada.post("/api/admin/ivr/check", {"files": {}, "forms": [form]})
    assert reply.status_code == 400
    assert reply.get_json()["error"].startswith("'forms.0.entries.0.action' must be one of: queue, callback,")
    assert ada.post("/api/admin/ivr/check", {"files": {}, "forms": [{**form, "timeout": 0}]}).get_json() == {
        "error": "'forms.0.timeout' must be at least 1."}


def test_save_refuses_errors_then_saves_and_publishes(ada, conf_dir):
    form = main_form(ada)
    form["greet_long"] = "ivr/ivr-welcome.wav"
    form["entries"][0]["target"] = "billing"
    body = {"files": {DIALPLAN: shipped_files()[DIALPLAN]}, "forms": [form], "note": "welcome", "based_on": 1,
            "publish": True}
    refused = ada.post("/api/admin/ivr/versions", body)
    assert refused.status_code == 400
    assert refused.get_json()["error"].startswith("The version has 1 error: ivr_menus/main.xml: The choice 1")
    assert [p["rule"] for p in refused.get_json()["problems"]] == ["unknown-queue"]

    form["entries"][0]["target"] = "support"
    saved = ada.post("/api/admin/ivr/versions", body)
    # the contact center of these tests has no FreeSWITCH: the version is saved, not published
    assert saved.status_code == 502
    data = saved.get_json()
    assert (data["ok"], data["version"], data["published"]) == (False, 2, False)
    assert data["error"].startswith("Version 2 was not published. FreeSWITCH cannot be reached (")
    assert (conf_dir / MENU).read_text() == shipped_files()[MENU]  # the previous files stayed

    body["publish"] = False
    body["note"] = "welcome, kept"
    kept = ada.post("/api/admin/ivr/versions", body).get_json()
    assert kept == {"ok": True, "version": 3, "published": False, "message": "Version 3 is saved.", "problems": []}
    unchanged = ada.post("/api/admin/ivr/versions", {**body, "based_on": 3})
    assert unchanged.status_code == 409
    assert unchanged.get_json()["error"] == "Nothing changed since version 3: publish that version instead."
    overview = ada.get("/api/admin/ivr").get_json()
    assert [(v["number"], v["note"], v["live"]) for v in overview["versions"]] == [
        (3, "welcome, kept", False), (2, "welcome", False), (1, "imported from FreeSWITCH's configuration folder", True)]
    assert overview["publications"][0]["ok"] is False


def test_diff_and_dry_run(ada):
    form = main_form(ada)
    form["entries"][1]["target"] = "sales"
    ada.post("/api/admin/ivr/versions", {"files": {DIALPLAN: shipped_files()[DIALPLAN]}, "forms": [form]})
    diff = ada.get("/api/admin/ivr/diff?older=1&newer=2").get_json()
    assert "-    <entry action=\"menu-exec-app\" digits=\"2\" param=\"transfer queue_support XML switchdesk\"/>" \
        in diff["diff"]
    assert ada.get("/api/admin/ivr/diff?older=1").get_json() == {"error": "Name two versions: ?older=1&newer=2."}
    assert ada.get("/api/admin/ivr/diff?older=1&newer=7").status_code == 404

    by_version = ada.post("/api/admin/ivr/dry-run", {"did": "8005550300", "keys": "2", "version": 2}).get_json()
    assert by_version["outcome"]["queue"] == "sales"
    latest = ada.post("/api/admin/ivr/dry-run", {"did": "8005550300", "keys": "2"}).get_json()
    assert latest["outcome"]["queue"] == "sales"  # the newest version by default
    form["entries"][1]["target"] = "support"
    draft = ada.post("/api/admin/ivr/dry-run", {"did": "8005550300", "keys": "2", "forms": [form],
                                                "files": {DIALPLAN: shipped_files()[DIALPLAN]}}).get_json()
    assert draft["outcome"]["queue"] == "support"
    assert draft["steps"][0]["where"] == "dialplan/public.xml:38"


def test_every_endpoint_is_in_the_openapi_document(ada):
    doc = ada.get("/api/openapi.json").get_json()
    for method, path in (("get", "/api/admin/ivr"), ("get", "/api/admin/ivr/versions/{number}"),
                         ("post", "/api/admin/ivr/check"), ("post", "/api/admin/ivr/versions"),
                         ("post", "/api/admin/ivr/versions/{number}/publish"), ("get", "/api/admin/ivr/diff"),
                         ("post", "/api/admin/ivr/dry-run")):
        operation = doc["paths"][path][method]
        assert operation["tags"] == ["admin"] and "403" in operation["responses"], (method, path)
    assert doc["components"]["schemas"]["MenuEntryForm"]["properties"]["action"]["enum"][:3] == [
        "queue", "callback", "voicemail"]
    from openapi_spec_validator import validate

    validate(doc)
