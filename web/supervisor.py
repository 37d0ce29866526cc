"""The supervisor page: live agents and their states, queues with waiting contacts."""
from __future__ import annotations

from flask import Blueprint, render_template

from .auth import supervisor_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.route("/")
@supervisor_required
def page():
    return render_template("supervisor.html")
