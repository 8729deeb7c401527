import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tandem.core.errors import DomainError
from tandem.transfer import engine
from tandem.transfer.models import ImportJob, ImportKind, JobStatus, Policy


class Command(BaseCommand):
    help = "Import records from a CSV or XLSX file, or resume or undo an import by its number."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[*ImportKind.values, "resume", "undo"])
        parser.add_argument("file", help="The file; for `resume` and `undo`, the import's number.")
        parser.add_argument("--as", dest="username", default="admin", help="Who imports.")
        parser.add_argument("--policy", choices=Policy.values, default=Policy.UPDATE)
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="Map a column by its header (repeat); the rest are mapped automatically.",
        )  # fmt: skip

    def handle(self, *args, kind, file, username, policy, map, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        if kind == "undo":
            return self._undo(user, file)
        try:
            if kind == "resume":
                job = self._resume(user, int(file))
            else:
                job = self._create(user, kind, Path(file), policy, map)
            started = time.perf_counter()
            job = engine.run(job.pk)
        except (DomainError, ImportJob.DoesNotExist, ValueError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"import {job.pk}: {job.status}; {job.processed} rows in {seconds:.1f} s "
            f"({job.processed / max(seconds, 1e-9):,.0f} rows/s): {job.created} created, "
            f"{job.updated} updated, {job.skipped} skipped, {job.failed} failed"
        )
        if job.failed:
            self.stdout.write(f"errors: /transfer/imports/{job.pk}/errors.csv")

    def _resume(self, user, number: int) -> ImportJob:
        """As the Resume button does (a cancel asked for before is forgotten), then run it
        here rather than in a worker. A job queued but never picked up runs as it is."""
        job = ImportJob.objects.get(pk=number)
        if job.status == JobStatus.QUEUED:
            return job
        if job.status in (JobStatus.DONE, JobStatus.UNDONE, JobStatus.UNDOING):
            raise CommandError(
                f"Import {job.pk} is {job.get_status_display().lower()}: nothing to resume."
            )
        if job.status == JobStatus.RUNNING and not engine.stalled(job):
            raise CommandError(f"Import {job.pk} is running in a live worker: nothing to resume.")
        with transaction.atomic():
            return engine.job_start(actor=user, job=job)

    def _undo(self, user, number: str) -> None:
        try:
            job = ImportJob.objects.get(pk=int(number))
            engine.job_undo(actor=user, job=job, queue=False)
        except (DomainError, ImportJob.DoesNotExist, ValueError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        removed = engine.undo(job.pk)
        job.refresh_from_db()
        self.stdout.write(f"import {job.pk}: {job.status}; {removed} removed")

    def _create(self, user, kind, path, policy, overrides):
        with open(path, "rb") as handle:
            job = engine.job_create(actor=user, kind=kind, upload=handle, filename=path.name)
        job = engine.inspect(job.pk)
        if job.status != JobStatus.PREVIEW:
            raise CommandError(job.error)
        mapping = dict(job.mapping)
        for item in overrides:
            column, _, field = item.partition("=")
            if column not in job.header:
                raise CommandError(f"No column “{column}” in {path.name}.")
            mapping[str(job.header.index(column))] = field
        engine.job_configure(actor=user, job=job, mapping=mapping, policy=policy)
        ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
        return job
