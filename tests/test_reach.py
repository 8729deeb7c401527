"""insights_reach, kept by database triggers, equals what the people and transitions say after
every way of writing them: services, ORM updates, merges, deletes, bulk import and its undo."""

from datetime import UTC, datetime, timedelta

import pytest

from tandem.contacts import services
from tandem.contacts.models import LifecycleTransition, Person
from tandem.insights.models import Reach
from tandem.marketing import services as marketing
from tandem.transfer import engine, merge
from tests import factories as f
from tests.test_import import _job

STAGES = ["lead", "mql", "sal", "sql", "opportunity", "customer"]


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def _expected() -> dict:
    """person id → (first touch, source program, first time at each stage), in plain Python."""
    out = {
        p.pk: [p.first_touch_at, p.source_program_id] + [None] * len(STAGES)
        for p in Person.objects.all()
    }
    for t in LifecycleTransition.objects.all():
        if t.to_stage in STAGES:
            row = out[t.person_id]
            k = 2 + STAGES.index(t.to_stage)
            row[k] = t.at if row[k] is None else min(row[k], t.at)
    return {pk: tuple(row) for pk, row in out.items()}


def _stored() -> dict:
    columns = ["first_touch_at", "source_program_id"] + [f"{s}_at" for s in STAGES]
    return {pk: tuple(rest) for pk, *rest in Reach.objects.values_list("person_id", *columns)}


def _agrees() -> None:
    assert _stored() == _expected()


def test_services_orm_updates_and_deletes_keep_it(world):
    a = f.person(email="a@example.com")
    b = f.person(email="b@example.com")
    _agrees()
    services.person_change_stage(actor=world.owner, person=a, to_stage="mql")
    services.person_change_stage(actor=world.owner, person=a, to_stage="sql")
    services.person_change_stage(actor=world.owner, person=b, to_stage="customer")
    _agrees()
    first_mql = Reach.objects.get(person_id=a.pk).mql_at
    assert first_mql is not None
    # a later return to a stage keeps its first time; an earlier one (back-dated) replaces it
    LifecycleTransition.objects.create(person=a, to_stage="mql", at=first_mql + timedelta(1))
    assert Reach.objects.get(person_id=a.pk).mql_at == first_mql
    LifecycleTransition.objects.create(person=a, to_stage="mql", at=first_mql - timedelta(1))
    assert Reach.objects.get(person_id=a.pk).mql_at == first_mql - timedelta(1)
    _agrees()
    program = f.program(name="Webinar")
    moment = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    marketing.record_touch(
        {"person": a, "program": program, "kind": "webinar_attended", "occurred_at": moment}
    )
    _agrees()
    assert Reach.objects.get(person_id=a.pk).source_program_id == program.pk
    # an edit of a transition's time (as the admin does) and a deleted transition
    earlier = moment - timedelta(days=3)
    LifecycleTransition.objects.filter(person=a, to_stage="sql").update(at=earlier)
    _agrees()
    assert Reach.objects.get(person_id=a.pk).sql_at == earlier
    LifecycleTransition.objects.filter(person=b).delete()
    _agrees()
    assert Reach.objects.get(person_id=b.pk).customer_at is None
    b.delete()
    _agrees()
    assert not Reach.objects.filter(person_id=b.pk).exists()


def test_a_merge_moves_the_loser_times_onto_the_survivor(world):
    survivor = f.person(owner=world.owner, email="ann@acme.example")
    other = f.person(owner=world.owner, email="a.lee@acme.example")
    early = datetime(2025, 6, 1, tzinfo=UTC)
    LifecycleTransition.objects.create(person=other, to_stage="mql", at=early)
    LifecycleTransition.objects.create(person=survivor, to_stage="mql", at=early + timedelta(9))
    _agrees()
    merge.merge(actor=world.owner, survivor=survivor, other=other, take={})
    _agrees()
    assert Reach.objects.get(person_id=survivor.pk).mql_at == early
    assert not Reach.objects.filter(person_id=other.pk).exists()


def test_bulk_import_and_its_undo_keep_it(world):
    f.person(email="known@example.com")
    content = (
        b"email,first_name\nknown@example.com,Kay\nnew1@example.com,Ny\nnew2@example.com,Zed\n"
    )
    job = engine.run(_job(world, content, mapping={"0": "email", "1": "first_name"}).pk)
    assert (job.created, job.updated) == (2, 1)
    _agrees()
    created = list(Person.objects.filter(email_normalized__startswith="new").values_list("pk"))
    assert len(created) == 2
    assert all(r.lead_at for r in Reach.objects.filter(person_id__in=[pk for (pk,) in created]))
    engine.job_undo(actor=world.marketer, job=job)
    engine.undo(job.pk)
    _agrees()
    assert not Reach.objects.filter(person_id__in=[pk for (pk,) in created]).exists()
