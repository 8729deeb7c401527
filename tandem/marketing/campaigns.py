"""Email campaigns: compose, suppress, schedule and count (the sending is in sending.py).

Suppression always applies (unsubscribed, hard-bounced, complained, a suppressed address, no
consent where consent is required) and, unless the marketer overrides it, people sales is
talking to. It is applied when recipients are chosen and again when each batch goes out.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from tandem.contacts.models import ConsentStatus, LifecycleTransition, Person
from tandem.core import access, activity, workspace
from tandem.core.errors import Conflict, Invalid
from tandem.marketing import mailer, segments
from tandem.marketing.models import (
    Campaign,
    CampaignStatus,
    Recipient,
    RecipientStatus,
    SuppressedAddress,
)

RESULT_WINDOW = timedelta(days=30)
CAMPAIGN_FIELDS = {
    "program",
    "segment",
    "name",
    "subject",
    "subject_b",
    "body",
    "body_format",
    "require_consent",
    "include_open_opportunities",
    "ab_sample_percent",
    "ab_metric",
    "ab_wait_minutes",
}
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
IN_FLIGHT = (RecipientStatus.QUEUED, RecipientStatus.SENDING, RecipientStatus.ATTEMPTING)


# --- composing -------------------------------------------------------------------------------


def _clean(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in CAMPAIGN_FIELDS}
    for name in ("name", "subject"):
        if name in data and not (data[name] or "").strip():
            raise Invalid(f"A campaign needs a {name}.", field=name)
    for name in ("subject", "subject_b"):
        if name in data:
            data[name] = (data[name] or "").strip()
            mailer.check_merge_fields(data[name], name)
    if "body" in data:
        if not (data["body"] or "").strip():
            raise Invalid("A campaign needs a body.", field="body")
        mailer.check_merge_fields(data["body"], "body")
    pct = data.get("ab_sample_percent")
    if pct is not None and not 2 <= pct <= 50:
        raise Invalid("The A/B sample is 2 to 50 percent.", field="ab_sample_percent")
    return data


def _log_override(actor, via: str, campaign: Campaign, changes: dict) -> None:
    if "include_open_opportunities" in changes:
        on = campaign.include_open_opportunities
        activity.record(
            actor=actor,
            via=via,
            verb="suppression_override" if on else "suppression_restored",
            target=campaign,
            summary="Sends also to people in an open opportunity"
            if on
            else "People in an open opportunity are suppressed again",
        )


@transaction.atomic
def campaign_create(*, actor, via: str = "ui", data: dict) -> Campaign:
    access.require_create(actor, "campaign")
    data = _clean(data)
    for name in ("program", "name", "subject", "body"):
        if not data.get(name):
            raise Invalid(f"A campaign needs a {name}.", field=name)
    campaign = Campaign(owner=actor, **data)
    campaign.links = mailer.compile_body(campaign.body, campaign.body_format).links
    campaign.save()
    activity.record(actor=actor, via=via, verb="created", target=campaign, summary=campaign.name)
    _log_override(actor, via, campaign, data if data.get("include_open_opportunities") else {})
    return campaign


@transaction.atomic
def campaign_update(*, actor, via: str = "ui", campaign: Campaign, data: dict) -> Campaign:
    access.require_write(actor, campaign, "campaign")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict("A campaign that has started sending cannot be changed.")
    data = _clean(data)
    changes = activity.apply_changes(campaign, data)
    if changes:
        campaign.links = mailer.compile_body(campaign.body, campaign.body_format).links
        campaign.save()
        activity.record(actor=actor, via=via, verb="updated", target=campaign, changes=changes)
        _log_override(actor, via, campaign, changes)
    return campaign


def preview(campaign: Campaign, person: Person, variant: str = "a") -> dict:
    compiled = mailer.compile_body(campaign.body, campaign.body_format)
    html_body, text_body = mailer.render(compiled, person, token=None)
    subject = campaign.subject_b if variant == "b" and campaign.subject_b else campaign.subject
    return {
        "subject": mailer.render_subject(subject, person),
        "html": html_body,
        "text": text_body,
    }


def send_test(*, actor, campaign: Campaign, person: Person, to: str) -> int:
    """One message as the person would get it, to `to`, without tracking; returns messages sent."""
    to = (to or "").strip()
    if not to or "@" not in to or "\n" in to:
        raise Invalid("Give an address to send the test to.", field="to")
    rendered = preview(campaign, person)
    msg = mailer.message(
        subject="[Test] " + rendered["subject"],
        html_body=rendered["html"],
        text_body=rendered["text"],
        to=to,
        token=None,
    )
    sent = msg.send()
    activity.record(actor=actor, via="ui", verb="test_sent", target=campaign, summary=to)
    return sent


# --- audience --------------------------------------------------------------------------------


def suppression_reasons(campaign: Campaign) -> dict[str, Q]:
    """Each reason a person is left out, as a filter on people."""
    reasons = {
        "no email": Q(email_normalized=""),
        "unsubscribed": Q(unsubscribed_at__isnull=False),
        "bounced": Q(bounced_at__isnull=False),
        "complained": Q(complained_at__isnull=False),
        "suppressed address": Q(
            Exists(SuppressedAddress.objects.filter(email_normalized=OuterRef("email_normalized")))
        ),
    }
    if campaign.require_consent:
        reasons["no consent"] = ~Q(consent=ConsentStatus.GRANTED)
    if not campaign.include_open_opportunities:
        opportunity = Person._meta.get_field("opportunities").related_model
        open_ones = opportunity.objects.filter(person=OuterRef("pk"), closed_at__isnull=True)
        reasons["open opportunity"] = Q(sales_owns_conversation=True) | Q(Exists(open_ones))
    return reasons


def _suppressed(campaign: Campaign) -> Q:
    combined = Q()
    for i, q in enumerate(suppression_reasons(campaign).values()):
        combined = q if i == 0 else combined | q
    return combined


def audience(campaign: Campaign):
    people = segments.people(campaign.segment.conditions if campaign.segment_id else [])
    return people.exclude(_suppressed(campaign))


def audience_summary(campaign: Campaign) -> tuple[int, dict[str, int]]:
    """Who would get the campaign, and how many are left out for each reason: one pass over the
    segment (COUNT … FILTER per reason), not one query per reason."""
    people = segments.people(campaign.segment.conditions if campaign.segment_id else [])
    reasons = suppression_reasons(campaign)
    counts = {f"r{i}": Count("pk", filter=q) for i, q in enumerate(reasons.values())}
    counts["audience"] = Count("pk", filter=~_suppressed(campaign))
    row = people.aggregate(**counts)
    return row["audience"], {name: row[f"r{i}"] for i, name in enumerate(reasons)}


def skipped_counts(campaign: Campaign) -> dict[str, int]:
    return audience_summary(campaign)[1]


# --- sending ---------------------------------------------------------------------------------


@transaction.atomic
def campaign_send(*, actor, via: str = "ui", campaign: Campaign, at=None) -> Campaign:
    """Send now, or schedule for `at`. The work happens in background tasks."""
    from tandem.marketing import tasks

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(f"The campaign is already {campaign.get_status_display().lower()}.")
    if campaign.segment_id is None:
        raise Invalid("Choose a segment to send to.", field="segment")
    if not (workspace.postal_address() and settings.TANDEM_BASE_URL.strip()):
        raise Invalid(
            "Set your postal address (Settings → Mail) and TANDEM_BASE_URL before sending."
        )
    now = timezone.now()
    if at is not None and at < now - timedelta(minutes=1):
        raise Invalid("The send time is in the past.", field="at")
    campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, at or now
    campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
    activity.record(
        actor=actor,
        via=via,
        verb="scheduled" if at else "send_started",
        target=campaign,
        summary=f"to {campaign.segment} at {campaign.scheduled_at:%Y-%m-%d %H:%M}",
    )
    pk, run_after = campaign.pk, at if at and at > now else None
    transaction.on_commit(lambda: tasks.dispatch_campaign.using(run_after=run_after).enqueue(pk))
    return campaign


@transaction.atomic
def campaign_cancel(*, actor, via: str = "ui", campaign: Campaign) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
        raise Conflict(f"The campaign is already {campaign.get_status_display().lower()}.")
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    Recipient.objects.filter(
        campaign=campaign, status__in=[RecipientStatus.QUEUED, RecipientStatus.HELD]
    ).update(status=RecipientStatus.SKIPPED, error="campaign cancelled")
    activity.record(actor=actor, via=via, verb="cancelled", target=campaign)
    return campaign


# --- results ---------------------------------------------------------------------------------


def stats(campaign: Campaign) -> dict:
    counts = Recipient.objects.filter(campaign=campaign).aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=Q(status=RecipientStatus.FAILED)),
        skipped=Count("pk", filter=Q(status=RecipientStatus.SKIPPED)),
        queued=Count("pk", filter=Q(status__in=IN_FLIGHT)),
        held=Count("pk", filter=Q(status=RecipientStatus.HELD)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    counts["delivered"] = counts["sent"] - counts["bounced"]
    counts.update(_created(campaign))
    return counts


def _created(campaign: Campaign) -> dict:
    """Leads and MQLs it created: recipients who became a lead or an MQL within 30 days after
    the campaign was sent to them."""
    if campaign.started_at is None:
        return {"leads": 0, "mqls": 0}
    reached = Recipient.objects.filter(
        campaign=campaign, sent_at__lte=OuterRef("at"), person=OuterRef("person")
    )
    window = (campaign.started_at, campaign.started_at + RESULT_WINDOW)
    moved = LifecycleTransition.objects.filter(at__range=window).filter(Exists(reached))
    return {
        "leads": moved.filter(to_stage="lead").values("person").distinct().count(),
        "mqls": moved.filter(to_stage="mql").values("person").distinct().count(),
    }
