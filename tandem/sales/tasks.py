"""Background work for sales, run by `manage.py db_worker`: the sweep queues its next run."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from tandem.sales import forecast

WIN_RATES_EVERY = timedelta(minutes=10)


@task()
def win_rates_sweep() -> int:
    """The forecast's win rates computed again (forecast.refresh_win_rates), every 10 minutes."""
    try:
        return forecast.refresh_win_rates()
    finally:
        win_rates_sweep.using(run_after=timezone.now() + WIN_RATES_EVERY).enqueue()
