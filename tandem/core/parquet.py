"""Exports as Parquet: typed columns (numbers, dates, times, text), written in row groups."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 65_536


def _kind(values) -> str:
    seen = {type(v) for v in values if v is not None}
    if not seen:
        return "text"
    if seen <= {bool}:
        return "bool"
    if seen <= {int}:
        return "int"
    if seen <= {int, float, Decimal}:
        return "float"
    if seen <= {datetime}:
        return "timestamp"
    if seen <= {date}:
        return "date"
    return "text"


TYPES = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "text": pa.string(),
}


def _convert(kind: str, value):
    if value is None:
        return None
    if kind == "float":
        return float(value)
    if kind == "timestamp":
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if kind == "text" and not isinstance(value, str):
        return str(value)
    return value


def parquet_bytes(header: list[str], records) -> bytes:
    """Each column's type comes from all its values: a column that mixes kinds (text among
    numbers) is written as text, so nothing is lost. The rows are held in memory while the
    columns are typed (an export of a million rows of a list takes a few hundred MB)."""
    rows = list(records)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    kinds = [_kind(col) for col in columns]
    names = _unique(header)
    schema = pa.schema([pa.field(n, TYPES[k]) for n, k in zip(names, kinds, strict=True)])
    out = io.BytesIO()
    with pq.ParquetWriter(out, schema) as writer:
        for start in range(0, max(len(rows), 1), ROW_GROUP):
            arrays = [
                pa.array([_convert(k, v) for v in col[start : start + ROW_GROUP]], type=TYPES[k])
                for col, k in zip(columns, kinds, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return out.getvalue()


def _unique(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if not n else f"{name} ({n + 1})")
    return out
