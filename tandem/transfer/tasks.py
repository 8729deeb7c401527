from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from tandem.transfer import engine, uploads

SWEEP_EVERY = timedelta(hours=1)


@task()
def inspect_import(job_id: int) -> None:
    engine.inspect(job_id)


@task()
def run_import(job_id: int) -> None:
    engine.run(job_id)


@task()
def scan_duplicates() -> int:
    from tandem.transfer import dedupe

    return dedupe.scan()


@task()
def undo_import(job_id: int) -> int:
    return engine.undo(job_id)


@task()
def sweep_import_files() -> int:
    """Delete uploads no import needs any more, then again in an hour."""
    try:
        return uploads.sweep_files()
    finally:
        sweep_import_files.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
