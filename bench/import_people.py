"""Import speed: BENCH_ROWS people (default 1,000,000) from CSV into a loaded database, half of
them matching existing people by email (updated), half new (created).

    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/import_people.py

The file is written under var/; the imported people are removed again at the end (the job's
undo), so the database stays as it was loaded.
"""

import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def write_file(path: Path, existing: list[str]) -> None:
    run = int(time.time()) % 100_000  # each run changes the names: matched people are updated
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Last Name", "Job Title", "Country/Region", "City"])
        for i in range(ROWS):
            email = existing[i // 2] if i % 2 == 0 and i // 2 < len(existing) else (
                f"bench-new-{i}@import.example"
            )  # fmt: skip
            writer.writerow([email, f"First{i}-{run}", f"Last{i}", "Buyer", "DE", "Berlin"])


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection

    from tandem.accounts.models import User
    from tandem.contacts.models import Person
    from tandem.transfer import engine, uploads
    from tandem.transfer.models import ImportJob, JobStatus

    before = Person.objects.count()
    existing = list(
        Person.objects.exclude(email_normalized="")
        .order_by("pk")
        .values_list("email_normalized", flat=True)[: ROWS // 2]
    )
    settings.TANDEM_IMPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.TANDEM_IMPORT_DIR / "bench-people.csv"
    write_file(path, existing)
    size = path.stat().st_size
    admin = User.objects.filter(role="admin").first() or User.objects.first()
    with open(path, "rb") as handle:
        job = engine.job_create(actor=admin, kind="people", upload=handle, filename=path.name)
    engine.inspect(job.pk)  # what the worker does first: encoding, header, mapping
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    started = time.perf_counter()
    job = engine.run(job.pk)
    seconds = time.perf_counter() - started
    print(
        f"{connection.vendor}: {job.processed:,} rows ({size / 1e6:.0f} MB) into {before:,} "
        f"people in {seconds:.1f} s = {job.processed / seconds:,.0f} rows/s "
        f"({job.created:,} created, {job.updated:,} updated by email, {job.failed} failed)"
    )
    started = time.perf_counter()
    engine.job_undo(actor=admin, job=job)
    removed = engine.undo(job.pk)
    print(f"undo: {removed:,} removed in {time.perf_counter() - started:.1f} s")
    path.unlink()
    uploads.discard_file(job)


if __name__ == "__main__":
    main()
