"""Database set-up: an older database gets the columns added since (and their indexes); a
serving process's SQLite WAL is checkpointed by a thread, not by commits."""
from __future__ import annotations

import shutil
import sqlite3

import gevent
import pytest

from controller import db as dbmod


def test_an_older_database_gets_the_new_unique_column_and_keeps_taking_rows(tmp_path):
    from controller.db import create_tables, database, open_database
    from controller.models import Campaign, Queue

    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        create_tables()
        # as an older version left it: campaigns without a name
        for index in db.get_indexes("campaign"):
            if index.columns == ["name"]:
                db.execute_sql(f'DROP INDEX "{index.name}"')
        db.execute_sql("ALTER TABLE campaign DROP COLUMN name")
        for name in ("a", "b"):
            queue = Queue.create(name=name)
            db.execute_sql("INSERT INTO campaign (queue_id, active, pacing, max_attempts, retry_delay, dispositions) "
                           "VALUES (?, 0, 'progressive', 3, 600, '[\"Sale\"]')", (queue.id,))

        create_tables()
        assert "name" in [c.name for c in db.get_columns("campaign")]
        assert [(i.columns, i.unique) for i in db.get_indexes("campaign") if i.columns == ["name"]] == [(["name"], True)]
        # a third campaign: the unique index is over the names (NULL for the old ones), not over a constant
        Campaign.create(queue=Queue.create(name="c"), name="Third")
        assert sorted(c.name or "" for c in Campaign.select()) == ["", "", "Third"]
    finally:
        database.close()


@pytest.fixture
def serving_db(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "CHECKPOINT_SECONDS", 0.02)
    path = tmp_path / "serving.db"
    db = dbmod.open_database(f"sqlite:///{path}", background_checkpoints=True)
    yield path, db
    dbmod.stop_background_checkpoints()
    db.close_all()


def rows_in_main_file(path, tmp_path) -> int:
    """Rows the database file itself holds, without its write-ahead log (what checkpoints put there)."""
    copy = tmp_path / "main-file-only.db"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT count(*) FROM note").fetchone()[0]
    except sqlite3.OperationalError:  # the table itself is not checkpointed yet
        return 0
    finally:
        conn.close()


def test_commits_leave_the_checkpoint_to_the_background(serving_db, tmp_path):
    path, db = serving_db
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == dbmod.FALLBACK_CHECKPOINT_PAGES
    db.execute_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    for i in range(50):
        db.execute_sql("INSERT INTO note (text) VALUES (?)", (f"note {i}",))
    # far below the fallback threshold: only the background checkpointer copies them over
    with gevent.Timeout(10):
        while rows_in_main_file(path, tmp_path) < 50:
            gevent.sleep(0.01)
    db.close()


def test_without_it_sqlite_keeps_its_own_checkpoints(tmp_path):
    db = dbmod.open_database(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert dbmod._checkpointer is None
    finally:
        db.close_all()
