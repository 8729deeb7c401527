"""Bulk loading: COPY on PostgreSQL, executemany in large transactions on SQLite.

Rows are tuples in the order of `columns`; datetimes are aware UTC datetimes and are turned
into each backend's storage format here, so the generators need not care.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection

CHUNK = 20_000


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


class BulkWriter:
    def __init__(self):
        self.vendor = connection.vendor
        self.counts: dict[str, int] = {}

    def write(self, model, columns: list[str], rows) -> int:
        table = model._meta.db_table
        n = (
            self._copy(table, columns, rows)
            if self.vendor == "postgresql"
            else self._insert(table, columns, rows)
        )
        self.counts[table] = self.counts.get(table, 0) + n
        return n

    def _copy(self, table: str, columns: list[str], rows) -> int:
        n = 0
        cols = ", ".join(f'"{c}"' for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                n += 1
        return n

    def _insert(self, table: str, columns: list[str], rows) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        # Table and column names come from model metadata, never from user input.
        sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'  # noqa: S608
        connection.ensure_connection()
        raw = connection.connection
        n, batch = 0, []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= CHUNK:
                raw.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            n += len(batch)
        return n

    def reset_sequences(self, models) -> None:
        if self.vendor != "postgresql":
            return
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
