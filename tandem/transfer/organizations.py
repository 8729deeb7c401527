"""Organizations from a file: matched by domain, then by name."""

from tandem.contacts.models import Organization
from tandem.core import access
from tandem.transfer import column_map, trail
from tandem.transfer.models import ImportJob, ImportRow, Policy, RowAction
from tandem.transfer.rows import NOT_YOURS, default_owner, failed_row, writable


def batch(job: ImportJob, pending: list) -> list[ImportRow]:
    parse = column_map.job_parser(job)
    rows, create, seen = [], [], {}
    parsed = []
    for number, cells in pending:
        data, _, errors = parse(cells)
        if not errors and not data.get("name"):
            errors = [("name", "the row has no name")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        parsed.append((number, data))
    domains = {d["domain"] for _, d in parsed if d.get("domain")}
    names = {d["name"] for _, d in parsed}
    by_domain = {o.domain: o for o in Organization.objects.filter(domain__in=domains)}
    visible = access.scope(job.owner, Organization.objects.filter(name__in=names), "organization")
    by_name = {o.name.lower(): o for o in visible}
    yours = writable(
        job, Organization, "organization", {o.pk for o in (*by_domain.values(), *by_name.values())}
    )
    update = {}
    for number, data in parsed:
        match = (by_domain.get(data.get("domain")) if data.get("domain") else None) or by_name.get(
            data["name"].lower()
        ) or seen.get(data["name"].lower())  # fmt: skip
        if match is not None and match.pk is not None and match.pk not in yours:
            column = "domain" if by_domain.get(data.get("domain")) is match else "name"
            rows.append(failed_row(job, number, [(column, NOT_YOURS)]))
            continue
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
        org = Organization(**data, owner=default_owner(job), search_text=data["name"].lower())
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
