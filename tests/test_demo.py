"""The demo workspace: deterministic, realistic, and loaded in bulk."""

import hashlib
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from tandem.accounts.models import Team, User
from tandem.contacts.models import LifecycleTransition, Person
from tandem.demo import loader
from tandem.handoff.models import Handoff
from tandem.marketing.models import Channel, Program, ProgramCost, Touch
from tandem.sales.models import Activity, DiscountRequest, Opportunity, Quota, StageHistory

AS_OF = date(2026, 11, 23)


def _digest() -> str:
    rows = [
        list(
            Person.objects.order_by("pk").values_list(
                "email", "lifecycle_stage", "source_program__name"
            )[:300]
        ),
        list(Opportunity.objects.order_by("pk").values_list("name", "amount", "stage__name")[:200]),
        Touch.objects.count(),
        LifecycleTransition.objects.count(),
        Activity.objects.count(),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def demo(transactional_db):
    # Transactional: `demo --reset` flushes, and PostgreSQL cannot TRUNCATE inside the
    # test's transaction while deferred foreign-key checks are pending.
    loader.load(size="small", seed=7, as_of=AS_OF, progress=lambda _: None)


def test_demo_is_deterministic(demo):
    first = _digest()
    call_command(
        "demo",
        "--size",
        "small",
        "--seed",
        "7",
        "--as-of",
        "2026-11-23",
        "--reset",
        stdout=StringIO(),
    )
    assert _digest() == first
    call_command(
        "demo",
        "--size",
        "small",
        "--seed",
        "8",
        "--as-of",
        "2026-11-23",
        "--reset",
        stdout=StringIO(),
    )
    assert _digest() != first


def test_demo_volumes_and_history(demo):
    assert Person.objects.count() == 5000
    assert Touch.objects.count() >= 5 * 5000
    first, last = Person.objects.order_by("created_at").values_list("created_at", flat=True)[::4999]
    assert (last - first).days > 500  # about 18 months of history


def test_every_channel_has_programs_with_budgets_and_costs(demo):
    assert set(Program.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert not Program.objects.filter(budget__lte=0).exists()
    spent = dict(ProgramCost.objects.values_list("program__channel").annotate(Sum("amount")))
    assert set(spent) == set(Channel.values)


def test_programs_differ_in_volume_and_quality(demo):
    leads = dict(Person.objects.values_list("source_program__name").annotate(n=Count("id")))
    always_on = {
        name: n for name, n in leads.items() if name in {"Search ads", "Customer referral program"}
    }
    assert always_on["Search ads"] > 3 * always_on["Customer referral program"]
    qualified = {
        name: LifecycleTransition.objects.filter(person__source_program__name=name, to_stage="mql")
        .values("person")
        .distinct()
        .count()
        / leads[name]
        for name in ("Website demo request", "Blog and newsletter signup")
    }
    assert qualified["Website demo request"] > 3 * qualified["Blog and newsletter signup"]


def test_conversion_rates_are_plausible(demo):
    reached = dict(
        LifecycleTransition.objects.values_list("to_stage").annotate(
            n=Count("person", distinct=True)
        )
    )
    mql_rate = reached["mql"] / reached["lead"]
    sql_rate = reached["sql"] / reached["mql"]
    assert 0.1 < mql_rate < 0.45 and 0.3 < sql_rate < 0.8
    won = Opportunity.objects.filter(stage__kind="won").count()
    lost = Opportunity.objects.filter(stage__kind="lost").count()
    assert 0.15 < won / (won + lost) < 0.5
    assert reached["customer"] == won


def test_sales_side_is_complete(demo):
    assert Team.objects.filter(function="sales").count() == 2
    assert set(User.objects.values_list("role", flat=True)) == {
        "admin",
        "marketer",
        "marketing_manager",
        "sales_rep",
        "sales_manager",
    }
    assert (
        Opportunity.objects.filter(loss_reason__isnull=False).count()
        == Opportunity.objects.filter(stage__kind="lost").count()
    )
    assert Opportunity.objects.filter(lost_to__isnull=False).exists()
    assert Opportunity.objects.filter(objections__isnull=False).exists()
    assert Opportunity.objects.filter(stage__kind="open").exists()
    assert StageHistory.objects.filter(left_at__isnull=True).count() == Opportunity.objects.count()
    assert Quota.objects.filter(user__isnull=False, period_kind="quarter").exists()
    assert Quota.objects.filter(team__isnull=False).exists()
    assert Activity.objects.filter(selling=False).exists()
    assert Activity.objects.filter(done_at__isnull=True).exists()
    assert Handoff.objects.filter(status="expired").exists()  # leakage to account for
    assert DiscountRequest.objects.filter(status="pending", line__approval="pending").count() == 40
    amounts = Opportunity.objects.aggregate(total=Sum("amount"))["total"]
    assert amounts > Decimal("0")


def test_demo_refuses_a_non_empty_database(demo):
    with pytest.raises(CommandError):
        call_command("demo", "--size", "small", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--size", "small", "--if-empty", stdout=out)
    assert "already has data" in out.getvalue()
