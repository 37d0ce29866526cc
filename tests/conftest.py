"""Shared fixtures: the real stack on free ports, one per test, in a temporary directory.

- ``settings``: :class:`controller.config.Settings` on a SQLite database in ``tmp_path``
- ``database``: that database opened, tables created
- ``people``: a queue ``sales`` and three people (two agents, one supervisor)
- ``contact_center``: a real :class:`controller.service.ContactCenter`, not connected to any switch
- ``simulator``: a started :class:`fssim.Simulator` on a free port (agent phones of ``people``)
- ``live_center``: the contact center connected to that simulator
- ``pushes``: every push the contact center makes, with :meth:`PushLog.wait_for`

Nothing here is a fake: tests that need the switch get the simulator, and everything
the controller does goes through its real code.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import gevent
import gevent.event
import pytest

#: passwords of the people the ``people`` fixture creates
PASSWORDS = {"alice": "alice-pass", "bob": "bob-pass", "sam": "sam-pass"}


@pytest.fixture
def settings(tmp_path):
    from controller.config import Settings

    return Settings(
        database_url=f"sqlite:///{tmp_path / 'switchdesk.db'}",
        secret_key="test-secret-key",
        recordings_dir=str(tmp_path / "recordings"),
        wrapup_seconds=30.0,
        command_timeout=5.0,
    )


@pytest.fixture
def database(settings):
    from controller.db import create_tables, database as proxy, open_database

    db = open_database(settings.database_url)
    create_tables()
    yield db
    if not proxy.is_closed():
        proxy.close()
    # every pooled connection, including those of greenlets that are gone
    db.close_all()


@dataclass
class People:
    alice: object
    bob: object
    sam: object
    queue: object


@pytest.fixture
def people(database) -> People:
    from controller.models import Agent, AgentQueue, Queue

    queue = Queue.create(name="sales", label="Sales", ring_timeout=10, wrapup_seconds=30,
                         wrapup_reasons=["Resolved", "Follow-up needed", "Wrong number"])
    made = {}
    for username, name, ext, role in (("alice", "Alice Agent", "1000", "agent"),
                                      ("bob", "Bob Agent", "1001", "agent"),
                                      ("sam", "Sam Supervisor", "1090", "supervisor")):
        agent = Agent(username=username, name=name, extension=ext, role=role)
        agent.set_password(PASSWORDS[username])
        agent.save()
        if role == "agent":
            AgentQueue.create(agent=agent, queue=queue)
        made[username] = agent
    return People(queue=queue, **made)


@pytest.fixture
def contact_center(settings, database):
    """The real contact center, not connected: agent actions and pushes work, calls do not."""
    from controller.service import ContactCenter

    cc = ContactCenter(settings)
    yield cc
    cc.stop()


@pytest.fixture
def simulator(tmp_path):
    from fssim import Simulator

    sim = Simulator(host="127.0.0.1", port=0, password="ClueCon",
                    recordings_dir=str(tmp_path / "recordings"), http_port=None)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def live_center(settings, people, simulator):
    """The contact center connected to the simulator, with a phone for each agent and a DID for ``sales``."""
    from controller.config import EslAddress
    from controller.service import ContactCenter

    for agent in (people.alice, people.bob):
        simulator.add_phone(agent.extension, answer_after=0.3)
    simulator.add_did("8005550100", queue="sales")
    settings.esl = EslAddress("127.0.0.1", simulator.port, "ClueCon")
    cc = ContactCenter(settings)
    cc.start()
    assert cc.esl.wait_connected(10), f"controller did not connect to the simulator: {cc.esl.last_error}"
    yield cc
    cc.stop()


class PushLog:
    """Every ``(room, event, payload)`` the contact center pushes, in order."""

    def __init__(self):
        self.pushes: list[tuple[str, str, dict]] = []
        self._changed = gevent.event.Event()

    def __call__(self, room: str, event: str, payload: dict) -> None:
        self.pushes.append((room, event, payload))
        self._changed.set()

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until a push matches ``predicate(room, event, payload)``; return it."""
        seen = 0
        with gevent.Timeout(timeout, AssertionError(f"no matching push within {timeout}s; got {self.pushes!r}")):
            while True:
                for push in self.pushes[seen:]:
                    if predicate(*push):
                        return push
                seen = len(self.pushes)
                self._changed.clear()
                self._changed.wait()


@pytest.fixture
def pushes(request) -> PushLog:
    """Subscribes to whichever contact center the test uses (``live_center`` if it asked for it)."""
    name = "live_center" if "live_center" in request.fixturenames else "contact_center"
    log = PushLog()
    request.getfixturevalue(name).subscribe(log)
    return log


def chromium_path() -> str | None:
    """Debian's Chromium, which the browser tests drive (``make test`` installs it)."""
    for path in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if path and os.access(path, os.X_OK):
            return path
    return None
