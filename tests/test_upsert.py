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
