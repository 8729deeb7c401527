"""A data subject's export and erasure: everything held on one person in a ZIP; erasure removes
or anonymizes their data everywhere, the audit trail's stored values included, keeps the reports'
counts, records who erased whom, and an erased address that comes back is never mailed."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tandem.contacts import privacy
from tandem.contacts import services as contacts
from tandem.contacts.models import ConsentRecord, ErasedAddress, Person
from tandem.core.models import Note, TimelineEntry
from tandem.marketing.models import Submission, Touch
from tandem.sales.models import Activity
from tests import factories as f

SECRET = "olive.owned@private.example"


@pytest.fixture
def subject(world):
    person = world.person
    contacts.person_update(actor=world.owner, person=person,
                           data={"email": SECRET, "title": "Head of Ops",
                                 "phone": "+49 30 1234"})  # fmt: skip
    ConsentRecord.objects.create(person=person, granted=True, wording="Yes, news please",
                                 source="form")  # fmt: skip
    Touch.objects.create(person=person, program=world.program, kind="page_visited",
                         referrer="https://example.com/?email=olive", utm_source="mail",
                         occurred_at=timezone.now() - timedelta(days=3))  # fmt: skip
    form = f.lead_form(world.program, owner=world.marketer)
    Submission.objects.create(form=form, person=person, fingerprint="x", ip="203.0.113.9",
                              data={"email": SECRET, "custom:company": "Private GmbH"})  # fmt: skip
    Note.objects.create(target_type="person", target_id=person.pk, body="Spoke with Olive")
    Activity.objects.create(kind="call", subject="Call Olive", notes="Her mobile is +49 30 1234",
                            due_at=timezone.now(), owner=world.owner, person=person)  # fmt: skip
    return person


def test_the_export_holds_everything_on_the_person(subject, as_user, world):
    response = as_user(world.marketing_manager).get(f"/api/people/{subject.pk}/export")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"person.json", "history.json", "marketing.json", "sales.json",
            "handoff.json", "marketing.csv"} <= names  # fmt: skip
    record = json.loads(archive.read("person.json"))
    assert record["email"] == SECRET and record["consents"][0]["wording"] == "Yes, news please"
    marketing = json.loads(archive.read("marketing.json"))
    assert {r["kind"] for r in marketing} == {"touch", "form submission"}
    assert any(r.get("ip") == "203.0.113.9" for r in marketing)
    sales = json.loads(archive.read("sales.json"))
    assert {"Call Olive", "Owner Deal"} <= {r.get("subject") or r.get("what") for r in sales}
    history = json.loads(archive.read("history.json"))
    assert any(r["kind"] == "note" and r["summary"] == "Spoke with Olive" for r in history)
    page = as_user(world.marketing_manager).get(f"/contacts/people/{subject.pk}/export")
    assert page.status_code == 200 and page.content[:2] == b"PK"


@pytest.mark.parametrize("who", ["owner", "marketer", "sales_manager"])
def test_only_admins_and_the_marketing_manager_answer_data_subjects(subject, as_user, world, who):
    client = as_user(getattr(world, who))
    assert client.get(f"/api/people/{subject.pk}/export").status_code == 403
    assert client.post(f"/api/people/{subject.pk}/erase").status_code == 403
    assert Person.objects.get(pk=subject.pk).email_normalized == SECRET


def test_erasure_leaves_no_personal_value_anywhere(subject, as_user, world):
    client = as_user(world.admin)
    page = client.get(f"/contacts/people/{subject.pk}/erase").content.decode()
    assert SECRET in page and "cannot be undone" in page
    wrong = client.post(f"/contacts/people/{subject.pk}/erase", {"confirm": "nope"})
    assert "Type the address exactly" in wrong.content.decode()
    client.post(f"/contacts/people/{subject.pk}/erase", {"confirm": SECRET.upper()})
    person = Person.objects.get(pk=subject.pk)
    assert (person.email, person.first_name, person.phone, person.custom) == ("", "Erased", "", {})
    assert person.is_suppressed and person.lifecycle_stage == subject.lifecycle_stage
    # nothing that identifies them is left in any table this test filled
    for model in (TimelineEntry, Submission, Touch, Activity, ConsentRecord):
        rows = json.dumps(list(model.objects.values()), default=str)
        for value in (SECRET, "+49 30 1234", "Olive", "203.0.113.9", "Private GmbH"):
            assert value not in rows, (model.__name__, value)
    assert not Note.objects.filter(target_type="person", target_id=person.pk).exists()
    assert Touch.objects.filter(person=person, program=world.program).count() == 1  # counts stay
    erased = TimelineEntry.objects.get(target_type="person", target_id=person.pk, verb="erased")
    assert erased.actor == world.admin
    assert ErasedAddress.objects.filter(hash=privacy.address_hash(SECRET)).exists()
    assert not ErasedAddress.objects.filter(hash__contains="olive").exists()


def test_an_erased_address_that_comes_back_is_never_mailed(subject, world, client, settings,
                                                            tmp_path):  # fmt: skip
    privacy.erase(actor=world.admin, person=subject)
    form = f.lead_form(world.program, owner=world.marketer)
    client.post(f"/f/{form.key}/", {"email": SECRET.upper()})
    back = Person.objects.get(email_normalized=SECRET)
    assert back.is_suppressed and back.consent == "withdrawn"
    made = contacts.person_create(actor=world.marketer, data={"email": "new@example.com"})
    assert not made.is_suppressed  # only the erased address
    from tandem.transfer import engine
    from tandem.transfer.models import ImportJob, JobStatus

    Person.objects.filter(pk=back.pk).delete()
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"
    upload = SimpleUploadedFile("p.csv", f"email\n{SECRET}\nother@example.com\n".encode())
    job = f.uploaded(actor=world.marketer, kind="people", upload=upload, filename="p.csv")
    engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping, policy="update")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    engine.run(job.pk)
    assert Person.objects.get(email_normalized=SECRET).is_suppressed
    assert not Person.objects.get(email_normalized="other@example.com").is_suppressed
