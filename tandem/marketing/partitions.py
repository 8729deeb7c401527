"""The touch table in monthly partitions on PostgreSQL (declarative, by `occurred_at`).

At 100M touches the reports read a few months of one partition instead of one huge table and
its indexes, and old months can be detached and archived whole. The table is partitioned by
migration 0006: a partition per month from the oldest touch (or two years back) to a year
ahead, one for anything earlier, and a default one for a touch beyond the newest month. A daily
sweep keeps a year of months ahead, moving any touch the default partition holds for a new month
into it. The primary key becomes (id, occurred_at), as PostgreSQL requires, so a foreign key can
no longer point at a touch: Submission.touch keeps its column without the constraint.

SQLite has no partitions; nothing here runs there.
"""
# ruff: noqa: S608 - identifiers are ours (the table and dated partition names); values are params

from datetime import date

TABLE = "marketing_touch"
AHEAD = 12  # months of partitions kept ready


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def name_of(month: date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def is_partitioned(cursor) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
    row = cursor.fetchone()
    return bool(row and row[0] == "p")


def months(cursor) -> list[date]:
    """The months that have a partition, oldest first."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    found = []
    for (name,) in cursor.fetchall():
        suffix = name.removeprefix(TABLE + "_")
        if len(suffix) == 7 and suffix[4] == "_" and suffix.replace("_", "").isdigit():
            found.append(date(int(suffix[:4]), int(suffix[5:]), 1))
    return sorted(found)


def add_month(cursor, month: date) -> int:
    """A partition for `month`; touches the default partition holds for it move into it.
    Returns how many moved."""
    name, until = name_of(month), next_month(month)
    cursor.execute(f'CREATE TABLE "{name}" (LIKE {TABLE} INCLUDING DEFAULTS)')
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{TABLE}_default" WHERE occurred_at >= %s AND '
        f'occurred_at < %s RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
        [month, until],
    )
    moved = cursor.rowcount
    cursor.execute(
        f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
        [month, until],
    )
    return max(moved, 0)


def ensure(cursor, today: date, ahead: int = AHEAD) -> list[date]:
    """Partitions for every month up to `ahead` months after `today`; returns those made."""
    have = set(months(cursor))
    if not have:
        return []
    made, month = [], max(have)
    last = month_start(today)
    for _ in range(ahead):
        last = next_month(last)
    while month < last:
        month = next_month(month)
        if month not in have:
            add_month(cursor, month)
            made.append(month)
    return made


def convert(cursor, today: date) -> None:
    """The plain touch table into a partitioned one, rows, indexes and keys kept."""
    if is_partitioned(cursor):
        return
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [TABLE, f"{TABLE}_pkey"],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [TABLE],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute("SELECT min(occurred_at), max(id) FROM " + TABLE)
    oldest, last_id = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_plain")
    cursor.execute(f"ALTER INDEX {TABLE}_pkey RENAME TO {TABLE}_plain_pkey")
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_plain"')
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_plain INCLUDING DEFAULTS INCLUDING IDENTITY) "
        "PARTITION BY RANGE (occurred_at)"
    )
    cursor.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id, occurred_at)")
    first = month_start(oldest.date()) if oldest else month_start(today)
    first = min(first, date(today.year - 2, today.month, 1))
    cursor.execute(
        f"CREATE TABLE {TABLE}_before PARTITION OF {TABLE} FOR VALUES FROM (MINVALUE) TO (%s)",
        [first],
    )
    cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    month = first
    limit = month_start(today)
    for _ in range(AHEAD):
        limit = next_month(limit)
    while month <= limit:
        cursor.execute(
            f'CREATE TABLE "{name_of(month)}" PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)',
            [month, next_month(month)],
        )
        month = next_month(month)
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_plain")
    cursor.execute(f"DROP TABLE {TABLE}_plain")
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    if last_id:
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id RESTART WITH %s", [last_id + 1])
    cursor.execute(f"ANALYZE {TABLE}")
