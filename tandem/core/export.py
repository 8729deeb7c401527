"""Any list as CSV (streamed), XLSX (formula cells neutralized) or Parquet (typed columns)."""

from django.http import HttpResponse, StreamingHttpResponse

from tandem.core import tabular
from tandem.core.errors import Invalid

FORMATS = ("csv", "xlsx", "parquet")
XLSX_MAX_ROWS = 1_048_575  # what a worksheet holds


def response(fmt: str, filename: str, header: list[str], records):
    """`records` is an iterator of tuples (a values_list(...).iterator())."""
    if fmt == "csv":
        out = StreamingHttpResponse(
            tabular.csv_stream(header, records), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        limited = (r for i, r in enumerate(records) if i < XLSX_MAX_ROWS)
        out = HttpResponse(
            tabular.xlsx_bytes(header, limited),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "parquet":
        from tandem.core.parquet import parquet_bytes  # pyarrow loads only when asked for

        out = HttpResponse(
            parquet_bytes(header, records), content_type="application/vnd.apache.parquet"
        )
    else:
        raise Invalid("Export as csv, xlsx or parquet.", field="format")
    out["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return out
