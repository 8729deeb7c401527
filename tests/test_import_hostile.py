"""Hostile files and broken input at the import's door: every file is answered at once and
read by a worker within limits; an unreadable one gets a reason a person understands; uploads
do not outlive their job; a job whose worker died can be resumed. The files are built here,
small on disk."""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core import liveness, tabular, xlsx
from tandem.core.errors import Invalid
from tandem.transfer import engine, uploads
from tandem.transfer.models import ImportJob, JobStatus
from tests import factories as f
from tests.test_import import HEADER, ROWS

CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"></Types>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook(rows_xml: str, *, shared=None, dimension="A1", parts=None, types=True) -> bytes:
    """A minimal XLSX: [Content_Types].xml, a workbook naming sheet1, the sheet, strings."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        if types:
            z.writestr("[Content_Types].xml", CT)
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet {NS}><dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData>'
            "</worksheet>",
        )
        if shared is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            z.writestr("xl/sharedStrings.xml", f"<sst {NS}>{items}</sst>")
        for name, data in (parts or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


def _row(number: int, *cells: str) -> str:
    inner = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(cells)
    )
    return f'<row r="{number}">{inner}</row>'


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def _upload(client, name: str, content: bytes, kind="people"):
    return client.post("/api/imports", {"kind": kind, "file": SimpleUploadedFile(name, content)})


# 1. a sheet that declares A1:XFD1048576 and holds rows 1 and 1,048,576 ------------------------


def test_a_declared_dimension_pads_nothing(world, as_user):
    content = workbook(
        _row(1, "Email", "First Name") + _row(1_048_576, "far@example.com", "Far"),
        dimension="A1:XFD1048576",
    )
    assert len(content) < 2_000
    response = _upload(as_user(world.marketer), "far.xlsx", content)
    assert response.status_code == 201 and response.json()["status"] == "reading"
    job = engine.inspect(response.json()["id"])
    assert (job.status, job.header, job.total) == ("preview", ["Email", "First Name"], 1)
    assert job.sample == [["far@example.com", "Far"]]
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert job.created == 1 and job.rows.get().number == 1_048_576


def test_a_cell_past_the_column_limit_is_refused_by_name(world, as_user, settings):
    content = workbook(_row(1, "Email") + '<row r="2"><c r="XFD2"><v>1</v></c></row>')
    job = engine.inspect(_upload(as_user(world.marketer), "wide.xlsx", content).json()["id"])
    assert job.status == "failed"
    assert job.error == (
        "This is not a readable workbook: xl/worksheets/sheet1.xml has a cell in column XFD; "
        "the limit is 500 columns."
    )
    assert job.path == ""  # the file went with the failure


# 2. a shared string that inflates to hundreds of megabytes ------------------------------------


def test_a_workbook_too_large_unpacked_is_refused_at_the_upload(world, as_user, settings):
    settings.TANDEM_IMPORT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024
    noise = os.urandom(1_500_000).hex()  # 3 MB that barely compresses: no bomb, just large
    content = workbook(_row(1, "Email"), shared=[noise])
    response = _upload(as_user(world.marketer), "big.xlsx", content)
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert message == "The file is 3 MB when unpacked; the limit is 2 MB."
    assert not list(Path(settings.TANDEM_IMPORT_DIR).iterdir())  # nothing kept
    assert ImportJob.objects.count() == 0


def test_a_zip_bomb_is_refused_from_the_directory(world, as_user):
    bomb = "a" * (20 * 1024 * 1024)  # 20 MB of one letter: about 20 KB packed
    content = workbook(_row(1, "Email"), shared=[bomb])
    assert len(content) < 100_000
    response = _upload(as_user(world.marketer), "bomb.xlsx", content)
    assert response.status_code == 422
    assert "zip bomb" in response.json()["detail"][0]["msg"]


# 3. two million rows: the request answers at once, the worker counts within the cap -----------


def test_many_rows_are_counted_by_the_worker_within_the_cap(world, as_user, settings):
    settings.TANDEM_IMPORT_MAX_ROWS = 1_000
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 3_003))
    content = workbook(_row(1, "Email") + body)
    response = _upload(as_user(world.marketer), "rows.xlsx", content)
    assert response.status_code == 201 and response.json()["total"] == 0  # not counted here
    job = engine.inspect(response.json()["id"])
    assert job.status == "failed"
    assert "has more than 1,000 rows" in job.error
    settings.TANDEM_IMPORT_MAX_ROWS = 5_000
    job = engine.inspect(_upload(as_user(world.marketer), "rows.xlsx", content).json()["id"])
    assert (job.status, job.total) == ("preview", 3_001)


def test_a_csv_past_the_row_cap_fails_with_the_limit(world, as_user, settings):
    settings.TANDEM_IMPORT_MAX_ROWS = 3
    content = (HEADER + ROWS).encode()
    job = engine.inspect(_upload(as_user(world.marketer), "p.csv", content).json()["id"])
    assert (job.status, job.error) == (
        "failed",
        "The file has more than 3 rows; the limit is that many.",
    )


# 4. malformed workbooks answer 422 with a reason, in the API and the UI ------------------------

ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    f"<sst {NS}><si><t>&lol2;</t></si></sst>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    f"<sst {NS}><si><t>&e;</t></si></sst>"
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"PK\x03\x04 this is no zip at all", "the file is not a valid zip archive"),
        (workbook(_row(1, "Email"), types=False), "it has no [Content_Types].xml"),
        (workbook(_row(1, "Email"), parts={"xl/sharedStrings.xml": ENTITY_BOMB}), "declares a DTD"),
        (workbook(_row(1, "Email"), parts={"xl/sharedStrings.xml": EXTERNAL}), "declares a DTD"),
    ],
    ids=["bad-zip", "no-content-types", "entity-bomb", "external-entity"],
)
def test_a_malformed_workbook_is_a_422_with_its_reason(world, as_user, content, reason):
    client = as_user(world.marketer)
    response = _upload(client, "bad.xlsx", content)
    assert response.status_code == 422
    assert reason in response.json()["detail"][0]["msg"]
    page = client.post(
        "/transfer/imports/",
        {"kind": "people", "file": SimpleUploadedFile("bad.xlsx", content)},
        follow=True,
    )
    assert page.status_code == 200 and reason in page.content.decode()
    assert ImportJob.objects.count() == 0


def test_xml_that_breaks_inside_the_sheet_fails_the_job_with_the_reason(world, as_user):
    content = workbook(_row(1, "Email") + "<row r='2'><c r='A2'><v>1</c></row>")
    job = engine.inspect(_upload(as_user(world.marketer), "broken.xlsx", content).json()["id"])
    assert job.status == "failed" and "is not well-formed XML" in job.error


def test_dates_numbers_and_booleans_read_as_a_spreadsheet_shows_them(tmp_path):
    styles = (
        f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
        '</numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/>'
        "</cellXfs></styleSheet>"
    )
    row = (
        '<row r="2"><c r="A2" s="1"><v>45627</v></c><c r="B2" s="2"><v>45627.5</v></c>'
        '<c r="C2"><v>1054.50</v></c><c r="D2"><v>12</v></c><c r="E2" t="b"><v>1</v></c>'
        '<c r="F2" t="s"><v>0</v></c></row>'
    )
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        workbook(
            _row(1, "a", "b", "c", "d", "e", "f") + row,
            shared=["Zoë"],
            parts={"xl/styles.xml": styles},
        )  # fmt: skip
    )
    rows = list(xlsx.rows(path, xlsx.Limits()))
    assert rows[1] == (2, ["2024-12-01", "2024-12-01T12:00:00", "1054.50", "12", "TRUE", "Zoë"])


# 5. uploads do not outlive their job -----------------------------------------------------------


def _files(settings) -> set[str]:
    folder = Path(settings.TANDEM_IMPORT_DIR)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _ready(world, content=None) -> ImportJob:
    job = f.uploaded(
        actor=world.marketer,
        kind="people",
        upload=SimpleUploadedFile("p.csv", content or (HEADER + ROWS).encode()),
        filename="p.csv",
    )
    engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping, policy="update")
    return job


def test_the_file_goes_when_the_import_is_done_and_after_undo(world, settings):
    job = _ready(world)
    assert Path(job.path).exists()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert job.status == "done" and job.path == "" and _files(settings) == set()
    engine.job_undo(actor=world.marketer, job=job)
    assert engine.undo(job.pk) == 3  # undo needs the rows, not the file


def test_the_sweep_deletes_idle_uploads_and_orphans(world, settings):
    never_started = _ready(world)
    cancelled = _ready(world)
    engine.job_cancel(actor=world.marketer, job=cancelled)
    fresh = _ready(world)
    orphan = Path(settings.TANDEM_IMPORT_DIR) / "orphan.csv"
    orphan.write_text("x")
    young_orphan = Path(settings.TANDEM_IMPORT_DIR) / "uploading.csv"
    young_orphan.write_text("x")
    old = timezone.now() - timedelta(hours=settings.TANDEM_IMPORT_KEEP_HOURS + 1)
    ImportJob.objects.filter(pk=never_started.pk).update(created_at=old)
    ImportJob.objects.filter(pk=cancelled.pk).update(created_at=old, finished_at=old)
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    assert uploads.sweep_files() == 3
    left = {j.pk: j.path for j in ImportJob.objects.all()}
    assert left[never_started.pk] == "" and left[cancelled.pk] == ""
    assert Path(left[fresh.pk]).exists() and young_orphan.exists() and not orphan.exists()
    response = engine.job_start
    with pytest.raises(Exception, match="upload it again"):
        response(actor=world.marketer, job=ImportJob.objects.get(pk=never_started.pk))


def test_the_sweep_is_a_periodic_task(world):
    from django_tasks_db.models import DBTaskResult

    call_command("sweeps", stdout=io.StringIO())
    queued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "tandem.transfer.tasks.sweep_import_files" in queued
    assert "tandem.handoff.tasks.rescore_sweep" in queued


# 6. many columns: refused past the limit; the page draws each column once ---------------------


def test_too_many_columns_are_refused_with_the_limit(world, as_user):
    header = ",".join(f"c{i}" for i in range(10_000))
    content = f"{header}\n{','.join('v' for _ in range(10_000))}\n".encode()
    job = engine.inspect(_upload(as_user(world.marketer), "wide.csv", content).json()["id"])
    assert (job.status, job.error) == ("failed", "The file has 10,000 columns; the limit is 500.")


def test_the_mapping_page_shows_each_column_with_its_own_values(world, as_user):
    header = ",".join(["Email", *[f"col{i}" for i in range(1, 400)]])
    cells = ",".join(["a@example.com", *[f"v{i}" for i in range(1, 400)]])
    content = f"{header}\n{cells}\n".encode()
    client = as_user(world.marketer)
    job = engine.inspect(_upload(client, "w.csv", content).json()["id"])
    html = client.get(f"/transfer/imports/{job.pk}/").content.decode()
    for i in (1, 200, 399):
        assert html.count(f">v{i}<") == 1
    assert html.count('<select name="map-') == 400


# 7. a worker killed mid-import -------------------------------------------------------------------


def _dead_runner() -> str:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    runner = liveness.identity(child.pid)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return runner


class Killed(BaseException):
    """What SIGKILL looks like from inside: no handler runs."""


def test_a_job_whose_worker_died_is_seen_and_resumed(world, as_user, monkeypatch):
    rows = "".join(f"p{i}@example.com,P{i},L{i},,DE,\n" for i in range(30))
    job = _ready(world, (HEADER + rows).encode())
    real = engine._write_batch
    calls = []

    def die_on_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise Killed()
        return real(*args)

    monkeypatch.setattr(engine, "_write_batch", die_on_second)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    with pytest.raises(Killed):
        engine.run(job.pk, batch=10)
    monkeypatch.undo()
    ImportJob.objects.filter(pk=job.pk).update(runner=_dead_runner(), cancel_requested=True)
    client = as_user(world.marketer)
    state = client.get(f"/api/imports/{job.pk}").json()
    assert (state["status"], state["stalled"], state["processed"]) == ("running", True, 10)
    page = client.get(f"/transfer/imports/{job.pk}/").content.decode()
    assert 'data-testid="stalled"' in page and "Resume" in page and "Undo this import" in page
    resumed = client.post(f"/api/imports/{job.pk}/start")
    assert resumed.status_code == 202 and resumed.json()["status"] == "queued"
    assert ImportJob.objects.get(pk=job.pk).cancel_requested is False
    job = engine.run(job.pk, batch=10)
    assert (job.status, job.processed, job.created) == ("done", 30, 30)
    assert Person.objects.filter(email_normalized__regex=r"^p[0-9]+@").count() == 30


def test_a_live_worker_is_not_taken_over(world, as_user):
    job = _ready(world)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, runner=liveness.identity(), heartbeat_at=timezone.now()
    )
    client = as_user(world.marketer)
    assert client.get(f"/api/imports/{job.pk}").json()["stalled"] is False
    assert client.post(f"/api/imports/{job.pk}/start").status_code == 409
    assert client.post(f"/api/imports/{job.pk}/undo").status_code == 409


def test_another_machines_worker_is_judged_by_its_heartbeat(world, settings):
    job = _ready(world)
    quiet = timezone.now() - timedelta(seconds=settings.TANDEM_IMPORT_STALL_SECONDS + 5)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, runner="elsewhere:123:456", heartbeat_at=quiet
    )
    assert engine.stalled(ImportJob.objects.get(pk=job.pk))
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert not engine.stalled(ImportJob.objects.get(pk=job.pk))


def test_the_command_line_resumes_a_dead_workers_job_and_forgets_a_cancel(world):
    job = _ready(world)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, runner=_dead_runner(), cancel_requested=True
    )
    out = io.StringIO()
    call_command("import", "resume", str(job.pk), "--as", "marketer", stdout=out)
    job.refresh_from_db()
    assert job.status == "done" and job.created == 3 and not job.cancel_requested, out.getvalue()


def test_a_dead_undo_can_be_asked_again(world):
    job = _ready(world)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    engine.run(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.UNDOING, runner=_dead_runner())
    engine.job_undo(actor=world.marketer, job=ImportJob.objects.get(pk=job.pk))
    assert engine.undo(job.pk) == 3


# 10. encodings judged on the whole file ------------------------------------------------


def _detect(tmp_path, raw: bytes) -> str:
    path = tmp_path / "e.csv"
    path.write_bytes(raw)
    return tabular.detect_encoding(path)


def test_a_latin1_byte_after_64kb_is_read_as_latin1(world, tmp_path):
    filler = "".join(f"p{i}@example.com,P,L,,DE,\n" for i in range(3000))
    assert len(filler) > 64 * 1024
    text = HEADER + filler + "jose@example.com,José,Müller,,DE,\n"
    raw = text.encode("cp1252")
    assert _detect(tmp_path, raw) == "cp1252"
    job = _ready(world, raw)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    engine.run(job.pk)
    assert Person.objects.get(email_normalized="jose@example.com").first_name == "José"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom(world, tmp_path, codec):
    text = HEADER + "zoe@example.com,Zoë,Ångström,,DE,Chef\n"
    assert _detect(tmp_path, text.encode(codec)) == codec
    job = _ready(world, text.encode(codec))
    assert job.header[:2] == ["Email", "First Name"]
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert (
        job.created == 1
        and Person.objects.get(email_normalized="zoe@example.com").last_name == "Ångström"
    )


def test_stray_bytes_in_utf8_fail_their_rows_by_number(world):
    good = "".join(f"z{i}@example.com,Zoë{i},Ø,,DE,\n" for i in range(20))
    raw = (HEADER + good).encode() + b"bad@example.com,Jos\xe9,X,,DE,\n"
    job = _ready(world, raw)
    assert job.encoding == "utf-8"
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert (job.created, job.failed) == (20, 1)
    failure = job.rows.get(action="failed")
    assert failure.number == 22 and "cannot be read as text" in failure.message


def test_a_table_check_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(Invalid, match="empty"):
        tabular.check(path)
