"""PUT /api/people/by-email/{email}: another system keeps its contacts in step by address."""

from tandem.contacts.models import Person
from tests import factories as f

JSON = "application/json"


def test_an_upsert_creates_then_updates_the_same_person(world, as_user):
    client = as_user(world.marketer)
    made = client.put("/api/people/by-email/Ada@Example.com", {"first_name": "Ada"},
                      content_type=JSON)  # fmt: skip
    assert made.status_code == 201 and made.json()["email"] == "Ada@Example.com"
    again = client.put("/api/people/by-email/ada@example.com", {"title": "Countess"},
                       content_type=JSON)  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    ada = Person.objects.get(email_normalized="ada@example.com")
    assert (ada.first_name, ada.title) == ("Ada", "Countess")
    assert Person.objects.filter(email_normalized="ada@example.com").count() == 1


def test_an_upsert_obeys_the_rights_of_a_write(world, as_user):
    f.person(owner=world.outsider, email="west@example.com", first_name="West")
    refused = as_user(world.owner).put("/api/people/by-email/west@example.com",
                                       {"title": "Mine now"}, content_type=JSON)  # fmt: skip
    assert refused.status_code in (403, 404)
    assert Person.objects.get(email_normalized="west@example.com").title == ""
    bad = as_user(world.owner).put("/api/people/by-email/not-an-address", {}, content_type=JSON)
    assert bad.status_code == 422


def test_bulk_upserts_report_each_bad_item_by_index(world, as_user):
    f.person(owner=world.owner, email="known@example.com", first_name="Known")
    f.person(owner=world.outsider, email="theirs@example.com")
    items = [{"email": "new1@example.com", "first_name": "New"},
             {"email": "KNOWN@example.com", "title": "CTO"},
             {"email": "not-an-email"},
             {"email": "theirs@example.com", "title": "Mine now"}]  # fmt: skip
    out = as_user(world.owner).post("/api/people/bulk", {"items": items}, content_type=JSON).json()
    assert len(out["created"]) == 1 and len(out["updated"]) == 1
    assert set(out["errors"]) == {"2", "3"}
    assert Person.objects.get(email_normalized="known@example.com").title == "CTO"
    assert Person.objects.get(email_normalized="theirs@example.com").title == ""


def test_upserts_by_external_id_for_people_and_organizations(world, as_user):
    client = as_user(world.owner)
    made = client.put("/api/organizations/by-external-id/crm-42", {"name": "Acme"},
                      content_type=JSON)  # fmt: skip
    assert made.status_code == 201 and made.json()["external_id"] == "crm-42"
    again = client.put("/api/organizations/by-external-id/crm-42", {"name": "Acme Corp"},
                       content_type=JSON)  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    person = client.put("/api/people/by-external-id/p-7",
                        {"email": "p7@example.com", "organization_id": made.json()["id"]},
                        content_type=JSON)  # fmt: skip
    assert person.status_code == 201 and person.json()["external_id"] == "p-7"
    clash = client.patch(f"/api/people/{world.person.pk}", {"external_id": "p-7"},
                         content_type=JSON)  # fmt: skip
    assert clash.status_code == 409
    bulk = client.post("/api/organizations/bulk", {"items": [
        {"name": "Acme again", "external_id": "crm-42"},
        {"name": "Beta", "domain": "beta.example"},
        {"name": "Beta renamed", "domain": "https://www.beta.example/"},
    ]}, content_type=JSON).json()  # fmt: skip
    assert len(bulk["updated"]) == 2 and len(bulk["created"]) == 1 and bulk["errors"] == {}
    assert Person.objects.get(external_id="p-7").organization.name == "Acme again"
