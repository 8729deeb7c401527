"""Hostile and large workbooks: peak memory (RSS) and time of Tandem's reader against
openpyxl's read-only mode (the peer library Tandem used before), each in its own process.

    .venv/bin/python bench/hostile_files.py

Files, built here in a temporary folder:
- bomb: one shared string that inflates to 600 MB (613 KB on disk), as in issue 26;
- padded: dimension A1:XFD1048576 with rows 1 and 1,048,576 (1.6 KB on disk);
- plain: 100,000 rows × 8 columns of real-looking text and numbers.

Tandem refuses the first at the zip directory, reads only the two cells of the second, and
streams the third. openpyxl is given a time limit (BENCH_OPENPYXL_SECONDS, 60 by default).
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
OPENPYXL_SECONDS = int(os.environ.get("BENCH_OPENPYXL_SECONDS", "60"))
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>'
    "{shared}</Types>"
)
SHARED_TYPE = (
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
)


def _book(path: Path, sheet: bytes, shared: bytes | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", TYPES.format(shared=SHARED_TYPE if shared else ""))
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>',
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats'
            '.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)


def build(folder: Path) -> dict[str, Path]:
    files = {}
    bomb = folder / "bomb.xlsx"
    one = b"<sst " + NS.encode() + b"><si><t>" + b"A" * (600 * 2**20) + b"</t></si></sst>"
    _book(bomb, f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
          "</sheetData></worksheet>".encode(), one)  # fmt: skip
    del one
    files["bomb"] = bomb
    padded = folder / "padded.xlsx"
    _book(padded, (
        f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x@example.com</t></is></c></row>'
        "</sheetData></worksheet>").encode())  # fmt: skip
    files["padded"] = padded
    plain = folder / "plain.xlsx"
    rows = io.StringIO()
    rows.write(f"<worksheet {NS}><sheetData>")
    for n in range(1, 100_002):
        cells = (
            f'<c r="A{n}" t="inlineStr"><is><t>person{n}@example.com</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t>First{n % 997}</t></is></c>'
            f'<c r="C{n}" t="inlineStr"><is><t>Last{n % 1999}</t></is></c>'
            f'<c r="D{n}" t="inlineStr"><is><t>Company {n % 5000}</t></is></c>'
            f'<c r="E{n}" t="inlineStr"><is><t>DE</t></is></c>'
            f'<c r="F{n}"><v>{n * 7 % 10000}</v></c>'
            f'<c r="G{n}"><v>{n / 7:.4f}</v></c>'
            f'<c r="H{n}" t="inlineStr"><is><t>Sales Director</t></is></c>'
        )
        rows.write(f'<row r="{n}">{cells}</row>')
    rows.write("</sheetData></worksheet>")
    _book(plain, rows.getvalue().encode())
    files["plain"] = plain
    return files


CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
import django
django.setup()
path, reader = sys.argv[1], sys.argv[2]
start = time.perf_counter()
rows, outcome = 0, "read"
if reader == "tandem":
    from tandem.core import tabular
    from tandem.core.errors import Invalid
    try:
        table = tabular.open_table(path)
        rows = tabular.count_rows(path, table)
    except Invalid as exc:
        outcome = "refused: " + exc.message
else:
    from openpyxl import load_workbook
    book = load_workbook(path, read_only=True, data_only=True)
    for _ in book.worksheets[0].iter_rows(values_only=True):
        rows += 1
seconds = time.perf_counter() - start
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(f"{{seconds:.3f}}\t{{peak:.0f}}\t{{rows}}\t{{outcome}}")
"""


def measure(path: Path, reader: str) -> tuple[float, float, int, str] | None:
    code = CHILD.format(root=str(ROOT))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path), reader],
            capture_output=True,
            text=True,
            timeout=OPENPYXL_SECONDS if reader == "openpyxl" else 600,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode:
        error = (done.stderr.strip().splitlines() or ["?"])[-1][:70]
        return 0.0, 0.0, 0, f"crashed: {error}"
    out = done.stdout.strip().splitlines()[-1]
    seconds, peak, rows, outcome = out.split("\t")
    return float(seconds), float(peak), int(rows), outcome


def main() -> None:
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; runs: {RUNS}")
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
        print(f"{'file':8} {'on disk':>10} {'unpacked':>10}  reader    {'seconds':>8} "
              f"{'peak RSS':>9} {'rows':>9}  outcome")  # fmt: skip
        for name, path in files.items():
            with zipfile.ZipFile(path) as z:
                unpacked = sum(i.file_size for i in z.infolist())
            results = {"tandem": [], "openpyxl": []}
            for _ in range(RUNS):  # alternating, each in a fresh process
                for reader in results:
                    results[reader].append(measure(path, reader))
            for reader, runs in results.items():
                done = [r for r in runs if r is not None]
                if not done:
                    line = f"no answer within {OPENPYXL_SECONDS} s (stopped)"
                    print(f"{name:8} {path.stat().st_size / 1024:8,.1f}KB "
                          f"{unpacked / 2**20:8,.0f}MB  {reader:8}  {line}")  # fmt: skip
                    continue
                secs = statistics.median(r[0] for r in done)
                peak = statistics.median(r[1] for r in done)
                print(
                    f"{name:8} {path.stat().st_size / 1024:8,.1f}KB {unpacked / 2**20:8,.0f}MB  "
                    f"{reader:8} {secs:8.2f} {peak:7,.0f}MB {done[0][2]:9,}  {done[0][3]}"
                )
    print("(peak RSS is the process's VmHWM, Django's own start-up included)")


if __name__ == "__main__":
    main()
