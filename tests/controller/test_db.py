"""Database set-up: a serving process's SQLite WAL is checkpointed by a thread, not by commits."""
from __future__ import annotations

import shutil
import sqlite3

import gevent
import pytest

from controller import db as dbmod


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
