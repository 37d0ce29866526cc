"""Demo data: queues, agents, a supervisor and an admin a newcomer can log in as, and IVR version 1."""
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
#: call data per queue (``Queue.variables_spec``, see controller/calldata.py)
DEMO_VARIABLES = {
    "sales": [
        {"name": "customer_name", "label": "Customer name", "order": 10, "channel_variable": "cc_customer_name"},
        {"name": "account_number", "label": "Account number", "order": 20, "secure": True,
         "channel_variable": "cc_account_number"},
        {"name": "order_id", "label": "Order id", "order": 30, "editable": True, "channel_variable": "cc_order_id"},
        {"name": "notes", "label": "Notes", "order": 40, "editable": True},
    ],
    "support": [
        {"name": "customer_name", "label": "Customer name", "order": 10, "channel_variable": "cc_customer_name"},
        {"name": "account_number", "label": "Account number", "order": 20, "secure": True, "editable": True,
         "channel_variable": "cc_account_number"},
        {"name": "ticket", "label": "Ticket", "order": 30, "editable": True, "channel_variable": "cc_ticket"},
        {"name": "product", "label": "Product", "order": 40, "channel_variable": "cc_product"},
        {"name": "notes", "label": "Notes", "order": 50, "editable": True},
    ],
}
#: the channel variables the simulator's dialplan sets on a demo customer's call, per queue
DEMO_CHANNEL_VARIABLES = {
    "sales": {"cc_customer_name": "Ada Lovelace", "cc_account_number": "4000123412341234",
              "cc_order_id": "SO-10042"},
    "support": {"cc_customer_name": "Grace Hopper", "cc_account_number": "5100987698769876",
                "cc_ticket": "T-2291", "cc_product": "Model 7 router"},
}
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
        queue, _ = Queue.get_or_create(name=name, defaults={"label": label, "ring_timeout": 15,
                                                           "wrapup_seconds": 20, **DEMO_QUEUE_CALLBACKS})
        if not queue.variables_spec and DEMO_VARIABLES.get(name):
            # a spec someone changed is theirs: only an empty one gets the demo variables
            queue.variables_spec = DEMO_VARIABLES[name]
            queue.save()
        queues[name] = queue
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
