"""Quota attainment, the three forecasts, and commission statements."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tandem.sales import forecast as fc
from tandem.sales.models import CommissionPlan, Opportunity, Quota, Stage, StageHistory
from tests import factories as f


def _deal(owner, stage_name, amount, category="pipeline", close=None, created_days_ago=5):
    created = timezone.now() - timedelta(days=created_days_ago)
    opp = f.opportunity(
        owner,
        stage=Stage.objects.get(name=stage_name),
        amount=Decimal(amount),
        forecast_category=category,
        expected_close=close or timezone.localdate(),
    )
    Opportunity.objects.filter(pk=opp.pk).update(created_at=created)
    StageHistory.objects.filter(opportunity=opp).update(entered_at=created)
    return opp


def _closed(owner, won: bool, amount="1000", days_ago=10):
    opp = _deal(owner, "Closed won" if won else "Closed lost", amount, created_days_ago=days_ago)
    history = StageHistory.objects.get(opportunity=opp)
    history.stage = Stage.objects.get(name="Qualify")
    history.left_at = timezone.now() - timedelta(days=1)
    history.save()
    # Closed a moment ago: inside this month and quarter whatever the date.
    Opportunity.objects.filter(pk=opp.pk).update(closed_at=timezone.now() - timedelta(seconds=1))
    return opp


def test_three_forecasts(world):
    today = timezone.localdate()
    since, until = fc.quarter_bounds(today)
    Opportunity.objects.all().delete()
    _deal(world.owner, "Qualify", "1000")  # 10%
    _deal(world.owner, "Negotiate", "4000", category="commit")  # 75%
    _deal(world.owner, "Handle objections", "2000", category="best_case")  # 50%
    _deal(world.owner, "Negotiate", "9999", close=until + timedelta(days=1))  # next period
    for won in (True, False, False, False):  # Qualify at age < 30 days won 1 in 4
        _closed(world.owner, won)
    opps = Opportunity.objects.all()
    result = fc.forecast(
        opps=opps, since=since, until=until, pipeline_id=world.opportunity.pipeline_id
    )
    assert result.deals == 3 and result.pipeline == Decimal("7000")
    assert result.weighted == Decimal("100") + Decimal("3000") + Decimal("1000")
    assert (result.commit, result.best_case) == (Decimal("4000"), Decimal("6000"))
    # History knows Qualify (25%); the other stages fall back to their probabilities.
    assert result.expected == Decimal("250") + Decimal("3000") + Decimal("1000")
    assert result.low < result.expected < result.high


def test_attainment_and_commission(world, as_user):
    since, until = fc.quarter_bounds(timezone.localdate())
    Quota.objects.create(
        user=world.owner,
        period_kind="quarter",
        period_start=since,
        period_end=until,
        amount=Decimal("10000"),
    )
    CommissionPlan.objects.create(
        name="Std", base_rate_pct=10, accelerator_rate_pct=15, is_default=True
    )
    _closed(world.owner, True, amount="7000")
    _closed(world.owner, True, amount="5000")
    _closed(world.owner, False, amount="9000")
    rows = fc.attainment(opps=Opportunity.objects.all(), since=since, until=until, kind="quarter")
    assert [(r["rep"], r["won"], r["pct"]) for r in rows] == [
        (world.owner, Decimal("12000"), 120.0)
    ]
    s = fc.commission(opps=Opportunity.objects.all(), rep=world.owner, since=since, until=until)
    assert (s["base"], s["accelerated"], s["total"]) == (
        Decimal("1000.00"),
        Decimal("300.00"),
        Decimal("1300.00"),
    )
    html = as_user(world.owner).get("/sales/commissions/").content.decode()
    assert 'data-testid="commission-total">$1,300<' in html
    api = as_user(world.sales_manager).get(f"/api/commissions/{world.owner.pk}").json()
    assert (api["total"], api["pct"]) == ("1300.00", 120.0)
    assert as_user(world.outsider).get(f"/api/commissions/{world.owner.pk}").status_code == 404
    assert (
        as_user(world.teammate).get(f"/sales/commissions/?rep={world.owner.pk}").status_code == 200
    )
    page = as_user(world.sales_manager).get("/sales/forecast/").content.decode()
    assert ">120%" in page.split('data-testid="attainment"')[1]


def test_forecast_api_and_page(world, as_user):
    since, until = fc.quarter_bounds(timezone.localdate())
    Opportunity.objects.filter(pk=world.opportunity.pk).update(expected_close=timezone.localdate())
    data = as_user(world.owner).get("/api/forecast").json()
    assert data["since"] == since.isoformat() and data["deals"] == 1
    assert data["weighted"] == "500.00"  # the fixture's 5000 deal in Qualify (10%)
    assert as_user(world.outsider).get("/api/forecast").json()["deals"] == 0
    assert as_user(world.marketer).get("/api/forecast").status_code == 403
    assert as_user(world.owner).get("/api/forecast?day=not-a-date").status_code == 422
    html = as_user(world.owner).get("/sales/forecast/?kind=month").content.decode()
    assert 'data-testid="weighted">$500<' in html


@pytest.mark.parametrize("bad", ["day=2026-13-01", "kind=year"])
def test_forecast_page_rejects_bad_periods(world, as_user, bad):
    assert as_user(world.owner).get(f"/sales/forecast/?{bad}").status_code == 400


def test_monthly_commission(world, as_user):
    today = timezone.localdate()
    month_start = today.replace(day=1)
    _, quarter_end = fc.quarter_bounds(today)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    Quota.objects.create(
        user=world.owner,
        period_kind="month",
        period_start=month_start,
        period_end=month_end,
        amount=Decimal("1000"),
    )
    CommissionPlan.objects.create(
        name="Std", base_rate_pct=10, accelerator_rate_pct=20, is_default=True
    )
    _closed(world.owner, True, amount="1500")
    data = as_user(world.owner).get(f"/api/commissions/{world.owner.pk}?kind=month").json()
    assert (data["since"], data["quota"], data["total"]) == (
        month_start.isoformat(),
        "1000.00",
        "200.00",
    )
    assert (
        as_user(world.owner).get(f"/api/commissions/{world.owner.pk}?kind=decade").status_code
        == 422
    )


def test_win_rates_are_stored_read_by_every_process_and_refreshed_by_the_sweep(
    world, django_assert_num_queries
):
    """A reader with nothing cached reads the stored rates (one small query, not the grouped
    one over the history); the sweep computes them again, a stale copy is computed afresh."""
    from django.core.cache import cache

    from tandem.sales import tasks
    from tandem.sales.models import WinRates

    pipeline = world.opportunity.pipeline_id
    since = timezone.localdate() - timedelta(days=400)
    qualify = Stage.objects.get(name="Qualify").pk
    for won in (True, False, False, False):
        _closed(world.owner, won)
    first = fc.win_rates(pipeline_id=pipeline, since=since)
    assert first[(qualify, 0)] == 0.25
    stored = WinRates.objects.get(pipeline_id=pipeline, since=since)
    assert stored.rates[f"{qualify}:0"] == 0.25

    cache.clear()  # another process, or after a restart
    with django_assert_num_queries(1):
        assert fc.win_rates(pipeline_id=pipeline, since=since) == first

    _closed(world.owner, True)  # 2 won of 5 now; readers see it once the sweep ran
    cache.clear()
    assert fc.win_rates(pipeline_id=pipeline, since=since)[(qualify, 0)] == 0.25
    old = WinRates.objects.create(
        pipeline_id=pipeline, since=timezone.localdate() - timedelta(days=900),
        rates={}, computed_at=timezone.now(),
    )  # fmt: skip
    assert tasks.win_rates_sweep.call() == 1
    assert not WinRates.objects.filter(pk=old.pk).exists()  # a history start no period uses
    cache.clear()
    assert fc.win_rates(pipeline_id=pipeline, since=since)[(qualify, 0)] == 0.4

    _closed(world.owner, False)  # 2 of 6; the stored copy is now older than an hour
    WinRates.objects.update(computed_at=timezone.now() - fc.WIN_RATES_STALE - timedelta(1))
    cache.clear()
    assert fc.win_rates(pipeline_id=pipeline, since=since)[(qualify, 0)] == pytest.approx(1 / 3)
    assert WinRates.objects.get().computed_at > timezone.now() - timedelta(minutes=1)
