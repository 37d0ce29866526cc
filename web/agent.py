"""The agent desktop page.

The page is rendered once; from then on it changes only when a Socket.IO push arrives
(see :mod:`web.realtime`), and every click goes through :mod:`web.api`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

bp = Blueprint("agent", __name__)

#: offered when the settings name none; an idle reason tells supervisors why someone is not taking calls
DEFAULT_IDLE_REASONS = ("Break", "Lunch", "Meeting", "Training", "Back office")


def idle_reasons() -> list[str]:
    settings = current_app.extensions["switchdesk.settings"]
    return list(getattr(settings, "idle_reasons", None) or DEFAULT_IDLE_REASONS)


def wrapup_reasons() -> dict[str, list[str]]:
    """Each queue's wrap-up reasons, by queue name; a campaign's queue offers the campaign's dispositions."""
    from controller.models import Campaign, Queue

    reasons = {q.name: list(q.wrapup_reasons or []) for q in Queue.select(Queue.name, Queue.wrapup_reasons)}
    for campaign in Campaign.select(Campaign.dispositions, Queue.name).join(Queue):
        if campaign.dispositions:
            reasons[campaign.queue.name] = list(campaign.dispositions)
    return reasons


def desktop_config() -> dict[str, Any]:
    """What the page needs besides live state: choices for its menus."""
    return {
        "agent_id": current_user.id,
        "idle_reasons": idle_reasons(),
        "wrapup_reasons": wrapup_reasons(),
    }


@bp.route("/")
@login_required
def desktop():
    return render_template("desktop.html", config=desktop_config())
