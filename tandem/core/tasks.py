"""Core background work, run by `manage.py db_worker`."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from tandem.core import trash


@task()
def trash_sweep() -> int:
    """Purge what was deleted more than 30 days ago, then again tomorrow."""
    try:
        return trash.purge()
    finally:
        trash_sweep.using(run_after=timezone.now() + timedelta(days=1)).enqueue()
