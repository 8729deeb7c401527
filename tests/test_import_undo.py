"""Undo of an import, in a worker while the job page follows it, and the command line's
import, resume and undo."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tandem.contacts.models import Person
from tandem.transfer import engine
from tandem.transfer.models import ImportJob
from tests.test_import import HEADER, ROWS, _run


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


@pytest.mark.django_db(transaction=True)
def test_undo_runs_in_the_background_and_the_page_follows_it(world, as_user):
    from django_tasks_db.models import DBTaskResult

    job = _run(world, (HEADER + ROWS).encode())
    client = as_user(world.marketer)
    response = client.post(f"/api/imports/{job.pk}/undo")  # committed: the task is queued
    assert response.status_code == 202 and response.json()["status"] == "undoing"
    queued = DBTaskResult.objects.filter(task_path__endswith="undo_import")
    assert queued.count() == 1 and queued.get().args_kwargs["args"] == [job.pk]
    client.post(f"/transfer/imports/{job.pk}/undo")  # asked twice: still one undo
    assert queued.count() == 1
    page = client.get(f"/transfer/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Removing what this import created" in page and "hx-trigger" in page
    assert Person.objects.filter(email_normalized="ada@example.com").exists()  # not yet
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert queued.get().status == "SUCCESSFUL" and queued.get().return_value == 3
    assert not Person.objects.filter(email_normalized="ada@example.com").exists()
    assert Person.objects.filter(pk=world.person.pk).exists()
    page = client.get(f"/transfer/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Undo removed 3 records" in page and "hx-trigger" not in page
    assert client.get(f"/api/imports/{job.pk}").json()["removed"] == 3
    preview = client.post("/api/imports", {"kind": "people", "file": SimpleUploadedFile(
        "later.csv", (HEADER + ROWS).encode())}).json()  # fmt: skip
    refused = client.post(f"/api/imports/{preview['id']}/undo")
    assert refused.status_code == 409 and "nothing to undo" in refused.json()["detail"][0]["msg"]


def test_an_undo_that_stops_midway_removes_nothing_and_can_run_again(world, monkeypatch):
    job = _run(world, (HEADER + ROWS).encode())
    created = Person.objects.filter(email_normalized__in=["ada@example.com", "grace@example.com",
                                                          "linus@example.com"])  # fmt: skip
    real_delete = Person.objects.filter(pk=0).delete.__func__

    def delete_then_crash(queryset):
        real_delete(queryset)
        raise OSError("disk full")

    monkeypatch.setattr(type(Person.objects.all()), "delete", delete_then_crash)
    engine.job_undo(actor=world.marketer, job=job)
    with pytest.raises(OSError):
        engine.undo(job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "Undo stopped, nothing removed: disk full"
    assert created.count() == 3
    engine.job_undo(actor=world.marketer, job=job)
    assert engine.undo(job.pk) == 3 and created.count() == 0
    job.refresh_from_db()
    assert (job.status, job.removed) == ("undone", 3)


def test_command_line_imports_resumes_and_undoes(world, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    out = io.StringIO()
    call_command("import", "people", str(path), "--as", "marketer",
                 "--map", "Job Title=", stdout=out)  # fmt: skip
    job = ImportJob.objects.get()
    assert f"import {job.pk}: done; 4 rows" in out.getvalue() and "3 created" in out.getvalue()
    assert (
        "1 failed" in out.getvalue() and f"/transfer/imports/{job.pk}/errors.csv" in out.getvalue()
    )
    assert Person.objects.get(email_normalized="ada@example.com").title == ""  # unmapped
    out = io.StringIO()
    call_command("import", "undo", str(job.pk), "--as", "marketer", stdout=out)
    assert out.getvalue().strip() == f"import {job.pk}: undone; 3 removed"
    assert not Person.objects.filter(email_normalized="ada@example.com").exists()
    with pytest.raises(CommandError, match="is undone: nothing to resume"):
        call_command("import", "resume", str(job.pk), "--as", "marketer")
    with pytest.raises(CommandError, match="No user"):
        call_command("import", "people", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="No column"):
        call_command("import", "people", str(path), "--as", "marketer", "--map", "Salary=title")
