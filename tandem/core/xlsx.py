"""Reading the first sheet of an XLSX workbook as a stream of rows, safely.

A workbook is a zip of XML files, and both can be hostile: a zip whose entries unpack to
gigabytes, a sheet that declares A1:XFD1048576 to make a reader pad a million empty rows, XML
with entity declarations. So the zip is checked from its directory before anything is unpacked,
the XML is read by expat in chunks with any DTD refused, the declared dimension is ignored (only
cells that exist are read), and rows, columns and unpacked sizes are capped."""

import re
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from xml.parsers import expat

from tandem.core.errors import Invalid

CHUNK = 64 * 1024
MB = 1024 * 1024
UNREADABLE = "This is not a readable workbook"


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int = 200 * MB
    ratio: int = 200  # unpacked / packed for one entry; real sheets stay far below 100
    entries: int = 10_000
    rows: int = 5_000_000
    columns: int = 500
    shared_strings_bytes: int = 64 * MB  # the text table is held in memory while reading
    cell_chars: int = 32_767  # Excel's own limit for one cell


class _Refused(Exception):
    """Raised inside an expat handler; becomes Invalid with its message."""


def check(path, limits: Limits) -> None:
    """Refuse a workbook from its zip directory alone: cheap enough for the upload request."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                raise Invalid(f"{UNREADABLE}: it has no [Content_Types].xml.", field="file")
            if len(infos) > limits.entries:
                raise Invalid(
                    f"{UNREADABLE}: it holds {len(infos):,} files; the limit is "
                    f"{limits.entries:,}.",
                    field="file",
                )
            _check_sizes(infos, limits)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _check_head(archive, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError):
        raise Invalid(f"{UNREADABLE}: the file is not a valid zip archive.", field="file") from None


def _check_sizes(infos, limits: Limits) -> None:
    total = sum(i.file_size for i in infos)
    if total > limits.unpacked_bytes:
        raise Invalid(
            f"The file is {total / MB:,.0f} MB when unpacked; the limit is "
            f"{limits.unpacked_bytes / MB:,.0f} MB.",
            field="file",
        )
    for info in infos:
        if info.filename == "xl/sharedStrings.xml" and info.file_size > limits.shared_strings_bytes:
            raise Invalid(
                f"The workbook's text table is {info.file_size / MB:,.0f} MB unpacked; the limit "
                f"is {limits.shared_strings_bytes / MB:,.0f} MB. Save it as CSV to import it.",
                field="file",
            )
        if info.file_size > MB and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise Invalid(
                f"{UNREADABLE}: {info.filename} unpacks {info.file_size / info.compress_size:,.0f}"
                f" times its packed size (a zip bomb); the limit is {limits.ratio} times.",
                field="file",
            )


def _check_head(archive: zipfile.ZipFile, info) -> None:
    with archive.open(info) as handle:
        head = handle.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise Invalid(f"{UNREADABLE}: {info.filename} declares a DTD.", field="file")


# --- reading ---------------------------------------------------------------------------------


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_):
        raise _Refused("declares a DTD")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _stream(archive: zipfile.ZipFile, name: str, parser, out: list) -> Iterator[list]:
    """Feed the entry to expat in chunks; after each chunk, hand over what the handlers put in
    `out` (so a caller can stop early without reading the rest)."""
    try:
        with archive.open(name) as handle:
            while chunk := handle.read(CHUNK):
                parser.Parse(chunk, False)
                if out:
                    yield out[:]
                    out.clear()
            parser.Parse(b"", True)
        if out:
            yield out[:]
            out.clear()
    except _Refused as exc:
        raise Invalid(f"{UNREADABLE}: {name} {exc}.", field="file") from None
    except expat.ExpatError as exc:
        raise Invalid(
            f"{UNREADABLE}: {name} is not well-formed XML ({exc}).", field="file"
        ) from None


def _read_all(archive, name: str, on_start, on_end, on_text=None) -> None:
    parser = _parser()
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    if on_text:
        parser.CharacterDataHandler = on_text
    for _ in _stream(archive, name, parser, []):
        pass


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, bool]:
    """The path of the workbook's first sheet, and whether dates count from 1904."""
    names = set(archive.namelist())
    found = {"rid": None, "1904": False, "targets": {}}

    def on_workbook(name, attrs):
        local = _local(name)
        if local == "sheet" and found["rid"] is None:
            found["rid"] = next((v for k, v in attrs.items() if _local(k) == "id"), None)
        elif local == "workbookPr":
            found["1904"] = attrs.get("date1904") in ("1", "true")

    def on_rels(name, attrs):
        if _local(name) == "Relationship":
            found["targets"][attrs.get("Id")] = attrs.get("Target", "")

    if "xl/workbook.xml" in names:
        _read_all(archive, "xl/workbook.xml", on_workbook, lambda n: None)
    if "xl/_rels/workbook.xml.rels" in names:
        _read_all(archive, "xl/_rels/workbook.xml.rels", on_rels, lambda n: None)
    target = found["targets"].get(found["rid"], "")
    if target:
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        path = str(PurePosixPath(path))
        if path in names:
            return path, found["1904"]
    for fallback in ("xl/worksheets/sheet1.xml", "xl/worksheets/Sheet1.xml"):
        if fallback in names:
            return fallback, found["1904"]
    raise Invalid(f"{UNREADABLE}: it has no worksheet.", field="file")


class _Strings:
    """The shared-string table, packed: UTF-8 bytes end to end and where each one ends (a
    list of str objects would cost ~50 bytes of overhead per string)."""

    def __init__(self):
        self.data, self.ends = bytearray(), array("Q")

    def append(self, text: str) -> None:
        self.data += text.encode()
        self.ends.append(len(self.data))

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self.ends[index - 1] if index else 0
        return self.data[start : self.ends[index]].decode()


def _shared_strings(archive: zipfile.ZipFile, limits: Limits) -> _Strings:
    strings, parts, state = _Strings(), [], {"in_t": False, "skip": 0, "size": 0}
    if "xl/sharedStrings.xml" not in archive.namelist():
        return strings

    def start(name, attrs):
        local = _local(name)
        if local in ("rPh", "phoneticPr"):
            state["skip"] += 1
        elif local == "t" and not state["skip"]:
            state["in_t"] = True
        elif local == "si":
            parts.clear()
            state["size"] = 0

    def end(name):
        local = _local(name)
        if local in ("rPh", "phoneticPr"):
            state["skip"] -= 1
        elif local == "t":
            state["in_t"] = False
        elif local == "si":
            strings.append("".join(parts)[: limits.cell_chars])
            parts.clear()
            state["size"] = 0

    def text(data):
        if state["in_t"] and state["size"] < limits.cell_chars:
            parts.append(data)
            state["size"] += len(data)

    _read_all(archive, "xl/sharedStrings.xml", start, end, text)
    return strings


_BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell styles whose number format shows a date or a time."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    custom, xfs, state = {}, [], {"in_xfs": False}

    def start(name, attrs):
        local = _local(name)
        if local == "numFmt":
            code = _QUOTED.sub("", attrs.get("formatCode", "")).lower()
            custom[int(attrs.get("numFmtId", "0"))] = bool(re.search(r"[ymdhs]", code))
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            xfs.append(int(attrs.get("numFmtId", "0")))

    def end(name):
        if _local(name) == "cellXfs":
            state["in_xfs"] = False

    _read_all(archive, "xl/styles.xml", start, end)
    return {i for i, fmt in enumerate(xfs) if fmt in _BUILTIN_DATES or custom.get(fmt)}


def _column(ref: str) -> int:
    """'C7' → 2 (0-based); -1 when the reference has no letters."""
    index = 0
    for char in ref:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            index = index * 26 + ord(char) - 96
        else:
            break
    return index - 1


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _number(raw: str) -> str:
    try:
        value = float(raw)
    except ValueError:
        return raw
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else raw


def _date(raw: str, epoch_1904: bool) -> str:
    try:
        serial = float(raw)
    except ValueError:
        return raw
    if not 0 <= serial < 2_958_466:  # past 9999-12-31
        return raw
    base = datetime(1904, 1, 1) if epoch_1904 else datetime(1899, 12, 30)
    moment = base + timedelta(days=serial)
    moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
    if serial.is_integer():
        return moment.date().isoformat()
    return moment.isoformat()


class _SheetReader:
    """expat handlers that turn <row>/<c> elements into (row number, cells) tuples."""

    def __init__(self, strings, date_styles, epoch_1904, limits: Limits, out: list):
        self.strings, self.date_styles, self.epoch_1904 = strings, date_styles, epoch_1904
        self.limits, self.out = limits, out
        self.rows = 0
        self.row = None
        self.cell = None  # [column, type, style, text parts]
        self.in_value = False
        self.last_row = 0

    def start(self, name, attrs):
        local = _local(name)
        if local == "c" and self.row is not None:
            column = _column(attrs.get("r", "")) if attrs.get("r") else len(self.row[1])
            if column < 0:
                column = len(self.row[1])
            if column >= self.limits.columns:
                raise _Refused(
                    f"has a cell in column {_letters(column)}; the limit is "
                    f"{self.limits.columns:,} columns"
                )
            self.cell = [column, attrs.get("t", "n"), int(attrs.get("s", "0") or 0), []]
        elif local in ("v", "t") and self.cell is not None:
            self.in_value = True
        elif local == "row":
            number = attrs.get("r")
            self.last_row = int(number) if number and number.isdigit() else self.last_row + 1
            self.row = (self.last_row, {})

    def end(self, name):
        local = _local(name)
        if local in ("v", "t"):
            self.in_value = False
        elif local == "c" and self.cell is not None:
            column, kind, style, parts = self.cell
            self.row[1][column] = self._value(kind, style, "".join(parts))
            self.cell = None
        elif local == "row" and self.row is not None:
            self._emit()

    def text(self, data):
        if self.in_value and len(self.cell[3]) < 64:
            self.cell[3].append(data[: self.limits.cell_chars])

    def _value(self, kind: str, style: int, raw: str) -> str:
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                return ""
        if kind == "b":
            return "TRUE" if raw == "1" else "FALSE"
        if kind in ("str", "inlineStr", "e"):
            return raw
        if style in self.date_styles:
            return _date(raw, self.epoch_1904)
        return _number(raw)

    def _emit(self):
        number, cells = self.row
        self.row = None
        if not any(v.strip() for v in cells.values()):
            return
        self.rows += 1
        if self.rows > self.limits.rows:
            raise _Refused(f"has more than {self.limits.rows:,} rows; the limit is that many")
        width = max(cells) + 1
        self.out.append((number, [cells.get(i, "") for i in range(width)]))


def rows(path, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(row number as the sheet numbers it, cells) for each row of the first sheet that holds
    something; raises Invalid with a reason a person understands."""
    check(path, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise Invalid(f"{UNREADABLE}: the file is not a valid zip archive.", field="file") from None
    with archive:
        sheet, epoch_1904 = _first_sheet(archive)
        strings = _shared_strings(archive, limits)
        out: list = []
        reader = _SheetReader(strings, _date_styles(archive), epoch_1904, limits, out)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        parser.buffer_text = True
        for batch in _stream(archive, sheet, parser, out):
            yield from batch
