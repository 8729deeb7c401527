"""Objections and competitors on a deal, team attainment, and the activity and territory API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tandem.sales import forecast as fc
from tandem.sales.models import Competitor, Objection, Opportunity, Quota, Stage, Territory
from tests import factories as f

JSON = "application/json"


@pytest.fixture
def lookups(db):
    return Objection.objects.get_or_create(name="Too expensive")[0], Competitor.objects.create(
        name="Rival CRM"
    )


def test_objections_and_competitors_in_ui_and_api(world, as_user, lookups):
    objection, rival = lookups
    owner = as_user(world.owner)
    owner.post(
        f"/sales/opportunities/{world.opportunity.pk}/objections",
        {"objection": objection.pk, "note": "Budget is fixed", "handled": "on"},
    )
    api = owner.post(
        f"/api/opportunities/{world.opportunity.pk}/competitors",
        {"competitor_id": rival.pk},
        content_type=JSON,
    )
    assert api.json() == {"competitors": [rival.pk]}
    html = owner.get(f"/sales/opportunities/{world.opportunity.pk}/").content.decode()
    assert "Too expensive: Budget is fixed" in html and "Rival CRM" in html
    teammate = as_user(world.teammate).post(
        f"/api/opportunities/{world.opportunity.pk}/objections",
        {"objection_id": objection.pk},
        content_type=JSON,
    )
    assert teammate.status_code == 403
    assert world.opportunity.objections.count() == 1
    bad = as_user(world.owner).post(
        f"/api/opportunities/{world.opportunity.pk}/objections",
        {"objection_id": 999},
        content_type=JSON,
    )
    assert bad.status_code == 422


def test_team_attainment(world, as_user):
    since, until = fc.quarter_bounds(timezone.localdate())
    Quota.objects.create(
        team=world.owner.team,
        period_kind="quarter",
        period_start=since,
        period_end=until,
        amount=Decimal("20000"),
    )
    won = f.opportunity(
        world.teammate, amount=Decimal("5000"), stage=Stage.objects.get(name="Closed won")
    )
    Opportunity.objects.filter(pk=won.pk).update(closed_at=timezone.now())
    data = as_user(world.sales_manager).get("/api/attainment").json()
    assert data["teams"] == [
        {"team_id": world.owner.team_id, "quota": "20000.00", "won": "5000.00", "pct": 25.0}
    ]
    html = as_user(world.sales_manager).get("/sales/forecast/").content.decode()
    assert ">25%<" in html.split('data-testid="team-attainment"')[1]


def test_activity_mix_and_territory_api(world, as_user):
    f.activity(world.owner, selling=False, kind="task", due_at=timezone.now() - timedelta(days=1))
    today = timezone.localdate()
    mix = (
        as_user(world.owner)
        .get(
            f"/api/activity-mix?since={today - timedelta(days=7)}&until={today + timedelta(days=1)}"
        )
        .json()
    )
    assert [(r["owner_id"], r["selling_work"], r["other_work"]) for r in mix] == [
        (world.owner.pk, 1, 1)
    ]
    assert (
        as_user(world.marketer).get(f"/api/activity-mix?since={today}&until={today}").status_code
        == 403
    )
    territory = Territory.objects.create(name="Germany", countries=["DE"])
    f.organization(owner=world.owner, name="Munich AG", country="DE")
    listed = as_user(world.owner).get(f"/api/territories/{territory.pk}/accounts").json()
    assert [o["name"] for o in listed["items"]] == ["Munich AG"]
    assert (
        as_user(world.outsider).get(f"/api/territories/{territory.pk}/accounts").json()["items"]
        == []
    )
    assert as_user(world.owner).get("/api/territories/999/accounts").status_code == 404


def test_the_board_shows_the_deals_closing_soonest_and_counts_them_all(as_user, world, monkeypatch):
    import datetime
    from decimal import Decimal

    from tandem.sales import selectors as sales_selectors

    first = world.opportunity.stage
    today = datetime.date.today()
    for days, amount in ((5, "100"), (50, "200"), (500, "300")):
        close = today + datetime.timedelta(days)
        f.opportunity(world.owner, organization=world.org, stage=first, amount=Decimal(amount),
                      name=f"Close in {days}", expected_close=close)  # fmt: skip
    monkeypatch.setattr(sales_selectors, "BOARD_CARDS", 2)
    page = as_user(world.owner).get("/sales/board/").content.decode()
    column = next(c for c in sales_selectors.board(actor=world.owner, pipeline=first.pipeline)
                  if c["stage"] == first)  # fmt: skip
    assert [c["name"] for c in column["cards"]] == ["Close in 5", "Owner Deal"]
    assert column["count"] == 4 and column["more"] == 2
    assert column["total"] == Decimal("600") + world.opportunity.amount
    assert "Close in 5" in page and "Close in 500" not in page
    assert "2 more, closing later" in page and f"?stage={first.pk}&amp;status=open" in page
