"""Call data (CAD) on live calls: captured when a call is queued, shown (masked) to every
desktop on the call, saved with first-save-wins (see :mod:`controller.calldata`)."""
from __future__ import annotations

import logging
from typing import Callable

from .. import calldata
from ..models import Agent, Interaction, Queue
from .errors import NotYourCall, UnknownCall
from .interaction import CallMachine

log = logging.getLogger(__name__)


class CallData:
    """Mixed into :class:`controller.service.ContactCenter`."""

    def _capture_call_data(self, call: CallMachine, queue: Queue, lookup: Callable[[str], str | None]) -> None:
        try:
            calldata.capture(call.record, queue, lookup)
            call.data = calldata.view(call.record)
        except Exception:  # noqa: BLE001 - a CRM variable must never stop a call being queued
            log.exception("%s: call data could not be captured", call.what)

    def _data_record(self, call_id: str, agent_id: int | None) -> tuple[Interaction, CallMachine | None]:
        """The interaction whose data this person may see: a live call they are on, the call
        they are wrapping up, or any call for a supervisor (``agent_id`` None)."""
        call = self.by_id.get(call_id)
        if call is not None and (agent_id is None or agent_id in call.agent_ids()):
            return call.record, call
        record = Interaction.get_or_none(Interaction.id == call_id)
        if record is None:
            raise UnknownCall(f"no call {call_id}")
        if agent_id is not None:
            agent = self.agent(agent_id)
            if agent.agent.wrapup_call_id != call_id:
                raise NotYourCall("You are not part of this call.")
        return record, call

    def call_data(self, call_id: str, agent_id: int | None) -> list[dict]:
        record, _call = self._data_record(call_id, agent_id)
        return calldata.view(record)

    def reveal_call_data(self, call_id: str, agent_id: int | None, name: str, by: int) -> str:
        record, _call = self._data_record(call_id, agent_id)
        return calldata.reveal(record, name, by)

    def save_call_data(self, call_id: str, agent_id: int | None, by: int, values: dict[str, str],
                       versions: dict[str, int]) -> list[dict]:
        record, call = self._data_record(call_id, agent_id)
        view = calldata.save(record, Agent.get_by_id(by), values, versions)
        if call is not None and call.state != "ended":
            call.data = view
            self.dispatcher.submit(call.key, lambda: self._push_call(call))
        return view
