"""Activities from another CRM (calls, meetings, emails, tasks): owners found by name as for
opportunities, the person by email, the organization and the opportunity by name. A row whose
person, organization or deal is not found still goes in, with a note saying what was not linked;
a row that repeats an activity already stored (same owner, subject and due time) is skipped.
A row with no date at all is due when it is imported, so importing it twice stores it twice."""

from datetime import datetime, time

from django.utils import timezone

from tandem.contacts.models import Person
from tandem.contacts.normalize import normalize_email
from tandem.sales.models import Activity, ActivityKind, Opportunity
from tandem.transfer import fields, opportunities, trail
from tandem.transfer.models import ImportRow, RowAction


def _aware(moment):
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return timezone.make_aware(datetime.combine(moment, time(9)))


def _by_email(emails: set[str]) -> dict[str, int]:
    wanted = sorted(e for e in emails if e)
    return dict(
        Person.objects.filter(email_normalized__in=wanted).values_list("email_normalized", "pk")
    )


def batch(job, pending: list) -> list[ImportRow]:
    from tandem.transfer.engine import failed_row, organizations_by_name

    rows, parsed = [], []
    for number, cells in pending:
        data, _, errors = fields.parse_row("activities", job.header, job.mapping, cells)
        for required in ("subject", "owner"):
            if not errors and not data.get(required):
                errors = [(required, f"the row has no {required}")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        data["due_at"] = _aware(data.get("due_at") or data.get("done_at")) or timezone.now()
        data["done_at"] = _aware(data.get("done_at"))
        data["email"] = normalize_email(data.get("email") or "")
        parsed.append((number, data))
    owners = opportunities._owners(job, {d["owner"] for _, d in parsed})
    people = _by_email({d["email"] for _, d in parsed})
    orgs = organizations_by_name(
        job, {d["organization"] for _, d in parsed if d.get("organization")}
    )
    deals = dict(
        Opportunity.objects.filter(
            name__in={d["opportunity"] for _, d in parsed if d.get("opportunity")}
        ).values_list("name", "pk")
    )
    seen = set(
        Activity.objects.filter(
            owner__in=[o.pk for o in owners.values()], subject__in={d["subject"] for _, d in parsed}
        ).values_list("owner_id", "subject", "due_at")
    )
    create = []
    for number, data in parsed:
        owner = owners[data["owner"].lower()]
        identity = (owner.pk, data["subject"], data["due_at"])
        if identity in seen:
            rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                  message="this activity is already stored"))  # fmt: skip
            continue
        seen.add(identity)
        missing = []
        person = people.get(data["email"]) if data["email"] else None
        if data["email"] and person is None:
            missing.append(f"no person with {data['email']}")
        deal = deals.get(data.get("opportunity")) if data.get("opportunity") else None
        if data.get("opportunity") and deal is None:
            missing.append(f"no opportunity “{data['opportunity'][:40]}”")
        activity = Activity(
            kind=data.get("kind") or ActivityKind.TASK,
            subject=data["subject"],
            notes=data.get("notes") or "",
            due_at=data["due_at"],
            done_at=data["done_at"],
            owner=owner,
            person_id=person,
            organization_id=orgs.get(data["organization"].lower())
            if data.get("organization")
            else None,
            opportunity_id=deal,
        )
        create.append((number, activity, "; ".join(missing)))
    created = Activity.objects.bulk_create([a for _, a, _ in create])
    trail.record(job, "created", "activity", (a.pk for a in created))
    rows += [
        ImportRow(job=job, number=n, action=RowAction.CREATED, object_id=a.pk, message=note)
        for n, a, note in create
    ]
    return rows
