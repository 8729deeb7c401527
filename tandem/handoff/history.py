"""The workspace's people as they were before the outcome, for the predictive score.

Outcome: the person became an SQL (or an opportunity, a customer, an advocate). Each person is
seen at one moment: when they reached that outcome, or 30 days after they arrived (their first
touch, else their creation), whichever came first. Everything the model reads is taken as it was
at that moment: the person's and their organization's fields (the audit trail gives the value
each field had then, so a field sales filled after contact does not reach the model), their
custom fields, and the touches before it. People younger than 120 days are left out of training:
whether they will convert is not known yet."""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.contacts.models import CustomField, LifecycleTransition, Organization, Person
from tandem.core.models import TimelineEntry
from tandem.handoff import features
from tandem.marketing.models import Program, Touch, TouchKind

WINDOW = timedelta(days=30)
MATURE = timedelta(days=120)
OUTCOME_STAGES = ("sql", "opportunity", "customer", "advocate")
PERSON_FIELDS = {"country": "Country", "region": "Region", "city": "City", "title": "Job title"}
ORG_FIELDS = {"industry": "Industry", "size": "Company size", "country": "Company country"}
PERSONAL = {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com",
            "live.com", "icloud.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me",
            "protonmail.com", "mail.ru", "yandex.ru", "qq.com", "163.com"}  # fmt: skip
TOP_PROGRAMS = 15
ALIASES = {"organization": "organization_id"}  # the audit trail names a reference by its field
KIND_LABEL = dict(TouchKind.choices)


@dataclass
class Seen:
    """One person at the moment of their prediction."""

    pk: int
    anchor: object  # when they arrived
    moment: object  # when they are seen
    converted: bool


def population(limit: int, now=None) -> list[Seen]:
    """The newest `limit` people old enough for their outcome to be known."""
    now = now or timezone.now()
    rows = list(
        Person.objects.annotate(anchor=Coalesce("first_touch_at", "created_at"))
        .filter(anchor__lt=now - MATURE)
        .order_by("-anchor")
        .values_list("pk", "anchor")[:limit]
    )
    rows.reverse()
    outcome = dict(
        LifecycleTransition.objects.filter(
            person_id__in=[pk for pk, _ in rows], to_stage__in=OUTCOME_STAGES
        )
        .values_list("person_id")
        .annotate(at=Min("at"))
    )
    seen = []
    for pk, anchor in rows:
        reached = outcome.get(pk)
        moment = anchor + WINDOW if reached is None else min(reached, anchor + WINDOW)
        seen.append(Seen(pk, anchor, moment, reached is not None))
    return seen


def now_seen(person: Person, now=None) -> Seen:
    """A person as the score sees them today: their first 30 days, or up to now."""
    now = now or timezone.now()
    anchor = min(filter(None, (person.first_touch_at, person.created_at)))
    return Seen(person.pk, anchor, min(now, anchor + WINDOW), False)


def _as_of(current: dict, entries: list, moment) -> dict:
    """`current` field values taken back to `moment` through the audit entries (newest
    first): each change made at or after it is undone."""
    values = dict(current)
    for at, changes in entries:
        if at < moment:
            break
        for name, change in (changes or {}).items():
            name = ALIASES.get(name, name)
            if name in values and isinstance(change, list) and len(change) == 2:
                values[name] = change[0]
    return values


def _trail(target_type: str, ids: list[int]) -> dict[int, list]:
    trail: dict[int, list] = {}
    for start in range(0, len(ids), 5000):
        rows = (
            TimelineEntry.objects.filter(
                target_type=target_type, target_id__in=ids[start : start + 5000], verb="updated"
            )
            .order_by("-at", "-id")
            .values_list("target_id", "at", "changes")
        )
        for target, at, changes in rows:
            trail.setdefault(target, []).append((at, changes))
    return trail


def _touches(seen: list[Seen]) -> dict[int, list]:
    """Each person's touches before their moment: [(kind, program_id)]."""
    by_pk = {s.pk: s for s in seen}
    found: dict[int, list] = {}
    ids = list(by_pk)
    for start in range(0, len(ids), 20_000):
        rows = Touch.objects.filter(person_id__in=ids[start : start + 20_000]).values_list(
            "person_id", "kind", "program_id", "occurred_at"
        )
        for pk, kind, program, at in rows.iterator(chunk_size=20_000):
            s = by_pk[pk]
            if at < s.moment:
                found.setdefault(pk, []).append((kind, program))
    return found


def table(seen: list[Seen], *, programs: list[str] | None = None) -> features.Table:
    """The people's raw columns; `programs` names the programs counted one by one (by
    default the most touched ones)."""
    ids = [s.pk for s in seen]
    people = {
        row[0]: row
        for start in range(0, len(ids), 5000)
        for row in Person.objects.filter(pk__in=ids[start : start + 5000]).values_list(
            "pk", "email_normalized", *PERSON_FIELDS, "organization_id", "custom",
            "source_program__channel",
        )
    }  # fmt: skip
    trail = _trail("person", ids)
    touches = _touches(seen)
    names = dict(Program.objects.values_list("pk", "name"))
    if programs is None:
        tally = Counter(names.get(p) for ts in touches.values() for _, p in ts if p)
        programs = [name for name, _ in tally.most_common(TOP_PROGRAMS) if name]
    labels = {
        (f.record_type, f.key): f.label for f in CustomField.objects.all()
    }  # a defined field is named by its label
    columns: dict[str, list] = {}
    counts = [*(f"{KIND_LABEL[k]}" for k in KIND_LABEL), "Touches", "Programs touched",
              *(f"Touches from “{p}”" for p in programs)]  # fmt: skip
    rows = []
    for s in seen:
        pk, email, *rest = people[s.pk]
        fields = dict(zip([*PERSON_FIELDS, "organization_id", "custom"], rest[:-1], strict=True))
        fields = _as_of(fields, trail.get(pk, []), s.moment)
        rows.append((s, email, fields, rest[-1]))
    orgs = _organizations({_org_id(r[2]) for r in rows} - {None}, seen)
    for s, email, fields, channel in rows:
        row = {label: fields[name] for name, label in PERSON_FIELDS.items()}
        domain = email.rpartition("@")[2]
        row["Personal email address"] = ("yes" if domain in PERSONAL else "no") if domain else None
        row["First touch channel"] = channel
        custom = fields["custom"] if isinstance(fields["custom"], dict) else {}
        for key, value in custom.items():
            row[labels.get(("person", key), key)] = value
        org = orgs.get(_org_id(fields))
        if org is not None:
            values = _as_of(org[0], org[1], s.moment)
            row.update({label: values[name] for name, label in ORG_FIELDS.items()})
            for key, value in (values.get("custom") or {}).items():
                row[f"Company {labels.get(('organization', key), key)}"] = value
        tally = Counter(k for k, _ in touches.get(s.pk, []))
        for kind, label in KIND_LABEL.items():
            row[label] = tally.get(kind, 0)
        mine = touches.get(s.pk, [])
        row["Touches"] = len(mine)
        row["Programs touched"] = len({p for _, p in mine if p})
        by_program = Counter(names.get(p) for _, p in mine if p)
        for name in programs:
            row[f"Touches from “{name}”"] = by_program.get(name, 0)
        for name in row:
            columns.setdefault(name, [])
        for name in columns:
            columns[name].append(row.get(name))
    n = len(seen)
    for values in columns.values():  # columns first met on a later row start blank
        values[:0] = [None] * (n - len(values))
    return features.Table(
        columns=columns,
        y=np.array([int(s.converted) for s in seen]),
        order=np.array([s.anchor.timestamp() for s in seen]),
        moments=[s.moment for s in seen],
        counts=tuple(counts),
    )


def _org_id(fields: dict):
    value = fields.get("organization_id")
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _organizations(ids: set, seen: list[Seen]) -> dict:
    """{id: (current values, audit entries newest first)}."""
    ids = sorted(ids)
    found = {}
    for start in range(0, len(ids), 5000):
        for row in Organization.objects.filter(pk__in=ids[start : start + 5000]).values_list(
            "pk", *ORG_FIELDS, "custom"
        ):
            found[row[0]] = dict(zip([*ORG_FIELDS, "custom"], row[1:], strict=True))
    trail = _trail("organization", ids)
    return {pk: (values, trail.get(pk, [])) for pk, values in found.items()}
