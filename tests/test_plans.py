"""Plans (Ought against Is, pace, traffic lights, control actions) and the budget proposal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tandem.insights import budget, plans, programs, reps
from tandem.insights.models import ControlAction, Plan, SalesCost, Target
from tandem.marketing.models import ProgramCost, Touch
from tandem.sales.models import Opportunity, Stage
from tests import factories as f


def _quarter(today):
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return plans.period_bounds("quarter", start)


def test_allocation_keeps_the_total_and_the_bounds():
    curves = {1: (1000.0, 9000.0), 2: (1000.0, 1000.0), 3: (500.0, 0.0), 4: (0.0, 0.0)}
    out = budget.allocate(curves, {3: (200.0, None), 1: (0.0, 1800.0)}, total=2500.0)
    assert sum(out.values()) == pytest.approx(2500.0)
    assert out[1] == pytest.approx(1800.0)  # capped by its maximum
    assert out[3] == pytest.approx(200.0)  # no return: kept at its minimum
    assert out[4] == 0.0
    free = budget.allocate({1: (1000.0, 9000.0), 2: (1000.0, 1000.0)}, {}, total=2000.0)
    assert free[1] > 1000 > free[2]  # money moves toward the higher marginal return
    k = {i: r / s**0.5 for i, (s, r) in {1: (1000.0, 9000.0), 2: (1000.0, 1000.0)}.items()}
    marginal = [0.5 * k[i] * free[i] ** -0.5 for i in (1, 2)]
    assert marginal[0] == pytest.approx(marginal[1], rel=1e-6)  # equal where unconstrained
    assert budget.allocate(curves, {1: (3000.0, None)}, total=2500.0)[1] == 3000.0  # minimums win


def test_period_bounds_and_bad_starts():
    assert plans.period_bounds("quarter", date(2026, 10, 1)) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert plans.period_bounds("month", date(2026, 12, 1)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert plans.period_bounds("month", date(2027, 2, 1))[1] == date(2027, 2, 28)
    for kind, start in (
        ("quarter", date(2026, 11, 1)),
        ("month", date(2026, 11, 2)),
        ("year", date(2026, 1, 1)),
    ):
        with pytest.raises(plans.Invalid):
            plans.period_bounds(kind, start)


def test_plan_measures_is_against_ought(world, as_user):
    today = timezone.localdate()
    start, end = _quarter(today)
    client = as_user(world.marketing_manager)
    response = client.post(
        "/insights/plans/", {"kind": "quarter", "period_start": start.isoformat(), "name": ""}
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and plan.period_end == end
    assert (
        client.post(
            "/insights/plans/", {"kind": "quarter", "period_start": start.isoformat()}
        ).status_code
        == 400
    )
    # the Is: three leads of the program today, cost 300, one won deal of the owner's
    for _ in range(3):
        p = f.person(source_program=world.program, first_touch_at=timezone.now())
        Touch.objects.create(person=p, program=world.program, kind="form_submitted")
    ProgramCost.objects.create(program=world.program, incurred_on=today, amount=Decimal("300"))
    SalesCost.objects.create(incurred_on=today, amount=Decimal("700"))
    won = f.opportunity(
        world.owner, stage=Stage.objects.get(name="Closed won"), amount=Decimal("8000")
    )
    Opportunity.objects.filter(pk=won.pk).update(closed_at=timezone.now())
    post = {"program": world.program.pk, "scope": "program"}
    client.post(f"/insights/plans/{plan.pk}/targets/", {**post, "metric": "leads", "value": "100"})
    client.post(
        f"/insights/plans/{plan.pk}/targets/", {**post, "metric": "cost_per_lead", "value": "150"}
    )
    client.post(
        f"/insights/plans/{plan.pk}/targets/",
        {"scope": "rep", "rep": world.owner.pk, "metric": "revenue", "value": "8000"},
    )
    client.post(
        f"/insights/plans/{plan.pk}/targets/", {"scope": "company", "metric": "cac", "value": "500"}
    )
    bad = client.post(
        f"/insights/plans/{plan.pk}/targets/",
        {"scope": "rep", "rep": world.owner.pk, "metric": "leads", "value": "1"},
        follow=True,
    )
    assert "is not a target for a rep" in bad.content.decode()
    assert Target.objects.filter(plan=plan).count() == 4
    rows = {(r["scope"], r["target"].metric): r for r in plans.measure(plan, today=today)}
    card = programs.figures(programs.Params(start, end))[world.program.pk]
    assert rows[("program", "leads")]["is"] == card["leads"] == 3
    share = plans.pace(plan, today)
    assert rows[("program", "leads")]["projected"] == round(3 / share, 2)
    assert rows[("program", "cost_per_lead")]["is"] == card["cpl"] == 100.0
    assert rows[("program", "cost_per_lead")]["light"] == "green"  # 100 a lead against 150
    rep_card = reps.figures(None, reps.Params(start, end))[world.owner.pk]
    assert rows[("rep", "revenue")]["is"] == float(rep_card["won_amount"]) == 8000.0
    assert rows[("company", "cac")]["is"] is None  # no new customer yet: nothing to divide by
    assert rows[("company", "cac")]["light"] == "grey"
    page = client.get(f"/insights/plans/{plan.pk}/").content.decode()
    assert 'data-light="green"' in page and "Cost per lead" in page
    exported = b"".join(
        client.get(f"/insights/plans/{plan.pk}/?format=csv").streaming_content
    ).decode()
    assert exported.splitlines()[0].startswith("Scope,For,Metric,Ought,Is,Projected")


def test_lights():
    assert plans.light("leads", 95, Decimal(100)) == "amber"
    assert plans.light("leads", 80, Decimal(100)) == "red"
    assert plans.light("leads", 100, Decimal(100)) == "green"
    assert plans.light("cac", 105, Decimal(100)) == "amber"
    assert plans.light("cac", 120, Decimal(100)) == "red"
    assert plans.light("cac", 90, Decimal(100)) == "green"


def test_control_actions_show_on_the_next_plan(world, as_user):
    start, _ = _quarter(timezone.localdate())
    manager = as_user(world.sales_manager)
    plan = plans.plan_create(actor=world.sales_manager, kind="quarter", period_start=start)
    manager.post(
        f"/insights/plans/{plan.pk}/actions/",
        {"note": "Move <b>two</b> reps to the East", "on": ""},
    )
    assert manager.post(f"/insights/plans/{plan.pk}/actions/", {"note": "  "}).status_code == 302
    assert ControlAction.objects.count() == 1
    following = plans.next_plan(actor=world.sales_manager, plan=plan)
    assert following.period_start == plan.period_end + timedelta(days=1)
    page = manager.get(f"/insights/plans/{following.pk}/").content.decode()
    assert "Move &lt;b&gt;two&lt;/b&gt; reps to the East" in page and "Decided last period" in page
    api = manager.get(f"/api/plans/{following.pk}").json()
    assert api["previous_actions"][0]["note"] == "Move <b>two</b> reps to the East"
    # reps and marketers read plans but do not change them
    assert (
        as_user(world.owner)
        .post(f"/insights/plans/{plan.pk}/actions/", {"note": "mine"})
        .status_code
        == 302
    )
    assert ControlAction.objects.count() == 1
    assert (
        as_user(world.owner)
        .post(f"/api/plans/{plan.pk}/actions", {"note": "x"}, content_type="application/json")
        .status_code
        == 403
    )


def test_plans_api(world, as_user):
    client = as_user(world.marketing_manager)
    start, _ = _quarter(timezone.localdate())
    created = client.post(
        "/api/plans",
        {"kind": "quarter", "period_start": start.isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    again = client.post(
        "/api/plans",
        {"kind": "quarter", "period_start": start.isoformat()},
        content_type="application/json",
    )
    assert again.status_code == 422
    t = client.post(
        f"/api/plans/{pid}/targets",
        {"metric": "leads", "value": "40", "program_id": world.program.pk},
        content_type="application/json",
    )
    assert t.status_code == 201 and t.json()["scope"] == "program"
    same = client.post(
        f"/api/plans/{pid}/targets",
        {"metric": "leads", "value": "50", "program_id": world.program.pk},
        content_type="application/json",
    )
    assert same.json()["target_id"] == t.json()["target_id"]  # a second post updates it
    assert (
        client.post(
            f"/api/plans/{pid}/targets",
            {"metric": "win_rate", "value": "1", "program_id": world.program.pk},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/plans/{pid}/targets",
            {"metric": "leads", "value": "-1"},
            content_type="application/json",
        ).status_code
        == 422
    )
    body = client.get(f"/api/plans/{pid}").json()
    assert body["targets"][0]["ought"] == 50.0 and body["targets"][0]["metric"] == "leads"
    assert client.delete(f"/api/plans/{pid}/targets/{t.json()['target_id']}").status_code == 204
    assert client.get("/api/plans").json()[0]["id"] == pid


def test_budget_proposal_accepted_into_the_next_plan(world, as_user):
    today = timezone.localdate()
    start, _ = _quarter(today)
    plan = plans.plan_create(actor=world.marketing_manager, kind="quarter", period_start=start)
    strong = world.program
    weak = f.program(name="Weak")
    for program, amount in ((strong, Decimal("20000")), (weak, Decimal("1000"))):
        p = f.person(source_program=program, first_touch_at=timezone.now() - timedelta(hours=3))
        Touch.objects.create(
            person=p,
            program=program,
            kind="form_submitted",
            occurred_at=timezone.now() - timedelta(hours=3),
        )
        deal = f.opportunity(
            world.owner, person=p, stage=Stage.objects.get(name="Closed won"), amount=amount
        )
        Opportunity.objects.filter(pk=deal.pk).update(closed_at=timezone.now())
        ProgramCost.objects.create(program=program, incurred_on=today, amount=Decimal("1000"))
    client = as_user(world.marketing_manager)
    assert (
        client.post(
            f"/insights/budget/bounds/{weak.pk}/",
            {"minimum": "300", "maximum": "", "plan": plan.pk},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/insights/budget/bounds/{weak.pk}/", {"minimum": "300", "maximum": "100"}
        ).status_code
        == 302
    )
    assert weak.budget_bound.maximum is None  # the bad pair was refused
    page = client.get(f"/insights/r/budget/?plan={plan.pk}&model=first_touch")
    assert page.status_code == 200
    rows = {r["program"]: r for r in budget.propose(budget.Params(plan, "first_touch"))}
    assert rows["Weak"]["proposed"] == Decimal("300.00")  # held at its minimum
    assert rows[strong.name]["proposed"] == Decimal("1700.00")  # the rest of the 2,000
    for _ in range(2):  # a double submit writes the same targets once
        accepted = client.post(
            "/insights/budget/accept/", {"plan": plan.pk, "model": "first_touch"}
        )
        assert accepted.status_code == 302
    following = Plan.objects.get(period_start=plan.period_end + timedelta(days=1))
    budgets = dict(
        Target.objects.filter(plan=following, metric="budget").values_list("program__name", "value")
    )
    assert budgets == {"Weak": Decimal("300.00"), strong.name: Decimal("1700.00")}
    assert (
        as_user(world.marketer).post("/insights/budget/accept/", {"plan": plan.pk}).status_code
        == 403
    )
    api = as_user(world.marketing_manager).put(
        f"/api/budget/bounds/{strong.pk}",
        {"minimum": "10", "maximum": "5"},
        content_type="application/json",
    )
    assert api.status_code == 422
    ok = client.post(
        "/api/budget/accept",
        {"plan_id": plan.pk, "model": "linear"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["id"] == following.pk
