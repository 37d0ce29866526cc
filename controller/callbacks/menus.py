"""What a waiting caller can do with their keypad: ask for a callback, or pick from the max-wait menu.

- **In-queue callback**: the caller presses the queue's ``callback_digit`` while waiting.
  A confirmation menu plays over the hold music (1 confirm, 2 keep waiting); a caller
  whose number cannot be called back keys one in first. On confirmation an ``in_queue``
  callback is written with the call's priority, original enqueue time and contact id (it
  keeps the caller's place), a thank-you plays and the call is hung up.
- **Max-wait menu** (``failover = ivr``): 1 keep waiting (at the old place), 2 request a
  callback (``ivr``; the queue's agents are notified), 3 leave a message (recorded; a
  Missed-calls entry with the audio). No choice: keep waiting.
- **Callback request from the IVR** (``freeswitch/conf/dialplan/switchdesk.xml``,
  ``callback_request``): a parked channel with ``cc_callback=ivr`` becomes an ``ivr``
  callback for ``cc_callback_number``, hears the thank-you and is hung up.

Each menu is a ``play_and_get_digits`` broadcast on the caller's leg; its result comes
back in the application's CHANNEL_EXECUTE_COMPLETE (``variable_<var>``,
``variable_read_result``; trace 10). While a menu runs the caller is not offered to agents.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ..esl import EslError
from ..events import Event
from ..models import utcnow
from ..queues import PRIORITY_VARIABLE, channel_priority
from . import store
from .numbers import InvalidNumber, callback_number, zone_of
from .prompts import get_digits, playback, record

log = logging.getLogger(__name__)

CONFIRM_VAR = "cc_cb_confirm"
NUMBER_VAR = "cc_cb_number"
CHOICE_VAR = "cc_cb_choice"


@dataclass
class Menu:
    """A waiting caller in a menu: which step, and what they chose so far."""

    step: str  # confirm, enter_number, max_wait, message_prompt, recording, goodbye
    kind: str = "in_queue"
    number: str | None = None
    message_path: str | None = None
    saved: bool = False


class QueueMenus:
    """Mixed into :class:`controller.service.ContactCenter` (via :class:`~.service.CallbackControl`)."""

    # -- starting a menu ----------------------------------------------------------------------
    def start_callback_confirm(self, call) -> None:
        number = self._number_or_none(call.record.ani)
        menu = self._menus[call.id] = Menu("confirm" if number else "enter_number", number=number)
        prompts = self.callback_settings.prompts
        if number:
            self._play(call, get_digits(call.record.customer_uuid, prompt=prompts["callback_confirm"],
                                        invalid=prompts["invalid"], var=CONFIRM_VAR, regex="[12]"))
        else:
            self._ask_number(call)
        log.info("%s: the caller pressed the callback key (%s)", call.what, menu.step)

    def start_max_wait_menu(self, call) -> None:
        self._menus[call.id] = Menu("max_wait", kind="ivr")
        prompts = self.callback_settings.prompts
        self._play(call, get_digits(call.record.customer_uuid, prompt=prompts["max_wait_menu"],
                                    invalid=prompts["invalid"], var=CHOICE_VAR, regex="[123]"))

    def start_message(self, call) -> None:
        menu = self._menus.get(call.id) or Menu("message_prompt", kind="ivr")
        menu.step = "message_prompt"
        self._menus[call.id] = menu
        prompts = self.callback_settings.prompts
        self._play(call, playback(call.record.customer_uuid, prompts["leave_message"], prompts["beep"]))

    def _ask_number(self, call) -> None:
        prompts = self.callback_settings.prompts
        self._play(call, get_digits(call.record.customer_uuid, prompt=prompts["callback_enter_number"],
                                    invalid=prompts["invalid"], var=NUMBER_VAR, regex="\\d+", min_digits=7,
                                    max_digits=15, timeout_ms=10000, digit_timeout_ms=5000))

    def _play(self, call, command: str) -> None:
        try:
            self.esl.api(command)
        except EslError as exc:
            log.warning("%s: could not play to the caller: %s", call.what, exc)
            self._menus.pop(call.id, None)
            self.request_routing()

    def _number_or_none(self, text: str) -> str | None:
        try:
            return callback_number(text, self.settings.default_region)
        except InvalidNumber:
            return None

    # -- events of a caller in a menu ----------------------------------------------------------
    def menu_event(self, call, leg, event: Event) -> bool:
        """DTMF and application results of a waiting caller; True when the event was theirs."""
        name = event.name
        if leg.role != "customer":
            return False
        menu = self._menus.get(call.id)
        if name == "DTMF":
            if menu is None and call.state == "queued" and call.record.kind == "inbound":
                queue = self._queue_by_id(call.record.queue_id)
                if queue is not None and queue.callback_digit and event.get("DTMF-Digit") == queue.callback_digit:
                    self.start_callback_confirm(call)
                    return True
            return menu is not None
        if menu is None:
            return False
        if name == "CHANNEL_EXECUTE_COMPLETE":
            app, data = event.get("Application", ""), event.get("Application-Data", "")
            if app == "play_and_get_digits":
                self._menu_digits(call, menu, data, event)
            elif app == "playback" and menu.step == "message_prompt" and \
                    self.callback_settings.prompts["leave_message"] in data:
                self._record_message(call, menu)
            elif app == "playback" and menu.step == "goodbye":
                self._leave_queue(call, menu)
            elif app == "record" and menu.step == "recording":
                self._save_message(call, menu)
                menu.step = "goodbye"
                self._leave_queue(call, menu)
            return True
        return False

    def _menu_digits(self, call, menu: Menu, data: str, event: Event) -> None:
        words = data.split()
        ok = event.variable("read_result") == "success"
        if menu.step == "confirm" and CONFIRM_VAR in words:
            if ok and event.variable(CONFIRM_VAR) == "1":
                self._callback_confirmed(call, menu)
            else:
                self._back_to_waiting(call, "keeps waiting")
        elif menu.step == "enter_number" and NUMBER_VAR in words:
            number = self._number_or_none(event.variable(NUMBER_VAR) or "") if ok else None
            if number is None:
                self._back_to_waiting(call, "no number to call back; keeps waiting")
                return
            menu.number = number
            self._callback_confirmed(call, menu)
        elif menu.step == "max_wait" and CHOICE_VAR in words:
            choice = event.variable(CHOICE_VAR) if ok else None
            if choice == "2":
                menu.number = self._number_or_none(call.record.ani)
                if menu.number is None:
                    menu.step = "enter_number"
                    self._ask_number(call)
                    return
                self._callback_confirmed(call, menu)
            elif choice == "3":
                self.start_message(call)
            else:
                self._back_to_waiting(call, "keeps waiting after max wait")
                queue = self._queue_by_id(call.record.queue_id)
                if queue is not None:
                    self.start_queue_timers(call, queue, restart_max_wait=True)

    def _back_to_waiting(self, call, why: str) -> None:
        # the menu ran inside the hold music, which goes on by itself
        self._menus.pop(call.id, None)
        log.info("%s: %s", call.what, why)
        self.request_routing()

    def _callback_confirmed(self, call, menu: Menu) -> None:
        cb = self._request_from_call(call, menu.kind, menu.number, launch="queue")
        menu.saved = True
        menu.step = "goodbye"
        self._play(call, playback(call.record.customer_uuid, self.callback_settings.prompts["callback_thanks"]))
        self.push_callback(cb, notify=True)  # a callback request: the queue's agents are told (Missed calls)

    def _request_from_call(self, call, kind: str, number: str, *, launch: str, message_path: str | None = None):
        r = call.record
        queue = self._queue_by_id(r.queue_id)
        fields = self.callback_defaults(queue, number)
        if kind in ("in_queue", "ivr"):
            # the caller asked just now, while calling: any time of day is theirs
            fields.update(window_start="00:00", window_end="24:00")
        fields.update(priority=r.priority, enqueued_at=r.enqueued_at, original_contact_id=r.id,
                      original_ani=r.ani, original_dnis=r.dnis,
                      caller_id=(queue.caller_id_number if queue else "") or r.dnis)
        if message_path:
            fields["message_path"] = message_path
        cb, _created = store.request(kind=kind, number=number, queue=queue, launch=launch,
                                     instance=self.callback_settings.instance, **fields)
        return cb

    def _record_message(self, call, menu: Menu) -> None:
        folder = os.path.join(self.settings.recordings_dir, "messages")
        os.makedirs(folder, exist_ok=True)
        menu.message_path = os.path.abspath(os.path.join(folder, f"{call.id}.wav"))
        menu.step = "recording"
        try:
            from .. import commands

            self.esl.api(commands.setvar(call.record.customer_uuid, "playback_terminators", "#"))
        except EslError:
            pass
        self._play(call, record(call.record.customer_uuid, menu.message_path,
                                self.callback_settings.message_max_seconds))

    def _save_message(self, call, menu: Menu) -> None:
        if menu.saved or not menu.message_path:
            return
        menu.saved = True
        number = self._number_or_none(call.record.ani) or call.record.ani or "unknown"
        try:
            cb = self._request_from_call(call, "ivr", number, launch="manual", message_path=menu.message_path)
        except ValueError as exc:
            log.error("%s: could not keep the message: %s", call.what, exc)
            return
        cb.note = cb.note or "voice message"
        self.push_callback(cb, notify=True)
        log.info("%s: message kept as callback %s (%s)", call.what, cb.id, menu.message_path)

    def _leave_queue(self, call, menu: Menu) -> None:
        if call.state == "ended":
            return
        why = "left a message" if menu.message_path else "asked to be called back"
        self._end(call.key, call, "customer_left", f"caller {why}")

    def menu_call_ending(self, call, trigger: str) -> bool:
        """The call ends: keep a message being recorded; True when the caller had asked for a callback."""
        menu = self._menus.pop(call.id, None)
        if menu is None:
            return False
        if menu.step == "recording":
            self._save_message(call, menu)
        return menu.saved

    # -- an IVR's "leave a message" choice -----------------------------------------------------------
    def message_request_parked(self, event: Event) -> None:
        """A channel parked by an IVR's *Leave a message* choice (``cc_message``): the caller hears
        the prompt and the beep, is recorded, and the message is listed in the queue's Missed calls."""
        call = self.enqueue_inbound(event.uuid, event.variable("cc_queue") or "",
                                    ani=event.get("Caller-Caller-ID-Number", ""),
                                    dnis=event.variable("cc_did") or event.get("Caller-Destination-Number", ""),
                                    leave_message=True, priority=event.variable(PRIORITY_VARIABLE))
        if call is None:
            self._kill(event.uuid)  # no such queue: nobody would ever hear the message

    # -- the IVR's callback_request extension -----------------------------------------------------
    def callback_request_parked(self, event: Event) -> None:
        """A channel parked by the ``callback_request`` extension: an ``ivr`` callback, thanks, hang up."""
        uuid = event.uuid
        queue = self.queue(event.variable("cc_queue") or "")
        text = event.variable("cc_callback_number") or event.get("Caller-Caller-ID-Number", "")
        number = self._number_or_none(text)
        prompts = self.callback_settings.prompts
        if number is None or queue is None:
            log.warning("callback request on %s refused: %s", uuid,
                        "no queue" if queue is None else f"{text!r} cannot be called back")
            self.enqueue_inbound(uuid, event.variable("cc_queue") or "", ani=event.get("Caller-Caller-ID-Number", ""),
                                 dnis=event.variable("cc_did") or "", priority=event.variable(PRIORITY_VARIABLE))
            return
        fields = self.callback_defaults(queue, number)
        fields.update(original_ani=event.get("Caller-Caller-ID-Number", "")[:32],
                      original_dnis=(event.variable("cc_did") or event.get("Caller-Destination-Number", ""))[:32],
                      enqueued_at=utcnow(), caller_id=queue.caller_id_number or (event.variable("cc_did") or ""),
                      priority=channel_priority(event.variable(PRIORITY_VARIABLE), f"callback request {uuid}"))
        cb, _ = store.request(kind="ivr", number=number, queue=queue, launch="queue",
                              instance=self.callback_settings.instance, **fields)
        self.push_callback(cb, notify=True)
        self._goodbye[uuid] = prompts["callback_thanks"]
        try:
            self.esl.api(playback(uuid, prompts["callback_thanks"]))
        except EslError as exc:
            log.warning("could not thank %s: %s", uuid, exc)
            self._kill(uuid)
        self.request_routing()

    def goodbye_event(self, event: Event) -> None:
        """The thank-you of a channel we do not track ended: hang it up."""
        if event.name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "playback":
            prompt = self._goodbye.get(event.uuid)
            if prompt and prompt in (event.get("Application-Data") or ""):
                del self._goodbye[event.uuid]
                self._kill(event.uuid)
        elif event.name == "CHANNEL_HANGUP":
            self._goodbye.pop(event.uuid, None)
