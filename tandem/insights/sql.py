"""The few SQL fragments the reports need that PostgreSQL and SQLite spell differently."""
# ruff: noqa: S608 - the fragments are built from fixed identifiers; values are parameters

from django.db import connection
from django.db.models import FloatField, Func

LATEST = "9999-12-31"  # sorts after every stored SQLite datetime text


def least(columns: list[str]) -> str:
    """The smallest non-NULL of the columns (NULL when all are NULL)."""
    if len(columns) == 1:
        return columns[0]
    if connection.vendor == "postgresql":
        return f"LEAST({', '.join(columns)})"
    padded = ", ".join(f"COALESCE({c}, '{LATEST}')" for c in columns)
    return f"NULLIF(MIN({padded}), '{LATEST}')"


def days_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def median_by(keys: str, value: str, source: str) -> str:
    """SELECT keys, COUNT(*), the median of value FROM source GROUP BY keys."""
    if connection.vendor == "postgresql":
        return (
            f"SELECT {keys}, COUNT(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) "
            f"FROM {source} GROUP BY {keys}"
        )
    # SQLite has no median: the middle one or two rows by a window over each group
    return (
        f", o AS (SELECT {keys}, {value} AS v, "
        f"ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {value}) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {keys}) AS n FROM {source}) "
        f"SELECT {keys}, MAX(n), AVG(v) FROM o "
        f"WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY {keys}"
    )


def when(value):
    """A datetime as the database compares it in raw SQL."""
    return connection.ops.adapt_datetimefield_value(value)


SQLITE_EPOCH = "((julianday({}) - 2440587.5) * 86400.0)"


class Epoch(Func):
    """Seconds since 1970 of a datetime column, as a float."""

    output_field = FloatField()

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM %(expressions)s)::float8")

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template=SQLITE_EPOCH.format("%(expressions)s"))
