"""People from a file: rows grouped by email, created in bulk or matched, and a match updated
only where the importer could change that person by hand."""

import json

from django.utils import timezone

from tandem.contacts import custom_fields, privacy
from tandem.contacts.models import ConsentStatus, ErasedAddress, Person
from tandem.contacts.normalize import person_search_text
from tandem.contacts.services import stage_refusal
from tandem.core import bulk
from tandem.transfer import column_map, fields, trail
from tandem.transfer.models import ImportJob, Policy, RowAction
from tandem.transfer.rows import NOT_YOURS, failed_outcome, organizations_by_name, writable

PERSON_UPDATABLE = ("first_name", "last_name", "title", "phone", "country", "region", "city")


def batch(job: ImportJob, pending: list) -> list[tuple]:
    """Rows of one batch, grouped by email: the first row of an address creates or matches
    the person, the later ones update it (policy update) or are skipped."""
    parse, outcomes, groups = column_map.job_parser(job), [], {}
    merge = job.policy == Policy.UPDATE
    for number, cells in pending:
        data, custom, errors = parse(cells)
        if not errors and not (
            data.get("email") or data.get("first_name") or data.get("last_name")
        ):
            errors = [("email", "the row has neither an email address nor a name")]
        if errors:
            outcomes.append(failed_outcome(number, errors))
            continue
        email_key = data.get("email", "").lower()
        group = groups.get(email_key) if email_key else None
        if group is None:
            groups[email_key or number] = _Group(number, email_key, data, custom)
        else:
            group.later.append(number)
            if merge:
                group.merge(data, custom)
    existing = _existing_people([k for k in groups if isinstance(k, str)])
    outcomes += _refuse_others(job, groups, existing)
    outcomes += _refuse_stages(job, groups, existing)
    outcomes += _refuse_unfilled(job, groups, existing)
    names = {g.data["organization"] for g in groups.values() if g.data.get("organization")}
    orgs = organizations_by_name(job, names) if names else {}
    fresh = [g for g in groups.values() if g.email not in existing]
    ids = bulk.reserve_ids(Person, len(fresh))
    for group, pk in zip(fresh, ids, strict=True):
        group.pk = pk
    _create_people(job, fresh, orgs)
    matched = [g for g in groups.values() if g.email in existing]
    if merge and matched:
        _update_matched(job, matched, existing, orgs)
    later = RowAction.UPDATED if merge else RowAction.SKIPPED
    for group in groups.values():
        if group.pk is None:
            group.pk = existing[group.email][0]
            note = "matched by email" + ("; nothing to change" if group.unchanged else "")
            outcomes.append((group.number, later, group.pk, "", note))
        else:
            outcomes.append((group.number, RowAction.CREATED, group.pk, "", ""))
        outcomes += [(n, later, group.pk, "", "matched by email") for n in group.later]
    return outcomes


def _refuse_others(job, groups: dict, existing: dict) -> list[tuple]:
    """Rows matching a person the importer may not change (or see) are refused, whatever the
    policy, with the words used for a missing record; their groups leave the batch."""
    ids = writable(job, Person, "person", (row[0] for row in existing.values()))
    refused = []
    for key, group in list(groups.items()):
        if group.email in existing and existing[group.email][0] not in ids:
            for number in (group.number, *group.later):
                refused.append(failed_outcome(number, [("email", NOT_YOURS)]))
            del groups[key]
    return refused


def _refuse_stages(job, groups: dict, existing: dict) -> list[tuple]:
    """A new person's lifecycle stage is one the importer may set (sales' stages are sales')."""
    refused = []
    for key, group in list(groups.items()):
        if group.email in existing:
            continue
        steps = history(group.data)
        why = next(
            (w for _, to, _ in steps if (w := stage_refusal(job.owner, "", to))), None
        )  # any stage the file dates is set by this import
        if why:
            for number in (group.number, *group.later):
                refused.append(failed_outcome(number, [("lifecycle stage", why)]))
            del groups[key]
    return refused


def _refuse_unfilled(job, groups: dict, existing: dict) -> list[tuple]:
    """A new person carries the custom fields a user must fill, as the person form asks."""
    required = [
        f for f in custom_fields.definitions("person")
        if f.required and custom_fields.may_edit(job.owner, f)
    ]  # fmt: skip
    refused = []
    for key, group in list(groups.items()) if required else ():
        missing = [f.label for f in required if group.custom.get(f.key) in (None, "")]
        if group.email not in existing and missing:
            why = f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required"
            for number in (group.number, *group.later):
                refused.append(failed_outcome(number, [(missing[0], why)]))
            del groups[key]
    return refused


class _Group:
    """The rows of a batch that share an email address (or one row without an address)."""

    __slots__ = ("number", "email", "data", "custom", "later", "pk", "unchanged")

    def __init__(self, number: int, email: str, data: dict, custom: dict):
        self.number, self.email, self.data, self.custom = number, email, data, custom
        self.later, self.pk, self.unchanged = [], None, False

    def merge(self, data: dict, custom: dict) -> None:
        """A later row: its filled fields win; the organization stays the first one named."""
        for name in PERSON_UPDATABLE:
            if data.get(name):
                self.data[name] = data[name]
        if data.get("organization") and not self.data.get("organization"):
            self.data["organization"] = data["organization"]
        if custom:
            self.custom = {**self.custom, **custom}


MATCHED = ("id", *PERSON_UPDATABLE, "organization_id", "custom")


def _existing_people(emails: list[str]) -> dict[str, tuple]:
    """{email: (id, *PERSON_UPDATABLE, organization_id, custom as JSON text)} of the people
    already stored."""
    found = {}
    for start in range(0, len(emails), 5000):
        chunk = emails[start : start + 5000]
        for row in bulk.select_in(Person, ["email_normalized", *MATCHED], "email_normalized",
                                  chunk):  # fmt: skip
            found[row[0]] = row[1:]
    return found


PERSON_COLUMNS = ["id", "created_at", "updated_at", "stage_changed_at", "email",
                  "email_normalized", *PERSON_UPDATABLE, "organization_id", "lifecycle_stage",
                  "owner_id", "sales_owns_conversation", "score", "consent", "custom",
                  "external_id", "search_text"]  # fmt: skip


def _create_people(job: ImportJob, groups: list, orgs: dict) -> None:
    if not groups:
        return
    now, no_custom = bulk.prepared(timezone.now()), bulk.prepared({})
    owner = job.owner_id if job.owner.role == "sales_rep" else None  # as person_create does
    consent = Person._meta.get_field("consent").get_default()
    rows, arrived = [], []
    for g in groups:
        d = g.data
        steps = history(d)
        created = bulk.prepared(steps[0][2]) if steps[0][2] else now
        changed = bulk.prepared(steps[-1][2]) if steps[-1][2] else now
        first, last = d.get("first_name", ""), d.get("last_name", "")
        search = person_search_text(first_name=first, last_name=last, email=g.email)
        rows.append((
            g.pk, created, now, changed, d.get("email", ""), g.email,
            *(d.get(name, "") for name in PERSON_UPDATABLE),
            orgs.get(d.get("organization", "").lower()), steps[-1][1], owner, False, 0, consent,
            bulk.prepared(g.custom) if g.custom else no_custom, "", search,
        ))  # fmt: skip
        arrived.append((g.pk, steps))
    bulk.insert(Person, PERSON_COLUMNS, rows, ready=True)
    trail.people_arrived(job, arrived)
    _suppress_erased(groups)


def _suppress_erased(groups: list) -> None:
    """People who had themselves erased and come back in a file are never mailed again."""
    if not ErasedAddress.objects.exists():  # most workspaces: no hashing at all
        return
    hashes = {privacy.address_hash(g.email): g.pk for g in groups if g.email}
    erased = ErasedAddress.objects.filter(hash__in=list(hashes)).values_list("hash", flat=True)
    ids = [hashes[h] for h in erased]
    if ids:
        Person.objects.filter(pk__in=ids).update(
            unsubscribed_at=timezone.now(), consent=ConsentStatus.WITHDRAWN
        )


FUNNEL = list(fields.STAGE_DATES)  # subscriber, lead, mql, sal, sql, opportunity, customer, …


def history(data: dict) -> list[tuple[str, str, object]]:
    """A new person's lifecycle transitions (from, to, at; at None: the import's moment): the
    arrival (the created column, else the first stage date), each stage the file dates, in
    time order, and the file's lifecycle stage last when no date gives it."""
    stamps = sorted(
        (data[f"became_{code}_at"], FUNNEL.index(code), code)
        for code in FUNNEL if data.get(f"became_{code}_at")
    )  # fmt: skip
    created = data.get("created_at")
    if stamps and (created is None or stamps[0][0] < created):
        created = stamps[0][0]
    start = stamps[0][2] if stamps and stamps[0][2] in ("subscriber", "lead") else "lead"
    if not stamps and data.get("lifecycle_stage"):
        start = data["lifecycle_stage"]
    steps = [("", start, created)]
    for at, _, code in stamps:
        if code != steps[-1][1]:
            steps.append((steps[-1][1], code, at))
    wanted = data.get("lifecycle_stage")
    if wanted and wanted != steps[-1][1]:
        steps.append((steps[-1][1], wanted, None))
    return steps


def final_stage(data: dict) -> str:
    return history(data)[-1][1]


def _update_matched(job: ImportJob, groups: list, existing: dict, orgs: dict) -> None:
    """Filled fields overwrite; the organization only fills a gap; custom fields merge."""
    now, rows, changed = bulk.prepared(timezone.now()), [], []
    for g in groups:
        stored = dict(zip(MATCHED, existing[g.email], strict=True))
        values = {n: g.data.get(n) or stored[n] for n in PERSON_UPDATABLE}
        org = stored["organization_id"] or orgs.get(g.data.get("organization", "").lower())
        custom = stored["custom"]  # JSON text, decoded only when the row brings custom fields
        if g.custom:
            before = json.loads(custom) if custom else {}
            custom = {**before, **g.custom}
            if custom == before:
                custom = stored["custom"]
        if (values, org, custom) == (
            {n: stored[n] for n in PERSON_UPDATABLE},
            stored["organization_id"],
            stored["custom"],
        ):
            g.unchanged = True  # a re-imported row as it is stored: nothing to write
            continue
        search = person_search_text(first_name=values["first_name"],
                                    last_name=values["last_name"], email=g.email)  # fmt: skip
        rows.append((stored["id"], *values.values(), org, custom, search, now))
        changed.append((stored["id"], _changes(stored, values, org, custom)))
    if not rows:
        return
    bulk.update(Person, [*PERSON_UPDATABLE, "organization_id", "custom", "search_text",
                         "updated_at"], rows)  # fmt: skip
    trail.record_changes(job, "person", changed)


def _changes(stored: dict, values: dict, org, custom) -> dict:
    """{field: [old, new]}, as the services record them: the audit trail can tell what a
    person's fields were before the import (the predictive score reads it)."""
    out = {n: [stored[n], v] for n, v in values.items() if v != stored[n]}
    if org != stored["organization_id"]:
        out["organization"] = [_text(stored["organization_id"]), _text(org)]
    if custom != stored["custom"]:
        old = (
            json.loads(stored["custom"]) if isinstance(stored["custom"], str) else stored["custom"]
        )
        out["custom"] = [old or {}, custom]
    return out


def _text(pk):
    return None if pk is None else str(pk)
