"""`null` in a request body: refused with 422 naming the field where the field cannot be
empty, "not given" where the schema says so, never a 500 or a misleading 409."""

import pytest

from tandem.contacts.models import Person
from tandem.marketing.models import Campaign, Program, Segment
from tandem.sales.models import Activity, Opportunity
from tests import factories as f

JSON = "application/json"


def _campaign(world):
    return Campaign.objects.create(
        name="C", program=world.program, subject="S", body="B", owner=world.marketer
    )


PATCHES = [
    ("activity", "kind"),
    ("activity", "selling"),
    ("campaign", "body_format"),
    ("form", "consent_required"),
    ("program", "channel"),
    ("program", "budget"),
    ("segment", "description"),
    ("opportunity", "channel"),
    ("opportunity", "forecast_category"),
    ("person", "first_name"),
    ("person", "email"),
    ("organization", "name"),
]


def _target(world, kind):
    if kind == "campaign":
        return "/api/campaigns/{}", _campaign(world), world.marketer
    if kind == "form":
        form = f.lead_form(world.program, owner=world.marketer)
        return "/api/forms/{}", form, world.marketer
    if kind == "segment":
        seg = Segment.objects.create(name="S", owner=world.marketer, conditions=[])
        return "/api/segments/{}", seg, world.marketer
    return {
        "activity": ("/api/activities/{}", world.activity, world.owner),
        "program": ("/api/programs/{}", world.program, world.marketer),
        "opportunity": ("/api/opportunities/{}", world.opportunity, world.owner),
        "person": ("/api/people/{}", world.person, world.owner),
        "organization": ("/api/organizations/{}", world.org, world.owner),
    }[kind]


@pytest.mark.parametrize(("kind", "field"), PATCHES)
def test_null_for_a_required_field_is_a_422_naming_it(world, as_user, kind, field):
    url, obj, who = _target(world, kind)
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    response = as_user(who).patch(url.format(obj.pk), {field: None}, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    assert any(field in d["loc"] for d in response.json()["detail"])
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_null_clears_what_may_be_cleared(world, as_user):
    client = as_user(world.owner)
    response = client.patch(
        f"/api/people/{world.person.pk}", {"organization_id": None}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["organization_id"] is None
    response = client.patch(
        f"/api/opportunities/{world.opportunity.pk}", {"person_id": None}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["person_id"] is None


def test_owner_null_on_create_means_you(world, as_user):
    client = as_user(world.owner)
    deal = client.post(
        "/api/opportunities",
        {
            "name": "N",
            "organization_id": world.org.pk,
            "expected_close": "2027-01-01",
            "owner_id": None,
        },
        content_type=JSON,
    )
    assert deal.status_code == 201, deal.content
    assert Opportunity.objects.get(pk=deal.json()["id"]).owner == world.owner
    act = client.post(
        "/api/activities",
        {"kind": "call", "subject": "x", "due_at": "2026-12-01T10:00:00Z", "owner_id": None},
        content_type=JSON,
    )
    assert act.status_code == 201, act.content
    assert Activity.objects.get(pk=act.json()["id"]).owner == world.owner


def test_a_real_email_clash_is_still_a_409(world, as_user):
    other = f.person(owner=world.owner, email="taken@x.test")
    response = as_user(world.owner).patch(
        f"/api/people/{world.person.pk}", {"email": "TAKEN@x.test"}, content_type=JSON
    )
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "email"]
    assert Person.objects.get(pk=world.person.pk).email != other.email


def test_program_patch_refuses_null_budget_and_keeps_it(world, as_user):
    before = Program.objects.get(pk=world.program.pk).budget
    response = as_user(world.marketer).patch(
        f"/api/programs/{world.program.pk}", {"budget": None, "name": "Kept?"}, content_type=JSON
    )
    assert response.status_code == 422
    program = Program.objects.get(pk=world.program.pk)
    assert (program.budget, program.name) == (before, "Marketer Webinar")


def test_api_errors_outside_operations_are_json_too(world, as_user):
    client = as_user(world.marketer)
    for response, status in ((client.delete("/api/people"), 405), (client.get("/api/nope"), 404)):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"][0]["msg"]
