"""Closing deals: the loss-reason rule on every path, and what a win sets in motion."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core.errors import Invalid
from tandem.sales import services
from tandem.sales.closing import FOLLOW_UP
from tandem.sales.models import Activity, Competitor, LossReason, Opportunity, Stage
from tests import factories as f

JSON = "application/json"


@pytest.fixture
def lookups(db):
    return {
        "price": LossReason.objects.get_or_create(name="Price too high")[0],
        "competitor": LossReason.objects.update_or_create(
            name="Lost to competitor", defaults={"names_competitor": True}
        )[0],
        "rival": Competitor.objects.get_or_create(name="Rival CRM")[0],
    }


def _state(opp):
    opp.refresh_from_db()
    return (
        opp.stage.name,
        opp.loss_reason_id,
        opp.lost_to_id,
        opp.closed_at,
        opp.stage_history.count(),
    )


def test_lost_needs_a_reason(world, lookups):
    lost = Stage.objects.get(name="Closed lost")
    before = _state(world.opportunity)
    with pytest.raises(Invalid) as err:
        services.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=lost)
    assert err.value.field == "loss_reason"
    with pytest.raises(Invalid) as err:
        services.opportunity_move(
            actor=world.owner,
            opportunity=world.opportunity,
            stage=lost,
            loss_reason=lookups["competitor"],
        )
    assert err.value.field == "lost_to"
    assert _state(world.opportunity) == before


def test_lost_with_competitor_records_both(world, lookups):
    lost = Stage.objects.get(name="Closed lost")
    opp = services.opportunity_move(
        actor=world.owner,
        opportunity=world.opportunity,
        stage=lost,
        loss_reason=lookups["competitor"],
        lost_to=lookups["rival"],
    )
    assert (opp.loss_reason, opp.lost_to, opp.closed_at is not None) == (
        lookups["competitor"],
        lookups["rival"],
        True,
    )
    assert lookups["rival"] in opp.competitors.all()
    reopened = services.opportunity_move(
        actor=world.owner, opportunity=opp, stage=Stage.objects.get(name="Negotiate")
    )
    assert (reopened.loss_reason, reopened.lost_to, reopened.closed_at) == (None, None, None)


def test_won_makes_customers_books_follow_up_and_proposes_upsell(world):
    colleague = f.person(organization=world.org, lifecycle_stage="lead")
    outsider = f.person(organization=f.organization(), lifecycle_stage="lead")
    won = Stage.objects.get(name="Closed won")
    services.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=won)
    assert set(
        Person.objects.filter(organization=world.org).values_list("lifecycle_stage", flat=True)
    ) == {"customer"}
    assert Person.objects.get(pk=outsider.pk).lifecycle_stage == "lead"
    assert colleague.transitions.filter(to_stage="customer", actor=world.owner).exists()
    world.org.refresh_from_db()
    assert world.org.is_customer
    task = Activity.objects.get(subject=FOLLOW_UP)
    assert task.owner == world.owner and task.opportunity == world.opportunity
    assert abs(task.due_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    upsell = Opportunity.objects.exclude(pk=world.opportunity.pk).get(organization=world.org)
    assert (upsell.stage.name, upsell.owner, upsell.forecast_category) == (
        "Qualify",
        world.owner,
        "omitted",
    )


def test_api_enforces_the_loss_reason(world, as_user, lookups):
    client = as_user(world.owner)
    lost = Stage.objects.get(name="Closed lost")
    url = f"/api/opportunities/{world.opportunity.pk}"
    before = _state(world.opportunity)
    response = client.patch(url, {"stage_id": lost.pk, "name": "Renamed"}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "loss_reason"]
    assert _state(world.opportunity) == before
    world.opportunity.refresh_from_db()
    assert world.opportunity.name == "Owner Deal"  # the rename rolled back with the refused close
    ok = client.patch(
        url, {"stage_id": lost.pk, "loss_reason_id": lookups["price"].pk}, content_type=JSON
    )
    assert ok.status_code == 200 and ok.json()["loss_reason_id"] == lookups["price"].pk


def test_api_cannot_create_a_closed_deal(world, as_user):
    lost = Stage.objects.get(name="Closed lost")
    response = as_user(world.owner).post(
        "/api/opportunities",
        {
            "name": "X",
            "organization_id": world.org.pk,
            "expected_close": "2027-01-01",
            "stage_id": lost.pk,
        },
        content_type=JSON,
    )
    assert response.status_code == 422


def test_ui_enforces_the_loss_reason(world, as_user, lookups):
    client = as_user(world.owner)
    lost = Stage.objects.get(name="Closed lost")
    url = f"/sales/opportunities/{world.opportunity.pk}/move"
    before = _state(world.opportunity)
    response = client.post(url, {"stage": lost.pk}, follow=True)
    assert "Closing lost needs a loss reason." in response.content.decode()
    assert _state(world.opportunity) == before
    client.post(url, {"stage": lost.pk, "loss_reason": lookups["price"].pk})
    assert _state(world.opportunity)[:2] == ("Closed lost", lookups["price"].pk)


def test_board_shows_open_deals_in_their_columns(world, as_user):
    mine = f.opportunity(world.owner, name="Second deal", stage=Stage.objects.get(name="Negotiate"))
    f.opportunity(world.outsider, name="Not for you")
    html = as_user(world.teammate).get("/sales/board/").content.decode()
    assert "Owner Deal" in html and "Second deal" in html and "Not for you" not in html
    negotiate = html.split('data-testid="column-negotiate"')[1].split("</section>")[0]
    assert (
        f'data-opp="{mine.pk}"' in negotiate
        and f'data-opp="{world.opportunity.pk}"' not in negotiate
    )


def test_board_move_answers_with_the_board(world, as_user, lookups):
    client = as_user(world.owner)
    present = Stage.objects.get(name="Present")
    lost = Stage.objects.get(name="Closed lost")
    url = f"/sales/opportunities/{world.opportunity.pk}/move"
    html = client.post(
        url, {"stage": present.pk, "from": "board"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert (
        f'data-opp="{world.opportunity.pk}"'
        in html.split('data-testid="column-present"')[1].split("</section>")[0]
    )
    asked = client.post(
        url, {"stage": lost.pk, "from": "board"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="close-lost"' in asked and "Closing lost needs a loss reason." in asked
    done = client.post(
        url,
        {"stage": lost.pk, "from": "board", "loss_reason": lookups["price"].pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "close-lost" not in done and f'data-opp="{world.opportunity.pk}"' not in done


def test_board_cards_escape_user_text(world, as_user):
    evil = '<img src=x onerror="alert(1)">'
    f.opportunity(world.owner, name=evil, organization=f.organization(owner=world.owner, name=evil))
    html = as_user(world.owner).get("/sales/board/").content.decode()
    assert evil not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
