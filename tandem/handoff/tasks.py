"""Background work for the handoff contract, run by `manage.py db_worker`. Both tasks queue
their next run, so one `manage.py rescore --follow` keeps them going."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from tandem.handoff import scoring, services


@task()
def rescore_sweep() -> int:
    """Incremental scoring: the people touched since the last sweep, then again shortly."""
    try:
        return scoring.rescore_touched()
    finally:
        _again(rescore_sweep, settings.TANDEM_RESCORE_EVERY_SECONDS)


@task()
def breach_sweep() -> int:
    try:
        return services.check_breaches()
    finally:
        _again(breach_sweep, 60)


def _again(sweep, seconds: int) -> None:
    sweep.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue()


def start() -> None:
    """Queue every app's sweeps unless they are queued already."""
    from tandem.core import sweeps

    sweeps.start_all()
