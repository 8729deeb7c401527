"""Reading the files people bring (CSV in any common encoding and delimiter, XLSX) and writing
exports that spreadsheets cannot turn into formulas."""

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tandem.core.errors import Invalid

csv.field_size_limit(sys.maxsize)  # a 50 MB cell is reported as too long, not a crash
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


@dataclass
class Table:
    header: list[str]
    encoding: str
    delimiter: str
    format: str


def detect_encoding(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # cut in the middle of a character at the sample's end
            return "utf-8"
        return "latin-1"


def _delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def open_table(path: Path) -> Table:
    """What the file is: format, encoding, delimiter, header. Raises Invalid when unreadable."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise Invalid("The file is empty.")
    with open(path, "rb") as handle:
        raw = handle.read(SNIFF_BYTES)
    if raw.startswith(b"PK\x03\x04"):
        header = next(_xlsx_rows(path), None)
        if header is None:
            raise Invalid("The workbook's first sheet is empty.")
        return Table([_cell(c) for c in header], "", "", "xlsx")
    encoding = detect_encoding(raw)
    sample = raw.decode(encoding, errors="replace")
    delimiter = _delimiter(sample.lstrip("\ufeff"))
    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header or not any(h.strip() for h in header):
        raise Invalid("The file has no header row.")
    return Table([h.strip().lstrip("\ufeff") for h in header], encoding, delimiter, "csv")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def rows(path: Path, table: Table, *, start: int = 2) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each data row from `start` on. Quoted
    newlines stay inside their cell; blank lines are skipped; ragged rows come as they are."""
    if table.format == "xlsx":
        source = ([_cell(c) for c in row] for row in _xlsx_rows(path))
    else:
        handle = open(path, newline="", encoding=table.encoding, errors="replace")  # noqa: SIM115
        source = csv.reader(handle, delimiter=table.delimiter)
    try:
        for number, cells in enumerate(source, start=1):
            if number < max(start, 2):
                continue
            if not any((c or "").strip() for c in cells):
                continue
            yield number, cells
    finally:
        if table.format != "xlsx":
            handle.close()


def count_rows(path: Path, table: Table) -> int:
    return sum(1 for _ in rows(path, table))


# --- exports -----------------------------------------------------------------------------


def safe(value) -> str:
    """A cell a spreadsheet shows as text: = + - @ (and tab, CR) at the start get a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def csv_stream(header: list[str], records) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for record in records:
        yield writer.writerow([safe(v) for v in record])


def xlsx_bytes(header: list[str], records) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for record in records:
        sheet.append([safe(v) for v in record])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
