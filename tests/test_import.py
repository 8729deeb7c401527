"""Import: bad input gets a clear message per row and nothing else is lost; jobs resume,
cancel and undo; HubSpot and Salesforce headers map themselves."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.contacts.models import LifecycleTransition, Organization, Person
from tandem.core import tabular
from tandem.core.errors import Invalid
from tandem.transfer import engine
from tandem.transfer import people as people_import
from tandem.transfer.models import ImportJob, ImportRow, JobStatus
from tests import factories as f
from tests.conftest import shared_dataset

HEADER = "Email,First Name,Last Name,Company Name,Country/Region,Job Title\n"
ROWS = (
    "ada@example.com,Ada,Lovelace,Analytical Engines,United Kingdom,Countess\n"
    "grace@example.com,Grace,Hopper,Navy,US,Rear Admiral\n"
    "not-an-email,Bad,Row,,DE,\n"
    "linus@example.com,Linus,Torvalds,,Finland,Maintainer\n"
)


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def _job(world, content: bytes, name="people.csv", kind="people", policy="update", mapping=None,
         program=None):  # fmt: skip
    job = f.uploaded(
        actor=world.marketer, kind=kind, upload=SimpleUploadedFile(name, content), filename=name
    )
    engine.job_configure(actor=world.marketer, job=job, mapping=mapping or job.mapping,
                         policy=policy, program=program)  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    return job


def _run(world, content: bytes, **kw) -> ImportJob:
    return engine.run(_job(world, content, **kw).pk)


def _failures(job):
    return list(
        job.rows.filter(action="failed").order_by("number").values_list("number", "message")
    )


def test_hubspot_headers_map_and_good_rows_go_in(world):
    job = _run(world, (HEADER + ROWS).encode())
    assert job.status == "done" and (job.created, job.failed) == (3, 1)
    assert job.mapping == {"0": "email", "1": "first_name", "2": "last_name", "3": "organization",
                           "4": "country", "5": "title"}  # fmt: skip
    ada = Person.objects.get(email_normalized="ada@example.com")
    assert (ada.country, ada.organization.name, ada.title) == (
        "GB",
        "Analytical Engines",
        "Countess",
    )
    assert _failures(job) == [(4, "Email: “not-an-email” is not an email address")]
    assert LifecycleTransition.objects.filter(person=ada, to_stage="lead").exists()


def test_salesforce_headers_map(world):
    header = "FirstName,LastName,Email,Title,Account Name,MailingCountry,Phone\n"
    job = _job(world, (header + "A,B,a@b.io,CTO,Acme,DE,123\n").encode())
    assert set(job.mapping.values()) == {"first_name", "last_name", "email", "title",
                                         "organization", "country", "phone"}  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("latin-1", b"")],
)
def test_encodings(world, encoding, bom):
    text = HEADER + "zoe@example.com,Zoë,Ångström,Café Müller,DE,Chef\n"
    job = _run(world, bom + text.encode(encoding))
    assert job.created == 1, _failures(job)
    zoe = Person.objects.get(email_normalized="zoe@example.com")
    assert (zoe.first_name, zoe.last_name, zoe.organization.name) == (
        "Zoë",
        "Ångström",
        "Café Müller",
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_quoted_newlines_and_ragged_rows(world, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["email", "first_name", "last_name", "title"])
    writer.writerow(["multi@example.com", "Multi", "Line", "Head of\nthings"])
    writer.writerow(["short@example.com", "Short"])  # ragged: fewer cells
    writer.writerow(["long@example.com", "Long", "Row", "CEO", "extra", "cells"])
    job = _run(world, buffer.getvalue().encode())
    assert job.created == 3 and job.failed == 0, _failures(job)
    assert Person.objects.get(email_normalized="multi@example.com").title == "Head of\nthings"
    assert job.delimiter == delimiter


def test_empty_file_and_header_only(world):
    with pytest.raises(Invalid, match="empty"):
        _job(world, b"")
    job = _run(world, HEADER.encode())
    assert (job.status, job.total, job.created) == ("done", 0, 0)


def test_a_50_mb_field_is_refused_alone(world):
    big = "x" * (50 * 1024 * 1024)
    content = (HEADER + f"big@example.com,{big},B,,DE,\n" + "ok@example.com,O,K,,DE,\n").encode()
    job = _run(world, content)
    assert (job.created, job.failed) == (1, 1)
    assert "longer than 100 characters" in _failures(job)[0][1]
    assert Person.objects.filter(email_normalized="ok@example.com").exists()


def test_duplicates_within_the_file_and_policies(world):
    f.person(email="known@example.com", first_name="Old", title="")
    rows = (
        "email,first_name,title\n"
        "known@example.com,New,Engineer\n"
        "twice@example.com,First,\n"
        "TWICE@example.com,Second,Boss\n"
    )
    job = _run(world, rows.encode(), policy="update")
    assert (job.created, job.updated) == (1, 2)
    assert Person.objects.filter(email_normalized="twice@example.com").count() == 1
    assert Person.objects.get(email_normalized="twice@example.com").first_name == "Second"
    known = Person.objects.get(email_normalized="known@example.com")
    assert (known.first_name, known.title) == ("New", "Engineer")
    skip = _run(world, b"email,first_name\nknown@example.com,Again\n", policy="skip")
    assert skip.skipped == 1
    known.refresh_from_db()
    assert known.first_name == "New"


def test_formula_payloads_are_stored_as_given_and_neutralized_on_export(world):
    job = _run(world, b"email,first_name,last_name\nf@example.com,=HYPERLINK(1),@SUM(A1)\n")
    person = Person.objects.get(pk=job.rows.get().object_id)
    assert person.first_name == "=HYPERLINK(1)"
    exported = "".join(
        tabular.csv_stream(["first", "last"], [(person.first_name, person.last_name)])
    )
    assert "'=HYPERLINK(1)" in exported and "'@SUM(A1)" in exported


def test_a_crash_mid_import_then_resume_never_doubles(world, monkeypatch):
    lines = "".join(f"crash{i}@example.com,P{i},L,,DE,\n" for i in range(25))
    job = _job(world, (HEADER + lines).encode())
    original, calls = people_import.batch, {"n": 0}

    def crash_on_third(job_obj, pending):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return original(job_obj, pending)

    monkeypatch.setattr(people_import, "batch", crash_on_third)
    with pytest.raises(RuntimeError):
        engine.run(job.pk, batch=10)
    job.refresh_from_db()
    assert job.status == "failed" and job.processed == 20
    assert Person.objects.filter(email_normalized__startswith="crash").count() == 20
    monkeypatch.setattr(people_import, "batch", original)
    job = engine.run(job.pk, batch=10)
    assert job.status == "done" and job.processed == 25 and job.created == 25
    assert Person.objects.filter(email_normalized__startswith="crash").count() == 25
    assert ImportRow.objects.filter(job=job).count() == 25


def test_cancel_between_batches_and_undo(world):
    lines = "".join(f"c{i}@example.com,C{i},L,Org {i % 3},DE,\n" for i in range(30))
    job = _job(world, (HEADER + lines).encode())
    engine.job_cancel(actor=world.marketer, job=job)  # queued: cancelled before it starts
    job.refresh_from_db()
    assert job.status == "cancelled"
    ImportJob.objects.filter(pk=job.pk).update(status="queued", cancel_requested=True)
    job = engine.run(job.pk, batch=10)  # stops after the first batch
    assert job.status == "cancelled" and job.processed == 10
    ImportJob.objects.filter(pk=job.pk).update(status="queued", cancel_requested=False)
    job = engine.run(job.pk, batch=10)
    assert job.processed == 30
    before_orgs = Organization.objects.count()
    engine.job_undo(actor=world.marketer, job=job)
    assert engine.undo(job.pk) == 30
    assert not Person.objects.filter(email_normalized__startswith="c").exists()
    assert Organization.objects.count() == before_orgs - 3
    assert Person.objects.filter(pk=world.person.pk).exists()


def test_organizations_import_with_employee_counts(world):
    content = (
        "account,sector,employees,office_location,website\n"
        "Acme Corporation,technolgy,2822,United States,acme.example\n"
        "Betasoloin,medical,495,United States,\n"
        "Nowhere Inc,retail,lots,Atlantis,\n"
    )
    job = _run(world, content.encode(), kind="organizations", name="accounts.csv")
    assert (job.created, job.failed) == (2, 1)
    acme = Organization.objects.get(name="Acme Corporation")
    assert (acme.industry, acme.size, acme.country, acme.domain) == (
        "technolgy", "1000+", "US", "acme.example",
    )  # fmt: skip
    message = _failures(job)[0][1]
    assert "employees" in message and "Atlantis" in message


def test_maven_accounts_import_as_they_are(world):
    path = shared_dataset("maven-crm/accounts.csv")
    job = _run(world, path.read_bytes(), kind="organizations", name="accounts.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        expected = {row["account"] for row in csv.DictReader(handle)}
    assert job.total == len(expected) == 85
    assert job.created + job.failed == 85
    stored = set(Organization.objects.filter(pk__in=job.rows.values("object_id"))
                 .values_list("name", flat=True))  # fmt: skip
    assert _failures(job) == []  # every account goes in, “Philipines” and “technolgy” too
    assert stored == expected
    assert Organization.objects.get(name="Bioholding").country == "PH"


def test_wizard_and_api(world, as_user, django_capture_on_commit_callbacks):
    client = as_user(world.marketer)
    upload = SimpleUploadedFile("leads.csv", (HEADER + ROWS).encode())
    response = client.post("/transfer/imports/", {"kind": "people", "file": upload})
    job = ImportJob.objects.get()
    assert (
        job.status == "reading"
        and "Reading the file" in client.get(response["Location"]).content.decode()
    )
    job = engine.inspect(job.pk)  # what the worker's task does
    page = client.get(response["Location"]).content.decode()
    assert "Company Name" in page and "Analytical Engines" in page
    form = {f"map-{i}": v for i, v in job.mapping.items()} | {"policy": "update"}
    with django_capture_on_commit_callbacks():
        client.post(f"/transfer/imports/{job.pk}/", form)
    job.refresh_from_db()
    assert job.status == "queued"
    engine.run(job.pk)
    progress = client.get(f"/transfer/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "3 created" in progress and "1 failed" in progress
    report = client.get(f"/transfer/imports/{job.pk}/errors.csv")
    text = b"".join(report.streaming_content).decode()
    assert text.splitlines()[1] == "4,Email,Email: “not-an-email” is not an email address"
    api = client.post("/api/imports", {"kind": "organizations", "file": SimpleUploadedFile(
        "orgs.csv", b"Company name,Industry\nX Co,Retail\n")})  # fmt: skip
    assert api.status_code == 201 and api.json()["status"] == "reading"
    jid = api.json()["id"]
    engine.inspect(jid)
    assert client.get(f"/api/imports/{jid}").json()["mapping"] == {"0": "name", "1": "industry"}
    bad = client.put(f"/api/imports/{jid}/mapping", {"mapping": {"0": "salary"}},
                     content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    assert client.get(f"/api/imports/{job.pk}/errors").json()[0]["row"] == 4
    assert as_user(world.owner).get(f"/api/imports/{jid}").status_code == 404


def test_imports_belong_to_whoever_started_them(world, as_user):
    job = _run(world, (HEADER + ROWS).encode())
    for who, status in (("marketer", 200), ("owner", 404), ("marketing_manager", 404),
                        ("admin", 200)):  # fmt: skip
        client = as_user(getattr(world, who))
        assert client.get(f"/transfer/imports/{job.pk}/").status_code == status, who
        assert client.get(f"/api/imports/{job.pk}").status_code == status, who
    assert as_user(world.owner).post(f"/transfer/imports/{job.pk}/undo").status_code == 404
    assert Person.objects.filter(email_normalized="ada@example.com").exists()
    rep_job = engine.run(_job_as(world.owner, b"email\nrep-lead@example.com\n").pk)
    lead = Person.objects.get(pk=rep_job.rows.get().object_id)
    assert lead.owner == world.owner  # a rep's imported leads are the rep's, as when typed in
    assert as_user(world.owner).get(f"/contacts/people/{lead.pk}/").status_code == 200


def _job_as(user, content):
    job = f.uploaded(actor=user, kind="people", upload=SimpleUploadedFile("x.csv", content),
                            filename="x.csv")  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    return job


def test_lists_export_with_their_filters_and_reimport(world, as_user):
    from openpyxl import load_workbook

    f.person(email="de1@example.com", country="DE", lifecycle_stage="mql", first_name="=cmd|x")
    f.person(email="fr1@example.com", country="FR", lifecycle_stage="lead")
    client = as_user(world.marketer)
    response = client.get("/contacts/people/export?format=csv&stage=mql")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["de1@example.com"]
    assert rows[0]["first_name"] == "'=cmd|x"
    xlsx = client.get("/contacts/people/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    emails = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"de1@example.com", "fr1@example.com"} <= emails
    assert as_user(world.outsider).get("/contacts/people/export?format=csv").status_code == 200
    outsider_rows = b"".join(
        as_user(world.outsider).get("/contacts/people/export?format=csv").streaming_content
    ).decode()
    assert world.person.email not in outsider_rows  # scoped like the list
    job = f.uploaded(actor=world.marketer, kind="people",
                            upload=SimpleUploadedFile("people.csv", text.encode()),
                            filename="people.csv")  # fmt: skip
    assert {"email", "first_name", "organization", "lifecycle_stage"} <= set(job.mapping.values())
    bad = client.get("/contacts/people/export?format=pdf")
    assert bad.status_code == 400


def test_maven_pipeline_reproduces_won_amounts_per_agent(world):
    """The sales-pipeline data set as it is (blank accounts, `GTXPro`, CRLF): won amounts per
    sales agent after the import equal those computed from the file directly."""
    from collections import defaultdict
    from decimal import Decimal

    from django.db.models import Sum

    from tandem.sales.models import LossReason, Opportunity

    path = shared_dataset("maven-crm/sales_pipeline.csv")
    expected, stages = defaultdict(Decimal), defaultdict(int)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            stages[row["deal_stage"]] += 1
            if row["deal_stage"] == "Won":
                expected[row["sales_agent"]] += Decimal(row["close_value"])
    assert sum(expected.values()) == 10_005_534  # the SOURCE.md oracle
    job = f.uploaded(actor=world.sales_manager, kind="opportunities",
                            upload=SimpleUploadedFile("p.csv", path.read_bytes()),
                            filename="sales_pipeline.csv")  # fmt: skip
    assert {"name", "owner", "stage", "amount", "organization", "opened", "close"} <= set(
        job.mapping.values()
    )
    assert len(job.notes["unknown_owners"]) == 30  # the preview names the agents nobody is
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    refused = engine.run(job.pk)  # a manager may not invent users: every row says so
    assert (refused.created, refused.failed) == (0, 8800)
    assert refused.rows.get(number=2).message.startswith("owner: no user named “")
    job = f.uploaded(actor=world.admin, kind="opportunities",
                     upload=SimpleUploadedFile("p.csv", path.read_bytes()),
                     filename="sales_pipeline.csv")  # fmt: skip
    unrecorded = LossReason.objects.get_or_create(name="Not recorded")[0]
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, options={"create_owners": True, "loss_reason_id": unrecorded.pk}
    )
    job = engine.run(job.pk)
    assert (job.total, job.created, job.failed) == (8800, 8800, 0), _failures(job)[:3]
    imported = Opportunity.objects.filter(pk__in=job.rows.values("object_id"))
    won = {
        f"{r['owner__first_name']} {r['owner__last_name']}": r["total"]
        for r in imported.filter(stage__kind="won")
        .values("owner__first_name", "owner__last_name")
        .annotate(total=Sum("amount"))
    }
    assert won == dict(expected)
    assert imported.filter(stage__kind="lost").count() == stages["Lost"] == 2473
    assert imported.filter(organization__name="No account (imported)").count() == 1425


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017-03-01", "2017-03-01"),
        ("01.03.2017", "2017-03-01"),  # read day first: the column's order
        ("25/12/2017", "2017-12-25"),
        ("2017/03/01", "2017-03-01"),
        ("1 Mar 2017", "2017-03-01"),
        ("Mar 1, 2017", "2017-03-01"),
        ("2017-03-01T10:30:00", "2017-03-01"),
        ("01/03/17 9:15 PM", "2017-03-01"),
    ],
)
def test_dates_in_many_formats(raw, expected):
    from tandem.transfer import times

    read = times.reader(times.DAY_FIRST, times.zone("UTC"))
    assert read(raw).date().isoformat() == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1054", "1054.00"), ("1,054.50", "1054.50"), ("1.054,50", "1054.50"),
     ("$1,054", "1054.00"), ("1 054,5", "1054.50"), ("€ 12.345.678,9", "12345678.90"),
     ("0.5", "0.50")],
)  # fmt: skip
def test_amounts_in_many_formats(raw, expected):
    from tandem.transfer import fields

    assert str(fields.amount(raw)) == expected


@pytest.mark.parametrize("raw", ["31/31/2017", "yesterday", "2017-02-30"])
def test_bad_dates_are_refused_with_the_value(raw):
    from tandem.transfer import times

    with pytest.raises(Invalid, match="is not a date"):
        times.reader(times.MONTH_FIRST, times.zone("UTC"))(raw)


def test_bad_amounts_are_refused():
    from tandem.transfer import fields

    with pytest.raises(Invalid, match="negative"):
        fields.amount("-5")
    with pytest.raises(Invalid, match="not an amount"):
        fields.amount("1.2.3,4,5")


def test_trade_show_list_imports_as_touches_once(world):
    from tandem.marketing.models import Touch

    show = f.program(name="Berlin Expo", channel="trade_show")
    known = f.person(email="known@example.com")
    content = (
        "Email,First Name,Company,Date\n"
        "known@example.com,Kim,,2026-10-01\n"
        "new@visitor.example,Nia,Visitor GmbH,2026-10-01\n"
        "broken,X,,2026-10-01\n"
        "late@visitor.example,Lu,,31/31/2026\n"
    )
    job = f.uploaded(actor=world.marketer, kind="touches",
                            upload=SimpleUploadedFile("scans.csv", content.encode()),
                            filename="scans.csv")  # fmt: skip
    assert job.mapping == {"0": "email", "1": "first_name", "2": "organization", "3": "occurred_at"}
    with pytest.raises(Invalid, match="program"):
        engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping, policy="update")
    engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping, policy="update",
                         program=show)  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job = engine.run(job.pk)
    assert (job.created, job.failed) == (2, 2)
    touches = Touch.objects.filter(program=show)
    assert {t.person.email_normalized for t in touches} == {"known@example.com",
                                                           "new@visitor.example"}  # fmt: skip
    assert {t.kind for t in touches} == {"event_attended"}
    newcomer = Person.objects.get(email_normalized="new@visitor.example")
    assert newcomer.source_program == show and newcomer.organization.name == "Visitor GmbH"
    known.refresh_from_db()
    assert known.source_program == show
    again = _job(world, content.encode(), kind="touches", name="scans.csv", program=show)
    again = engine.run(again.pk)  # the same list again
    assert again.skipped == 2 and touches.all().count() == 2  # nothing doubled
    engine.job_undo(actor=world.marketer, job=job)
    assert engine.undo(job.pk) == 2
    assert touches.all().count() == 0
    assert not Person.objects.filter(email_normalized="new@visitor.example").exists()
    assert Person.objects.filter(pk=known.pk).exists()


def test_opportunities_export_is_scoped_and_reimportable(world, as_user):
    f.opportunity(world.outsider, name="West deal")
    text = b"".join(
        as_user(world.owner).get("/sales/opportunities/export?format=csv").streaming_content
    ).decode()
    names = [r["name"] for r in csv.DictReader(io.StringIO(text))]
    assert "Owner Deal" in names and "West deal" not in names
    assert as_user(world.marketer).get("/sales/opportunities/export").status_code == 403
    job = f.uploaded(
        actor=world.owner,
        kind="opportunities",
        upload=SimpleUploadedFile("o.csv", text.encode()),
        filename="o.csv",
    )
    assert {"name", "organization", "owner", "stage", "amount", "opened", "close"} <= set(
        job.mapping.values()
    )
