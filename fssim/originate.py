"""Outbound legs: ``originate``, the dialplan ``bridge`` app and att_xfer's consult leg.

Event order per outbound leg (trace 02/09): CHANNEL_OUTGOING, CHANNEL_CREATE,
CHANNEL_ORIGINATE, CHANNEL_PROGRESS + CALLSTATE RINGING (180), CHANNEL_ANSWER +
CALLSTATE ACTIVE, then the originate result (BACKGROUND_JOB) before the application runs.
A failed leg ends with CHANNEL_HANGUP/HANGUP_COMPLETE/DESTROY and no CHANNEL_ANSWER.
"""
import logging

from fssim import apps, bridge, dialstring
from fssim import switch as sw

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60
SOURCE = "src/switch_ivr_originate.c"


class OriginateCall:
    """Callbacks of one outbound leg: ``on_answer(channel)`` and ``on_fail(channel, cause)``."""

    def __init__(self, on_answer, on_fail):
        self.on_answer = on_answer
        self.on_fail = on_fail
        self.finished = False

    def answered(self, channel):
        if not self.finished:
            self.finished = True
            self.on_answer(channel)

    def failed(self, channel, cause):
        if not self.finished:
            self.finished = True
            self.on_fail(channel, cause)


def place_call(switch, dial_text, *, on_answer, on_fail, extra_vars=None, other_leg=None,
               cid_name=None, cid_num=None, timeout=None):
    """Create an outbound leg and play out the called party's behaviour.

    :param dial_text: ``{vars}endpoint``.
    :raises dialstring.DialError: for a dial string refused before dialing.
    :return: the new channel.
    """
    variables, endpoint_text = dialstring.split_vars(dial_text)
    variables = {**(extra_vars or {}), **variables}
    endpoint = dialstring.parse_endpoint(endpoint_text)
    behaviour = switch.parties.resolve(endpoint) if switch.parties else None
    if behaviour is None:
        raise dialstring.DialError("USER_NOT_REGISTERED")
    host = endpoint.host or (behaviour.contact or "")
    if endpoint.tech == "user" and not endpoint.host:
        endpoint.host = behaviour.contact or "127.0.0.1:5070"
    uuid = variables.get("origination_uuid") or switch.new_uuid()
    if switch.channels.get(uuid) is not None:
        raise dialstring.DialError("DESTINATION_OUT_OF_ORDER")
    name = endpoint.channel_name
    profile = dict(
        caller_id_name=variables.get("origination_caller_id_name", cid_name or "FreeSWITCH"),
        caller_id_number=variables.get("origination_caller_id_number", cid_num or "0000000000"),
        destination=endpoint.user, source=SOURCE, dialplan="", context="default",
        callee_id_name="Outbound Call", callee_id_number=endpoint.user,
    )
    if other_leg is not None:
        profile["caller_id_name"] = variables.get("origination_caller_id_name", other_leg.profile.caller_id_name)
        profile["caller_id_number"] = variables.get("origination_caller_id_number",
                                                    other_leg.profile.caller_id_number)
    channel_vars = dict(variables)
    channel_vars.update({
        "originate_early_media": "true",
        "originate_endpoint": endpoint.tech,
        "sip_destination_url": "sip:%s@%s" % (endpoint.user, host or "127.0.0.1"),
    })
    channel = switch.new_channel(uuid=uuid, direction="outbound", name=name, profile_kwargs=profile,
                                 variables=channel_vars)
    channel.party = behaviour
    call = OriginateCall(on_answer, on_fail)
    channel.originate_call = call
    if other_leg is not None:
        channel.other_leg = other_leg.uuid
        channel.other_type = "originator"
    channel.state = "CS_NONE"
    switch.fire("CHANNEL_OUTGOING", channel, ("switch_core_session.c", "switch_core_session_outgoing_channel", 731),
                channel_vars=False)
    channel.state = "CS_INIT"
    switch.fire("CHANNEL_STATE", channel, sw.CORE_SM, channel_vars=False)
    switch.fire("CHANNEL_CREATE", channel, sw.CORE_SM)
    switch.fire("CHANNEL_ORIGINATE", channel, sw.ORIG_C)
    switch.set_state(channel, "CS_ROUTING")
    kind = behaviour.behaviour
    switch.set_state(channel, "CS_CONSUME_MEDIA")
    if timeout is None:
        timeout = int(variables.get("originate_timeout", variables.get("call_timeout", DEFAULT_TIMEOUT)))
    from fssim.parties import REFUSALS
    if kind in REFUSALS:
        switch.later(channel, 0, _refused, switch, channel, REFUSALS[kind])
        return channel
    if behaviour.ring:
        switch.ring(channel)
    switch.later(channel, timeout, _timed_out, switch, channel)
    if kind == "answer":
        switch.later(channel, behaviour.answer_after, _answered, switch, channel)
    return channel


def _refused(switch, channel, cause):
    switch.hangup(channel, cause, disposition="recv_refuse")
    ring_ended(switch, channel)


def _timed_out(switch, channel):
    if channel.alive and channel.answered_at is None:
        switch.hangup(channel, "NO_ANSWER", disposition="send_cancel")
        ring_ended(switch, channel)


def ring_ended(switch, channel):
    """An outbound leg ended before answer: tell whoever originated it."""
    call = getattr(channel, "originate_call", None)
    if call is not None:
        call.failed(channel, channel.hangup_cause)


def _answered(switch, channel):
    if not channel.alive or channel.answered_at is not None:
        return
    channel.profile.network_addr = "127.0.0.1"
    switch.answer(channel)
    behaviour = channel.party
    if behaviour is not None:
        if behaviour.hangup_after is not None:
            switch.later(channel, behaviour.hangup_after, switch.hangup, channel, "NORMAL_CLEARING", "recv_bye")
        from fssim import dtmf
        for delay, digits in behaviour.dtmf:
            switch.later(channel, delay, dtmf.receive, switch, channel, digits, "RTP")
    channel.originate_call.answered(channel)


# -- the dialplan ``bridge`` application -----------------------------------------------
def dialplan_bridge(switch, channel, app):
    """``bridge <dialstring>`` run by ``channel``'s dialplan (trace 04, extension 7010)."""
    def on_answer(b_leg):
        if not channel.alive or app.done:
            switch.hangup(b_leg, "ORIGINATOR_CANCEL")
            return
        app.state["b_leg"] = None
        channel.other_leg, channel.other_type = b_leg.uuid, "originatee"
        switch.set_callstate(channel, "ACTIVE")
        bridge.connect(switch, channel, b_leg, kind="dialplan", owner_app=app)

    def on_fail(b_leg, cause):
        if channel.alive and not app.done:
            channel.variables["originate_disposition"] = cause
            switch.set_callstate(channel, "ACTIVE")
            apps.complete(switch, channel, app, "_none_")

    # The A leg waits for the B leg: CALLSTATE RING_WAIT, back to ACTIVE on the outcome.
    switch.set_callstate(channel, "RING_WAIT")

    try:
        b_leg = place_call(switch, app.data, on_answer=on_answer, on_fail=on_fail, other_leg=channel)
    except dialstring.DialError as exc:
        channel.variables["originate_disposition"] = str(exc)
        switch.later(channel, 0, on_fail, None, str(exc))
        return
    app.state["b_leg"] = b_leg


def cancel_dialplan_bridge(switch, channel, app, reason):
    b_leg = app.state.get("b_leg")
    if b_leg is not None and b_leg.alive and b_leg.answered_at is None:
        switch.hangup(b_leg, "ORIGINATOR_CANCEL")


def phone_event(switch, channel, event):
    """``uuid_phone_event <uuid> talk``: a ringing phone that supports remote answer
    (sofia's NOTIFY Event: talk) answers now; one set never to answer ignores it."""
    behaviour = channel.party
    if event == "talk" and channel.alive and channel.direction == "outbound" and channel.answered_at is None \
            and behaviour is not None and behaviour.behaviour == "answer":
        switch.later(channel, 0.05, _answered, switch, channel)
