"""The HTTP JSON control API (for the demo and browser tests), a tiny Flask app on gevent.pywsgi.

Routes: POST /phones, POST /numbers, POST /calls, POST /channels/<uuid>/hangup,
POST /channels/<uuid>/dtmf, POST /channels/<uuid>/answer, GET /channels, GET /recordings.
"""
import logging

from flask import Flask, jsonify, request
from gevent.pywsgi import WSGIServer

log = logging.getLogger(__name__)


def channel_view(channel):
    return {
        "uuid": channel.uuid, "direction": channel.direction, "state": channel.state,
        "call_state": channel.call_state, "answered": channel.answered, "partner": channel.partner,
        "hears": channel.hears(), "hold": channel.held, "recording": channel.recording_paths(),
        "destination": channel.destination, "caller_id_number": channel.caller_id_number,
        "application": channel.application,
    }


def create_app(sim):
    """Flask app bound to ``sim``."""
    app = Flask("fssim")

    def body():
        return request.get_json(silent=True) or {}

    @app.post("/phones")
    def add_phone():
        data = body()
        extension = str(data.pop("extension"))
        sim.add_phone(extension, **data)
        return jsonify({"extension": extension, **sim.parties.phones[extension].as_dict()}), 201

    @app.post("/numbers")
    def set_number():
        data = body()
        number = str(data.pop("number"))
        sim.set_number(number, **data)
        return jsonify({"number": number, **sim.parties.numbers[number].as_dict()}), 201

    @app.post("/calls")
    def customer_call():
        data = body()
        dtmf = [tuple(item) for item in data.get("dtmf") or []]
        uuid = sim.customer_call(str(data["did"]), ani=str(data.get("ani", "5550100")),
                                 hangup_after=data.get("hangup_after"), dtmf=dtmf,
                                 caller_name=data.get("caller_name"))
        return jsonify({"uuid": uuid}), 201

    @app.post("/channels/<uuid>/hangup")
    def hangup(uuid):
        ok = sim.hangup(uuid, body().get("cause", "NORMAL_CLEARING"))
        return (jsonify({"ok": True}), 200) if ok else (jsonify({"error": "no such channel"}), 404)

    @app.post("/channels/<uuid>/answer")
    def answer(uuid):
        if uuid not in sim.channels:
            return jsonify({"error": "no such channel"}), 404
        sim.answer(uuid)
        return jsonify({"ok": True})

    @app.post("/channels/<uuid>/dtmf")
    def send_dtmf(uuid):
        if uuid not in sim.channels:
            return jsonify({"error": "no such channel"}), 404
        sim.send_dtmf(uuid, str(body().get("digits", "")))
        return jsonify({"ok": True})

    @app.get("/channels")
    def channels():
        return jsonify([channel_view(c) for c in sim.channels.values()])

    @app.get("/recordings")
    def recordings():
        return jsonify(sim.recordings())

    return app


class ControlHttp:
    """Serves :func:`create_app` with gevent.pywsgi (non-blocking start)."""

    def __init__(self, sim, host="127.0.0.1", port=0):
        self.server = WSGIServer((host, port), create_app(sim), log=None)

    def start(self):
        self.server.start()

    @property
    def port(self):
        return self.server.server_port

    def stop(self):
        self.server.stop(timeout=0)
