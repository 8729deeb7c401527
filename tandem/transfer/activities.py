"""Activities from another CRM (calls, meetings, emails, tasks): owners found by name as for
opportunities, the person by email, the organization and the opportunity by name. A row whose
person, organization or deal is not found still goes in, with a note saying what was not linked;
a row that repeats an activity already stored (same owner, subject and due time) is skipped.
A row with no date at all is due when it is imported, so importing it twice stores it twice."""

from datetime import datetime, time

from django.utils import timezone

from tandem.contacts.models import Person
from tandem.contacts.normalize import normalize_email
from tandem.core import access
from tandem.sales.models import Activity, ActivityKind, Opportunity
from tandem.transfer import column_map, owners, trail
from tandem.transfer.models import ImportRow, RowAction
from tandem.transfer.rows import failed_row, organizations_by_name

WORKED_BY_OTHERS = "you may not log activities on that opportunity"


def _aware(moment):
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return timezone.make_aware(datetime.combine(moment, time(9)))


def _by_email(job, emails: set[str]) -> dict[str, int]:
    """The people the importer can see, by email."""
    wanted = sorted(e for e in emails if e)
    visible = access.scope(job.owner, Person.objects.filter(email_normalized__in=wanted), "person")
    return dict(visible.values_list("email_normalized", "pk"))


def batch(job, pending: list) -> list[ImportRow]:
    parse = column_map.job_parser(job)
    rows, parsed = [], []
    for number, cells in pending:
        data, _, errors = parse(cells)
        if not errors and not data.get("subject"):
            errors = [("subject", "the row has no subject")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        data["due_at"] = _aware(data.get("due_at") or data.get("done_at")) or timezone.now()
        data["done_at"] = _aware(data.get("done_at"))
        data["email"] = normalize_email(data.get("email") or "")
        parsed.append((number, data))
    people_by_name, refused = owners.resolve(
        job, {d["owner"] for _, d in parsed if d.get("owner")}, "activity"
    )
    kept = []
    for number, data in parsed:
        name = (data.get("owner") or "").lower()
        if name in refused:
            rows.append(failed_row(job, number, [("owner", refused[name])]))
        else:
            data["owner"] = people_by_name[name] if name else job.owner
            kept.append((number, data))
    parsed = kept
    people = _by_email(job, {d["email"] for _, d in parsed})
    orgs = organizations_by_name(
        job, {d["organization"] for _, d in parsed if d.get("organization")}
    )
    named = Opportunity.objects.filter(
        name__in={d["opportunity"] for _, d in parsed if d.get("opportunity")}
    )
    workable = access.scope(job.owner, named, "opportunity", access.WRITE)
    deals = dict(workable.values_list("name", "pk"))
    # a deal the importer sees but may not work is refused, as on its page; one it cannot see
    # is as one that does not exist: the activity goes in unlinked, with a note
    closed_to = set(access.scope(job.owner, named, "opportunity").values_list("name", flat=True))
    closed_to -= set(deals)
    seen = set(
        Activity.objects.filter(
            owner__in={d["owner"].pk for _, d in parsed},
            subject__in={d["subject"] for _, d in parsed},
        ).values_list("owner_id", "subject", "due_at")
    )
    create = []
    for number, data in parsed:
        owner = data["owner"]
        identity = (owner.pk, data["subject"], data["due_at"])
        if identity in seen:
            rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                  message="this activity is already stored"))  # fmt: skip
            continue
        if data.get("opportunity") in closed_to:
            rows.append(failed_row(job, number, [("opportunity", WORKED_BY_OTHERS)]))
            continue
        seen.add(identity)
        missing = []
        person = people.get(data["email"]) if data["email"] else None
        if data["email"] and person is None:
            missing.append(f"no person with {data['email']}")
        deal = deals.get(data.get("opportunity")) if data.get("opportunity") else None
        if data.get("opportunity") and deal is None:
            missing.append(f"no opportunity “{data['opportunity'][:40]}” you may log on")
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
