"""Closing a deal: lost needs a reason (and the competitor when lost to one); won makes the
account's people customers, books the promised follow-up and proposes an upsell."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tandem.contacts.models import LifecycleStage, Person
from tandem.contacts.services import person_change_stage
from tandem.core import activity
from tandem.core.errors import Invalid
from tandem.sales.models import (
    Activity,
    ActivityKind,
    Competitor,
    ForecastCategory,
    LossReason,
    Opportunity,
    Stage,
    StageHistory,
    StageKind,
)

FOLLOW_UP = "Follow up: did the customer get what was promised, and are they delighted?"
CUSTOMER_STAGES = (LifecycleStage.CUSTOMER, LifecycleStage.ADVOCATE)


def check_lost(*, loss_reason: LossReason | None, lost_to: Competitor | None) -> None:
    if loss_reason is None:
        raise Invalid("Closing lost needs a loss reason.", field="loss_reason")
    if loss_reason.names_competitor and lost_to is None:
        raise Invalid("Name the competitor the deal was lost to.", field="lost_to")


def mark_lost(*, opp: Opportunity, loss_reason: LossReason, lost_to: Competitor | None) -> dict:
    opp.loss_reason, opp.lost_to = loss_reason, lost_to
    if lost_to is not None:
        opp.competitors.add(lost_to)
    return {"loss_reason": loss_reason.name, "lost_to": lost_to.name if lost_to else ""}


def after_won(*, actor, via: str, opp: Opportunity) -> None:
    """The consequences of a win, in the caller's transaction."""
    org = opp.organization
    if not org.is_customer:
        org.is_customer = True
        org.save(update_fields=["is_customer", "updated_at"])
    people = Person.objects.filter(organization=org).exclude(lifecycle_stage__in=CUSTOMER_STAGES)
    for person in people:
        person_change_stage(
            actor=actor,
            via=via,
            person=person,
            to_stage=LifecycleStage.CUSTOMER,
            reason=f"Won: {opp.name}",
        )
    due = timezone.now() + timedelta(days=settings.TANDEM_FOLLOWUP_DAYS)
    Activity.objects.create(
        kind=ActivityKind.TASK,
        subject=FOLLOW_UP,
        due_at=due,
        owner=opp.owner,
        organization=org,
        person=opp.person,
        opportunity=opp,
    )
    _propose_upsell(actor=actor, via=via, opp=opp)


def _propose_upsell(*, actor, via: str, opp: Opportunity) -> Opportunity:
    first = (
        Stage.objects.filter(pipeline_id=opp.pipeline_id, kind=StageKind.OPEN)
        .order_by("order")
        .first()
    )
    now = timezone.now()
    upsell = Opportunity.objects.create(
        name=f"{opp.organization.name} · Upsell",
        organization=opp.organization,
        person=opp.person,
        owner=opp.owner,
        pipeline_id=opp.pipeline_id,
        stage=first,
        currency=opp.currency,
        expected_close=(now + timedelta(days=90)).date(),
        channel=opp.channel,
        forecast_category=ForecastCategory.OMITTED,
        created_at=now,
        search_text=f"{opp.organization.name} · upsell {opp.organization.name}".lower(),
    )
    StageHistory.objects.create(opportunity=upsell, stage=first, entered_at=now, actor=actor)
    activity.record(
        actor=actor,
        via=via,
        verb="created",
        target=upsell,
        summary=f"Upsell proposed after {opp.name}",
    )
    return upsell
