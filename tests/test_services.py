"""Services against the database: rules, timeline rows, and the constraints that must hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.contacts import services as contacts
from tandem.contacts.models import LifecycleTransition, Person
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.models import TimelineEntry
from tandem.marketing import services as marketing
from tandem.marketing.models import ProgramCost
from tandem.sales import services as sales
from tandem.sales.models import Stage, StageHistory
from tests import factories as f


def test_person_create_normalizes_email_and_records_who_and_where(world):
    p = contacts.person_create(
        actor=world.marketer,
        via="api",
        data={"email": "  Jane.Doe@Example.COM ", "first_name": "Jane"},
    )
    assert p.email == "Jane.Doe@Example.COM"
    assert p.email_normalized == "jane.doe@example.com"
    entry = TimelineEntry.objects.get(target_type="person", target_id=p.pk)
    assert (entry.actor, entry.via, entry.verb) == (world.marketer, "api", "created")
    assert p.transitions.get().to_stage == "lead"


def test_person_email_is_unique_whatever_the_case(world):
    contacts.person_create(actor=world.marketer, data={"email": "a@b.test"})
    with pytest.raises(Conflict) as err:
        contacts.person_create(actor=world.marketer, data={"email": "A@B.TEST"})
    assert err.value.field == "email"
    assert Person.objects.filter(email_normalized="a@b.test").count() == 1


@pytest.mark.parametrize("bad", ["not-an-email", "a@", "@b.test", "a b@c.test"])
def test_person_rejects_invalid_email(world, bad):
    with pytest.raises(Invalid):
        contacts.person_create(actor=world.marketer, data={"email": bad})


def test_people_without_email_may_coexist(world):
    contacts.person_create(actor=world.marketer, data={"last_name": "One"})
    contacts.person_create(actor=world.marketer, data={"last_name": "Two"})
    assert Person.objects.filter(email_normalized="").count() == 2


def test_rep_creates_person_owned_by_self(world):
    p = contacts.person_create(actor=world.owner, data={"email": "mine@x.test"})
    assert p.owner == world.owner


def test_rep_cannot_give_a_record_to_someone_else(world):
    with pytest.raises(Invalid):
        contacts.person_create(
            actor=world.owner, data={"email": "x@x.test", "owner": world.teammate}
        )


def test_update_records_the_changes(world):
    contacts.person_update(actor=world.owner, person=world.person, data={"title": "CTO"})
    entry = TimelineEntry.objects.filter(verb="updated", target_id=world.person.pk).get()
    assert entry.changes == {"title": ["", "CTO"]}
    assert entry.actor == world.owner


def test_update_without_change_writes_nothing(world):
    count = TimelineEntry.objects.count()
    contacts.person_update(actor=world.owner, person=world.person, data={"title": ""})
    assert TimelineEntry.objects.count() == count


def test_stage_change_stores_transition_with_actor_and_reason(world):
    contacts.person_change_stage(
        actor=world.owner, person=world.person, to_stage="sql", reason="BANT confirmed"
    )
    t = LifecycleTransition.objects.filter(person=world.person).latest("at")
    assert (t.from_stage, t.to_stage, t.actor, t.reason) == (
        "lead",
        "sql",
        world.owner,
        "BANT confirmed",
    )
    world.person.refresh_from_db()
    assert world.person.lifecycle_stage == "sql"


def test_stage_change_rejects_unknown_stage(world):
    with pytest.raises(Invalid):
        contacts.person_change_stage(actor=world.owner, person=world.person, to_stage="bogus")


def test_first_touch_sets_source_program_and_later_touches_do_not(world):
    p = f.person()
    first = f.program(name="First")
    second = f.program(name="Second")
    now = timezone.now()
    marketing.touch_create(
        actor=world.marketer,
        data={"person": p, "program": first, "kind": "form_submitted", "occurred_at": now},
    )
    marketing.touch_create(
        actor=world.marketer,
        data={
            "person": p,
            "program": second,
            "kind": "ad_clicked",
            "occurred_at": now + timedelta(days=1),
        },
    )
    p.refresh_from_db()
    assert p.source_program == first
    # A touch found later but dated earlier becomes the first touch.
    marketing.touch_create(
        actor=world.marketer,
        data={
            "person": p,
            "program": second,
            "kind": "page_visited",
            "occurred_at": now - timedelta(days=1),
        },
    )
    p.refresh_from_db()
    assert p.source_program == second


def test_program_rules(world):
    with pytest.raises(Invalid):
        marketing.program_create(
            actor=world.marketer,
            data={
                "name": "X",
                "channel": "web",
                "start_date": timezone.localdate(),
                "budget": Decimal("-1"),
            },
        )
    with pytest.raises(Forbidden):
        marketing.program_create(
            actor=world.owner,
            data={"name": "X", "channel": "web", "start_date": timezone.localdate()},
        )
    with pytest.raises(Invalid):
        marketing.program_cost_add(
            actor=world.marketer,
            program=world.program,
            data={"incurred_on": timezone.localdate(), "amount": Decimal("-5")},
        )
    assert ProgramCost.objects.count() == 0


def test_opportunity_move_keeps_one_current_stage(world):
    present = Stage.objects.get(name="Present")
    won = Stage.objects.get(name="Closed won")
    sales.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=present)
    opp = sales.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=won)
    history = list(StageHistory.objects.filter(opportunity=opp).order_by("entered_at", "id"))
    assert [h.stage.name for h in history] == ["Qualify", "Present", "Closed won"]
    assert [h.left_at is None for h in history] == [False, False, True]
    assert opp.closed_at is not None
    reopened = sales.opportunity_move(actor=world.owner, opportunity=opp, stage=present)
    assert reopened.closed_at is None


def test_database_refuses_two_current_stages(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        StageHistory.objects.create(opportunity=world.opportunity, stage=world.opportunity.stage)


@pytest.mark.parametrize(
    "make",
    [
        lambda w: f.opportunity(w.owner, amount=Decimal("-1")),
        lambda w: f.program(budget=Decimal("-1")),
        lambda w: ProgramCost.objects.create(
            program=w.program, incurred_on=timezone.localdate(), amount=Decimal("-1")
        ),
        lambda w: Stage.objects.create(
            pipeline=w.opportunity.pipeline, name="Bad", order=99, probability=101
        ),
    ],
)
def test_database_refuses_negative_money_and_bad_probabilities(world, make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(world)


def test_database_refuses_duplicate_normalized_email(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.person(email=world.person.email)


def test_activity_logged_on_opportunity_shows_on_its_timeline(world):
    sales.activity_create(
        actor=world.owner,
        data={
            "kind": "call",
            "subject": "Pricing call",
            "due_at": timezone.now(),
            "opportunity": world.opportunity,
        },
    )
    entry = TimelineEntry.objects.get(target_type="opportunity", verb="activity_logged")
    assert entry.summary == "Call: Pricing call"


def test_opportunity_owner_must_be_in_sales(world):
    stage = Stage.objects.get(name="Qualify")
    with pytest.raises(Invalid):
        sales.opportunity_create(
            actor=world.sales_manager,
            data={
                "name": "X",
                "organization": world.org,
                "owner": world.marketer,
                "expected_close": timezone.localdate(),
            },
            stage=stage,
        )
