"""Each program's counts over all time: its leads (people whose first touch it brought), how
many reached MQL, SQL and customer, and the amount of their won deals. Triggers on
insights_reach, deals and stages add a row of changes per statement (models.ProgramTally); the
counts are their sums, read in one indexed pass instead of counting a program's people (a
quarter of a million for the largest, at 1M people) and joining their deals."""
# ruff: noqa: S608 - the statements are fixed text

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

from tandem.marketing.models import ProgramTally

COUNTS = ("leads", "mqls", "sqls", "customers", "won")
NONE = {**dict.fromkeys(COUNTS, 0), "won": Decimal("0")}


def counts(ids) -> dict[int, dict]:
    """program id → its counts (zero for a program with no leads)."""
    ids = list(ids)
    rows = (
        ProgramTally.objects.filter(program_id__in=ids)
        .values_list("program_id")
        .annotate(*(Sum(name) for name in COUNTS))
    )
    out = {pk: dict(NONE) for pk in ids}
    for pk, *sums in rows:
        out[pk] = dict(zip(COUNTS, sums, strict=True))
    return out


_SUMS = ", ".join(f"SUM({c})" for c in COUNTS)
_NONZERO = " OR ".join(f"SUM({c}) <> 0" for c in COUNTS)
_INTO = f"INSERT INTO marketing_programtally (program_id, {', '.join(COUNTS)})"


def fold() -> int:
    """Replace each program's rows by one row of their sums; returns the rows folded. Rows
    added meanwhile stay as they are, for the next fold."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one statement: what it deletes, it sums
            cursor.execute(
                "WITH gone AS (DELETE FROM marketing_programtally RETURNING *), "
                "folded AS (SELECT COUNT(*) AS n FROM gone), "
                f"kept AS ({_INTO} SELECT program_id, {_SUMS} FROM gone GROUP BY program_id "
                f"HAVING {_NONZERO}) SELECT n FROM folded"
            )
            return cursor.fetchone()[0]
        cursor.execute("SELECT MAX(id), COUNT(*) FROM marketing_programtally")
        last, folded = cursor.fetchone()  # SQLite: one writer at a time, this transaction
        if last is not None:
            cursor.execute(
                f"{_INTO} SELECT program_id, {_SUMS} FROM marketing_programtally WHERE id <= %s "
                f"GROUP BY program_id HAVING {_NONZERO}",
                [last],
            )
            cursor.execute("DELETE FROM marketing_programtally WHERE id <= %s", [last])
        return folded
