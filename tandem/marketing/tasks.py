"""Background work, run by `manage.py db_worker` (django-tasks' database backend)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from tandem.marketing import sending
from tandem.marketing.models import Submission


@task()
def dispatch_campaign(campaign_id: int) -> None:
    sending.dispatch(campaign_id)


@task()
def send_batch(campaign_id: int, first: int, last: int) -> int:
    return sending.send_batch(campaign_id, first, last)


@task()
def pick_winner(campaign_id: int) -> str:
    return sending.pick_winner(campaign_id)


@task()
def send_confirmation(submission_id: int) -> None:
    """The double opt-in mail: its link shows a page; only the POST from that page confirms."""
    submission = Submission.objects.select_related("form", "person").get(pk=submission_id)
    url = settings.TANDEM_BASE_URL.rstrip("/") + reverse(
        "public:confirm", args=[submission.confirm_token]
    )
    context = {"form": submission.form, "url": url}
    msg = EmailMultiAlternatives(
        subject=f"Please confirm: {submission.form.name}",
        body=render_to_string("public/confirm_email.txt", context),
        to=[submission.person.email],
    )
    msg.send()


@task()
def retention_sweep() -> int:
    """The workspace's retention rule, once a day."""
    from datetime import timedelta

    from django.utils import timezone

    from tandem.marketing import retention

    try:
        return retention.run()
    finally:
        retention_sweep.using(run_after=timezone.now() + timedelta(days=1)).enqueue()


@task()
def send_recovery_sweep() -> int:
    """Campaign batches whose worker died (marketing/recovery.py), every stall period."""
    from datetime import timedelta

    from django.utils import timezone

    from tandem.marketing import recovery

    try:
        return recovery.run()
    finally:
        wait = timedelta(seconds=settings.TANDEM_SEND_STALL_SECONDS)
        send_recovery_sweep.using(run_after=timezone.now() + wait).enqueue()


@task()
def touch_partitions_sweep() -> int:
    """A year of monthly touch partitions kept ready on PostgreSQL (partitions.py), daily."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from tandem.marketing import partitions

    try:
        if connection.vendor != "postgresql":
            return 0
        with connection.cursor() as cursor:
            if not partitions.is_partitioned(cursor):
                return 0
            return len(partitions.ensure(cursor, timezone.now().date()))
    finally:
        touch_partitions_sweep.using(run_after=timezone.now() + timedelta(days=1)).enqueue()


@task()
def tally_sweep() -> int:
    """Fold the programs' count rows (tallies.py), hourly."""
    from datetime import timedelta

    from django.utils import timezone

    from tandem.marketing import tallies

    try:
        return tallies.fold()
    finally:
        tally_sweep.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
