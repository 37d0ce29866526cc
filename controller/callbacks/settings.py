"""Callback settings, read once from the environment (documented in docs/callbacks.md)."""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from .prompts import Prompts


def _instance_name() -> str:
    # unique per process start: a restarted controller is a new holder of claims
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class CallbackSettings:
    #: seconds between two passes of the scheduler job
    interval: float = 1.0
    #: seconds a process holds a claimed callback without renewing it before another may take it over
    lease: float = 30.0
    #: seconds a customer's phone rings on a callback before the attempt counts as no answer
    customer_ring_timeout: float = 30.0
    #: longest voice message a caller may leave, in seconds
    message_max_seconds: int = 120
    #: due callbacks looked at per pass (the rest wait for the next pass)
    batch: int = 200
    #: how long an unanswered popover stays before the agent goes to RONA (0: the queue's ring timeout)
    offer_timeout: float = 0.0
    #: seconds after a caller is queued before the first position announcement
    announce_first_after: float = 5.0
    instance: str = field(default_factory=_instance_name)
    prompts: Prompts = field(default_factory=Prompts)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "CallbackSettings":
        env = os.environ if env is None else env
        return cls(
            interval=float(env.get("SWITCHDESK_CALLBACK_INTERVAL", cls.interval)),
            lease=float(env.get("SWITCHDESK_CALLBACK_LEASE", cls.lease)),
            customer_ring_timeout=float(env.get("SWITCHDESK_CALLBACK_RING_TIMEOUT", cls.customer_ring_timeout)),
            message_max_seconds=int(env.get("SWITCHDESK_MESSAGE_MAX_SECONDS", cls.message_max_seconds)),
            batch=int(env.get("SWITCHDESK_CALLBACK_BATCH", cls.batch)),
            offer_timeout=float(env.get("SWITCHDESK_CALLBACK_OFFER_TIMEOUT", cls.offer_timeout)),
            announce_first_after=float(env.get("SWITCHDESK_ANNOUNCE_FIRST_AFTER", cls.announce_first_after)),
            instance=env.get("SWITCHDESK_INSTANCE") or _instance_name(),
            prompts=Prompts.from_env(env),
        )
