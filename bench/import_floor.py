"""The database's own floor under the people import: the same writes in plain SQL, no Tandem
code, each in a transaction that is rolled back (the database stays as it was loaded).

    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/import_floor.py

BENCH_ROWS (default 500,000, half the import bench's file) people are inserted as copies of
stored ones with new addresses, renamed (which changes indexed columns, as the import bench's
matched rows do), and given a new title (no indexed column). BENCH_RUNS (default 3) runs each;
medians are printed with the server's memory settings.

Each step runs with the schema as it is, then (inside the same rolled-back transaction) without
the trigram search index, and bare: only the primary key and the unique email index, no
triggers. The bare figure is the floor under any people import that matches by email, whatever
it leaves out: it caps the rows a second this machine can reach.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "500000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
COPIED = (
    "created_at, updated_at, stage_changed_at, first_name, last_name, title, phone, "
    "organization_id, country, region, city, lifecycle_stage, owner_id, "
    "sales_owns_conversation, score, consent, custom, search_text"
)
STEPS = {
    "insert new people": (
        f"INSERT INTO contacts_person (email, email_normalized, {COPIED}) "
        f"SELECT 'floor-' || id || '@bench.example', 'floor-' || id || '@bench.example', "
        f"{COPIED} FROM contacts_person WHERE id IN (SELECT id FROM floor_ids)"
    ),
    "rename people": (
        "UPDATE contacts_person SET first_name = first_name || 'x', "
        "search_text = search_text || 'x' WHERE id IN (SELECT id FROM floor_ids)"
    ),
    "new title only": (
        "UPDATE contacts_person SET title = title || 'x' WHERE id IN (SELECT id FROM floor_ids)"
    ),
}


VARIANTS = ("as built", "without trigram index", "bare")


def _strip(cursor, vendor: str, variant: str) -> None:
    """Drop (inside the transaction, so it is rolled back) what the variant leaves out."""
    if variant == "as built":
        return
    if vendor == "postgresql":
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_person'")
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts_person'"
            " AND sql IS NOT NULL"
        )
    names = [row[0] for row in cursor.fetchall()]
    keep = {"contacts_person_pkey", "person_unique_email"}
    if variant == "without trigram index":
        keep = set(names) - {"person_search_trgm"}
    for name in sorted(set(names) - keep):
        cursor.execute(f'DROP INDEX "{name}"')
    if variant == "bare":
        if vendor == "postgresql":
            cursor.execute("ALTER TABLE contacts_person DISABLE TRIGGER USER")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'contacts_person'"
            )
            for (trigger,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{trigger}"')


def main() -> None:
    setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_person")
        people = cursor.fetchone()[0]
        settings = ""
        if connection.vendor == "postgresql":
            cursor.execute("SHOW shared_buffers")
            buffers = cursor.fetchone()[0]
            cursor.execute("SHOW max_wal_size")
            settings = f", shared_buffers {buffers}, max_wal_size {cursor.fetchone()[0]}"
    print(f"{connection.vendor}: {ROWS:,} rows of {people:,} people{settings}")
    for variant in VARIANTS:
        print(f" {variant}:")
        medians = {}
        for name, sql in STEPS.items():
            times = []
            for _ in range(RUNS):
                with transaction.atomic(), connection.cursor() as cursor:
                    _strip(cursor, connection.vendor, variant)
                    cursor.execute(
                        "CREATE TEMP TABLE floor_ids AS SELECT id FROM contacts_person "
                        f"ORDER BY id LIMIT {ROWS}"
                    )
                    started = time.perf_counter()
                    cursor.execute(sql)
                    times.append(time.perf_counter() - started)
                    transaction.set_rollback(True)
            medians[name] = statistics.median(times)
            runs = ", ".join(f"{t:.1f}" for t in times)
            print(f"  {name:18} median {medians[name]:6.1f} s  ({runs})")
        floor = medians["insert new people"] + medians["rename people"]
        print(
            f"  a file of {2 * ROWS:,} rows, half new, half renamed: at least {floor:.1f} s, "
            f"at most {2 * ROWS / floor:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
