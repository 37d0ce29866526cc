"""Database set-up: SQLite (WAL) by default, PostgreSQL when ``DATABASE_URL`` says so.

peewee keeps its connection state per thread; here it is kept per greenlet, so every
greenlet gets its own pooled connection and gives it back when its unit of work ends
(:func:`release_connection`: the dispatcher's workers, web requests, the reconciler). SQLite runs in WAL mode so
readers never block the writer; PostgreSQL goes through a pool and psycogreen makes
psycopg2 cooperative, so a query never stalls the event loop.

SQLite's calls do block the event loop, and most are short (a commit: ~25 µs), except
one: a WAL *checkpoint*, which SQLite runs inside the commit that makes the log pass
1,000 pages, copies the log into the database and syncs both to disk (30-70 ms on the
test machine's disk, every 10-20 s at the bench's load). A serving process
(``background_checkpoints``) checkpoints from a thread of its own instead, every
:data:`CHECKPOINT_SECONDS`; its connections checkpoint by themselves only if the log
grows past :data:`FALLBACK_CHECKPOINT_PAGES` (the background checkpoints fell behind).
"""
from __future__ import annotations

import functools
import logging
import os
import sqlite3
import time
from urllib.parse import urlsplit

import gevent.local
import peewee
from playhouse.db_url import connect as url_connect
from playhouse.pool import PooledSqliteDatabase

log = logging.getLogger(__name__)

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
}
#: seconds between a serving process's background checkpoints (SQLite)
CHECKPOINT_SECONDS = 1.0
#: WAL pages after which a connection checkpoints by itself anyway (SQLite's default: 1000)
FALLBACK_CHECKPOINT_PAGES = 20000

_checkpointer: gevent.Greenlet | None = None


def open_database(url: str, *, background_checkpoints: bool = False) -> peewee.Database:
    """Open the database named by ``url`` and bind the models to it.

    :param background_checkpoints: SQLite: checkpoint the WAL from a thread, not inside the
        commits of the event loop (for the serving process; see the module's docstring)
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parts.path
        pragmas = dict(SQLITE_PRAGMAS)
        in_file = bool(path) and path != ":memory:"
        if in_file:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if in_file and background_checkpoints:
            pragmas["wal_autocheckpoint"] = FALLBACK_CHECKPOINT_PAGES
        db = PooledSqliteDatabase(path or ":memory:", pragmas=pragmas, check_same_thread=False,
                                  max_connections=64, stale_timeout=300)
        if in_file and background_checkpoints:
            _checkpoint_in_background(path)
    elif parts.scheme in ("postgres", "postgresql", "postgresext"):
        _make_psycopg2_cooperative()
        pool_url = url.replace(parts.scheme + "://", "postgresql+pool://", 1)
        db = url_connect(pool_url, max_connections=32, stale_timeout=300)
        db._close_raw = functools.partial(_close_when_no_query_waits, db._close_raw)
    else:
        raise ValueError(f"DATABASE_URL must be sqlite:///path or postgresql://…, got {parts.scheme!r}")
    # One connection per greenlet, whether or not threading is monkey-patched: with
    # psycogreen a query yields, and two greenlets must never share a connection.
    db._state = _GreenletConnectionState()
    _use_cooperative_locks(db)
    database.initialize(db)
    log.info("database: %s", _redacted(url))
    return db


def _checkpoint_in_background(path: str) -> None:
    global _checkpointer
    if _checkpointer is not None:
        _checkpointer.kill(block=False)
    _checkpointer = gevent.spawn(_checkpoint_every, path, CHECKPOINT_SECONDS)


def stop_background_checkpoints() -> None:
    global _checkpointer
    if _checkpointer is not None:
        _checkpointer.kill()
        _checkpointer = None


def _checkpoint_every(path: str, seconds: float) -> None:
    """A PASSIVE checkpoint (it waits for no lock, so no writer waits for it) every
    ``seconds``, run in gevent's thread pool: SQLite releases the GIL meanwhile."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    threads = gevent.get_hub().threadpool
    try:
        while True:
            gevent.sleep(seconds)
            try:
                threads.apply(_checkpoint, (conn,))
            except sqlite3.Error as exc:
                log.warning("database: background checkpoint failed: %s", exc)
    finally:
        conn.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _use_cooperative_locks(db: peewee.Database) -> None:
    """peewee and its pool guard connect/close with ``threading`` locks. With psycogreen a
    connect yields to other greenlets *while holding* that lock; when threading is not
    monkey-patched (tests, embedding) a second greenlet then blocks the whole thread on a
    real lock and nothing ever runs again. These locks wait cooperatively instead, and stay
    exclusive across real threads too."""
    import threading

    db._lock = CooperativeRLock()
    if hasattr(db, "_pool_lock"):
        db._pool_lock = CooperativeRLock()
        db._pool_available = threading.Condition(db._pool_lock)


class CooperativeRLock:
    """Reentrant for one greenlet, exclusive across greenlets and threads; a waiter sleeps
    with ``gevent.sleep`` (its own thread's hub) instead of blocking the thread."""

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = gevent.getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        delay = 0.0002
        waited = 0.0
        while not self._lock.acquire(False):
            if not blocking or (timeout >= 0 and waited >= timeout):
                return False
            gevent.sleep(delay)
            waited += delay
            delay = min(delay * 2, 0.005)
        self._owner, self._count = me, 1
        return True

    def release(self) -> None:
        if self._owner is not gevent.getcurrent():
            raise RuntimeError("cannot release a lock this greenlet does not hold")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._lock.release()

    def _is_owned(self) -> bool:
        return self._owner is gevent.getcurrent()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


class _GreenletConnectionState(peewee._ConnectionState, gevent.local.local):
    """peewee's per-connection state, kept per greenlet."""


class Prepared:
    """One statement of a hot path: its SQL written once, then only bound with values.

    peewee builds a query's SQL in Python every time it runs: ~300 µs for a one-row
    ``get_or_none`` here, against ~10 µs for SQLite to run it. Where a statement runs on
    every request or transition, that is most of its cost (see also
    :mod:`controller.calls.store`).

    :param text: standard SQL (names in ``"``, as SQLite and PostgreSQL both quote them)
        with ``{param}`` for each value and ``{table}`` for the model's table
    :param model: the model whose table ``{table}`` names
    """

    def __init__(self, text: str, model: type[peewee.Model]):
        self._text = text
        self._model = model
        self._sql: dict[str, str] = {}

    def sql(self) -> str:
        db = database.obj
        if db is None:
            raise peewee.InterfaceError("no database opened")
        sql = self._sql.get(db.param)
        if sql is None:
            sql = self._sql[db.param] = self._text.format(param=db.param,
                                                         table=f'"{self._model._meta.table_name}"')
        return sql

    def execute(self, *values):
        """Run it with ``values`` (in the order of the placeholders); returns the cursor."""
        return database.execute_sql(self.sql(), values)

    def one(self, *values) -> tuple | None:
        """The first row, or None."""
        return self.execute(*values).fetchone()


def release_connection() -> None:
    """Give this greenlet's connection back to the pool (call when a unit of work ends)."""
    if database.obj is not None and not database.is_closed():
        database.close()


def create_tables() -> None:
    """Create what is missing: tables, then columns added since (:func:`_add_missing_columns`),
    then indexes. Indexes come last: on SQLite an index over a column that does not exist yet
    indexes the column's *name* as a text constant (a "unique" one then refuses a second row)."""
    from . import models  # models import this module: import here to avoid a cycle

    ordered = peewee.sort_models(models.ALL_MODELS)
    for model in ordered:
        model._schema.create_sequences()
        model._schema.create_table(safe=True)
    _add_missing_columns(models.ALL_MODELS)
    for model in ordered:
        model._schema.create_indexes(safe=True)


def _add_missing_columns(all_models) -> None:
    """A database made by an older version gets the columns added since (new fields have
    defaults or are nullable), so ``make run`` keeps working on the same ``var/`` database."""
    from playhouse.migrate import migrate, PostgresqlMigrator, SqliteMigrator

    db = database.obj
    migrator = PostgresqlMigrator(db) if isinstance(db, peewee.PostgresqlDatabase) else SqliteMigrator(db)
    operations = []
    for model in all_models:
        table = model._meta.table_name
        present = {column.name for column in db.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name not in present:
                if not field.null and field.default is None:
                    log.error("cannot add column %s.%s (no default): recreate the database", table,
                              field.column_name)
                    continue
                log.info("adding column %s.%s", table, field.column_name)
                operations.append(migrator.add_column(table, field.column_name, field))
    if operations:
        migrate(*operations)


#: id(connection) -> the greenlet whose query on it is waiting for the server
_waiting_queries: dict[int, object] = {}
#: seconds closing a connection waits for a query in progress on it, then again after cancelling it
CLOSE_WAIT = 5.0


def _make_psycopg2_cooperative() -> None:
    try:
        import psycogreen.gevent
        from psycopg2 import extensions
    except ImportError:  # pragma: no cover - installed with the package
        return
    wait = psycogreen.gevent.gevent_wait_callback

    def wait_callback(conn, timeout=None):
        """psycogreen's wait, noting which connection has a query waiting (see :func:`_close_when_no_query_waits`)."""
        key = id(conn)
        _waiting_queries[key] = gevent.getcurrent()
        try:
            wait(conn, timeout)
        finally:
            _waiting_queries.pop(key, None)

    extensions.set_wait_callback(wait_callback)


def _close_when_no_query_waits(close_raw, conn) -> None:
    """Close a pooled PostgreSQL connection without ever blocking the thread.

    psycopg2 runs a query holding the connection's mutex, also while psycogreen lets other
    greenlets run until the server answers; ``conn.close()`` takes that mutex without
    yielding. Closing a connection whose query waits in another greenlet of the same
    thread (``close_all`` at shutdown, ``close_stale``) would therefore block the thread
    for good: the query's greenlet can never run again to let go. So wait, cooperatively,
    until no query waits on it; cancel a query that lasts (``cancel`` needs no mutex); and
    leave a connection whose query never ends open rather than hang.
    """
    key = id(conn)
    deadline = time.monotonic() + CLOSE_WAIT
    cancelled = False
    while key in _waiting_queries and _waiting_queries[key] is not gevent.getcurrent():
        if time.monotonic() >= deadline:
            if cancelled:
                log.error("not closing a database connection: its query has not ended after %.0f s and a cancel",
                          2 * CLOSE_WAIT)
                return
            log.warning("cancelling a query still running after %.0f s to close its connection", CLOSE_WAIT)
            try:
                conn.cancel()
            except Exception:  # noqa: BLE001 - closing goes on
                log.debug("cancel failed", exc_info=True)
            cancelled, deadline = True, time.monotonic() + CLOSE_WAIT
        gevent.sleep(0.005)
    close_raw(conn)


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
