"""The trash: a deleted record goes with everything its deletion takes, and comes back whole,
with its ids, for 30 days; managers and admins only; the reports' counts follow."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition, Organization, Person
from tandem.core import trash
from tandem.core.models import TrashedRecord
from tandem.insights.models import Reach
from tandem.marketing.models import Touch
from tandem.sales.models import Activity, Opportunity
from tests import factories as f

JSON = "application/json"


def test_a_person_goes_with_their_rows_and_comes_back_whole(world, as_user):
    person = f.person(owner=world.owner, organization=world.org, email="gone@example.com",
                      first_touch_at=timezone.now() - timedelta(days=3),
                      source_program=world.program)  # fmt: skip
    Touch.objects.create(person=person, program=world.program, kind="page_visited")
    LifecycleTransition.objects.create(person=person, from_stage="lead", to_stage="mql")
    deal = f.opportunity(world.owner, organization=world.org, person=person, name="Their deal")
    counts = (Touch.objects.count(), LifecycleTransition.objects.count(), Reach.objects.count())
    client = as_user(world.sales_manager)
    assert client.delete(f"/api/people/{person.pk}").status_code == 204
    assert not Person.objects.filter(pk=person.pk).exists()
    assert Touch.objects.count() == counts[0] - 1
    assert Opportunity.objects.get(pk=deal.pk).person_id is None  # the deal stays, unlinked
    listed = client.get("/api/trash").json()
    assert listed[0]["object"] == "person" and listed[0]["object_id"] == person.pk
    back = client.post(f"/api/trash/{listed[0]['id']}/restore")
    assert back.json() == {"object": "person", "id": person.pk}
    restored = Person.objects.get(pk=person.pk)
    assert restored.email_normalized == "gone@example.com"
    assert (Touch.objects.count(), LifecycleTransition.objects.count(),
            Reach.objects.count()) == counts  # fmt: skip
    assert Opportunity.objects.get(pk=deal.pk).person_id == person.pk  # linked again
    assert client.post(f"/api/trash/{listed[0]['id']}/restore").status_code == 404


def test_deleting_follows_the_rights(world, as_user):
    rep = as_user(world.owner)
    assert rep.delete(f"/api/people/{world.person.pk}").status_code == 403
    manager = as_user(world.sales_manager)
    assert manager.delete(f"/api/organizations/{world.org.pk}").status_code == 409  # has deals
    assert Organization.objects.filter(pk=world.org.pk).exists()
    assert as_user(world.marketer).get("/api/trash").json() == []
    manager = as_user(world.sales_manager)
    assert manager.delete(f"/api/activities/{world.activity.pk}").status_code == 204
    assert not Activity.objects.filter(pk=world.activity.pk).exists()
    assert manager.delete(f"/api/opportunities/{world.opportunity.pk}").status_code == 204
    mm = as_user(world.marketing_manager)
    assert mm.delete(f"/api/programs/{world.program.pk}").status_code == 204
    assert [r["object"] for r in mm.get("/api/trash").json()] == ["program"]  # their own side


def test_a_clash_on_restore_is_a_conflict_and_the_purge_keeps_30_days(world):
    person = f.person(owner=world.owner, email="twin@example.com")
    record = trash.move_to_trash(actor=world.admin, obj=person, resource="person")
    f.person(owner=world.owner, email="twin@example.com")  # someone new with the same address
    with pytest.raises(Exception, match="same email"):
        trash.restore(actor=world.admin, record=record)
    assert trash.purge(now=timezone.now() + timedelta(days=29)) == 0
    assert trash.purge(now=timezone.now() + timedelta(days=31)) == 1
    assert not TrashedRecord.objects.exists()


def test_the_pages_move_to_the_trash_and_back(world, as_user):
    person = f.person(owner=world.owner, first_name="Paged")
    client = as_user(world.sales_manager)
    assert (
        'data-testid="trash-record"'
        in client.get(f"/contacts/people/{person.pk}/").content.decode()
    )
    client.post(f"/settings/trash/delete/person/{person.pk}")
    assert not Person.objects.filter(pk=person.pk).exists()
    page = client.get("/settings/trash/").content.decode()
    assert "Paged" in page
    record = TrashedRecord.objects.get()
    back = client.post(f"/settings/trash/{record.pk}/restore")
    assert back.status_code == 302 and Person.objects.filter(pk=person.pk).exists()
    rep = as_user(world.owner)
    assert (
        'data-testid="trash-record"'
        not in rep.get(f"/contacts/people/{person.pk}/").content.decode()
    )
    assert rep.get("/settings/trash/").status_code == 403
