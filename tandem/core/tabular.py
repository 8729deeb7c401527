"""Reading the files people bring (CSV in any common encoding and delimiter, XLSX) and writing
exports that spreadsheets cannot turn into formulas."""

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tandem.core import xlsx
from tandem.core.errors import Invalid

csv.field_size_limit(sys.maxsize)  # a 50 MB cell is reported as too long, not a crash
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
CHUNK = 1024 * 1024


@dataclass
class Table:
    header: list[str]
    encoding: str
    delimiter: str
    format: str


def limits() -> xlsx.Limits:
    return xlsx.Limits(
        unpacked_bytes=settings.TANDEM_IMPORT_MAX_UNPACKED_BYTES,
        rows=settings.TANDEM_IMPORT_MAX_ROWS,
        columns=settings.TANDEM_IMPORT_MAX_COLUMNS,
    )


def is_workbook(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def check(path: Path) -> None:
    """What can be refused at once, before a worker reads the file: empty, or a workbook whose
    zip is broken, too large unpacked, or a zip bomb."""
    if Path(path).stat().st_size == 0:
        raise Invalid("The file is empty.", field="file")
    if is_workbook(path):
        xlsx.check(path, limits())


# --- encodings ---------------------------------------------------------------------------


def _utf16_or_32(head: bytes) -> str | None:
    """UTF-16 or UTF-32 without a byte-order mark, told by where text puts its zero bytes."""
    sample = head[: len(head) // 4 * 4]
    if len(sample) < 8:
        return None
    quads = [sample[i : i + 4] for i in range(0, len(sample), 4)]
    if sum(q[1:] == b"\0\0\0" for q in quads) > 0.8 * len(quads):
        return "utf-32-le"
    if sum(q[:3] == b"\0\0\0" for q in quads) > 0.8 * len(quads):
        return "utf-32-be"
    odd = sample[1::2].count(0) / (len(sample) / 2)
    even = sample[0::2].count(0) / (len(sample) / 2)
    if odd > 0.6 and even < 0.1:
        return "utf-16-le"
    if even > 0.6 and odd < 0.1:
        return "utf-16-be"
    return None


def detect_encoding(path: Path) -> str:
    """The file's text encoding, judged on the whole file: a byte-order mark; UTF-16/32 by its
    zero bytes; UTF-8 when the file decodes as UTF-8, or when it holds UTF-8 text with a few
    stray bytes (those rows are refused, not garbled); else Windows-1252 (Latin-1 where a byte
    has no Windows-1252 character)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for bom, name in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if head.startswith(bom):
            return name
    wide = _utf16_or_32(head[:4096])
    if wide:
        return wide
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    bad = wide_chars = 0
    undefined = False
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            text = decoder.decode(chunk)
            if not chunk.isascii():
                bad += text.count("\ufffd")
                wide_chars += len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
                undefined = undefined or any(b in chunk for b in b"\x81\x8d\x8f\x90\x9d")
        bad += decoder.decode(b"", final=True).count("\ufffd")
    if not bad or wide_chars >= 10 * bad:
        return "utf-8"
    return "latin-1" if undefined else "cp1252"


def undecodable(cell: str) -> bool:
    """A cell read with surrogateescape holds bytes its file's encoding could not decode."""
    return any("\udc80" <= c <= "\udcff" for c in cell)


def _delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def open_table(path: Path) -> Table:
    """What the file is: format, encoding, delimiter, header. Raises Invalid when unreadable.
    Reads the whole file (for the encoding): a worker's job, not a request's."""
    path = Path(path)
    check(path)
    if is_workbook(path):
        header = next(xlsx.rows(path, limits()), None)
        if header is None:
            raise Invalid("The workbook's first sheet is empty.", field="file")
        return Table(_header(header[1]), "", "", "xlsx")
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(SNIFF_BYTES)
    delimiter = _delimiter(sample.lstrip("\ufeff"))
    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header or not any(h.strip() for h in header):
        raise Invalid("The file has no header row.", field="file")
    return Table(_header(header), encoding, delimiter, "csv")


def _header(cells: list[str]) -> list[str]:
    if len(cells) > settings.TANDEM_IMPORT_MAX_COLUMNS:
        raise Invalid(
            f"The file has {len(cells):,} columns; the limit is "
            f"{settings.TANDEM_IMPORT_MAX_COLUMNS:,}.",
            field="file",
        )
    return [(h or "").strip().lstrip("\ufeff")[:200] for h in cells]


def rows(path: Path, table: Table, *, start: int = 2) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each data row from `start` on. Quoted
    newlines stay inside their cell; blank lines are skipped; ragged rows come as they are.
    Bytes the encoding cannot decode stay in the cells as surrogates (see `undecodable`)."""
    if table.format == "xlsx":
        for number, cells in xlsx.rows(path, limits()):
            if number >= max(start, 2):
                yield number, cells
        return
    cap = settings.TANDEM_IMPORT_MAX_ROWS
    with open(path, newline="", encoding=table.encoding, errors="surrogateescape") as handle:
        count = 0
        for number, cells in enumerate(csv.reader(handle, delimiter=table.delimiter), start=1):
            if number < max(start, 2) or not any((c or "").strip() for c in cells):
                continue
            count += 1
            if count > cap:
                raise Invalid(f"The file has more than {cap:,} rows; the limit is that many.")
            yield number, cells


def count_rows(path: Path, table: Table) -> int:
    return sum(1 for _ in rows(path, table))


def shortened(cells: list[str], width: int = 80) -> list[str]:
    """A row for a preview: each cell cut to `width` characters, undecodable bytes as ?."""
    return [c[:width].encode("utf-8", "replace").decode() for c in cells]


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
