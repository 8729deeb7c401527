"""A campaign batch whose worker died mid-way (killed, out of memory, machine lost).

Its recipients still read "sending" (never tried) or "attempting" (the few it had put on the
wire since its last progress write, at most sending.WINDOW). Once no claim of the campaign has
moved for TANDEM_SEND_STALL_SECONDS (a live worker renews its claims every few messages), the
never-tried go back to the queue as new batches, and those in doubt are marked failed and not
sent again: they may have arrived, and a recipient must never get a campaign twice. The sends
the worker recorded get their touches.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from tandem.core import activity
from tandem.marketing.models import (
    Campaign,
    CampaignStatus,
    Recipient,
    RecipientStatus,
    Touch,
    TouchKind,
)

IN_DOUBT = "the worker stopped while sending it: not sent again, so it cannot arrive twice"
CLAIMED = (RecipientStatus.SENDING, RecipientStatus.ATTEMPTING)


def stalled(now=None) -> list[int]:
    """Campaigns holding claimed recipients whose newest claim is older than the stall time."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TANDEM_SEND_STALL_SECONDS)
    rows = (
        Recipient.objects.filter(status__in=CLAIMED)
        .values("campaign_id")
        .annotate(last=Max("claimed_at"))
        .filter(last__lt=cutoff)
    )
    return [row["campaign_id"] for row in rows]


def _touches_for_recorded_sends(campaign: Campaign) -> int:
    recorded = Touch.objects.filter(
        person_id=OuterRef("person_id"),
        program_id=campaign.program_id,
        kind=TouchKind.EMAIL_SENT,
        occurred_at=OuterRef("sent_at"),
    )
    missing = Recipient.objects.filter(
        campaign=campaign, status=RecipientStatus.SENT, sent_at__isnull=False
    ).exclude(Exists(recorded))
    made = Touch.objects.bulk_create(
        Touch(
            person_id=person_id,
            program_id=campaign.program_id,
            kind=TouchKind.EMAIL_SENT,
            occurred_at=at,
            utm_medium="email",
            utm_campaign=campaign.name[:200],
        )
        for person_id, at in missing.values_list("person_id", "sent_at")
    )
    return len(made)


def recover(campaign_id: int, now=None) -> dict:
    """Requeue a stalled campaign's never-tried recipients; returns what was done."""
    from tandem.marketing import sending, tasks

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TANDEM_SEND_STALL_SECONDS)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        claimed = Recipient.objects.filter(campaign_id=campaign_id, status__in=CLAIMED)
        last = claimed.aggregate(last=Max("claimed_at"))["last"]
        if campaign is None or last is None or last >= cutoff:
            return {}
        in_doubt = claimed.filter(status=RecipientStatus.ATTEMPTING).update(
            status=RecipientStatus.FAILED, error=IN_DOUBT
        )
        alive = campaign.status in (CampaignStatus.SENDING, CampaignStatus.TESTING)
        requeued = claimed.filter(status=RecipientStatus.SENDING).update(
            status=RecipientStatus.QUEUED if alive else RecipientStatus.SKIPPED,
            error="" if alive else "campaign cancelled",
        )
        touches = _touches_for_recorded_sends(campaign)
        batches = sending.batches_of(campaign, RecipientStatus.QUEUED) if alive else []
        activity.record(
            actor=None,
            via="task",
            verb="send_recovered",
            target=campaign,
            summary=f"a worker stopped mid-batch: {requeued} recipients queued again, "
            f"{in_doubt} in doubt not sent again",
        )

        def enqueue():
            for first, last_pk in batches:
                tasks.send_batch.enqueue(campaign_id, first, last_pk)
            sending.finish_if_done(campaign_id)

        transaction.on_commit(enqueue)
    return {"requeued": requeued, "in_doubt": in_doubt, "touches": touches}


def run(now=None) -> int:
    """Recover every stalled campaign; returns how many were."""
    return sum(1 for campaign_id in stalled(now) if recover(campaign_id, now))
