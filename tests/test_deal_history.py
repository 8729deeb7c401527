"""POST /api/opportunities/history: a deal from the past with its contact person and its stages
at their own times; attribution and the sales cycle read that history."""

from datetime import timedelta

from django.utils import timezone

from tandem.insights import attribution_report
from tandem.marketing.models import Touch
from tandem.sales.models import LossReason, Opportunity, Stage, StageHistory

JSON = "application/json"


def _stages(*names):
    return [Stage.objects.get(pipeline__is_default=True, name=n) for n in names]


def test_a_won_deal_from_the_past_is_credited_at_its_close(world, as_user):
    now = timezone.now().replace(microsecond=0)
    qualify, present, won = _stages("Qualify", "Present", "Closed won")
    at = [now - timedelta(days=d) for d in (40, 30, 10)]
    Touch.objects.create(person=world.person, program=world.program, kind="page_visited",
                         occurred_at=now - timedelta(days=50))  # fmt: skip
    Touch.objects.create(
        person=world.person,
        program=world.program,
        kind="page_visited",
        occurred_at=now - timedelta(days=5),
    )  # after the close: not credited
    body = {"name": "Old win", "organization_id": world.org.pk, "person_id": world.person.pk,
            "amount": "4000", "expected_close": str(at[2].date()), "opened_at": at[0].isoformat(),
            "stages": [{"stage_id": s.pk, "entered_at": t.isoformat()}
                       for s, t in zip((qualify, present, won), at, strict=True)]}  # fmt: skip
    made = as_user(world.owner).post("/api/opportunities/history", body, content_type=JSON)
    assert made.status_code == 201, made.content
    deal = Opportunity.objects.get(name="Old win")
    assert (deal.created_at, deal.closed_at, deal.stage) == (at[0], at[2], won)
    history = list(StageHistory.objects.filter(opportunity=deal).order_by("entered_at")
                   .values_list("entered_at", "left_at"))  # fmt: skip
    assert history == [(at[0], at[1]), (at[1], at[2]), (at[2], None)]
    world.org.refresh_from_db()
    assert world.org.is_customer
    today = timezone.localdate()
    r = attribution_report.compute(attribution_report.Params(today - timedelta(days=30), today))
    credit = dict(zip((label for _, label in r.labels), r.conversions["linear"], strict=True))
    assert credit[world.program.name] == 1  # one won deal, its one touch before the close


def test_a_history_must_make_sense(world, as_user):
    now = timezone.now()
    qualify, lost = _stages("Qualify", "Closed lost")
    client = as_user(world.owner)
    base = {"name": "Odd", "organization_id": world.org.pk, "expected_close": "2026-01-01",
            "opened_at": (now - timedelta(days=10)).isoformat()}  # fmt: skip
    backwards = client.post("/api/opportunities/history", {**base, "stages": [
        {"stage_id": qualify.pk, "entered_at": (now - timedelta(days=3)).isoformat()},
        {"stage_id": lost.pk, "entered_at": (now - timedelta(days=5)).isoformat()}]},
        content_type=JSON)  # fmt: skip
    assert backwards.status_code == 422
    no_reason = client.post("/api/opportunities/history", {**base, "stages": [
        {"stage_id": lost.pk, "entered_at": (now - timedelta(days=2)).isoformat()}]},
        content_type=JSON)  # fmt: skip
    assert no_reason.status_code == 422
    reason = LossReason.objects.filter(names_competitor=False).first()
    ok = client.post("/api/opportunities/history", {**base, "loss_reason_id": reason.pk,
        "stages": [{"stage_id": lost.pk, "entered_at": (now - timedelta(days=2)).isoformat()}]},
        content_type=JSON)  # fmt: skip
    assert ok.status_code == 201
    marketer = as_user(world.marketer)
    refused = marketer.post("/api/opportunities/history", {**base, "stages": [
        {"stage_id": qualify.pk, "entered_at": now.isoformat()}]}, content_type=JSON)  # fmt: skip
    assert refused.status_code == 403
