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


@task()
def retrain(actor_id: int | None = None) -> int | None:
    """Train the predictive score now (the button on its page); the model's id, or None when
    the workspace has too little history yet."""
    from django.contrib.auth import get_user_model

    from tandem.handoff import predictive

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return predictive.train(actor=actor).pk
    except ValueError:
        return None


@task()
def retrain_sweep() -> int | None:
    """Retrain on a schedule (TANDEM_RETRAIN_EVERY_DAYS), then again."""
    try:
        return retrain.call()
    finally:
        _again(retrain_sweep, settings.TANDEM_RETRAIN_EVERY_DAYS * 86400)


def _again(sweep, seconds: int) -> None:
    sweep.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue()


def start() -> None:
    """Queue every app's sweeps unless they are queued already."""
    from tandem.core import sweeps

    sweeps.start_all()


def retrain_start(actor) -> None:
    """The button: one training at a time (a click while one waits or runs adds none)."""
    if not retrain_pending():
        retrain.enqueue(actor.pk)


def retrain_pending() -> bool:
    from django_tasks_db.models import DBTaskResult

    name = f"{retrain.func.__module__}.{retrain.func.__qualname__}"
    return DBTaskResult.objects.filter(task_path=name, status__in=("READY", "RUNNING")).exists()
