"""The files an import keeps: its upload, deleted as soon as the import no longer needs it
(personal data kept no longer than that), and the report of its refused rows."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.core import tabular
from tandem.transfer.models import ImportJob, JobStatus, RowAction


def errors_report(job: ImportJob):
    """Row number, column, reason for each refused row: a CSV the user can fix and re-import."""
    records = (
        job.rows.filter(action=RowAction.FAILED)
        .order_by("number")
        .values_list("number", "column", "message")
    )
    return tabular.csv_stream(["row", "column", "reason"], records.iterator(2000))


def discard_file(job: ImportJob) -> None:
    """Delete the upload (personal data kept no longer than the import needs it)."""
    if job.path:
        Path(job.path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(path="")


def sweep_files() -> int:
    """Delete the uploads of imports that finished or were undone, and of those left alone
    (never started, cancelled, failed) for TANDEM_IMPORT_KEEP_HOURS; then files in the folder
    that no import names, once an hour old. Returns how many files went."""
    now = timezone.now()
    stale = now - timedelta(hours=settings.TANDEM_IMPORT_KEEP_HOURS)
    idle = [JobStatus.PREVIEW, JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.READING]
    jobs = ImportJob.objects.exclude(path="").annotate(
        last=Coalesce("heartbeat_at", "finished_at", "created_at")
    )
    gone = 0
    for job in jobs.filter(
        Q(status__in=[JobStatus.DONE, JobStatus.UNDONE]) | Q(status__in=idle, last__lt=stale)
    ):
        discard_file(job)
        gone += 1
    folder = Path(settings.TANDEM_IMPORT_DIR)
    if folder.is_dir():
        known = set(ImportJob.objects.exclude(path="").values_list("path", flat=True))
        for path in folder.iterdir():
            age = now.timestamp() - path.stat().st_mtime
            if path.is_file() and str(path) not in known and age > 3600:
                path.unlink(missing_ok=True)
                gone += 1
    return gone
