"""Table-driven state machines: transitions declared as data, every transition logged.

An action that is not valid in the current state raises :class:`InvalidAction` with a
sentence a person can read; the API turns it into a 409. Nothing is a silent no-op.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

log = logging.getLogger(__name__)


class InvalidAction(Exception):
    """The action is not possible in the current state."""

    def __init__(self, message: str, *, state: str = "", trigger: str = ""):
        super().__init__(message)
        self.state = state
        self.trigger = trigger


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str


def table(rows: Iterable[tuple[str, str | tuple[str, ...], str]]) -> dict[tuple[str, str], str]:
    """Build ``{(trigger, source): dest}`` from ``(trigger, source or sources, dest)`` rows."""
    out: dict[tuple[str, str], str] = {}
    for trigger, sources, dest in rows:
        for source in (sources,) if isinstance(sources, str) else sources:
            if (trigger, source) in out:
                raise ValueError(f"duplicate transition {trigger} from {source}")
            out[(trigger, source)] = dest
    return out


class Machine:
    """A state holder driven by a transition table.

    :param what: how the thing is named in messages and logs (e.g. ``call 1234``)
    """

    TRANSITIONS: dict[tuple[str, str], str] = {}
    #: readable names of states, for messages
    LABELS: dict[str, str] = {}

    def __init__(self, state: str, what: str):
        self.state = state
        self.what = what

    @property
    def state_label(self) -> str:
        """The current state as a sentence says it ("on a call", "waiting in queue")."""
        return self.LABELS.get(self.state, self.state.replace("_", " "))

    def can(self, trigger: str) -> bool:
        return (trigger, self.state) in self.TRANSITIONS

    def allowed(self) -> list[str]:
        return sorted({t for (t, s) in self.TRANSITIONS if s == self.state})

    def fire(self, trigger: str) -> str:
        dest = self.TRANSITIONS.get((trigger, self.state))
        if dest is None:
            raise InvalidAction(f"cannot {trigger.replace('_', ' ')}: {self.what} is {self.state_label}",
                                state=self.state, trigger=trigger)
        source, self.state = self.state, dest
        log.info("%s: %s -> %s -> %s", self.what, source, trigger, dest)
        self.on_transition(source, trigger, dest)
        return dest

    def on_transition(self, source: str, trigger: str, dest: str) -> None:
        """Hook for subclasses (persist, notify)."""
