"""The handoff contract: an MQL goes to a rep with a due time; the rep accepts or rejects it;
an accepted lead becomes an SQL and an opportunity in one step; a missed SLA is escalated."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import LifecycleStage, Organization, Person
from tandem.contacts.services import person_change_stage
from tandem.core import access, activity, webhooks
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.roles import Role
from tandem.handoff import routing, sla
from tandem.handoff.models import Handoff, HandoffStatus, RejectReason, ScoringConfig
from tandem.sales.models import Stage
from tandem.sales.services import opportunity_create

MANAGERS = (Role.SALES_MANAGER, Role.ADMIN)


def _is_manager(actor) -> bool:
    return access.is_admin(actor) or actor.role == Role.SALES_MANAGER


def qualify(*, person: Person, score, config: ScoringConfig, now=None) -> Handoff | None:
    """Crossing the threshold: the MQL transition says why, then the lead is routed."""
    now = now or timezone.now()
    why = ", ".join(f"{label} {points:+g}" for label, points in score.breakdown[:6])
    person_change_stage(
        actor=None,
        via="system",
        person=person,
        to_stage=LifecycleStage.MQL,
        reason=f"score {score.total} ≥ {config.mql_threshold}: {why}"[:300],
    )
    return hand_off(person=person, config=config, now=now)


def hand_off(*, person: Person, config=None, now=None, exclude=()) -> Handoff | None:
    """Route the MQL and start its SLA clock; None when no rep can take it (it stays an
    unassigned MQL, which the leakage report counts)."""
    config = config or ScoringConfig.get()
    now = now or timezone.now()
    if Handoff.objects.filter(person=person, status=HandoffStatus.PENDING).exists():
        return None
    route = routing.route(person, config, exclude=exclude)
    if route is None:
        activity.record(actor=None, via="system", verb="unrouted", target=person,
                        summary="No rep could take this MQL (all at their cap?)")  # fmt: skip
        return None
    handoff = Handoff.objects.create(
        person=person,
        rep=route.rep,
        routed_at=now,
        due_at=sla.add_business_hours(now, config.sla_business_hours, config),
        rule=route.rule[:300],
    )
    # Sales holds the conversation from now on: campaigns leave this person out.
    Person.objects.filter(pk=person.pk).update(sales_owns_conversation=True)
    activity.record(
        actor=None, via="system", verb="handed_off", target=person,
        summary=f"to {route.rep.display_name}: {route.rule}",
    )  # fmt: skip
    return handoff


def _locked(handoff: Handoff) -> Handoff:
    return Handoff.objects.select_for_update().select_related("person", "rep").get(pk=handoff.pk)


def _may_decide(actor, handoff: Handoff) -> None:
    if handoff.rep_id != actor.pk and not _is_manager(actor):
        raise Forbidden("Only the rep it was handed to (or a sales manager) decides.")


@transaction.atomic
def accept(*, actor, via: str = "ui", handoff: Handoff, now=None) -> Handoff:
    """SAL: the rep takes the lead. A second accept (a double click, or another person at the
    same moment) finds it decided and changes nothing."""
    handoff = _locked(handoff)
    _may_decide(actor, handoff)
    if handoff.status != HandoffStatus.PENDING:
        raise Conflict(f"Already {handoff.get_status_display().lower()}.")
    now = now or timezone.now()
    handoff.status, handoff.decided_at = HandoffStatus.ACCEPTED, now
    handoff.save(update_fields=["status", "decided_at"])
    person = handoff.person
    Person.objects.filter(pk=person.pk).update(owner=handoff.rep, sales_owns_conversation=True)
    person_change_stage(actor=actor, via=via, person=person, to_stage=LifecycleStage.SAL,
                        reason=f"accepted by {handoff.rep.display_name}")  # fmt: skip
    webhooks.emit("handoff.accepted", _handoff_data(handoff))
    return handoff


@transaction.atomic
def reject(
    *,
    actor,
    via: str = "ui",
    handoff: Handoff,
    reason: str,
    note: str = "",
    recycle_on: date | None = None,
) -> Handoff:
    """Back to marketing's nurture, with the reason; "not now" names when to try again."""
    if reason not in RejectReason.values:
        raise Invalid("Choose why: not a fit, bad data, duplicate, or not now.", field="reason")
    if reason == RejectReason.NOT_NOW and not recycle_on:
        raise Invalid("“Not now” needs the date to recycle the lead.", field="recycle_on")
    if recycle_on and recycle_on <= timezone.localdate():
        raise Invalid("The recycle date is in the future.", field="recycle_on")
    handoff = _locked(handoff)
    _may_decide(actor, handoff)
    if handoff.status != HandoffStatus.PENDING:
        raise Conflict(f"Already {handoff.get_status_display().lower()}.")
    label = RejectReason(reason).label
    handoff.status, handoff.decided_at = HandoffStatus.REJECTED, timezone.now()
    handoff.reject_reason, handoff.recycle_on = reason, recycle_on
    handoff.reason = f"{label}: {note}".strip(": ")[:300]
    handoff.save(update_fields=["status", "decided_at", "reject_reason", "recycle_on", "reason"])
    Person.objects.filter(pk=handoff.person_id).update(sales_owns_conversation=False)
    person_change_stage(actor=actor, via=via, person=handoff.person,
                        to_stage=LifecycleStage.NURTURE, reason=handoff.reason)  # fmt: skip
    webhooks.emit("handoff.rejected", _handoff_data(handoff))
    return handoff


def _handoff_data(handoff: Handoff) -> dict:
    return {
        "object": "handoff", "id": handoff.pk, "person_id": handoff.person_id,
        "rep_id": handoff.rep_id, "status": handoff.status, "reason": handoff.reason,
    }  # fmt: skip


def _organization_for(actor, person: Person) -> Organization:
    if person.organization_id:
        return person.organization
    name = (person.custom or {}).get("company") or (
        person.email_normalized.split("@")[-1] if person.email_normalized else person.name
    )
    org = Organization.objects.create(name=str(name)[:200] or "Unknown", owner=actor)
    Person.objects.filter(pk=person.pk).update(organization=org)
    activity.record(actor=actor, via="system", verb="created", target=org, summary=org.name)
    return org


@transaction.atomic
def convert(*, actor, via: str = "ui", handoff: Handoff, amount=None, close_by=None):
    """Accepted (or still pending) lead → SQL → an opportunity owned by the rep, in one step.
    Converting twice returns the first opportunity: one opportunity, one owner."""
    handoff = _locked(handoff)
    _may_decide(actor, handoff)
    if handoff.status == HandoffStatus.CONVERTED:
        return handoff.opportunity
    if handoff.status == HandoffStatus.PENDING:
        accept(actor=actor, via=via, handoff=handoff)
        handoff.refresh_from_db()
    if handoff.status != HandoffStatus.ACCEPTED:
        raise Conflict(f"A lead that is {handoff.get_status_display().lower()} is not converted.")
    person = Person.objects.select_related("organization").get(pk=handoff.person_id)
    rep = handoff.rep
    stage = Stage.objects.filter(pipeline__is_default=True, kind="open").order_by("order").first()
    if stage is None:
        raise Invalid("Set up a default pipeline first.")
    person_change_stage(actor=actor, via=via, person=person, to_stage=LifecycleStage.SQL,
                        reason="qualified on conversion")  # fmt: skip
    opportunity = opportunity_create(
        actor=rep,
        via=via,
        stage=stage,
        data={
            "name": f"{_organization_for(rep, person).name} — {person.name}"[:200],
            "organization": _organization_for(rep, person),
            "person": person,
            "owner": rep,
            "amount": amount or 0,
            "expected_close": close_by or (timezone.localdate() + timezone.timedelta(days=90)),
        },
    )
    person_change_stage(actor=actor, via=via, person=person,
                        to_stage=LifecycleStage.OPPORTUNITY, reason=opportunity.name)  # fmt: skip
    handoff.status, handoff.opportunity = HandoffStatus.CONVERTED, opportunity
    handoff.save(update_fields=["status", "opportunity"])
    # The open opportunity keeps campaigns away now; once it closes, marketing may write again.
    Person.objects.filter(pk=person.pk).update(sales_owns_conversation=False)
    return opportunity


@transaction.atomic
def reassign(*, actor, via: str = "ui", handoff: Handoff, rep, now=None) -> Handoff:
    if not _is_manager(actor):
        raise Forbidden("Only a sales manager reassigns a lead.")
    handoff = _locked(handoff)
    if handoff.status != HandoffStatus.PENDING:
        raise Conflict("Only a waiting lead is reassigned.")
    if rep is None or rep.role != Role.SALES_REP or not rep.is_active:
        raise Invalid("Choose an active sales rep.", field="rep")
    config, now = ScoringConfig.get(), now or timezone.now()
    old = handoff.rep
    handoff.rep, handoff.routed_at = rep, now
    handoff.due_at = sla.add_business_hours(now, config.sla_business_hours, config)
    handoff.breached_at = None
    handoff.rule = f"reassigned by {actor.display_name} (from {old.display_name})"[:300]
    handoff.save(update_fields=["rep", "routed_at", "due_at", "breached_at", "rule"])
    activity.record(actor=actor, via=via, verb="reassigned", target=handoff.person,
                    summary=handoff.rule)  # fmt: skip
    return handoff


def check_breaches(*, now=None) -> int:
    """Every pending handoff past its due time: mark the breach, tell the rep's managers, and
    (if the contract says so) hand the lead to the next rep. Returns how many breached."""
    now, config = now or timezone.now(), ScoringConfig.get()
    due = Handoff.objects.filter(
        status=HandoffStatus.PENDING, due_at__lt=now, breached_at__isnull=True
    ).select_related("person", "rep")
    count = 0
    for handoff in due:
        with transaction.atomic():
            _breach(handoff, config, now)
        count += 1
    return count


def _breach(handoff: Handoff, config, now) -> None:
    Handoff.objects.filter(pk=handoff.pk).update(breached_at=now)
    managers = (
        get_user_model()
        .objects.filter(role=Role.SALES_MANAGER, team_id=handoff.rep.team_id, is_active=True)
        .exclude(email="")
    )
    text = (
        f"{handoff.rep.display_name} has not accepted or rejected {handoff.person.name} "
        f"(due {timezone.localtime(handoff.due_at):%Y-%m-%d %H:%M})."
    )
    activity.record(actor=None, via="task", verb="sla_breached", target=handoff.person,
                    summary=text)  # fmt: skip
    addresses = [m.email for m in managers]
    if addresses:
        transaction.on_commit(
            lambda: EmailMessage(subject="Handoff SLA missed", body=text, to=addresses).send()
        )
    if config.reassign_on_breach:
        Handoff.objects.filter(pk=handoff.pk).update(status=HandoffStatus.EXPIRED, decided_at=now)
        hand_off(person=handoff.person, config=config, now=now, exclude=(handoff.rep_id,))
