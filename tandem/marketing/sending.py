"""Sending a campaign: choose the recipients, queue batches, send each batch over one
connection, and release an A/B test's rest to the winner. A recipient is claimed before its
message is built, so a retried or doubled task never sends twice."""

import itertools
import math
import secrets
from datetime import timedelta

from django.core import mail
from django.db import connection, transaction
from django.db.models import Count, Exists, Q
from django.utils import timezone

from tandem.core import activity, bulk
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


def batches_of(campaign: Campaign, status: str) -> list[tuple[int, int]]:
    ids = list(
        Recipient.objects.filter(campaign=campaign, status=status)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [
        (ids[i], ids[min(i + BATCH_SIZE, len(ids)) - 1]) for i in range(0, len(ids), BATCH_SIZE)
    ]


RECIPIENT_COLUMNS = ["campaign_id", "person_id", "token", "variant", "status", "error"]


def _materialize(campaign: Campaign) -> int:
    """One recipient row for each person in the audience, 5,000 at a time by COPY (core.bulk);
    the other columns start NULL. Built as model instances, 20,000 rows took 3 s of the send,
    while every worker but the one running this waited."""
    person_ids = audience(campaign).order_by("pk").values_list("pk", flat=True)
    total = 0
    for chunk in itertools.batched(person_ids.iterator(chunk_size=5000), 5000):
        rows = [
            (campaign.pk, person_id, secrets.token_urlsafe(16), "", RecipientStatus.QUEUED, "")
            for person_id in chunk
        ]
        total += bulk.insert(Recipient, RECIPIENT_COLUMNS, rows, ready=True)
    return total


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
        batches = batches_of(campaign, RecipientStatus.QUEUED)
        wait = timedelta(minutes=campaign.ab_wait_minutes)

        def enqueue():
            for first, last in batches:
                tasks.send_batch.enqueue(campaign_id, first, last)
            if ab:
                tasks.pick_winner.using(run_after=timezone.now() + wait).enqueue(campaign_id)
            elif not batches:
                finish_if_done(campaign_id)

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
        Recipient.objects.filter(pk__in=claimed).update(
            status=RecipientStatus.SENDING, claimed_at=timezone.now()
        )
    return list(
        Recipient.objects.filter(pk__in=claimed)
        .select_related("person", "person__organization")
        .only("campaign_id", "person_id", "token", "variant",
              *(f"person__{c}" for c in mailer.MERGE_COLUMNS))
        .order_by("pk")
    )  # fmt: skip


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
    Recipient.objects.filter(
        pk__in=[r.pk for r in recipients if r.person_id not in still_ok]
    ).update(status=RecipientStatus.SKIPPED, error="suppressed at send time")
    subjects = {"a": campaign.subject, "b": campaign.subject_b or campaign.subject}
    subjects[""] = subjects.get(campaign.ab_winner or "a")
    batch = wire.Batch(mailer.compile_body(campaign.body, campaign.body_format), subjects)
    outgoing = [
        (r, batch.message(r.person, r.token, r.variant))
        for r in recipients
        if r.person_id in still_ok
    ]
    sent = _deliver(outgoing)
    _record_sent(campaign, {r.pk: r.person_id for r, _ in outgoing}, sent)
    finish_if_done(campaign_id)
    return len(sent)


TOUCH_COLUMNS = ["person_id", "program_id", "kind", "occurred_at", "rep_id", "utm_source",
                 "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer"]  # fmt: skip


def _record_sent(campaign: Campaign, person_of: dict, sent) -> None:
    """An "email sent" touch for each message sent, by COPY (core.bulk): as model instances
    through bulk_create, they took a tenth of a batch's time."""
    stamps: dict = {}
    name = campaign.name[:200]
    rows = [
        (person_of[pk], campaign.program_id, TouchKind.EMAIL_SENT.value,
         stamps.get(at) or stamps.setdefault(at, bulk.prepared(at)), None, "", "email", name,
         "", "", "")
        for pk, at in sent
    ]  # fmt: skip
    if rows:
        with transaction.atomic():  # SQLite's executemany commits each row without one
            bulk.insert(Touch, TOUCH_COLUMNS, rows, ready=True)


WINDOW = 10  # messages a worker puts on the wire between two writes of its progress


class _Journal:
    """A batch's progress, written every WINDOW messages in one statement: the outcomes since
    the last write, and the next WINDOW marked as on the wire ("attempting"). If the worker dies,
    at most WINDOW messages of its batch are in doubt (marketing/recovery.py never sends them
    again), and every other one is known sent or never tried. A refused message is written at
    once.

    On PostgreSQL these commits do not wait for the log to reach the disk (`synchronous_commit
    = off`, for this loop only): a worker that dies loses none of them, as the server keeps them;
    only a crash of the database server itself could lose its last fraction of a second."""

    def __init__(self):
        self.table = connection.ops.quote_name(Recipient._meta.db_table)

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
        return self

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")

    def mark(self, sent: list[int], window: list[int], at) -> bool:
        """`sent` went out (at `at`); `window` goes on the wire next. False when some of them are
        no longer this worker's: it was taken for dead and its batch recovered."""
        if not (sent or window):
            return True
        stamp = connection.ops.adapt_datetimefield_value
        done = ", ".join(["%s"] * len(sent)) or "NULL"
        every = ", ".join(["%s"] * (len(sent) + len(window)))
        sql = (  # the table is our model's; every value is a parameter
            f"UPDATE {self.table} SET status = CASE WHEN id IN ({done}) THEN %s ELSE %s END, "  # noqa: S608
            f"sent_at = CASE WHEN id IN ({done}) THEN %s ELSE sent_at END, claimed_at = %s "
            f"WHERE id IN ({every}) AND status IN (%s, %s)"
        )
        params = [*sent, RecipientStatus.SENT, RecipientStatus.ATTEMPTING, *sent, stamp(at),
                  stamp(timezone.now()), *sent, *window, RecipientStatus.SENDING,
                  RecipientStatus.ATTEMPTING]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount == len(sent) + len(window)

    def fail(self, pk: int, error: str) -> None:
        Recipient.objects.filter(pk=pk).update(status=RecipientStatus.FAILED, error=error[:300])


def _deliver(outgoing) -> list[tuple[int, object]]:
    """Send over one connection, writing the progress as it goes; returns (pk, sent at) of the
    messages sent. A refused message fails alone; a broken connection fails the rest of the
    batch (reported, not silently lost)."""
    sent: list[tuple[int, object]] = []
    if not outgoing:
        return sent
    pks = [r.pk for r, _ in outgoing]
    backend = mail.mailers.default
    try:
        backend.open()
    except OSError as exc:
        Recipient.objects.filter(pk__in=pks).update(
            status=RecipientStatus.FAILED, error=f"connection: {exc}"[:300]
        )
        return sent
    try:
        with _Journal() as journal:
            mine = journal.mark([], pks[:WINDOW], None)
            for start in range(0, len(outgoing), WINDOW):
                if not mine:
                    break  # recovered by another worker: what is left is theirs
                went = _send_window(backend, outgoing[start : start + WINDOW], journal)
                at = timezone.now()
                mine = journal.mark(went, pks[start + WINDOW : start + 2 * WINDOW], at)
                if mine:
                    sent.extend((pk, at) for pk in went)
    finally:
        backend.close()
    return sent


def _send_window(backend, window, journal: _Journal) -> list[int]:
    went = []
    for recipient, msg in window:
        try:
            if isinstance(msg, wire.Prepared):
                msg.send_over(backend)
            else:
                backend.send_messages([msg])
        except Exception as exc:  # noqa: BLE001 - a refused address fails alone
            journal.fail(recipient.pk, f"{type(exc).__name__}: {exc}")
            continue
        went.append(recipient.pk)
    return went


def finish_if_done(campaign_id: int) -> None:
    pending = Recipient.objects.filter(
        campaign_id=campaign_id,
        status__in=[
            RecipientStatus.QUEUED,
            RecipientStatus.SENDING,
            RecipientStatus.ATTEMPTING,
            RecipientStatus.HELD,
        ],  # fmt: skip
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
        batches = batches_of(campaign, RecipientStatus.QUEUED)

        def enqueue():
            for first, last in batches:
                tasks.send_batch.enqueue(campaign_id, first, last)
            finish_if_done(campaign_id)

        transaction.on_commit(enqueue)
    return campaign.ab_winner
