"""Custom fields: defined in Settings or /api/custom-fields by admins and managers, then one rule
for every door — the record forms, the API, the import and the web forms check each value's
kind and options, who may change it, and whether it is required."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.contacts import custom_fields
from tandem.contacts.models import CustomField, Organization, Person
from tandem.core.models import TimelineEntry
from tandem.marketing.models import LeadForm, Program
from tandem.transfer import engine
from tandem.transfer.models import ImportJob, JobStatus
from tests import factories as f

JSON = "application/json"


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def _define(world, **kw):
    data = {"record_type": "person", "label": "Budget", "kind": "number", **kw}
    return custom_fields.field_create(actor=world.admin, data=data)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("admin", True), ("marketing_manager", True), ("sales_manager", True),
     ("marketer", False), ("owner", False)],
)  # fmt: skip
def test_settings_page_defines_fields_for_its_roles_only(world, as_user, who, allowed):
    client = as_user(getattr(world, who))
    assert client.get("/settings/fields/").status_code == (200 if allowed else 403)
    client.post(
        "/settings/fields/",
        {"record_type": "person", "label": "Plan tier", "kind": "choice",
         "options": "Free\nPro\nEnterprise\npro", "editable_by": "everyone"},
    )  # fmt: skip
    made = CustomField.objects.filter(key="plan_tier").first()
    assert (made is not None) is allowed
    if allowed:
        assert made.options == ["Free", "Pro", "Enterprise"]  # the repeat dropped
        assert TimelineEntry.objects.filter(target_type="customfield", verb="created").exists()
        assert "Plan tier" in as_user(world.admin).get("/settings/audit/").content.decode()


def test_a_list_without_options_is_refused_with_the_field_named(world, as_user):
    response = as_user(world.admin).post(
        "/settings/fields/",
        {
            "record_type": "person",
            "label": "Tier",
            "kind": "choice",
            "editable_by": "everyone",
        },  # fmt: skip
    )
    assert response.status_code == 200
    assert "needs its options" in response.content.decode()
    assert not CustomField.objects.exists()


def test_edit_and_remove_keep_the_values(world, as_user):
    field = _define(world)
    world.person.custom = {"budget": 5000}
    world.person.save()
    client = as_user(world.admin)
    client.post(f"/settings/fields/{field.pk}/", {"label": "Annual budget", "kind": "number",
                                                 "editable_by": "sales"})  # fmt: skip
    field.refresh_from_db()
    assert (field.label, field.editable_by, field.key) == ("Annual budget", "sales", "budget")
    client.post(f"/settings/fields/{field.pk}/delete")
    assert not CustomField.objects.exists()
    world.person.refresh_from_db()
    assert world.person.custom == {"budget": 5000}


def test_person_form_checks_the_kind_and_keeps_the_input(world, as_user):
    _define(world)
    _define(world, label="Renewal", kind="date")
    client = as_user(world.owner)
    url = f"/contacts/people/{world.person.pk}/edit"
    page = client.get(url).content.decode()
    assert 'name="custom__budget"' in page and 'type="date"' in page
    form = {
        "email": "olive@example.com",
        "first_name": "Olive",
        "last_name": "Owned",
        "owner": world.owner.pk,
        "custom__budget": "lots",
        "custom__renewal": "2027-03-01",
    }
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200 and "Budget is a number." in body
    assert 'value="lots"' in body  # the input is kept
    world.person.refresh_from_db()
    assert "budget" not in world.person.custom
    client.post(url, {**form, "custom__budget": "12,500"})
    world.person.refresh_from_db()
    assert world.person.custom == {"budget": 12500, "renewal": "2027-03-01"}
    shown = client.get(f"/contacts/people/{world.person.pk}/").content.decode()
    assert "12,500" in shown and "1 Mar 2027" in shown


def test_required_and_who_may_edit_hold_on_the_api(world, as_user):
    _define(world, label="Segment", kind="choice", options=["SMB", "Mid-market"], required=True)
    _define(world, label="Deal notes", kind="text", editable_by="sales")
    client = as_user(world.marketer)
    missing = client.post("/api/people", {"email": "n@example.com"}, content_type=JSON)
    assert missing.status_code == 422 and "Segment is required" in missing.content.decode()
    wrong = client.post(
        "/api/people", {"email": "n@example.com", "custom": {"segment": "Huge"}}, content_type=JSON
    )
    assert wrong.status_code == 422 and "SMB, Mid-market" in wrong.content.decode()
    made = client.post(
        "/api/people", {"email": "n@example.com", "custom": {"segment": "smb"}}, content_type=JSON
    )
    assert made.status_code == 201 and made.json()["custom"] == {"segment": "SMB"}
    pk = made.json()["id"]
    refused = client.patch(f"/api/people/{pk}", {"custom": {"deal_notes": "x"}}, content_type=JSON)
    assert refused.status_code == 403
    assert Person.objects.get(pk=pk).custom == {"segment": "SMB"}
    rep = as_user(world.owner).patch(
        f"/api/people/{world.person.pk}",
        {"custom": {"deal_notes": "wants a pilot", "segment": "Mid-market"}},
        content_type=JSON,
    )
    assert rep.status_code == 200
    assert rep.json()["custom"] == {"deal_notes": "wants a pilot", "segment": "Mid-market"}


def test_organizations_carry_custom_fields_too(world, as_user):
    custom_fields.field_create(
        actor=world.sales_manager,
        data={"record_type": "organization", "label": "ARR", "kind": "number"},
    )
    client = as_user(world.owner)
    response = client.post(
        "/api/organizations", {"name": "Acme", "custom": {"arr": "1200000"}}, content_type=JSON
    )
    assert response.status_code == 201 and response.json()["custom"] == {"arr": 1200000}
    org = Organization.objects.get(name="Acme")
    assert "1,200,000" in client.get(f"/contacts/organizations/{org.pk}/").content.decode()


def test_the_definitions_api(world, as_user):
    manager = as_user(world.marketing_manager)
    made = manager.post(
        "/api/custom-fields",
        {"record_type": "person", "label": "Newsletter", "kind": "yes_no"},
        content_type=JSON,
    )
    assert made.status_code == 201 and made.json()["key"] == "newsletter"
    pk = made.json()["id"]
    assert as_user(world.owner).get("/api/custom-fields").json()[0]["label"] == "Newsletter"
    assert as_user(world.marketer).delete(f"/api/custom-fields/{pk}").status_code == 403
    manager = as_user(world.marketing_manager)
    again = manager.post(
        "/api/custom-fields",
        {"record_type": "person", "label": "Newsletter", "kind": "text"},
        content_type=JSON,
    )
    assert again.status_code == 409
    patched = manager.patch(f"/api/custom-fields/{pk}", {"required": True}, content_type=JSON)
    assert patched.json()["required"] is True
    assert manager.delete(f"/api/custom-fields/{pk}").status_code == 204
    assert not CustomField.objects.exists()


def _import(world, text: str, actor=None) -> ImportJob:
    actor = actor or world.marketer
    upload = SimpleUploadedFile("people.csv", text.encode())
    job = f.uploaded(actor=actor, kind="people", upload=upload, filename="people.csv")
    engine.job_configure(actor=actor, job=job, mapping=job.mapping, policy="update")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    return engine.run(job.pk)


def test_import_maps_defined_fields_and_reports_bad_values_by_row(world):
    _define(world)
    _define(world, label="Newsletter", kind="yes_no", required=True)
    job = _import(
        world,
        "Email,Budget,Newsletter,Shoe size\n"
        'a@example.com,"1,000",yes,42\n'
        "b@example.com,plenty,no,40\n"
        "c@example.com,300,,39\n"
        "d@example.com,,No,\n",
    )
    assert job.mapping["1"] == "custom:budget" and job.mapping["2"] == "custom:newsletter"
    failed = dict(job.rows.filter(action="failed").values_list("number", "message"))
    assert set(failed) == {3, 4}  # the header is row 1
    assert "Budget is a number" in failed[3] and "Newsletter is required" in failed[4]
    a = Person.objects.get(email_normalized="a@example.com")
    assert a.custom == {"budget": 1000, "newsletter": True}
    assert Person.objects.get(email_normalized="d@example.com").custom == {"newsletter": False}


def test_import_refuses_a_column_for_a_field_the_role_may_not_change(world):
    _define(world, label="Deal notes", kind="text", editable_by="sales")
    upload = SimpleUploadedFile("p.csv", b"Email,Deal notes\na@example.com,x\n")
    job = f.uploaded(actor=world.marketer, kind="people", upload=upload, filename="p.csv")
    with pytest.raises(Exception, match="may not fill Deal notes"):
        engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping, policy="update")


def test_web_form_labels_and_checks_defined_fields(world, client):
    _define(world)
    form = f.lead_form(
        world.program,
        owner=world.marketer,
        fields=[{"name": "email", "required": True}, {"name": "custom:budget"},
                {"name": "custom:team_size"}],
    )  # fmt: skip
    labels = [field["label"] for field in form.fields]
    assert labels == ["Email", "Budget", "Team size"]  # never "custom:budget"
    bad = client.post(f"/f/{form.key}/", {"email": "v@example.com", "custom:budget": "much"})
    assert "Budget is a number." in bad.content.decode()
    assert not Person.objects.filter(email_normalized="v@example.com").exists()
    client.post(f"/f/{form.key}/", {"email": "v@example.com", "custom:budget": "2500"})
    assert Person.objects.get(email_normalized="v@example.com").custom["budget"] == 2500


def test_a_form_without_a_program_makes_one_in_place(world, as_user):
    Program.objects.all().delete()
    client = as_user(world.marketer)
    page = client.get("/marketing/forms/new").content.decode()
    assert "no-programs" in page and 'name="new_program"' in page
    base = {"name": "Contact us", "is_active": "on", "thank_you": "Thanks!", "field-count": "1",
            "field-0-name": "first_name"}  # fmt: skip
    refused = client.post("/marketing/forms/new", base)
    assert "or name a new one" in refused.content.decode()
    assert not LeadForm.objects.exists()
    client.post("/marketing/forms/new", {**base, "new_program": "Website"})
    made = LeadForm.objects.get()
    assert made.program.name == "Website" and made.program.channel == "web"
    assert [x["name"] for x in made.fields] == ["email", "first_name"]
