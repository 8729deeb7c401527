# ruff: noqa: S608 - table and column names come from model metadata
"""Writing many rows at once, below the ORM: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples in the order of `columns`. Datetimes are aware; dicts and lists go into JSON
columns. Callers run inside a transaction, so a failure leaves nothing half-written. Table and
column names come from model metadata, never from user input.
"""

import contextlib
import functools
import gc
import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, connections

CHUNK = 20_000


@functools.lru_cache(maxsize=256)  # a batch stamps thousands of rows with the same moment
def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _sqlite_value(value):
    if isinstance(value, datetime):
        return _sqlite_datetime(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _pg_value(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


_AS_IS = frozenset((str, int, float, bool, type(None)))


def prepared(value):
    """value as insert() would convert it, converted once: for a column that holds the same
    value on every row of a batch (its moment, an empty JSON object)."""
    if type(value) in _AS_IS:
        return value
    if connection.vendor == "postgresql":
        return value.isoformat() if isinstance(value, datetime) else _pg_value(value)
    return _sqlite_value(value)


def _converted(row, convert) -> list:
    return [v if type(v) in _AS_IS else convert(v) for v in row]


def _names(columns) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def insert(model, columns: list[str], rows, *, ready: bool = False) -> int:
    """Insert the rows; returns how many. ready: every value is already as the database
    takes it (str, int, float, bool, None, or made by prepared()), so no row is converted."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        return _copy(table, columns, rows, ready=ready)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({_names(columns)}) VALUES ({marks})'
    return _executemany(sql, rows if ready else (_converted(r, _sqlite_value) for r in rows))


def _copy(table: str, columns, rows, *, ready: bool = False) -> int:
    n = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{table}" ({_names(columns)}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row if ready else _converted(row, _pg_value))
            n += 1
    return n


def _executemany(sql: str, rows) -> int:
    connection.ensure_connection()
    raw = connection.connection
    n, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            raw.executemany(sql, batch)
            n += len(batch)
            batch = []
    if batch:
        raw.executemany(sql, batch)
        n += len(batch)
    return n


def update(model, columns: list[str], rows) -> int:
    """Set `columns` of the rows given as (id, *values). PostgreSQL copies them into a
    temporary table and updates from it in one statement."""
    table = model._meta.db_table
    if connection.vendor != "postgresql":
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        sql = f'UPDATE "{table}" SET {sets} WHERE id = ?'
        return _executemany(sql, ([*_converted(r[1:], _sqlite_value), r[0]] for r in rows))
    staging = f"bulk_{table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS '
            f'SELECT id, {_names(columns)} FROM "{table}" WITH NO DATA'
        )
        n = _copy(staging, ["id", *columns], rows)
        cursor.execute(f'ANALYZE "{staging}"')  # else it plans for a big table and scans all
        sets = ", ".join(f'"{c}" = s."{c}"' for c in columns)
        cursor.execute(f'UPDATE "{table}" AS t SET {sets} FROM "{staging}" AS s WHERE t.id = s.id')
        cursor.execute(f'DROP TABLE "{staging}"')
    return n


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off around a bulk job. Each batch builds thousands of rows that
    live through a few young collections and so reach the oldest generation; that made a full
    collection (which scans every live object) run every few batches: 1.6 s of a 200,000-row
    import on SQLite, about 8%. The rows hold no reference cycles (an import of 200,000 rows
    left none to collect): reference counting frees them when the batch is done. The
    collector comes back on at the end."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Checkpointer(threading.Thread):
    """Copies SQLite's write-ahead log into the database file on a connection of its own, so
    the writer does not stop for it (and its fsync) after every commit."""

    def __init__(self, using: str) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.using, self.due, self.stopping = using, threading.Event(), False
        self.checkpoints = 0  # those that copied something into the database file

    def committed(self) -> None:
        self.due.set()

    def run(self) -> None:
        try:
            while not self.stopping:
                self.due.wait()
                self.due.clear()
                with connections[self.using].cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self.checkpoints += cursor.fetchone()[2] > 0
        finally:
            connections[self.using].close()

    def stop(self) -> None:
        self.stopping = True
        self.due.set()
        self.join()


class _Idle:
    checkpoints = 0

    def committed(self) -> None:
        pass


def _journal(writer) -> str:
    with writer.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        return cursor.fetchone()[0]


@contextlib.contextmanager
def long_write(using: str = "default"):
    """Around a run of many write transactions (an import); yields an object whose
    committed() the caller calls after each commit. On SQLite in WAL mode, the writer's own
    checkpoints are switched off meanwhile and a helper thread checkpoints instead, on the
    other core. Elsewhere it does nothing."""
    writer = connections[using]
    if writer.vendor != "sqlite" or writer.in_atomic_block or _journal(writer) != "wal":
        yield _Idle()  # PostgreSQL, a transaction, an in-memory database
        return
    with writer.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    helper = _Checkpointer(using)
    helper.start()
    try:
        yield helper
    finally:
        helper.stop()
        with writer.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={pages}")


def reserve_ids(model, n: int) -> list[int]:
    """n new primary keys for rows the caller inserts with explicit ids, so it knows them
    without reading them back. Call it inside the transaction that inserts them."""
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [r[0] for r in cursor.fetchall()]
        # SQLite: moving the AUTOINCREMENT counter is a write, so this transaction holds the
        # database's write lock from here and no one else can take the same ids.
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [table, table],
        )
        cursor.execute(
            f'UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM "{table}"))'  # noqa: E501
            " + %s WHERE name = %s RETURNING seq",
            [n, table],
        )
        last = cursor.fetchone()[0]
    return list(range(last - n + 1, last + 1))


def reset_sequences(models) -> None:
    """After inserting explicit ids on PostgreSQL without reserve_ids."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def select_in(model, columns: list[str], column: str, values: list) -> list[tuple]:
    """The rows (as tuples of `columns`, as the database gives them: JSON as text) whose
    `column` is one of `values`, in one query without the ORM: an import looks up thousands
    of addresses per batch, and building the ORM's query took longer than running it. The
    values go as one parameter (an array on PostgreSQL, a JSON list on SQLite)."""
    if not values:
        return []
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        where, param = f'"{column}" = ANY(%s)', list(values)
    else:
        where, param = f'"{column}" IN (SELECT value FROM json_each(%s))', json.dumps(values)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {_names(columns)} FROM "{table}" WHERE {where}', [param])
        return cursor.fetchall()
