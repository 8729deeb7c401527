"""Sending a campaign: choose the recipients, queue batches, send each batch over one
connection, and release an A/B test's rest to the winner. A recipient is claimed before its
message is built, so a retried or doubled task never sends twice."""

import math
import secrets
from datetime import timedelta

from django.core import mail
from django.db import transaction
from django.db.models import Count, Exists, Q
from django.utils import timezone

from tandem.core import activity
from tandem.marketing import mailer, wire
from tandem.marketing.campaigns import audience, skipped_counts
from tandem.marketing.models import (
    Campaign,
    CampaignStatus,
    Recipient,
    RecipientStatus,
    Touch,
    TouchKind,
)

BATCH_SIZE = 500


def _batches(campaign: Campaign, status: str) -> list[tuple[int, int]]:
    ids = list(
        Recipient.objects.filter(campaign=campaign, status=status)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [
        (ids[i], ids[min(i + BATCH_SIZE, len(ids)) - 1]) for i in range(0, len(ids), BATCH_SIZE)
    ]


def _materialize(campaign: Campaign) -> int:
    person_ids = audience(campaign).order_by("pk").values_list("pk", flat=True)
    rows, total = [], 0
    for person_id in person_ids.iterator(chunk_size=5000):
        rows.append(
            Recipient(campaign=campaign, person_id=person_id, token=secrets.token_urlsafe(16))
        )
        if len(rows) == 5000:
            Recipient.objects.bulk_create(rows)
            total, rows = total + len(rows), []
    Recipient.objects.bulk_create(rows)
    return total + len(rows)


def _split_ab(campaign: Campaign, total: int) -> None:
    """A random sample, half A and half B; the rest waits for the winner."""
    sample = max(2, math.ceil(total * campaign.ab_sample_percent / 100))
    chosen = list(
        Recipient.objects.filter(campaign=campaign).order_by("token").values_list("pk", flat=True)
    )[:sample]
    half = len(chosen) // 2
    Recipient.objects.filter(pk__in=chosen[:half]).update(variant="a")
    Recipient.objects.filter(pk__in=chosen[half:]).update(variant="b")
    Recipient.objects.filter(campaign=campaign, variant="").update(status=RecipientStatus.HELD)


def dispatch(campaign_id: int) -> None:
    """Choose the recipients and queue the batches (or the A/B sample)."""
    from tandem.marketing import tasks

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.SCHEDULED:
            return
        campaign.skipped = skipped_counts(campaign)
        total = _materialize(campaign)
        ab = campaign.is_ab and total >= 4
        if ab:
            _split_ab(campaign, total)
        campaign.status = CampaignStatus.TESTING if ab else CampaignStatus.SENDING
        campaign.started_at = timezone.now()
        campaign.save(update_fields=["skipped", "status", "started_at", "updated_at"])
        batches = _batches(campaign, RecipientStatus.QUEUED)
        wait = timedelta(minutes=campaign.ab_wait_minutes)

        def enqueue():
            for first, last in batches:
                tasks.send_batch.enqueue(campaign_id, first, last)
            if ab:
                tasks.pick_winner.using(run_after=timezone.now() + wait).enqueue(campaign_id)
            elif not batches:
                _finish_if_done(campaign_id)

        transaction.on_commit(enqueue)


def _claim(campaign_id: int, first: int, last: int) -> list[Recipient]:
    """Mark the batch's queued recipients as sending, so a retried task never sends twice."""
    with transaction.atomic():
        claimed = list(
            Recipient.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, pk__gte=first, pk__lte=last)
            .filter(status=RecipientStatus.QUEUED)
            .values_list("pk", flat=True)
        )
        Recipient.objects.filter(pk__in=claimed).update(status=RecipientStatus.SENDING)
    return list(
        Recipient.objects.filter(pk__in=claimed)
        .select_related("person", "person__organization")
        .order_by("pk")
    )


def send_batch(campaign_id: int, first: int, last: int) -> int:
    """Render and send one batch over one connection; returns messages sent."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.TESTING):
        return 0
    recipients = _claim(campaign_id, first, last)
    still_ok = set(
        audience(campaign)
        .filter(pk__in=[r.person_id for r in recipients])
        .values_list("pk", flat=True)
    )
    subjects = {"a": campaign.subject, "b": campaign.subject_b or campaign.subject}
    subjects[""] = subjects.get(campaign.ab_winner or "a")
    batch = wire.Batch(mailer.compile_body(campaign.body, campaign.body_format), subjects)
    outgoing, skipped = [], []
    for r in recipients:
        if r.person_id in still_ok:
            outgoing.append((r, batch.message(r.person, r.token, r.variant)))
        else:
            skipped.append(r.pk)
    sent_ids, failed = _deliver(outgoing)
    _record(campaign, outgoing, sent_ids, skipped, failed)
    _finish_if_done(campaign_id)
    return len(sent_ids)


@transaction.atomic
def _record(campaign: Campaign, outgoing, sent_ids: list[int], skipped: list[int], failed) -> None:
    now = timezone.now()
    Recipient.objects.filter(pk__in=sent_ids).update(status=RecipientStatus.SENT, sent_at=now)
    Recipient.objects.filter(pk__in=skipped).update(
        status=RecipientStatus.SKIPPED, error="suppressed at send time"
    )
    for pk, error in failed.items():
        Recipient.objects.filter(pk=pk).update(status=RecipientStatus.FAILED, error=error[:300])
    by_pk = {r.pk: r for r, _ in outgoing}
    Touch.objects.bulk_create(
        Touch(
            person_id=by_pk[pk].person_id,
            program_id=campaign.program_id,
            kind=TouchKind.EMAIL_SENT,
            occurred_at=now,
            utm_medium="email",
            utm_campaign=campaign.name[:200],
        )
        for pk in sent_ids
    )


def _deliver(outgoing) -> tuple[list[int], dict[int, str]]:
    """Send over one connection; a refused message fails alone, a broken connection fails the
    rest of the batch (they stay reported, not silently lost)."""
    sent, failed = [], {}
    if not outgoing:
        return sent, failed
    try:
        backend = mail.mailers.default
        with backend:
            for recipient, msg in outgoing:
                try:
                    if isinstance(msg, wire.Prepared):
                        msg.send_over(backend)
                    else:
                        backend.send_messages([msg])
                    sent.append(recipient.pk)
                except Exception as exc:  # noqa: BLE001 - a refused address fails alone
                    failed[recipient.pk] = f"{type(exc).__name__}: {exc}"
    except OSError as exc:
        for recipient, _ in outgoing:
            if recipient.pk not in sent:
                failed.setdefault(recipient.pk, f"connection: {exc}")
    return sent, failed


def _finish_if_done(campaign_id: int) -> None:
    pending = Recipient.objects.filter(
        campaign_id=campaign_id,
        status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING, RecipientStatus.HELD],
    )
    Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exclude(
        Exists(pending)
    ).update(status=CampaignStatus.SENT, finished_at=timezone.now())


def variant_rates(campaign: Campaign) -> dict[str, dict]:
    rows = (
        Recipient.objects.filter(campaign=campaign, variant__in=["a", "b"], sent_at__isnull=False)
        .values("variant")
        .annotate(
            sent=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    )
    rates = {}
    for row in rows:
        rates[row["variant"]] = {
            **row,
            "open_rate": row["opened"] / row["sent"],
            "click_rate": row["clicked"] / row["sent"],
        }
    return rates


def pick_winner(campaign_id: int, *, actor=None, via: str = "task") -> str:
    """Pick A or B by the campaign's metric (ties go to A) and release the rest to it."""
    from tandem.marketing import tasks

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.TESTING:
            return ""
        rates = variant_rates(campaign)
        key = "open_rate" if campaign.ab_metric == "open" else "click_rate"
        a, b = rates.get("a", {}).get(key, 0), rates.get("b", {}).get(key, 0)
        campaign.ab_winner = "b" if b > a else "a"
        campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["ab_winner", "status", "updated_at"])
        Recipient.objects.filter(campaign=campaign, status=RecipientStatus.HELD).update(
            status=RecipientStatus.QUEUED
        )
        activity.record(
            actor=actor,
            via=via,
            verb="ab_winner",
            target=campaign,
            summary=f"Subject {campaign.ab_winner.upper()} wins on {key.replace('_', ' ')}: "
            f"A {a:.1%}, B {b:.1%}",
        )
        batches = _batches(campaign, RecipientStatus.QUEUED)

        def enqueue():
            for first, last in batches:
                tasks.send_batch.enqueue(campaign_id, first, last)
            _finish_if_done(campaign_id)

        transaction.on_commit(enqueue)
    return campaign.ab_winner
