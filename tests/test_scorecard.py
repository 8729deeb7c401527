"""The program scorecard follows DOMAIN.md's definitions."""

from decimal import Decimal

from django.utils import timezone

from tandem.contacts.services import person_change_stage
from tandem.insights.scorecards import program_scorecard
from tandem.marketing.models import ProgramCost
from tandem.sales.models import Opportunity, Stage
from tests import factories as f


def test_scorecard(world, as_user):
    program = world.program
    leads = [f.person(source_program=program) for _ in range(4)]
    f.person()  # a lead of no program
    for stage in ("mql", "sql", "customer"):
        person_change_stage(actor=world.owner, person=leads[0], to_stage=stage)
    person_change_stage(actor=world.owner, person=leads[1], to_stage="mql")
    person_change_stage(
        actor=world.owner, person=leads[1], to_stage="nurture"
    )  # MQL once still counts
    won = f.opportunity(
        world.owner,
        person=leads[0],
        amount=Decimal("5000"),
        stage=Stage.objects.get(name="Closed won"),
    )
    f.opportunity(world.owner, person=leads[2], amount=Decimal("9000"))  # open: not revenue
    assert Opportunity.objects.get(pk=won.pk).stage.kind == "won"
    ProgramCost.objects.create(
        program=program, incurred_on=timezone.localdate(), amount=Decimal("1000")
    )
    card = program_scorecard(program=program)
    assert (card["leads"], card["mqls"], card["sqls"], card["customers"]) == (4, 2, 1, 1)
    assert (card["won_revenue"], card["cost"]) == (Decimal("5000"), Decimal("1000"))
    assert (card["cost_per_lead"], card["cost_per_mql"], card["roi_pct"]) == (
        Decimal("250"),
        Decimal("500"),
        Decimal("400"),
    )
    assert (card["mql_rate"], card["sql_rate"], card["customer_rate"]) == (
        Decimal("50"),
        Decimal("25"),
        Decimal("25"),
    )
    html = as_user(world.marketer).get(f"/marketing/programs/{program.pk}/").content.decode()
    assert 'data-testid="scorecard-table"' in html and ">400%</span>" in html
    assert (
        'data-testid="scorecard-table"'
        not in as_user(world.owner).get(f"/marketing/programs/{program.pk}/").content.decode()
    )


def test_scorecard_without_leads_or_cost(world):
    card = program_scorecard(program=world.program)
    assert card["leads"] == 0 and card["cost_per_lead"] is None and card["roi_pct"] is None


def test_a_lead_that_skips_mql_counts_as_one(world):
    """The program page counts as the period scorecard does: a lead a rep takes straight to SQL
    has passed MQL too, so the funnel never widens."""
    from tandem.insights import programs

    lead = f.person(source_program=world.program)
    f.person(source_program=world.program)
    person_change_stage(actor=world.owner, person=lead, to_stage="sql")
    card = program_scorecard(program=world.program)
    assert (card["leads"], card["mqls"], card["sqls"], card["customers"]) == (2, 1, 1, 0)
    assert card["mql_rate"] == Decimal("50")
    period = programs.reached(programs.Person.objects.filter(source_program=world.program))
    assert period[world.program.pk] == {"leads": 2, "mqls": 1, "sqls": 1, "customers": 0}
