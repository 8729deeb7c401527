"""Sales' writes: opportunities with their stage history, and activities."""

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import Organization
from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid, NotFound
from tandem.sales import closing, pricing
from tandem.sales.calendar import invitation
from tandem.sales.models import (
    Activity,
    Competitor,
    ContactRole,
    LossReason,
    Opportunity,
    OpportunityContact,
    OpportunityObjection,
    Stage,
    StageHistory,
    StageKind,
)

OPPORTUNITY_FIELDS = {
    "name",
    "organization",
    "person",
    "owner",
    "amount",
    "currency",
    "expected_close",
    "channel",
    "partner",
    "forecast_category",
}
ACTIVITY_FIELDS = {
    "kind",
    "subject",
    "notes",
    "due_at",
    "selling",
    "owner",
    "person",
    "organization",
    "opportunity",
}


def _check_refs(actor, data: dict) -> None:
    """What a deal or an activity points at must be visible to the actor; an activity is
    logged on a deal only by someone who may work that deal (as on its page)."""
    access.require_read(actor, data.get("organization"), "organization", "organization_id")
    access.require_read(actor, data.get("person"), "person", "person_id")
    deal = data.get("opportunity")
    if deal is not None and actor is not None and not access.can_write(actor, deal, "opportunity"):
        access.require_read(actor, deal, "opportunity", "opportunity_id")
        raise Forbidden("You may not log activities on that opportunity.")


def _check_opportunity(data: dict) -> None:
    if "amount" in data and (data["amount"] is None or data["amount"] < 0):
        raise Invalid("The amount cannot be negative.", field="amount")
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("An opportunity needs a name.", field="name")


def _search_text(opp: Opportunity) -> str:
    return f"{opp.name} {opp.organization.name}".lower()


@transaction.atomic
def opportunity_create(*, actor, via: str = "ui", data: dict, stage: Stage) -> Opportunity:
    access.require_create(actor, "opportunity")
    data = {k: v for k, v in data.items() if k in OPPORTUNITY_FIELDS}
    if data.get("owner") is None:
        data["owner"] = actor
    access.check_owner(actor, "opportunity", data["owner"])
    _check_refs(actor, data)
    _check_opportunity(data)
    if stage.kind != StageKind.OPEN:
        raise Invalid("Open the opportunity in an open stage, then close it.", field="stage")
    now = timezone.now()
    opp = Opportunity(**data, pipeline=stage.pipeline, stage=stage, created_at=now)
    opp.search_text = _search_text(opp)
    opp.save()
    StageHistory.objects.create(opportunity=opp, stage=stage, entered_at=now, actor=actor)
    activity.record(actor=actor, via=via, verb="created", target=opp, summary=opp.name)
    return opp


@transaction.atomic
def opportunity_update(*, actor, via: str = "ui", opportunity: Opportunity, data: dict):
    access.require_write(actor, opportunity, "opportunity")
    data = {k: v for k, v in data.items() if k in OPPORTUNITY_FIELDS}
    if "owner" in data and data["owner"] != opportunity.owner:
        if data["owner"] is None:
            raise Invalid("An opportunity needs an owner.", field="owner")
        access.check_owner(actor, "opportunity", data["owner"])
    _check_refs(actor, {k: v for k, v in data.items() if k in ("organization", "person")})
    _check_opportunity(data)
    changes = activity.apply_changes(opportunity, data)
    if changes:
        opportunity.search_text = _search_text(opportunity)
        opportunity.save()
        activity.record(actor=actor, via=via, verb="updated", target=opportunity, changes=changes)
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    actor,
    via: str = "ui",
    opportunity: Opportunity,
    stage: Stage,
    loss_reason: LossReason | None = None,
    lost_to: Competitor | None = None,
):
    """Move to another stage of the same pipeline, closing the current stage-history row.

    Closed lost needs a loss reason (and the competitor when the reason names one); closed won
    makes the account's people customers, books the follow-up and proposes an upsell."""
    access.require_write(actor, opportunity, "opportunity")
    if stage.pipeline_id != opportunity.pipeline_id:
        raise Invalid("That stage belongs to another pipeline.", field="stage")
    if stage.kind == StageKind.LOST:
        closing.check_lost(loss_reason=loss_reason, lost_to=lost_to)
    opp = (
        Opportunity.objects.select_for_update()
        .select_related("organization")
        .get(pk=opportunity.pk)
    )
    if stage.kind == StageKind.WON:
        pricing.check_can_close_won(opp)
    if opp.stage_id == stage.pk:
        return opp
    now = timezone.now()
    old = opp.stage
    StageHistory.objects.filter(opportunity=opp, left_at__isnull=True).update(left_at=now)
    StageHistory.objects.create(opportunity=opp, stage=stage, entered_at=now, actor=actor)
    changes = {"stage": [old.name, stage.name]}
    if stage.kind == StageKind.LOST:
        changes |= closing.mark_lost(opp=opp, loss_reason=loss_reason, lost_to=lost_to)
    else:
        opp.loss_reason = opp.lost_to = None
    opp.stage = stage
    opp.closed_at = None if stage.kind == StageKind.OPEN else now
    opp.save(update_fields=["stage", "closed_at", "loss_reason", "lost_to", "updated_at"])
    activity.record(actor=actor, via=via, verb="stage_changed", target=opp, changes=changes)
    if stage.kind == StageKind.WON:
        closing.after_won(actor=actor, via=via, opp=opp)
    return opp


@transaction.atomic
def activity_create(*, actor, via: str = "ui", data: dict) -> Activity:
    access.require_create(actor, "activity")
    data = {k: v for k, v in data.items() if k in ACTIVITY_FIELDS}
    if data.get("owner") is None:
        data["owner"] = actor
    access.check_owner(actor, "activity", data["owner"])
    _check_refs(actor, data)
    if not (data.get("subject") or "").strip():
        raise Invalid("An activity needs a subject.", field="subject")
    act = Activity.objects.create(**data)
    target = act.opportunity or act.person or act.organization
    if target is not None:
        activity.record(
            actor=actor,
            via=via,
            verb="activity_logged",
            target=target,
            summary=f"{act.get_kind_display()}: {act.subject}",
        )
    activity.record(actor=actor, via=via, verb="created", target=act, summary=act.subject)
    return act


@transaction.atomic
def activity_update(*, actor, via: str = "ui", act: Activity, data: dict) -> Activity:
    access.require_write(actor, act, "activity")
    data = {k: v for k, v in data.items() if k in ACTIVITY_FIELDS | {"done_at"}}
    if "owner" in data and data["owner"] != act.owner:
        if data["owner"] is None:
            raise Invalid("An activity needs an owner.", field="owner")
        access.check_owner(actor, "activity", data["owner"])
    _check_refs(actor, {k: v for k, v in data.items() if k in ACTIVITY_REFS})
    changes = activity.apply_changes(act, data)
    if changes:
        act.save()
        activity.record(actor=actor, via=via, verb="updated", target=act, changes=changes)
    return act


ACTIVITY_REFS = ("person", "organization", "opportunity")


def activity_complete(*, actor, via: str = "ui", act: Activity) -> Activity:
    return activity_update(actor=actor, via=via, act=act, data={"done_at": timezone.now()})


def opportunity_bulk_move(
    *,
    actor,
    via: str = "ui",
    opportunities: list,
    stage: Stage,
    loss_reason: LossReason | None = None,
    lost_to: Competitor | None = None,
) -> dict[int, str]:
    """Move each deal on its own, under the same rules as one move; return {id: error}."""
    errors = {}
    for opp in opportunities:
        try:
            opportunity_move(
                actor=actor,
                via=via,
                opportunity=opp,
                stage=stage,
                loss_reason=loss_reason,
                lost_to=lost_to,
            )
        except (Invalid, Forbidden, NotFound) as exc:
            errors[opp.pk] = exc.message
    return errors


def meeting_invite_send(*, actor, via: str = "ui", act: Activity, to: str, host: str) -> None:
    """Email the meeting's .ics invitation, and note it on the timeline."""
    body = invitation(act, organizer_email=actor.email or "noreply@localhost", host=host)
    message = EmailMessage(
        subject=f"Invitation: {act.subject}",
        body=f"{act.subject}\n{act.due_at:%Y-%m-%d %H:%M} UTC\n\n{act.notes}",
        to=[to],
        reply_to=[actor.email] if actor.email else None,
    )
    message.attach(f"meeting-{act.pk}.ics", body, "text/calendar; method=REQUEST")
    message.send()
    activity.record(actor=actor, via=via, verb="invitation_sent", target=act, summary=to)


@transaction.atomic
@transaction.atomic
def contact_add(
    *, actor, via: str = "ui", opportunity: Opportunity, person, role: str
) -> OpportunityContact:
    """Another person on the deal, with their part in the decision; the deal's contact person
    is Opportunity.person. Both must be records the actor may work on and see."""
    access.require_write(actor, opportunity, "opportunity")
    if person is None:
        raise Invalid("Choose the person.", field="person")
    access.require_read(actor, person, "person", "person")
    if role not in ContactRole.values:
        raise Invalid("Choose a role: " + ", ".join(ContactRole.labels).lower() + ".", field="role")
    if person.pk == opportunity.person_id:
        raise Conflict(f"{person.name} is already the deal's contact person.")
    row, created = OpportunityContact.objects.get_or_create(
        opportunity=opportunity, person=person, defaults={"role": role}
    )
    if not created and row.role != role:
        row.role = role
        row.save(update_fields=["role"])
    label = ContactRole(role).label
    activity.record(actor=actor, via=via, verb="contact_added", target=opportunity,
                    summary=f"{person.name}: {label}"[:300])  # fmt: skip
    return row


@transaction.atomic
def contact_remove(*, actor, via: str = "ui", opportunity: Opportunity, person_id: int) -> None:
    access.require_write(actor, opportunity, "opportunity")
    row = opportunity.contacts.select_related("person").filter(person_id=person_id).first()
    if row is None:
        raise NotFound("That person is not on the deal.")
    row.delete()
    activity.record(actor=actor, via=via, verb="contact_removed", target=opportunity,
                    summary=row.person.name[:300])  # fmt: skip


def objection_record(
    *,
    actor,
    via: str = "ui",
    opportunity: Opportunity,
    objection,
    note: str = "",
    handled: bool = False,
) -> OpportunityObjection:
    """An objection heard on a deal; marketing reads these as the voice of the customer."""
    access.require_write(actor, opportunity, "opportunity")
    row = OpportunityObjection.objects.create(
        opportunity=opportunity, objection=objection, note=note[:500], handled=handled
    )
    activity.record(
        actor=actor,
        via=via,
        verb="objection_recorded",
        target=opportunity,
        summary=f"{objection}: {note}"[:300],
    )
    return row


@transaction.atomic
def competitor_add(*, actor, via: str = "ui", opportunity: Opportunity, competitor: Competitor):
    access.require_write(actor, opportunity, "opportunity")
    if opportunity.competitors.filter(pk=competitor.pk).exists():
        return
    opportunity.competitors.add(competitor)
    activity.record(
        actor=actor, via=via, verb="competitor_added", target=opportunity, summary=str(competitor)
    )


# --- a deal from the past: another system's deal, as it happened -------------------------


@transaction.atomic
def opportunity_record(
    *, actor, via: str = "api", data: dict, opened_at, steps: list, loss_reason=None,
    lost_to=None,
) -> Opportunity:  # fmt: skip
    """`steps`: [(stage, entered_at)], oldest first, all in one pipeline, none before the
    opening nor in the future; the last one is where the deal is (won or lost: closed then).
    The rights are a new deal's; a lost one needs its reason, as when closing by hand."""
    access.require_create(actor, "opportunity")
    data = {k: v for k, v in data.items() if k in OPPORTUNITY_FIELDS}
    if data.get("owner") is None:
        data["owner"] = actor
    access.check_owner(actor, "opportunity", data["owner"])
    _check_refs(actor, data)
    _check_opportunity(data)
    now = timezone.now()
    if not steps:
        raise Invalid("Give at least the stage the deal is in, with when.", field="stages")
    if opened_at > now:
        raise Invalid("A deal from the past opened before now.", field="opened_at")
    pipelines = {stage.pipeline_id for stage, _ in steps}
    if len(pipelines) > 1:
        raise Invalid("All the stages belong to one pipeline.", field="stages")
    last = opened_at
    for stage, at in steps:
        if at < last or at > now:
            raise Invalid("Stages follow one another in time, from the opening to now.",
                          field="stages")  # fmt: skip
        if stage.kind != StageKind.OPEN and (stage, at) != steps[-1]:
            raise Invalid("Only the last stage may close the deal.", field="stages")
        last = at
    final, closed_at = steps[-1]
    if final.kind == StageKind.LOST:
        closing.check_lost(loss_reason=loss_reason, lost_to=lost_to)
    opp = Opportunity(**data, pipeline_id=final.pipeline_id, stage=final, created_at=opened_at,
                      closed_at=closed_at if final.kind != StageKind.OPEN else None,
                      loss_reason=loss_reason if final.kind == StageKind.LOST else None,
                      lost_to=lost_to if final.kind == StageKind.LOST else None)  # fmt: skip
    opp.search_text = _search_text(opp)
    opp.save()
    StageHistory.objects.bulk_create(
        StageHistory(opportunity=opp, stage=stage, entered_at=at, actor=actor,
                     left_at=steps[i + 1][1] if i + 1 < len(steps) else None)
        for i, (stage, at) in enumerate(steps)
    )  # fmt: skip
    if final.kind == StageKind.WON:  # a customer then; no follow-up is booked in the past
        Organization.objects.filter(pk=opp.organization_id).update(is_customer=True)
    activity.record(actor=actor, via=via, verb="created", target=opp,
                    summary=f"{opp.name} (from history)")  # fmt: skip
    return opp
