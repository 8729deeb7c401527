"""The touch table in monthly partitions on PostgreSQL (migration 0006, marketing/partitions.py)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.marketing import partitions
from tandem.marketing.models import Submission, Touch
from tests import factories as f

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no partitions"
)


def _partition_of(touch: Touch) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM marketing_touch WHERE id = %s",
                       [touch.pk])  # fmt: skip
        return cursor.fetchone()[0]


def _touch(person, at):
    return Touch.objects.create(person=person, kind="web_visit", occurred_at=at)


def test_touches_land_in_their_month_and_keep_their_ids(db):
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        months = partitions.months(cursor)
    today = timezone.now().date()
    assert partitions.month_start(today) in months and len(months) >= 24
    person = f.person(email="p@part.test")
    now = _touch(person, timezone.now())
    old = _touch(person, timezone.now().replace(year=2015))
    assert _partition_of(now) == partitions.name_of(partitions.month_start(today))
    assert _partition_of(old) == "marketing_touch_before"
    assert old.pk > now.pk  # one id sequence across partitions
    moved = Touch.objects.get(pk=now.pk)
    moved.occurred_at = timezone.now() - timedelta(days=40)  # a row moves between partitions
    moved.save()
    assert _partition_of(moved) == partitions.name_of(
        partitions.month_start(moved.occurred_at.date())
    )
    assert Touch.objects.filter(person=person).count() == 2


def test_a_touch_beyond_the_newest_month_waits_in_default_until_its_month_is_made(db):
    person = f.person(email="far@part.test")
    far = timezone.now() + timedelta(days=5 * 365)
    touch = _touch(person, far)
    assert _partition_of(touch) == "marketing_touch_default"
    with connection.cursor() as cursor:
        made = partitions.ensure(cursor, far.date(), ahead=0)
    assert partitions.month_start(far.date()) in made
    assert _partition_of(touch) == partitions.name_of(partitions.month_start(far.date()))
    assert Touch.objects.get(pk=touch.pk).occurred_at == touch.occurred_at
    with connection.cursor() as cursor:
        assert partitions.ensure(cursor, far.date(), ahead=0) == []  # nothing left to make


def test_a_submission_still_reaches_its_touch_and_deletes_still_cascade(db):
    world_program = f.program(owner=f.user("marketer", f.team("M", "marketing"), "m"))
    person = f.person(email="sub@part.test")
    touch = _touch(person, timezone.now())
    form = f.lead_form(world_program)
    Submission.objects.create(form=form, person=person, touch=touch, fingerprint="x", data={})
    assert Submission.objects.select_related("touch").get(person=person).touch == touch
    Person.objects.filter(pk=person.pk).delete()
    assert not Touch.objects.filter(pk=touch.pk).exists()


def test_month_arithmetic():
    assert partitions.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert partitions.next_month(date(2026, 1, 1)) == date(2026, 2, 1)
    assert partitions.name_of(date(2027, 3, 1)) == "marketing_touch_2027_03"
