from django.tasks import task

from tandem.transfer import engine


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
