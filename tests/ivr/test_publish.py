"""Versions, publish, rollback, and what happens when FreeSWITCH refuses or cannot be asked.

The last tests publish to the simulator over the controller's real ESL connection: the
simulator reads the folder on ``reloadxml``, as FreeSWITCH does, and a caller hears
whichever version is live.
"""
from __future__ import annotations

import os

import pytest

from controller.ivr.publish import RELOAD_OK, ReloadUnavailable, publish_files, read_managed
from controller.ivr.service import IvrAdmin, IvrRefused, reload_over

from .conftest import MENU, shipped_files

WELCOME = 'greet-long="ivr/ivr-welcome.wav"'
THANKS = 'greet-long="ivr/ivr-thank_you_for_calling.wav"'


class FakeReload:
    """Answers reloadxml like FreeSWITCH: the replies given, then +OK [Success]."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        reply = self.replies.pop(0) if self.replies else RELOAD_OK + "\n"
        if isinstance(reply, Exception):
            raise reply
        return reply


def welcome(files):
    files = dict(files)
    files[MENU] = files[MENU].replace(THANKS, WELCOME)
    return files


def on_disk(conf_dir):
    return {rel: data.decode() for rel, data in read_managed(str(conf_dir)).items()}


# ---------------------------------------------------------------- files and reloadxml

def test_publish_writes_the_files_and_reloads(conf_dir):
    reload = FakeReload()
    (conf_dir / "ivr_menus" / "old.xml").write_text("<include>\n</include>\n")  # a menu the version does not have
    result = publish_files(str(conf_dir), welcome(shipped_files()), reload)
    assert result.ok and result.reply == "+OK [Success]" and reload.calls == 1
    assert on_disk(conf_dir) == welcome(shipped_files())
    assert not (conf_dir / "ivr_menus" / "old.xml").exists()
    assert [n for n in os.listdir(conf_dir / "ivr_menus") if not n.endswith(".xml")] == []  # no temporary files


def test_a_refused_reload_puts_the_previous_files_back_and_reloads_them(conf_dir):
    before = on_disk(conf_dir)
    reload = FakeReload("+OK [[error near line 3]: unclosed <menu>]\n")
    result = publish_files(str(conf_dir), welcome(shipped_files()), reload)
    assert not result.ok and result.restored
    assert result.message == ("FreeSWITCH refused the configuration: [error near line 3]: unclosed <menu>. "
                              "The previous files are back and FreeSWITCH reloaded them.")
    assert on_disk(conf_dir) == before
    assert reload.calls == 2


def test_when_freeswitch_cannot_be_asked_the_files_go_back(conf_dir):
    before = on_disk(conf_dir)
    reload = FakeReload(ReloadUnavailable("not connected"), ReloadUnavailable("not connected"))
    result = publish_files(str(conf_dir), welcome(shipped_files()), reload)
    assert not result.ok
    assert result.message == ("FreeSWITCH cannot be reached (not connected). The previous files are back; "
                              "FreeSWITCH will read them at its next reload.")
    assert on_disk(conf_dir) == before


def test_an_unexpected_answer_is_a_failure(conf_dir):
    result = publish_files(str(conf_dir), shipped_files(), FakeReload("-ERR no reply\n", "-ERR no reply\n"))
    assert not result.ok
    assert result.message == ("FreeSWITCH answered reloadxml with '-ERR no reply'. The previous files are back, "
                              "but FreeSWITCH refused them too (FreeSWITCH answered reloadxml with '-ERR no reply').")


def test_publish_creates_the_folders_of_an_empty_configuration(tmp_path):
    folder = tmp_path / "new"
    assert publish_files(str(folder), shipped_files(), FakeReload()).ok
    assert on_disk(folder) == shipped_files()


# ---------------------------------------------------------------- versions in the database

@pytest.fixture
def ada(people):
    from controller.models import Agent, Queue

    Queue.create(name="support", label="Support")
    admin = Agent(username="ada", name="Ada Admin", extension="1091", role="admin")
    admin.set_password("ada-pass")
    admin.save()
    return admin


@pytest.fixture
def admin(conf_dir, ada):
    reload = FakeReload()
    service = IvrAdmin(str(conf_dir), reload)
    service.fake_reload = reload
    return service


def test_version_1_is_what_the_folder_holds_and_it_is_live(admin):
    [first] = admin.versions()
    assert (first.number, first.author_name, first.files) == (1, "switchdesk", shipped_files())
    assert admin.live().number == 1


def test_an_empty_folder_starts_from_the_shipped_configuration(tmp_path, ada):
    service = IvrAdmin(str(tmp_path / "empty"), FakeReload())
    assert service.first_version().files == shipped_files()
    assert service.live() is None  # nothing in that folder yet: nothing is live


def test_save_refuses_a_version_with_errors_and_says_why(admin, ada):
    files = shipped_files()
    files[MENU] = files[MENU].replace('digits="2"', 'digits="1"')
    with pytest.raises(IvrRefused) as refused:
        admin.save(files, author=ada)
    assert str(refused.value) == ("The version has 1 error: ivr_menus/main.xml, line 14, column 5: The digits 1 are "
                                  "used twice (lines 13 and 14): FreeSWITCH runs both entries.")
    assert [p.rule for p in refused.value.problems] == ["duplicate-digits"]
    assert [v.number for v in admin.versions()] == [1]


def test_publish_rollback_and_diff(admin, ada, conf_dir):
    second = admin.save(welcome(shipped_files()), author=ada, note="warmer greeting", based_on=1)
    assert (second.number, second.author_name, second.note, second.based_on) == (2, "ada", "warmer greeting", 1)
    assert admin.live().number == 1  # saved is not published

    done = admin.publish(2, author_name="ada")
    assert done.result.ok and done.result.message == "Version 2 is live. FreeSWITCH loaded the new configuration."
    assert admin.live().number == 2 and on_disk(conf_dir) == welcome(shipped_files())

    back = admin.publish(1, author_name="ada")  # rollback
    assert back.result.ok and admin.live().number == 1 and on_disk(conf_dir) == shipped_files()
    assert [(p.version.number, p.ok) for p in admin.publications()] == [(1, True), (2, True), (1, True)]

    diff = admin.diff(1, 2)
    assert diff.startswith("--- version 1/ivr_menus/main.xml\n+++ version 2/ivr_menus/main.xml\n")
    assert f"-        {THANKS}\n+        {WELCOME}\n" in diff
    assert admin.diff(2, 2) == ""


def test_a_failed_reload_leaves_the_previous_version_live(admin, ada, conf_dir):
    admin.save(welcome(shipped_files()), author=ada)
    admin.fake_reload.replies = ["+OK [[error near line 1]: bad]\n"]
    done = admin.publish(2, author_name="ada")
    assert not done.result.ok
    assert done.result.message == ("Version 2 was not published. FreeSWITCH refused the configuration: "
                                   "[error near line 1]: bad. The previous files are back and FreeSWITCH reloaded "
                                   "them.")
    assert admin.live().number == 1 and on_disk(conf_dir) == shipped_files()
    assert admin.publications()[0].ok is False


def test_a_version_that_became_invalid_is_not_published(admin, ada, conf_dir):
    from controller.models import Queue

    files = shipped_files()
    files[MENU] = files[MENU].replace("queue_support", "queue_sales")
    admin.save(files, author=ada)
    Queue.delete().where(Queue.name == "sales").execute()  # the queue is gone since
    with pytest.raises(IvrRefused) as refused:
        admin.publish(2, author_name="ada")
    assert str(refused.value).startswith("Version 2 cannot be published: dialplan/switchdesk.xml, line 12")
    assert "The queue 'sales' does not exist in switchdesk" in str(refused.value)
    assert admin.fake_reload.calls == 0 and on_disk(conf_dir) == shipped_files()


# ---------------------------------------------------------------- through the simulator

def customer_hears(simulator, greeting):
    uuid = simulator.customer_call("8005550300", ani="5550177")
    simulator.wait_for(lambda: simulator.hears(uuid).startswith("playback:"), timeout=10)
    heard = simulator.hears(uuid)
    simulator.hangup(uuid)
    return heard == "playback:" + greeting


def test_publish_and_reload_over_esl_reach_the_simulator(live_center, simulator, ada, conf_dir):
    simulator.load_conf(str(conf_dir))
    service = IvrAdmin(str(conf_dir), reload_over(live_center.esl))
    service.save(welcome(shipped_files()), author=ada)
    assert service.publish(2, author_name="ada").result.reply == "+OK [Success]"
    assert customer_hears(simulator, "ivr/ivr-welcome.wav")

    # FreeSWITCH refuses the next reload: version 2 stays live, on disk and in the switch
    files = shipped_files()
    files[MENU] = files[MENU].replace(THANKS, 'greet-long="ivr/ivr-hello.wav"')
    service.save(files, author=ada)
    simulator.refuse_next_reloadxml("[error near line 7]: unclosed token")
    done = service.publish(3, author_name="ada")
    assert not done.result.ok and "[error near line 7]: unclosed token" in done.result.message
    assert service.live().number == 2 and on_disk(conf_dir) == welcome(shipped_files())
    assert customer_hears(simulator, "ivr/ivr-welcome.wav")

    # the switch is down: nothing changes either
    simulator.stop()
    live_center.esl.wait_connected(0.1)
    done = service.publish(3, author_name="ada")
    assert not done.result.ok and done.result.message.startswith("Version 3 was not published. FreeSWITCH cannot be "
                                                                 "reached (")
    assert service.live().number == 2 and on_disk(conf_dir) == welcome(shipped_files())
