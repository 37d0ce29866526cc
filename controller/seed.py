"""Demo data: queues, agents, a supervisor and an admin a newcomer can log in as, and IVR version 1."""
from __future__ import annotations

import logging

from .models import Agent, AgentQueue, Queue

log = logging.getLogger(__name__)

#: (name, label, DID)
DEMO_QUEUES = [("sales", "Sales", "8005550100"), ("support", "Support", "8005550200")]
#: (username, name, extension, role, password, queues)
DEMO_PEOPLE = [
    ("alice", "Alice Agent", "1000", "agent", "alice-demo", ["sales", "support"]),
    ("bob", "Bob Agent", "1001", "agent", "bob-demo", ["sales"]),
    ("carol", "Carol Agent", "1002", "agent", "carol-demo", ["support"]),
    ("sam", "Sam Supervisor", "1090", "supervisor", "sam-demo", []),
    ("ada", "Ada Admin", "1091", "admin", "ada-demo", []),
]


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo queues and people if missing; return (username, password, role) to print."""
    queues = {}
    for name, label, _did in DEMO_QUEUES:
        queues[name], _ = Queue.get_or_create(name=name, defaults={"label": label, "ring_timeout": 15,
                                                                    "wrapup_seconds": 20})
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


def seed_ivr(conf_dir: str) -> int:
    """IVR version 1 (the ``main`` menu and the switchdesk dialplan) if there is none yet:
    the files in ``conf_dir``, which the demo fills from freeswitch/conf. Returns its number."""
    from .ivr.service import IvrAdmin

    def no_reload() -> str:  # seeding writes nothing, so it never reloads
        raise RuntimeError("seeding does not publish")

    return IvrAdmin(conf_dir, no_reload).first_version().number
