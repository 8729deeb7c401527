"""core.unsaved.new makes the instance Model(**values) makes; core.chain passes an aware
datetime as it is and prepares every other one as the ORM does."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.utils import timezone

from tandem.contacts.models import ConsentRecord, Person
from tandem.core import chain, unsaved
from tandem.core.models import TimelineEntry
from tandem.marketing.models import Submission, Touch
from tests import factories as f


def _state(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def _alike(one, other):
    """Equal but for defaults taken from the clock a few µs apart."""
    a, b = _state(one), _state(other)
    assert a.keys() == b.keys()
    for name in a:
        if isinstance(a[name], datetime) and a[name] != b[name]:
            assert abs(a[name] - b[name]) < timedelta(seconds=5), name
        else:
            assert a[name] == b[name], name


def test_new_makes_what_the_constructor_makes(world):
    form = f.lead_form(world.program)
    person = f.person(email="ada@example.com")
    now = timezone.now()
    cases = [
        (Person, {"email": "x@example.com", "email_normalized": "x@example.com",
                  "custom": {"a": 1}, "first_name": "X", "source_program_id": form.program_id}),
        (Touch, {"program_id": form.program_id, "kind": "form_submitted", "occurred_at": now}),
        (Submission, {"form": form, "fingerprint": "f", "data": {}, "ip": None, "at": now}),
        (ConsentRecord, {"person": person, "granted": True, "wording": "w", "source": "s"}),
        (TimelineEntry, {"actor": None, "via": "form", "verb": "created",
                         "target_type": "person", "target_id": 1}),
    ]  # fmt: skip
    for model, values in cases:
        made = unsaved.new(model, **values)
        _alike(made, model(**values))
        assert made._state.adding and made.pk is None
    submission = unsaved.new(Submission, form=form, fingerprint="f", data={}, at=now)
    assert submission.form_id == form.pk and submission.form is form  # through the descriptor
    one, other = unsaved.new(TimelineEntry), unsaved.new(TimelineEntry)
    assert one.changes == {} and one.changes is not other.changes  # a callable default, called


def test_new_refuses_a_name_the_model_does_not_have(db):
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        unsaved.new(Touch, colour="red")
    with pytest.raises(TypeError):
        Touch(colour="red")


def test_a_model_with_init_receivers_is_made_by_its_constructor(db):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=TimelineEntry)
    try:
        entry = unsaved.new(TimelineEntry, verb="created", target_type="person", target_id=1)
    finally:
        post_init.disconnect(receiver, sender=TimelineEntry)
    assert seen == [entry]


def test_an_instance_from_new_saves_and_reads_back(world):
    person = unsaved.new(Person, email="New@Example.com", email_normalized="new@example.com",
                         first_name="Nia", custom={"k": "v"})  # fmt: skip
    person.save()
    stored = Person.objects.get(pk=person.pk)
    assert (stored.email, stored.first_name, stored.custom) == (
        "New@Example.com",
        "Nia",
        {"k": "v"},
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="core.chain is PostgreSQL's")
def test_the_chain_passes_aware_datetimes_and_prepares_the_others(db, recwarn):
    aware = timezone.now().replace(microsecond=123456) - timedelta(days=3)
    naive = datetime(2026, 1, 2, 3, 4, 5)
    entries = [
        unsaved.new(TimelineEntry, at=aware, verb="a", target_type="t", target_id=1),
        unsaved.new(TimelineEntry, at=naive, verb="n", target_type="t", target_id=1),
    ]
    assert chain.run([chain.Step("timeline", entries)]) is not None
    stored = dict(TimelineEntry.objects.filter(target_type="t").values_list("verb", "at"))
    assert stored["a"] == aware
    # A naive one goes through the ORM's preparation: made aware in the default zone, warned.
    assert stored["n"] == timezone.make_aware(naive, timezone.get_default_timezone())
    assert any("naive datetime" in str(w.message) for w in recwarn.list)
