"""A program's counts (leads; reached MQL, SQL, customer) come from rows the database adds as
people and their stages change; they must equal a count over the people and their transitions
after every kind of write, and stay equal when folded."""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from tandem.contacts.models import LifecycleTransition, Person
from tandem.contacts.services import person_change_stage
from tandem.marketing import tallies
from tandem.marketing.models import ProgramTally
from tandem.sales.models import Opportunity, Stage
from tandem.transfer import merge
from tests import factories as f

LATER = {
    "mqls": ("mql", "sal", "sql", "opportunity", "customer"),
    "sqls": ("sql", "opportunity", "customer"),
    "customers": ("customer",),
}


def _counted(program) -> dict:
    """The counts from the sources: the program's people and their transitions."""
    people = Person.objects.filter(source_program=program)
    steps = LifecycleTransition.objects.filter(person__in=people).aggregate(
        **{n: Count("person", distinct=True, filter=Q(to_stage__in=s)) for n, s in LATER.items()}
    )
    won = Opportunity.objects.filter(person__in=people, stage__kind="won").aggregate(
        t=Sum("amount")
    )
    return {"leads": people.count(), **steps, "won": won["t"] or Decimal("0")}


def test_program_counts_follow_people_and_stages(world, as_user):
    webinar, fair = f.program(name="Webinar"), f.program(name="Fair")
    people = [f.person(source_program=webinar if i % 3 else fair) for i in range(9)]
    for person, stages in zip(people, [["mql"], ["mql", "sql"], ["sql"], ["mql", "sql",
                              "opportunity", "customer"], ["sal"], []], strict=False):  # fmt: skip
        for stage in stages:
            person_change_stage(actor=world.admin, person=person, to_stage=stage)
    f.person(source_program=None)
    won = Stage.objects.get(name="Closed won", pipeline__is_default=True)
    deals = [f.opportunity(world.owner, person=people[i], amount=Decimal(f"{i}000.10"))
             for i in (1, 3, 6, 7)]  # fmt: skip
    Opportunity.objects.filter(pk__in=[d.pk for d in deals[:3]]).update(stage=won)
    expected = {p.pk: _counted(p) for p in (webinar, fair)}
    assert tallies.counts([webinar.pk, fair.pk]) == expected
    assert expected[webinar.pk]["mqls"] >= 2 and expected[fair.pk]["customers"] == 1

    Person.objects.filter(pk=people[1].pk).update(source_program=fair)  # moved program
    LifecycleTransition.objects.filter(person=people[3], to_stage="customer").delete()
    merge.merge(actor=world.admin, survivor=people[4], other=people[5], take={})
    Opportunity.objects.filter(pk=deals[3].pk).update(stage=won, amount=Decimal("55.55"))
    Opportunity.objects.filter(pk=deals[2].pk).update(person=people[2])  # another program's
    Opportunity.objects.filter(pk=deals[1].pk).update(amount=Decimal("1.01"))
    people[7].delete()
    expected = {p.pk: _counted(p) for p in (webinar, fair)}
    assert tallies.counts([webinar.pk, fair.pk]) == expected

    Stage.objects.filter(pk=won.pk).update(kind="open")  # no win any more, then again
    assert tallies.counts([webinar.pk])[webinar.pk]["won"] == 0
    Stage.objects.filter(pk=won.pk).update(kind="won")
    assert tallies.counts([webinar.pk, fair.pk]) == expected
    assert expected[webinar.pk]["won"] > 0 and expected[fair.pk]["won"] > 0

    rows = ProgramTally.objects.count()
    assert tallies.fold() == rows and ProgramTally.objects.count() == 2
    assert tallies.counts([webinar.pk, fair.pk, world.program.pk + 1000]) == {
        **expected,
        world.program.pk + 1000: dict.fromkeys(tallies.COUNTS, 0),
    }
    html = as_user(world.marketing_manager).get("/marketing/programs/").content.decode()
    assert f'?program={fair.pk}">{expected[fair.pk]["leads"]}</a>' in html
    card = as_user(world.marketing_manager).get(f"/marketing/programs/{fair.pk}/")
    assert card.context["card"]["leads"] == expected[fair.pk]["leads"]
    assert card.context["card"]["qualified"] == expected[fair.pk]["mqls"]
