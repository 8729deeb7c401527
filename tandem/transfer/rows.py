"""What a batch of any import kind shares: refused rows as the engine records them, and
organizations found by name (or created) as the importer could by hand."""

from tandem.contacts.models import Organization
from tandem.core import access
from tandem.transfer import trail
from tandem.transfer.models import ImportRow, RowAction

# The words for a row that matches a record the importer may not change, or not even see:
# the same as for a record that does not exist, so a file cannot probe for records.
NOT_YOURS = "no such record you may change"


def _ids_in_scope(job, model, resource: str, action: str, ids) -> set[int]:
    ids = list(ids)
    if access.is_admin(job.owner):
        return set(ids)
    q = access.rule(job.owner, resource, action)
    if q is None:
        return set()
    found = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found |= set(model.objects.filter(q, pk__in=chunk).values_list("pk", flat=True))
    return found


def writable(job, model, resource: str, ids) -> set[int]:
    """Of `ids`, those the importer could change by hand."""
    return _ids_in_scope(job, model, resource, access.WRITE, ids)


def readable(job, model, resource: str, ids) -> set[int]:
    """Of `ids`, those the importer can see."""
    return _ids_in_scope(job, model, resource, access.READ, ids)


def failed_outcome(number, errors) -> tuple:
    """(number, action, object_id, column, message) of a refused row."""
    column = "; ".join(c for c, _ in errors)[:200]
    message = "; ".join(f"{c}: {m}" for c, m in errors)[:500]
    return (number, RowAction.FAILED, None, column, message)


def failed_row(job, number, errors) -> ImportRow:
    column = "; ".join(c for c, _ in errors)[:200]
    message = "; ".join(f"{c}: {m}" for c, m in errors)[:500]
    return ImportRow(job=job, number=number, action=RowAction.FAILED, column=column,
                     message=message)  # fmt: skip


def default_owner(job):
    """Who owns what an import creates, as when typed in: a rep owns it, others leave it to
    the shared record (no owner)."""
    return job.owner if job.owner.role == "sales_rep" else None


def organizations_by_name(job, names: set[str]) -> dict[str, int]:
    """Find organizations the importer can see by name (case-insensitive), creating the
    missing ones (as the importer would: one they cannot see is not theirs to link to)."""
    found = {}
    visible = access.scope(job.owner, Organization.objects.all(), "organization")
    for org in visible.filter(name__in=names).only("pk", "name"):
        found.setdefault(org.name.lower(), org.pk)
    wanted = {n for n in names if n.lower() not in found}
    new = Organization.objects.bulk_create(
        [
            Organization(name=n, search_text=n.lower(), owner=default_owner(job))
            for n in sorted(wanted)
        ]
    )
    trail.record(job, "created", "organization", (o.pk for o in new))
    found.update({o.name.lower(): o.pk for o in new})
    return found
