"""Touches from other systems: a batch finds or creates people by email, and reports bad items
by index while the good ones go in."""

from tandem.contacts.models import Person
from tandem.marketing.models import Touch

JSON = "application/json"


def test_a_trade_show_list_goes_in(world, as_user):
    items = [
        {
            "email": "New.Visitor@Fair.test",
            "first_name": "Nia",
            "kind": "event_attended",
            "program_id": world.program.pk,
            "utm_source": "booth",
        },
        {
            "email": world.person.email.upper(),
            "kind": "event_attended",
            "program_id": world.program.pk,
        },
        {"email": "not-an-email", "kind": "event_attended"},
        {"email": "x@fair.test", "kind": "event_attended", "program_id": 999999},
        {"email": "new.visitor@fair.test", "kind": "page_visited"},
    ]
    response = as_user(world.marketer).post(
        "/api/touches/batch", {"items": items}, content_type=JSON
    )
    body = response.json()
    assert response.status_code == 200
    assert body["people_created"] == 1 and len(body["touches"]) == 3
    assert set(body["errors"]) == {"2", "3"}
    assert "not a valid email" in body["errors"]["2"] and body["errors"]["3"] == "No such program."
    visitor = Person.objects.get(email_normalized="new.visitor@fair.test")
    assert (visitor.first_name, visitor.owner, visitor.source_program) == (
        "Nia",
        None,
        world.program,
    )
    assert visitor.touches.count() == 2
    assert Touch.objects.filter(person=world.person, kind="event_attended").count() == 1
    assert not Person.objects.filter(email_normalized="x@fair.test").exists()


def test_only_marketing_ingests(world, as_user):
    items = [{"email": "a@b.test", "kind": "ad_clicked"}]
    assert (
        as_user(world.owner)
        .post("/api/touches/batch", {"items": items}, content_type=JSON)
        .status_code
        == 403
    )
    assert not Person.objects.filter(email_normalized="a@b.test").exists()
    too_many = {"items": items * 1001}
    assert (
        as_user(world.marketer).post("/api/touches/batch", too_many, content_type=JSON).status_code
        == 422
    )
