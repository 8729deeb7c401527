"""Background work for outbound webhooks, run by `manage.py db_worker`."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from tandem.core import webhooks


@task()
def deliver_due() -> int:
    """Send what is due now (queued after each commit that wrote deliveries)."""
    return webhooks.deliver_due()


@task()
def webhook_sweep() -> int:
    """Retries come due with time: send them, then look again in a minute."""
    try:
        return webhooks.deliver_due()
    finally:
        webhook_sweep.using(run_after=timezone.now() + timedelta(seconds=60)).enqueue()
