"""Running an import: batches of rows, each batch written with the record of its rows in one
transaction. A crash loses at most the batch in flight (rolled back, nothing half-written), and
running the job again starts after the last recorded row, so nothing is doubled."""

import uuid
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.contacts.models import Organization, Person
from tandem.core import access, bulk, liveness, tabular, webhooks
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.models import TimelineEntry
from tandem.marketing import tallies
from tandem.marketing.models import Touch
from tandem.sales.models import Activity, Opportunity
from tandem.transfer import (
    activities,
    column_map,
    fields,
    opportunities,
    organizations,
    owners,
    people,
    times,
    touches,
    uploads,
)
from tandem.transfer.models import ImportJob, ImportRow, JobStatus, Policy, RowAction

BATCH = 5000


def _require(actor, kind: str) -> None:
    resource = {
        "people": "person",
        "organizations": "organization",
        "touches": "touch",
        "activities": "activity",
    }.get(kind, "opportunity")
    if not access.can_create(actor, resource):
        raise Forbidden(f"Your role may not import {kind}.")


def job_create(*, actor, kind: str, upload, filename: str) -> ImportJob:
    """Keep the file and answer at once: what can be refused from the file's size and its zip
    directory is refused here; reading it (encoding, header, rows, mapping) is a worker's job
    (`inspect`), and the job page follows it."""
    if kind not in fields.TARGETS:
        raise Invalid(
            "Import people, organizations, opportunities, touches or activities.", field="kind"
        )
    _require(actor, kind)
    folder = Path(settings.TANDEM_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:8]}"
    size, limit = 0, settings.TANDEM_IMPORT_MAX_BYTES
    with open(path, "wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise Invalid(
                    f"The file is larger than the import limit of {limit / 2**20:,.0f} MB.",
                    field="file",
                )
            out.write(chunk)
    try:
        tabular.check(path)
    except Invalid:
        path.unlink(missing_ok=True)
        raise
    job = ImportJob.objects.create(
        kind=kind, filename=filename[:255], path=str(path), owner=actor, status=JobStatus.READING
    )
    from tandem.transfer import tasks

    transaction.on_commit(lambda: tasks.inspect_import.enqueue(job.pk))
    return job


def inspect(job_id: int) -> ImportJob:
    """Read the file within the limits: format, encoding, delimiter, header, the row count, a
    short sample, the proposed mapping. An unreadable file fails the job with the reason and
    is deleted."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != JobStatus.READING:
        return job
    try:
        path = Path(job.path)
        table = tabular.open_table(path)
        mapping = column_map.auto_map(job.kind, table.header)
        total, sample, named, orders = _read(path, table, _column_of(mapping, "owner"))
    except Invalid as exc:
        _fail(job, exc.message)
        uploads.discard_file(job)
        return ImportJob.objects.get(pk=job.pk)
    except Exception as exc:
        _fail(job, f"The file could not be read ({type(exc).__name__}).")
        uploads.discard_file(job)
        raise
    ImportJob.objects.filter(pk=job.pk, status=JobStatus.READING).update(
        status=JobStatus.PREVIEW,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        header=table.header,
        mapping=mapping,
        total=total,
        sample=sample,
        notes=_notes(named, orders),
    )
    return ImportJob.objects.get(pk=job.pk)


def _column_of(mapping: dict, field: str) -> int | None:
    return next((int(i) for i, f in mapping.items() if f == field), None)


def _notes(named: set, orders: dict) -> dict:
    notes = {"unknown_owners": owners.unknown(named)[: owners.LISTED]} if named else {}
    if orders:
        notes["date_orders"] = orders
    return notes


def _read(path: Path, table, owner_column: int | None) -> tuple[int, list, set, dict]:
    """One pass over the file: the rows, the first five (cut short), the distinct names in
    the owner column (at most 1,000), for the preview to say which match nobody, and the date
    order of each column holding numeric dates ({column: order}, times.Evidence)."""
    total, sample, named = 0, [], set()
    evidence: dict[int, times.Evidence] = {}
    for _, cells in tabular.rows(path, table):
        total += 1
        if len(sample) < 5:
            sample.append(tabular.shortened(cells))
            for i, cell in enumerate(cells):  # columns whose first values look like dates
                if i not in evidence and cell and times.classify(cell):
                    evidence[i] = times.Evidence()
        for i, seen in evidence.items():
            if i < len(cells):
                seen.add(cells[i])
        if owner_column is not None and owner_column < len(cells) and len(named) < 1000:
            named.add(cells[owner_column].strip()[:150])
    named.discard("")
    orders = {str(i): e.order() for i, e in evidence.items() if e.order()}
    return total, sample, named, orders


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )


def job_configure(
    *, actor, job: ImportJob, mapping: dict, policy: str, program=None, options=None
) -> ImportJob:
    if job.status != JobStatus.PREVIEW:
        raise Conflict("The import has started: its mapping is fixed.")
    if policy not in Policy.values:
        raise Invalid("Choose what happens to a match.", field="policy")
    job.mapping = column_map.clean_mapping(job.kind, job.header, mapping, actor)
    job.policy = policy
    job.options = _clean_options(actor, job, options or {})
    _check_date_orders(job)
    if program is not None:
        job.program = program
    if job.kind == "touches" and job.program is None and "program" not in job.mapping.values():
        raise Invalid("Choose the program of these touches, or map a program column.",
                      field="program")  # fmt: skip
    job.save(update_fields=["mapping", "policy", "program", "options"])
    return job


def _check_date_orders(job: ImportJob) -> None:
    """A time column whose values fit both day first and month first (or some one, some the
    other) is read as the importer says, and not before."""
    known = (job.notes or {}).get("date_orders", {})
    chosen = job.options.get("dates", {})
    for i in column_map.time_columns(job.kind, job.mapping):
        if known.get(str(i)) in (times.AMBIGUOUS, times.MIXED) and str(i) not in chosen:
            name = job.header[i] or f"column {i + 1}"
            raise Invalid(
                f"Say how to read the dates in “{name}”: day first or month first.",
                field="dates",
            )


def _clean_options(actor, job: ImportJob, options: dict) -> dict:
    """create_owners: an admin's choice only; loss_reason_id: an active loss reason; dates:
    {column: day or month first} for the time columns whose values fit both."""
    from tandem.sales.models import LossReason

    clean = {}
    dates = options.get("dates") or {}
    if not isinstance(dates, dict):
        raise Invalid("dates is {column: dmy or mdy}.", field="dates")
    for column, order in dates.items():
        if not order:
            continue
        if order not in times.ORDERS or not str(column).isdigit():
            raise Invalid(f"Dates are read dmy or mdy, not “{str(order)[:10]}”.", field="dates")
        clean.setdefault("dates", {})[str(column)] = order
    if options.get("create_owners"):
        if not access.is_admin(actor):
            raise Forbidden("Only an admin creates users, here as in Settings.")
        clean["create_owners"] = True
    reason = options.get("loss_reason_id")
    if reason:
        if not LossReason.objects.filter(pk=reason, active=True).exists():
            raise Invalid("No such loss reason.", field="loss_reason_id")
        clean["loss_reason_id"] = int(reason)
    return clean


def stalled(job: ImportJob) -> bool:
    """Running (or undoing), but the worker that ran it is gone."""
    if job.status not in (JobStatus.RUNNING, JobStatus.UNDOING) or not job.runner:
        return False
    return liveness.dead(job.runner, job.heartbeat_at, settings.TANDEM_IMPORT_STALL_SECONDS)


RESTARTABLE = (JobStatus.PREVIEW, JobStatus.FAILED, JobStatus.CANCELLED)


def job_start(*, actor, job: ImportJob) -> ImportJob:
    """Start, or resume after a failure, a cancel, or a worker that died: the rows recorded
    so far stay, the run continues after them, and a cancel asked for before is forgotten."""
    from tandem.transfer import tasks

    job.refresh_from_db()
    if job.status == JobStatus.UNDOING and stalled(job):
        return job_undo(actor=actor, job=job)
    if job.status not in RESTARTABLE and not stalled(job):
        raise Conflict("The import is already queued, running or finished.")
    if job.status != JobStatus.PREVIEW and not job.header:
        raise Conflict("The file could not be read: upload it again.")
    column_map.clean_mapping(job.kind, job.header, job.mapping)
    if not job.path or not Path(job.path).exists():
        raise Conflict(_GONE)
    updated = ImportJob.objects.filter(pk=job.pk, status=job.status, runner=job.runner).update(
        status=JobStatus.QUEUED, cancel_requested=False, error="", run_token=""
    )
    if not updated:
        raise Conflict("The import changed meanwhile; look again.")
    transaction.on_commit(lambda: tasks.run_import.enqueue(job.pk))
    job.refresh_from_db()
    return job


_GONE = (
    f"The uploaded file was deleted (an upload is kept {settings.TANDEM_IMPORT_KEEP_HOURS} hours "
    "after its last activity): upload it again."
)


def job_cancel(*, actor, job: ImportJob) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    ImportJob.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.PREVIEW]).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    if job.status == JobStatus.RUNNING and stalled(job):
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


@transaction.atomic
def job_undo(*, actor, job: ImportJob, queue: bool = True) -> ImportJob:
    """Mark the import for undoing and queue its removal of what it created: a large import
    takes minutes to undo, so a worker does it (`undo`), and the job page follows it. The
    command line runs `undo` itself (queue=False)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    dead = stalled(job)
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and not dead:
        raise Conflict("Cancel the import before undoing it.")
    if job.status in (JobStatus.PREVIEW, JobStatus.READING):
        raise Conflict("The import has not run: there is nothing to undo.")
    if job.status == JobStatus.UNDONE or (job.status == JobStatus.UNDOING and not dead):
        return job
    from tandem.transfer import tasks

    job.status, job.error, job.runner = JobStatus.UNDOING, "", ""
    job.save(update_fields=["status", "error", "runner"])
    if queue:
        transaction.on_commit(lambda: tasks.undo_import.enqueue(job.pk))
    return job


def undo(job_id: int) -> int:
    """Remove what the import created, in one transaction; returns how many. If it stops
    midway nothing is removed, and the job says so: undo it again. The job row is written
    only at the end, so its heartbeat stays readable while the removal runs."""
    me = liveness.identity()
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.UNDOING, runner="").update(
        runner=me, heartbeat_at=timezone.now()
    )
    if not claimed:
        return 0
    try:
        with transaction.atomic():
            job = ImportJob.objects.get(pk=job_id)
            removed = _remove_created(job)
            ImportJob.objects.filter(pk=job.pk, runner=me).update(
                status=JobStatus.UNDONE, removed=removed, finished_at=timezone.now()
            )
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"Undo stopped, nothing removed: {exc}"[:500]
        )
        raise
    tallies.fold()
    uploads.discard_file(job)
    return removed


def _remove_created(job: ImportJob) -> int:
    model = {
        "people": Person,
        "organizations": Organization,
        "touches": Touch,
        "activities": Activity,
    }.get(job.kind, Opportunity)
    ids = list(job.rows.filter(action=RowAction.CREATED).values_list("object_id", flat=True))
    removed = 0
    for i in range(0, len(ids), 5000):
        removed += (
            model.objects.filter(pk__in=ids[i : i + 5000]).delete()[1].get(model._meta.label, 0)
        )
    if job.kind == "touches":  # the people a list brought in, unless they did more since
        Person.objects.filter(pk__in=_created(job, "person"), touches=None).delete()
    Organization.objects.filter(pk__in=_created(job, "organization")).filter(people=None).delete()
    return removed


def _created(job, target_type: str) -> list[int]:
    return list(
        TimelineEntry.objects.filter(
            target_type=target_type, verb="created", via="import", summary=f"import {job.pk}"
        ).values_list("target_id", flat=True)
    )


# --- running ---------------------------------------------------------------------------------


class Superseded(Exception):
    """Another run took the job over (this one was thought dead): stop without writing."""


def _claim(job_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.FAILED]
    ).update(
        status=JobStatus.RUNNING,
        run_token=token,
        runner=liveness.identity(),
        heartbeat_at=now,
        started_at=Coalesce(F("started_at"), Value(now)),
        finished_at=None,
    )
    return token if claimed else None


def run(job_id: int, *, batch: int = BATCH) -> ImportJob:
    """Process the job from the row after the last one recorded."""
    token = _claim(job_id)
    job = ImportJob.objects.get(pk=job_id)
    if token is None:
        return job
    done_until = job.rows.aggregate(m=Max("number"))["m"] or 1
    table = tabular.Table(job.header, job.encoding, job.delimiter, job.format)
    pending = []
    try:
        with bulk.long_write() as log, bulk.collector_paused():
            for number, cells in tabular.rows(Path(job.path), table, start=done_until + 1):
                pending.append((number, cells))
                if len(pending) >= batch:
                    _write_batch(job, pending, token)
                    log.committed()
                    pending = []
                    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                        ImportJob.objects.filter(pk=job.pk, run_token=token).update(
                            status=JobStatus.CANCELLED, finished_at=timezone.now()
                        )
                        return ImportJob.objects.get(pk=job.pk)
            if pending:
                _write_batch(job, pending, token)
    except Superseded:
        return ImportJob.objects.get(pk=job.pk)
    except Exception as exc:
        message = exc.message if isinstance(exc, Invalid) else f"{type(exc).__name__}: {exc}"
        ImportJob.objects.filter(pk=job.pk, run_token=token).update(
            status=JobStatus.FAILED, error=message[:500], finished_at=timezone.now()
        )
        if isinstance(exc, Invalid):
            return ImportJob.objects.get(pk=job.pk)
        raise
    ImportJob.objects.filter(pk=job.pk, run_token=token).update(
        status=JobStatus.DONE, finished_at=timezone.now()
    )
    tallies.fold()  # a row of program counts per person written: one a program again
    done = ImportJob.objects.get(pk=job.pk)
    webhooks.emit(
        "import.finished",
        {"object": "import", "id": job.pk, "kind": job.kind, "created": done.created,
         "updated": done.updated, "skipped": done.skipped, "failed": done.failed},
    )  # fmt: skip
    uploads.discard_file(job)
    if job.kind == "people":  # new people may be old acquaintances under another email
        from tandem.transfer import tasks

        transaction.on_commit(tasks.scan_duplicates.enqueue)
    return ImportJob.objects.get(pk=job.pk)


def _write_batch(job: ImportJob, pending: list, token: str) -> None:
    with transaction.atomic():
        if job.kind == "people":
            rows = people.batch(job, pending)
        elif job.kind == "opportunities":
            rows = opportunities.batch(job, pending)
        elif job.kind == "touches":
            rows = touches.batch(job, pending)
        elif job.kind == "activities":
            rows = activities.batch(job, pending)
        else:
            rows = organizations.batch(job, pending)
        rows = [_outcome(r) for r in rows]
        bulk.insert(
            ImportRow,
            ["job_id", "number", "action", "object_id", "column", "message"],
            ((job.pk, n, str(a), pk, c[:200], m[:500]) for n, a, pk, c, m in rows),
            ready=True,
        )
        counts = Counter(str(r[1]) for r in rows)
        beat = ImportJob.objects.filter(pk=job.pk, run_token=token).update(
            heartbeat_at=timezone.now(),
            processed=F("processed") + len(rows),
            created=F("created") + counts["created"],
            updated=F("updated") + counts["updated"],
            skipped=F("skipped") + counts["skipped"],
            failed=F("failed") + counts["failed"],
        )
        if not beat:
            raise Superseded()


def _outcome(row) -> tuple:
    if isinstance(row, ImportRow):
        return (row.number, row.action, row.object_id, row.column, row.message)
    return row
