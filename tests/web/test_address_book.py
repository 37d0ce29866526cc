"""The shared address book over HTTP: agents read it, supervisors keep it, bad input changes nothing."""
from __future__ import annotations

import pytest


def entries(client) -> list[dict]:
    response = client.get("/api/address-book")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["entries"]


def test_supervisors_keep_the_book_and_agents_read_it(signed_in, people):
    sam, alice = signed_in("sam"), signed_in("alice")
    made = sam.post("/api/address-book", json={"name": " Billing hotline ", "number": "(212) 555-0100",
                                               "note": "Mon-Fri 9-17", "team": "Finance"})
    assert made.status_code == 201, made.get_json()
    entry = made.get_json()["entry"]
    # the number as the controller dials it: E.164, the name trimmed
    assert (entry["name"], entry["number"], entry["note"], entry["team"], entry["updated_by"]) == \
        ("Billing hotline", "+12125550100", "Mon-Fri 9-17", "Finance", "sam")
    assert sam.post("/api/address-book", json={"name": "Ambulance desk", "number": "+44 20 7946 0958:12#"}
                    ).status_code == 201

    assert [(e["name"], e["number"]) for e in entries(alice)] == [
        ("Ambulance desk", "+442079460958:12#"), ("Billing hotline", "+12125550100")]

    changed = sam.patch(f"/api/address-book/{entry['id']}", json={"number": "212.555.0199", "note": ""})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["entry"]["number"], changed.get_json()["entry"]["note"]) == ("+12125550199", "")
    assert changed.get_json()["entry"]["team"] == "Finance"  # not sent: kept

    assert sam.delete(f"/api/address-book/{entry['id']}").status_code == 200
    assert [e["name"] for e in entries(alice)] == ["Ambulance desk"]
    assert sam.delete(f"/api/address-book/{entry['id']}").status_code == 404


def test_agents_cannot_change_the_book(signed_in, people):
    sam, alice = signed_in("sam"), signed_in("alice")
    entry = sam.post("/api/address-book", json={"name": "IT", "number": "2125550100"}).get_json()["entry"]
    for response in (alice.post("/api/address-book", json={"name": "Mine", "number": "2125550111"}),
                     alice.patch(f"/api/address-book/{entry['id']}", json={"number": "2125550111"}),
                     alice.delete(f"/api/address-book/{entry['id']}")):
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]
    assert [(e["name"], e["number"]) for e in entries(alice)] == [("IT", "+12125550100")]


@pytest.mark.parametrize("body, status, message", [
    ({"name": "Sales", "number": "1-800-FLOWERS"}, 400, "Letters are not allowed in a number (found 'F')"),
    ({"name": "Sales", "number": "12"}, 400, "12 is too short"),
    ({"name": "Sales", "number": "1" * 19}, 400, "That number has 19 digits; a number has at most 18."),
    ({"name": "Sales", "number": "2125550100;bridge"}, 400, "';' is not allowed in a number"),
    ({"name": "x" * 65, "number": "2125550100"}, 400, "'name' is too long (65 characters; at most 64)."),
    ({"name": "   ", "number": "2125550100"}, 400, "'name' is required."),
    ({"name": "Sales"}, 400, "'number' is required."),
    ({"name": "Sales", "number": "2125550100", "pin": "1"}, 400, "'pin' is not a field of this request."),
    ({"name": "billing", "number": "2125550100"}, 409, "The address book has an entry called 'billing' already"),
])
def test_bad_input_is_refused_with_a_sentence_and_changes_nothing(signed_in, people, body, status, message):
    sam = signed_in("sam")
    assert sam.post("/api/address-book", json={"name": "Billing", "number": "2125550100"}).status_code == 201
    before = entries(sam)
    response = sam.post("/api/address-book", json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"].startswith(message), response.get_json()
    assert entries(sam) == before


def test_a_rename_onto_another_name_is_a_conflict(signed_in, people):
    sam = signed_in("sam")
    first = sam.post("/api/address-book", json={"name": "Billing", "number": "2125550100"}).get_json()["entry"]
    sam.post("/api/address-book", json={"name": "Claims", "number": "2125550101"})
    response = sam.patch(f"/api/address-book/{first['id']}", json={"name": "CLAIMS"})
    assert response.status_code == 409
    assert response.get_json()["error"] == ("The address book has an entry called 'CLAIMS' already: "
                                            "choose another name.")
    assert sam.patch(f"/api/address-book/{first['id']}", json={"name": "billing"}).status_code == 200  # its own
    assert sam.patch(f"/api/address-book/{first['id']}", json={"number": None}).status_code == 400
    assert sam.patch("/api/address-book/999", json={"note": "x"}).status_code == 404


def test_the_openapi_document_lists_the_address_book(app, people):
    doc = app.test_client().get("/api/openapi.json").get_json()
    ops = doc["paths"]["/api/address-book"]
    assert set(ops) == {"get", "post"}
    assert ops["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AddressBookBody")
    assert "403" in ops["post"]["responses"] and "409" in ops["post"]["responses"]
    assert set(doc["paths"]["/api/address-book/{entry_id}"]) == {"patch", "delete"}
    assert "AddressBookEntry" in doc["components"]["schemas"]
