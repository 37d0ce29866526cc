"""Demo data: queues, agents and a supervisor a newcomer can log in as."""
from __future__ import annotations

import logging

from .models import Agent, AgentQueue, Queue

log = logging.getLogger(__name__)

#: (name, label, DID)
DEMO_QUEUES = [("sales", "Sales", "8005550100"), ("support", "Support", "8005550200")]
#: callbacks in the demo queues (docs/callbacks.md): press 1 while waiting, the max-wait menu
#: after 2 minutes, announcements every minute, a public form at /callback-form/<queue>
DEMO_QUEUE_CALLBACKS = {"callback_digit": "1", "call_delay": 3, "max_wait": 120, "failover": "ivr",
                        "announce_position": True, "announce_interval": 60, "web_callback_form": True,
                        "callback_window_start": "00:00", "callback_window_end": "24:00"}
#: (username, name, extension, role, password, queues)
DEMO_PEOPLE = [
    ("alice", "Alice Agent", "1000", "agent", "alice-demo", ["sales", "support"]),
    ("bob", "Bob Agent", "1001", "agent", "bob-demo", ["sales"]),
    ("carol", "Carol Agent", "1002", "agent", "carol-demo", ["support"]),
    ("sam", "Sam Supervisor", "1090", "supervisor", "sam-demo", []),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo queues and people if missing; return (username, password, role) to print."""
    queues = {}
    for name, label, _did in DEMO_QUEUES:
        queues[name], _ = Queue.get_or_create(name=name, defaults={"label": label, "ring_timeout": 15,
                                                                    "wrapup_seconds": 20, **DEMO_QUEUE_CALLBACKS})

    credentials = []
    for username, name, ext, role, password, member_of in DEMO_PEOPLE:
        agent = Agent.get_or_none(Agent.username == username)
        if agent is None:
            agent = Agent(username=username, name=name, extension=ext, role=role)
            agent.set_password(password)
            agent.save()
            log.info("demo user %s created", username)
        for queue in member_of:
            AgentQueue.get_or_create(agent=agent, queue=queues[queue])
        credentials.append((username, password, role))
    return credentials
