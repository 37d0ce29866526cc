"""The recordings of FreeSWITCH's English sound package (``freeswitch-sounds-en-us-callie``)
an IVR menu is likely to use, with what they say.

FreeSWITCH plays a relative file name from ``sound_prefix`` (``$${sounds_dir}/en/us/callie``
in vars.xml), choosing the folder of the call's sample rate itself. The list follows the
package's own catalogue (``docs/phrase/phrase_en.xml`` in the FreeSWITCH sources; entries it
marks as not recorded yet are left out). Your own recordings go in the ``prompts`` folder of
the FreeSWITCH configuration (see docs/ivr.md).
"""
from __future__ import annotations

_CATALOGUE = """
ivr/ivr-account_number.wav|Account number
ivr/ivr-account_balance_is.wav|The account balance is...
ivr/ivr-accept_reject.wav|To accept, press 1. To reject, press 2.
ivr/ivr-accept_reject_voicemail.wav|To accept, press 1. To reject, press 2. To send to voicemail, press 3.
ivr/ivr-access_denied.wav|Access denied.
ivr/ivr-any_other_digit.wav|Press any other digit...
ivr/ivr-anonymous_caller.wav|Anonymous caller.
ivr/ivr-at_the_tone.wav|At the tone...
ivr/ivr-begin_recording.wav|Begin recording.
ivr/ivr-call.wav|call
ivr/ivr-call_answered_order_received.wav|Your call will be answered in the order it was received.
ivr/ivr-call_attempt_aborted.wav|The call attempt has been aborted.
ivr/ivr-call_being_transferred.wav|Your call is being transferred.
ivr/ivr-call_cannot_be_completed_as_dialed.wav|Your call cannot be completed as dialed.
ivr/ivr-call_from.wav|You have a call from...
ivr/ivr-call_rejected.wav|Call rejected
ivr/ivr-connect_to_caller.wav|Connect to caller
ivr/ivr-contact_system_administrator.wav|Please contact the system administrator for assistance.
ivr/ivr-customer_service.wav|Customer service
ivr/ivr-did_you_mean_to_press_key.wav|Did you mean to press that key?
ivr/ivr-enjoy_music_while_transfer.wav|Please enjoy the music while your call is being transferred.
ivr/ivr-enter_destination_telephone_number.wav|Please enter the destination telephone number, then press pound.
ivr/ivr-enter_ext.wav|Please enter an extension followed by the pound sign
ivr/ivr-enter_ext_pound.wav|If you know your party's extension, please enter it now
ivr/ivr-enter_queue_number.wav|Please enter the queue number, followed by the pound or hash sign.
ivr/ivr-enter_source_telephone_number.wav|Please enter the source telephone number, then press pound.
ivr/ivr-estimated_hold_time.wav|Your estimated hold time is...
ivr/ivr-extension_number.wav|Extension number...
ivr/ivr-failure_reason_is.wav|Failure reason is...
ivr/ivr-finished_pound_hash_key.wav|When you are finished, press the pound or hash key.
ivr/ivr-followed_by_pound.wav|...followed by the pound or hash key.
ivr/ivr-for.wav|For...
ivr/ivr-for_directory_press.wav|For a directory, press...
ivr/ivr-for_english_press.wav|For English, press...
ivr/ivr-for_other_options.wav|For other options, press...
ivr/ivr-for_this_person.wav|For this person
ivr/ivr-generic_greeting.wav|Thank you for calling. If you know your party's extension, please enter it now...
ivr/ivr-good_afternoon.wav|Good afternoon.
ivr/ivr-good_evening.wav|Good evening.
ivr/ivr-good_morning.wav|Good morning.
ivr/ivr-hang_up.wav|...hang up.
ivr/ivr-hangup_to_discard.wav|Hang up the call without pressing a key to discard the recording.
ivr/ivr-hello.wav|hello
ivr/ivr-hold_connect_call.wav|Please hold while I connect your call
ivr/ivr-id_number.wav|I.D. number...
ivr/ivr-if_correct_one_if_not_two.wav|If this is correct, press 1. If not, press 2.
ivr/ivr-if_correct_press.wav|If this is correct, press...
ivr/ivr-if_not_press.wav|If not, press...
ivr/ivr-if_you_would_like_us_to_call_back.wav|If you would like us to call you back, press...
ivr/ivr-im_sorry.wav|I'm sorry
ivr/ivr-in_line.wav|...in line
ivr/ivr-incoming_call.wav|Incoming call.
ivr/ivr-invalid_extension_try_again.wav|Invalid extension - please try again.
ivr/ivr-it_appears_that_your_phone_number_is.wav|It appears that your phone number is...
ivr/ivr-less_than.wav|Less than...
ivr/ivr-longer_than_usual_hold_times.wav|We are experiencing longer than usual hold times.
ivr/ivr-more_than.wav|More than...
ivr/ivr-no_calls_waiting_in_queue.wav|There are no calls waiting in this queue.
ivr/ivr-no_longer_in_queue.wav|You are no longer in queue.
ivr/ivr-no_menu_items.wav|This menu has no items. Please contact the administrator.
ivr/ivr-no_route_destination.wav|No route to destination
ivr/ivr-no_user_response.wav|No user response
ivr/ivr-normal_clearing.wav|Normal clearing
ivr/ivr-not.wav|not
ivr/ivr-not_have_permission.wav|You do not have permission to perform this action.
ivr/ivr-number.wav|Number.
ivr/ivr-one_moment_please.wav|One moment please.
ivr/ivr-one_yes_two_no.wav|Press one for yes. Press two for no.
ivr/ivr-operator.wav|Operator
ivr/ivr-option.wav|Option...
ivr/ivr-or.wav|or
ivr/ivr-or_press.wav|...or press...
ivr/ivr-please.wav|Please
ivr/ivr-please_check_number_try_again.wav|Please check the number and try again.
ivr/ivr-please_enjoy_music_while_party_reached.wav|Please enjoy the music while your party is being reached.
ivr/ivr-please_enter_extension_followed_by_pound.wav|Please enter your extension, followed by the pound sign.
ivr/ivr-please_enter_pin_followed_by_pound.wav|Please enter your pin number, followed by the pound sign.
ivr/ivr-please_enter_the.wav|Please enter the...
ivr/ivr-please_enter_the_number_where_we_can_reach_you.wav|Please enter the number where we can reach you.
ivr/ivr-please_enter_the_phone_number.wav|Please enter the phone number.
ivr/ivr-please_hold_while_party_contacted.wav|Please hold while your party is being contacted.
ivr/ivr-please_reenter_your_pin.wav|Please re-enter your pin number to confirm.
ivr/ivr-please_return_our_call_at.wav|Please return our call at
ivr/ivr-please_state_your_name_and_reason_for_calling.wav|Please state your name and the reason for your call.
ivr/ivr-please_try_again.wav|Please try again.
ivr/ivr-pin_or_extension_is-invalid.wav|Your pin number or extension is invalid.
ivr/ivr-recording_saved.wav|Thank you. Your recording has been saved.
ivr/ivr-regarding_reference_number.wav|Regarding reference number
ivr/ivr-repeat_this_information.wav|To repeat this information...
ivr/ivr-sales.wav|Sales
ivr/ivr-save_review_record.wav|Press 1 to save your recording. Press 2 to review your recording. Press 3 to re-record.
ivr/ivr-say_name.wav|Please say your name after the tone
ivr/ivr-send_to_voicemail.wav|Send this caller to voicemail
ivr/ivr-speak_to_a_customer_service_representative.wav|To speak to a customer service representative
ivr/ivr-stay_on_line_call_answered_momentarily.wav|Please stay on the line. Your call will be answered momentarily.
ivr/ivr-take_a_message.wav|Take a message
ivr/ivr-technical_support.wav|Technical support
ivr/ivr-thank_you_for_calling.wav|Thank you for calling.
ivr/ivr-thank_you_for_holding.wav|Thank you for holding.
ivr/ivr-Thank_you.wav|Thank you.
ivr/ivr-that_was_an_invalid_entry.wav|That was an invalid entry
ivr/ivr-there_are.wav|There are...
ivr/ivr-there_is.wav|There is...
ivr/ivr-this_is_a_call_from.wav|This is a call from
ivr/ivr-to_accept_press.wav|To accept, press...
ivr/ivr-to_accept_press_one.wav|To accept, press 1.
ivr/ivr-to_confirm.wav|...to confirm.
ivr/ivr-to_repeat_these_options.wav|To repeat these options
ivr/ivr-to_return_to_previous_menu.wav|To return to the previous menu
ivr/ivr-to_speak_with_an_operator.wav|To speak with an operator
ivr/ivr-to_wait_stay_on_the_line.wav|To wait for the next available representative, please stay on the line.
ivr/ivr-unallocated_number.wav|Unallocated number
ivr/ivr-use_telephone_keypad.wav|Using your telephone keypad...
ivr/ivr-user_busy.wav|User busy
ivr/ivr-we_will_return_your_call_at_this_number.wav|We will return your call at this number as soon as possible.
ivr/ivr-welcome.wav|Welcome.
ivr/ivr-welcome_to.wav|Welcome to...
ivr/ivr-welcome_to_freeswitch.wav|Welcome to FreeSWITCH, the future of telephony
ivr/ivr-would_you_like_to_receive_a_call_at_this_number.wav|Would you like to receive a call at this number?
ivr/ivr-you_are_number.wav|You are number...
ivr/ivr-you_are_the.wav|You are the...
ivr/ivr-you_entered.wav|You entered...
ivr/ivr-you_have_dialed_an_invalid_extension.wav|You have dialed an invalid extension.
ivr/ivr-you_may.wav|You may
ivr/ivr-you_may_exit_by_hanging_up.wav|You may exit at any time by simply hanging up
voicemail/vm-abort.wav|too many failed attempts
voicemail/vm-goodbye.wav|goodbye
voicemail/vm-hello.wav|welcome to your voicemail
voicemail/vm-mailbox_full.wav|That mailbox is full. Please try your call again later.
voicemail/vm-not_available.wav|is not available
voicemail/vm-not_available_no_voicemail.wav|The person you are trying to reach is not available and does not have voicemail.
voicemail/vm-person.wav|The person at extension
voicemail/vm-press.wav|press
voicemail/vm-record_message.wav|record your message at the tone, press any key or stop talking to end the recording
voicemail/vm-to_exit.wav|to exit
voicemail/vm-main_menu.wav|for the main menu
voicemail/vm-continue.wav|to continue
misc/error.wav|An error has occurred please contact the administrator
misc/transfer1.wav|Please enter extension you want to transfer to
misc/transfer2.wav|Transfer
misc/we_are_trying_to_reach.wav|We are trying to reach
misc/if_you_would_like_to.wav|If you would like to
misc/misc-your_call_will_be_terminated_in.wav|Your call will be terminated in...
misc/misc-your_call_has_been_terminated.wav|Your call has been terminated.
"""


def _load() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _CATALOGUE.strip().splitlines():
        name, _, phrase = line.partition("|")
        out[name] = phrase
    for digit in range(10):
        out[f"digits/{digit}.wav"] = str(digit)
    out["digits/pound.wav"] = "Pound"
    out["digits/star.wav"] = "Star"
    return out


#: relative file -> what it says
STOCK_PROMPTS: dict[str, str] = _load()
