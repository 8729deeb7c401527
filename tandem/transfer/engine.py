"""Running an import: batches of rows, each batch written with the record of its rows in one
transaction. A crash loses at most the batch in flight (rolled back, nothing half-written), and
running the job again starts after the last recorded row, so nothing is doubled."""

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from tandem.contacts.models import Organization, Person
from tandem.contacts.normalize import normalize_email, person_search_text
from tandem.core import access, tabular
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.models import TimelineEntry
from tandem.marketing.models import Touch
from tandem.sales.models import Activity, Opportunity
from tandem.transfer import activities, fields, opportunities, touches, trail
from tandem.transfer.models import ImportJob, ImportRow, JobStatus, Policy, RowAction

BATCH = 1000
PERSON_UPDATABLE = ("first_name", "last_name", "title", "phone", "country", "region", "city")


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
    """Keep the file, read its header, propose the mapping."""
    if kind not in fields.TARGETS:
        raise Invalid(
            "Import people, organizations, opportunities, touches or activities.", field="kind"
        )
    _require(actor, kind)
    folder = Path(settings.TANDEM_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:8]}"
    size = 0
    with open(path, "wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            size += len(chunk)
            if size > settings.TANDEM_IMPORT_MAX_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise Invalid("The file is larger than the import limit.", field="file")
            out.write(chunk)
    try:
        table = tabular.open_table(path)
    except Invalid:
        path.unlink(missing_ok=True)
        raise
    total = tabular.count_rows(path, table)
    return ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        path=str(path),
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        header=table.header,
        mapping=fields.auto_map(kind, table.header),
        total=total,
        owner=actor,
    )


def job_configure(*, actor, job: ImportJob, mapping: dict, policy: str, program=None) -> ImportJob:
    if job.status != JobStatus.PREVIEW:
        raise Conflict("The import has started: its mapping is fixed.")
    if policy not in Policy.values:
        raise Invalid("Choose what happens to a match.", field="policy")
    job.mapping = fields.clean_mapping(job.kind, job.header, mapping)
    job.policy = policy
    if program is not None:
        job.program = program
    if job.kind == "touches" and job.program is None and "program" not in job.mapping.values():
        raise Invalid("Choose the program of these touches, or map a program column.",
                      field="program")  # fmt: skip
    job.save(update_fields=["mapping", "policy", "program"])
    return job


def job_start(*, actor, job: ImportJob) -> ImportJob:
    from tandem.transfer import tasks

    fields.clean_mapping(job.kind, job.header, job.mapping)
    updated = ImportJob.objects.filter(
        pk=job.pk, status__in=[JobStatus.PREVIEW, JobStatus.FAILED, JobStatus.CANCELLED]
    ).update(status=JobStatus.QUEUED, cancel_requested=False, error="")
    if not updated:
        raise Conflict("The import is already queued, running or finished.")
    transaction.on_commit(lambda: tasks.run_import.enqueue(job.pk))
    job.refresh_from_db()
    return job


def job_cancel(*, actor, job: ImportJob) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    ImportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.CANCELLED)
    job.refresh_from_db()
    return job


@transaction.atomic
def job_undo(*, actor, job: ImportJob) -> int:
    """Remove what this import created; returns how many."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED):
        raise Conflict("Cancel the import before undoing it.")
    if job.status == JobStatus.UNDONE:
        return 0
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
    job.status = JobStatus.UNDONE
    job.save(update_fields=["status"])
    return removed


def _created(job, target_type: str) -> list[int]:
    return list(
        TimelineEntry.objects.filter(
            target_type=target_type, verb="created", via="import", summary=f"import {job.pk}"
        ).values_list("target_id", flat=True)
    )


# --- running ---------------------------------------------------------------------------------


def run(job_id: int, *, batch: int = BATCH) -> ImportJob:
    """Process the job from the row after the last one recorded."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED):
        return job
    done_until = job.rows.aggregate(m=Max("number"))["m"] or 1
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=job.started_at or timezone.now()
    )
    table = tabular.Table(job.header, job.encoding, job.delimiter, job.format)
    pending = []
    try:
        for number, cells in tabular.rows(Path(job.path), table, start=done_until + 1):
            pending.append((number, cells))
            if len(pending) >= batch:
                _write_batch(job, pending)
                pending = []
                if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                    ImportJob.objects.filter(pk=job.pk).update(
                        status=JobStatus.CANCELLED, finished_at=timezone.now()
                    )
                    return ImportJob.objects.get(pk=job.pk)
        if pending:
            _write_batch(job, pending)
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    if job.kind == "people":  # new people may be old acquaintances under another email
        from tandem.transfer import tasks

        transaction.on_commit(tasks.scan_duplicates.enqueue)
    return ImportJob.objects.get(pk=job.pk)


def _write_batch(job: ImportJob, pending: list) -> None:
    with transaction.atomic():
        if job.kind == "people":
            rows = _people_batch(job, pending)
        elif job.kind == "opportunities":
            rows = opportunities.batch(job, pending)
        elif job.kind == "touches":
            rows = touches.batch(job, pending)
        elif job.kind == "activities":
            rows = activities.batch(job, pending)
        else:
            rows = _organizations_batch(job, pending)
        ImportRow.objects.bulk_create(rows)
        counts = {a: sum(1 for r in rows if r.action == a) for a in RowAction.values}
        ImportJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + len(rows),
            created=F("created") + counts["created"],
            updated=F("updated") + counts["updated"],
            skipped=F("skipped") + counts["skipped"],
            failed=F("failed") + counts["failed"],
        )


def failed_row(job, number, errors) -> ImportRow:
    column = "; ".join(c for c, _ in errors)[:200]
    message = "; ".join(f"{c}: {m}" for c, m in errors)[:500]
    return ImportRow(job=job, number=number, action=RowAction.FAILED, column=column,
                     message=message)  # fmt: skip


def organizations_by_name(job, names: set[str]) -> dict[str, int]:
    """Find organizations by name (case-insensitive), creating the missing ones."""
    found = {}
    for org in Organization.objects.filter(name__in=names).only("pk", "name"):
        found.setdefault(org.name.lower(), org.pk)
    wanted = {n for n in names if n.lower() not in found}
    new = Organization.objects.bulk_create(
        [Organization(name=n, search_text=n.lower(), owner=job.owner) for n in sorted(wanted)]
    )
    trail.record(job, "created", "organization", (o.pk for o in new))
    found.update({o.name.lower(): o.pk for o in new})
    return found


def _people_batch(job: ImportJob, pending: list) -> list[ImportRow]:
    parsed, rows = [], []
    for number, cells in pending:
        data, custom, errors = fields.parse_row("people", job.header, job.mapping, cells)
        if not errors and not (
            data.get("email") or data.get("first_name") or data.get("last_name")
        ):
            errors = [("email", "the row has neither an email address nor a name")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        data["email_normalized"] = normalize_email(data.get("email", ""))
        parsed.append((number, data, custom))
    emails = {d["email_normalized"] for _, d, _ in parsed if d["email_normalized"]}
    existing = {p.email_normalized: p for p in Person.objects.filter(email_normalized__in=emails)}
    org_names = {d["organization"] for _, d, _ in parsed if d.get("organization")}
    orgs = organizations_by_name(job, org_names) if org_names else {}
    create, update, batch_emails, deferred = [], {}, {}, []
    rep_owner = job.owner if job.owner.role == "sales_rep" else None  # as person_create does
    for number, data, custom in parsed:
        email_key = data["email_normalized"]
        org_id = orgs.get(data.pop("organization", "").lower())
        stage = data.pop("lifecycle_stage", "") or "lead"
        match = existing.get(email_key) or batch_emails.get(email_key)
        if match is None:
            person = Person(**data, organization_id=org_id, custom=custom, lifecycle_stage=stage,
                            owner=rep_owner)  # fmt: skip
            create.append((number, person))
            if email_key:
                batch_emails[email_key] = person
            continue
        if job.policy != Policy.UPDATE:
            row = ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                            object_id=match.pk, message="matched by email")  # fmt: skip
        else:
            for name in PERSON_UPDATABLE:
                if data.get(name):
                    setattr(match, name, data[name])
            if org_id and not match.organization_id:
                match.organization_id = org_id
            if custom:
                match.custom = {**match.custom, **custom}
            if match.pk is not None:
                update[match.pk] = match
            row = ImportRow(job=job, number=number, action=RowAction.UPDATED,
                            object_id=match.pk, message="matched by email")  # fmt: skip
        rows.append(row)
        if match.pk is None:  # a person this batch creates: its id comes after the insert
            deferred.append((row, match))
    for _, person in create:
        person.search_text = person_search_text(
            first_name=person.first_name, last_name=person.last_name,
            email=person.email_normalized,
        )  # fmt: skip
    created = Person.objects.bulk_create([p for _, p in create])
    for row, person in deferred:
        row.object_id = person.pk
    trail.people_arrived(job, created)
    if update:
        _update_people(list(update.values()))
        trail.record(job, "updated", "person", update)
    rows += [
        ImportRow(job=job, number=number, action=RowAction.CREATED, object_id=person.pk)
        for (number, person) in create
    ]
    return rows


def _organizations_batch(job: ImportJob, pending: list) -> list[ImportRow]:
    rows, create, seen = [], [], {}
    parsed = []
    for number, cells in pending:
        data, _, errors = fields.parse_row("organizations", job.header, job.mapping, cells)
        if not errors and not data.get("name"):
            errors = [("name", "the row has no name")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        parsed.append((number, data))
    domains = {d["domain"] for _, d in parsed if d.get("domain")}
    names = {d["name"] for _, d in parsed}
    by_domain = {o.domain: o for o in Organization.objects.filter(domain__in=domains)}
    by_name = {o.name.lower(): o for o in Organization.objects.filter(name__in=names)}
    update = {}
    for number, data in parsed:
        match = (by_domain.get(data.get("domain")) if data.get("domain") else None) or by_name.get(
            data["name"].lower()
        ) or seen.get(data["name"].lower())  # fmt: skip
        if match is not None:
            if job.policy != Policy.UPDATE or match.pk is None:
                rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                      object_id=match.pk, message="matched"))  # fmt: skip
                continue
            for name, value in data.items():
                if value and name != "domain":
                    setattr(match, name, value)
            update[match.pk] = match
            rows.append(ImportRow(job=job, number=number, action=RowAction.UPDATED,
                                  object_id=match.pk, message="matched"))  # fmt: skip
            continue
        org = Organization(**data, owner=job.owner, search_text=data["name"].lower())
        create.append((number, org))
        seen[data["name"].lower()] = org
    created = Organization.objects.bulk_create([o for _, o in create])
    if update:
        Organization.objects.bulk_update(
            list(update.values()), ["name", "industry", "size", "country", "region", "city"]
        )
    trail.record(job, "created", "organization", (o.pk for o in created))
    rows += [
        ImportRow(job=job, number=number, action=RowAction.CREATED, object_id=org.pk)
        for number, org in create
    ]
    return rows


def errors_report(job: ImportJob):
    """Row number, column, reason for each refused row: a CSV the user can fix and re-import."""
    records = (
        job.rows.filter(action=RowAction.FAILED)
        .order_by("number")
        .values_list("number", "column", "message")
    )
    return tabular.csv_stream(["row", "column", "reason"], records.iterator(2000))


def discard_file(job: ImportJob) -> None:
    Path(job.path).unlink(missing_ok=True)


def _update_people(people: list[Person]) -> None:
    """One UPDATE … FROM (VALUES …) per batch: Django's bulk_update writes a CASE per field and
    row, which costs seconds for a thousand rows."""
    now = timezone.now()
    columns = [*PERSON_UPDATABLE, "search_text"]
    json_cast = "CAST({} AS jsonb)" if connection.vendor == "postgresql" else "{}"
    assignments = [f"{c} = v.column{i + 2}" for i, c in enumerate(columns)]
    n = len(columns) + 2
    assignments += [
        f"organization_id = CAST(v.column{n} AS BIGINT)",
        f"custom = {json_cast.format(f'v.column{n + 1}')}",
        "updated_at = %s",
    ]
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        values, params = [], []
        for p in chunk:
            p.search_text = person_search_text(
                first_name=p.first_name, last_name=p.last_name, email=p.email_normalized
            )
            values.append("(" + ", ".join(["%s"] * (n + 1)) + ")")
            params += [p.pk, *(getattr(p, c) for c in columns), p.organization_id,
                       json.dumps(p.custom or {})]  # fmt: skip
        sql = (
            f"UPDATE contacts_person SET {', '.join(assignments)} "  # noqa: S608 - fixed names
            f"FROM (VALUES {', '.join(values)}) AS v "
            "WHERE contacts_person.id = CAST(v.column1 AS BIGINT)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, *params])  # the SET placeholder comes first
