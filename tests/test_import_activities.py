"""Parquet exports and the import of activities (the import engine: test_import.py)."""

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.transfer import engine
from tandem.transfer.models import ImportJob, JobStatus
from tests import factories as f


def test_parquet_export_keeps_types_and_values(world, as_user):
    """Lists and reports export as Parquet with typed columns; text stays as written."""
    import io
    from decimal import Decimal

    import pyarrow.parquet as pq

    from tests import factories as f

    f.person(first_name="=cmd|' /C calc'!A0", last_name="Ünïcode")
    client = as_user(world.marketing_manager)
    people = pq.read_table(io.BytesIO(client.get("/contacts/people/export?format=parquet").content))
    values = [v for name in people.schema.names for v in people.column(name).to_pylist()]
    assert "=cmd|' /C calc'!A0" in values, people.schema.names  # no spreadsheet: kept as is
    assert people.num_rows == 2
    f.opportunity(world.owner, amount=Decimal("1234.56"), name="Typed")
    opps = pq.read_table(
        io.BytesIO(
            as_user(world.sales_manager).get("/sales/opportunities/export?format=parquet").content
        )
    )
    amount = next(n for n in opps.schema.names if "mount" in n)
    assert str(opps.schema.field(amount).type) == "double"
    assert 1234.56 in opps.column(amount).to_pylist()
    assert client.get("/contacts/people/export?format=pdf").status_code == 400


def test_activities_import_links_and_does_not_double(world, as_user):
    """Calls, meetings and tasks from another CRM: owner by name, person by email, deal by name;
    unknown links are noted on the row, a bad kind or date is refused with its row number, and
    importing the same file again adds nothing."""
    from tandem.sales.models import Activity

    header = "Activity type,Subject,Notes,Due date,Completed,Assigned to,Contact email,Deal\n"
    body = (
        f"Phone call,Intro call,Asked about =SUM(A1),2026-03-02 10:00,2026-03-02,owner,"
        f"{world.person.email.upper()},Owner Deal\n"
        "Meeting,Demo,,03/25/2026,,owner,nobody@example.test,No such deal\n"
        "Telepathy,Mind meld,,2026-03-09,,owner,,\n"
        "Task,Send quote,,not a date,,owner,,\n"
        ",No kind given,,2026-03-11,,owner,,\n"
        "Call,Invented,,2026-03-12,,Jane Newrep,,\n"
    )
    client = as_user(world.sales_manager)
    assert (
        "Activities (calls, meetings, emails, tasks)"
        in client.get("/transfer/imports/").content.decode()
    )
    upload = SimpleUploadedFile("activities.csv", (header + body).encode())
    created = client.post("/api/imports", {"kind": "activities", "file": upload})
    assert created.status_code == 201, created.content
    job = engine.inspect(created.json()["id"])
    assert set(job.mapping.values()) == {"kind", "subject", "notes", "due_at", "done_at", "owner",
                                         "email", "opportunity"}  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert (job.created, job.failed) == (3, 3)
    failures = job.rows.filter(action="failed").order_by("number").values_list("number", "column")
    assert list(failures) == [(4, "Activity type"), (5, "Due date"), (7, "owner")]
    assert job.rows.get(number=7).message == "owner: no user named “Jane Newrep”"
    assert not get_user_model().objects.filter(last_name="Newrep").exists()  # no user made
    intro = Activity.objects.get(subject="Intro call")
    assert (intro.kind, intro.owner, intro.person, intro.opportunity) == (
        "call", world.owner, world.person, world.opportunity)  # fmt: skip
    assert intro.done_at is not None and intro.notes == "Asked about =SUM(A1)"
    demo = Activity.objects.get(subject="Demo")
    assert demo.owner == world.owner and demo.person is None
    assert "no person with nobody@example.test" in job.rows.get(number=3).message
    assert Activity.objects.get(subject="No kind given").kind == "task"
    again = f.uploaded(actor=world.sales_manager, kind="activities",
                              upload=SimpleUploadedFile("a.csv", (header + body).encode()),
                              filename="a.csv")  # fmt: skip
    ImportJob.objects.filter(pk=again.pk).update(status=JobStatus.QUEUED)
    again = engine.run(again.pk)
    assert (again.created, again.skipped) == (0, 3)
    engine.job_undo(actor=world.sales_manager, job=job)
    assert engine.undo(job.pk) == 3
    assert not Activity.objects.filter(subject__in=["Intro call", "Demo"]).exists()
    refused = as_user(world.marketer).post(
        "/api/imports", {"kind": "activities", "file": SimpleUploadedFile("a.csv", body.encode())}
    )
    assert refused.status_code == 403
