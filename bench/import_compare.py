"""Tandem's import against django-import-export on the same file and database.

django-import-export is not a dependency: install it in the benchmark's environment only
(`.venv/bin/pip install django-import-export`). Both import BENCH_ROWS people (default 20,000;
half matching existing people by email, half new) into a loaded database, and each run is
undone afterwards. Each tool runs BENCH_RUNS times (default 3), in turns and in alternating
order, each time on a file of its own whose names differ from the stored ones, so every matched
row is a real update; the medians are compared.

    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/import_compare.py
"""

import csv
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "20000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
HEADER = ["email", "email_normalized", "first_name", "last_name", "title", "country", "city"]


def write_file(path: Path, existing: list[str], run: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(ROWS):
            email = existing[i // 2] if i % 2 == 0 else f"cmp-new-{i}@import.example"
            writer.writerow([email, email, f"First{i}-{run}", f"Last{i}", "Buyer", "DE", "Berlin"])


def django_import_export(path: Path) -> float:
    import tablib
    from import_export import resources

    from tandem.contacts.models import Person

    class PersonResource(resources.ModelResource):
        class Meta:
            model = Person
            fields = HEADER
            import_id_fields = ("email_normalized",)
            use_bulk = True
            batch_size = 1000

    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    started = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors(), result.row_errors()[:3]
    Person.objects.filter(email_normalized__startswith="cmp-new-").delete()
    return seconds


def tandem(path: Path) -> float:
    from tandem.accounts.models import User
    from tandem.transfer import engine, uploads
    from tandem.transfer.models import ImportJob, JobStatus

    admin = User.objects.filter(role="admin").first() or User.objects.first()
    with open(path, "rb") as handle:
        job = engine.job_create(actor=admin, kind="people", upload=handle, filename=path.name)
    mapping = {k: v for k, v in job.mapping.items() if job.header[int(k)] != "email_normalized"}
    engine.job_configure(actor=admin, job=job, mapping=mapping, policy="update")
    engine.inspect(job.pk)  # what the worker does first: encoding, header, mapping
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    started = time.perf_counter()
    job = engine.run(job.pk)
    seconds = time.perf_counter() - started
    assert job.failed == 0 and job.processed == ROWS
    engine.job_undo(actor=admin, job=job)
    engine.undo(job.pk)
    uploads.discard_file(job)
    return seconds


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection

    from tandem.contacts.models import Person

    existing = list(
        Person.objects.exclude(email_normalized="")
        .order_by("pk")
        .values_list("email_normalized", flat=True)[: ROWS // 2 + 1]
    )
    settings.TANDEM_IMPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.TANDEM_IMPORT_DIR / "compare.csv"
    people = Person.objects.count()
    stamp = int(time.time()) % 10_000 * 100
    times = {"Tandem": [], "django-import-export": []}
    tools = [("Tandem", tandem), ("django-import-export", django_import_export)]
    for run in range(RUNS):
        for offset, (name, tool) in enumerate(tools if run % 2 == 0 else tools[::-1]):
            write_file(path, existing, stamp + 2 * run + offset)
            times[name].append(tool(path))
            print(f"  run {run + 1}: {name} {times[name][-1]:.1f} s", flush=True)
    path.unlink()
    ours, theirs = (statistics.median(times[name]) for name, _ in tools)
    print(f"{connection.vendor}: {ROWS:,} rows into {people:,} people, median of {RUNS} runs")
    print(f"  Tandem                {ours:7.1f} s = {ROWS / ours:8,.0f} rows/s")
    print(f"  django-import-export  {theirs:7.1f} s = {ROWS / theirs:8,.0f} rows/s (bulk mode)")
    print(f"  ratio                 {theirs / ours:7.1f}x")


if __name__ == "__main__":
    main()
