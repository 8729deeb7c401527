"""Segments: allow-listed conditions on people, AND within a group and OR across groups.

A condition is a dict {group, field, op, value, since, until}. Nothing a user types reaches a
query as a field name: each field maps to a fixed lookup, each operator to a fixed builder.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from tandem.contacts.models import CompanySize, ConsentStatus, LifecycleStage, Person
from tandem.core import access, activity, periods
from tandem.core.errors import Invalid
from tandem.marketing.models import Program, Segment, Touch, TouchKind

MAX_CONDITIONS = 40
CUSTOMER_STAGES = (LifecycleStage.CUSTOMER, LifecycleStage.ADVOCATE)


@dataclass(frozen=True)
class Field:
    label: str
    ops: dict  # op -> label
    build: Callable  # (op, value, since, until) -> Q
    parse: Callable = str  # raw value -> value, raises ValueError
    choices: tuple = ()
    dated: bool = False


def _text(lookup: str) -> Callable:
    def build(op, value, since, until):
        if op == "empty":
            return Q(**{lookup: ""}) | Q(**{f"{lookup}__isnull": True})
        if op == "not_empty":
            return ~Q(**{lookup: ""}) & Q(**{f"{lookup}__isnull": False})
        suffix = {"eq": "__iexact", "contains": "__icontains", "starts": "__istartswith"}[op]
        return Q(**{f"{lookup}{suffix}": value})

    return build


TEXT_OPS = {
    "eq": "is",
    "contains": "contains",
    "starts": "starts with",
    "empty": "is empty",
    "not_empty": "is not empty",
}
VALUELESS_OPS = {"empty", "not_empty"}


def _choice_list(choices) -> Callable:
    allowed = {str(c[0]) for c in choices}

    def parse(raw: str) -> list[str]:
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values or any(v not in allowed for v in values):
            raise ValueError("choose from: " + ", ".join(sorted(allowed)))
        return values

    return parse


def _countries(raw: str) -> list[str]:
    values = [v.strip().upper() for v in raw.split(",") if v.strip()]
    if not values or any(len(v) != 2 or not v.isalpha() for v in values):
        raise ValueError("two-letter country codes, comma-separated")
    return values


def _in(lookup: str) -> Callable:
    def build(op, value, since, until):
        q = Q(**{f"{lookup}__in": value})
        return ~q if op == "not_in" else q

    return build


def _touched(touch_filter: Callable) -> Callable:
    def build(op, value, since, until):
        touches = Touch.objects.filter(person=OuterRef("pk"), **touch_filter(value))
        if since:
            touches = touches.filter(occurred_at__gte=periods.day_start(since))
        if until:
            touches = touches.filter(occurred_at__lt=periods.day_start(until + timedelta(days=1)))
        q = Q(Exists(touches))
        return ~q if op == "not_touched" else q

    return build


def _leading_int(raw: str) -> int:
    """“12 · Spring webinar” → 12: the builder offers ids with their names."""
    match = re.match(r"\s*(\d+)", raw)
    if not match:
        raise ValueError("a number")
    return int(match.group(1))


def _program_id(raw: str) -> int:
    pk = _leading_int(raw)
    if not Program.objects.filter(pk=pk).exists():
        raise ValueError("no such program")
    return pk


def _score(op, value, since, until):
    return Q(score__gte=value) if op == "gte" else Q(score__lte=value)


def _customer(op, value, since, until):
    q = Q(lifecycle_stage__in=CUSTOMER_STAGES) | Q(organization__is_customer=True)
    return q if value == "yes" else ~q


def _owner(op, value, since, until):
    q = Q(owner__isnull=True) if value == "none" else Q(owner_id=_leading_int(value))
    return ~q if op == "is_not" else q


def _owner_value(raw: str) -> str:
    if raw != "none":
        _leading_int(raw)
    return raw


def _created(op, value, since, until):
    q = Q()
    if since:
        q &= Q(created_at__gte=periods.day_start(since))
    if until:
        q &= Q(created_at__lt=periods.day_start(until + timedelta(days=1)))
    return q


def _yes_no(raw: str) -> str:
    if raw not in ("yes", "no"):
        raise ValueError("yes or no")
    return raw


TOUCH_OPS = {"touched": "touched", "not_touched": "not touched"}
FIELDS: dict[str, Field] = {
    "first_name": Field("First name", TEXT_OPS, _text("first_name")),
    "last_name": Field("Last name", TEXT_OPS, _text("last_name")),
    "email": Field("Email", TEXT_OPS, _text("email_normalized")),
    "title": Field("Job title", TEXT_OPS, _text("title")),
    "city": Field("City", TEXT_OPS, _text("city")),
    "region": Field("Region", TEXT_OPS, _text("region")),
    "organization": Field("Organization", TEXT_OPS, _text("organization__name")),
    "industry": Field("Industry", TEXT_OPS, _text("organization__industry")),
    "company_size": Field(
        "Company size",
        {"in": "is one of", "not_in": "is none of"},
        _in("organization__size"),
        _choice_list(CompanySize.choices),
        CompanySize.choices,
    ),
    "stage": Field(
        "Lifecycle stage",
        {"in": "is one of", "not_in": "is none of"},
        _in("lifecycle_stage"),
        _choice_list(LifecycleStage.choices),
        LifecycleStage.choices,
    ),
    "score": Field("Score", {"gte": "at least", "lte": "at most"}, _score, int),
    "program": Field(
        "Program", TOUCH_OPS, _touched(lambda v: {"program_id": v}), _program_id, (), True
    ),
    "touch_kind": Field(
        "Touch kind",
        TOUCH_OPS,
        _touched(lambda v: {"kind": v}),
        lambda raw: _choice_list(TouchKind.choices)(raw)[0],
        TouchKind.choices,
        True,
    ),
    "customer": Field("Customer", {"is": "is"}, _customer, _yes_no, (("yes", "yes"), ("no", "no"))),
    "owner": Field("Owner", {"is": "is", "is_not": "is not"}, _owner, _owner_value),
    "country": Field(
        "Country", {"in": "is one of", "not_in": "is none of"}, _in("country"), _countries
    ),
    "consent": Field(
        "Consent",
        {"in": "is one of", "not_in": "is none of"},
        _in("consent"),
        _choice_list(ConsentStatus.choices),
        ConsentStatus.choices,
    ),
    "created": Field("Created", {"between": "between"}, _created, str, (), True),
}


def _date(raw, row: int, name: str) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise Invalid(f"Condition {row}: “{name}” must be a date (YYYY-MM-DD).") from None


def clean(raw_conditions) -> list[dict]:
    """Validate conditions; the cleaned list is what a segment stores. Raises Invalid."""
    if not isinstance(raw_conditions, list):
        raise Invalid("Conditions must be a list.", field="conditions")
    if len(raw_conditions) > MAX_CONDITIONS:
        raise Invalid(f"A segment holds at most {MAX_CONDITIONS} conditions.", field="conditions")
    cleaned = []
    for row, raw in enumerate(raw_conditions, start=1):
        if not isinstance(raw, dict):
            raise Invalid(f"Condition {row} must be an object.", field="conditions")
        name, op = str(raw.get("field", "")), str(raw.get("op", ""))
        spec = FIELDS.get(name)
        if spec is None:
            raise Invalid(f"Condition {row}: unknown field “{name[:40]}”.", field="conditions")
        if op not in spec.ops:
            raise Invalid(
                f"Condition {row}: {spec.label} takes " + ", ".join(spec.ops.values()) + ".",
                field="conditions",
            )
        value = str(raw.get("value") or "").strip()[:500]
        if op not in VALUELESS_OPS and name != "created":
            if not value:
                raise Invalid(f"Condition {row}: {spec.label} needs a value.", field="conditions")
            try:
                spec.parse(value)
            except ValueError as exc:
                raise Invalid(
                    f"Condition {row}: bad value for {spec.label}: {exc}.", field="conditions"
                ) from None
        since = _date(raw.get("since"), row, "since")
        until = _date(raw.get("until"), row, "until")
        if since and until and until < since:
            raise Invalid(f"Condition {row}: the period ends before it starts.")
        try:
            group = int(raw.get("group") or 1)
        except (TypeError, ValueError):
            raise Invalid(f"Condition {row}: the group is a number.") from None
        cleaned.append(
            {
                "group": max(1, min(group, 99)),
                "field": name,
                "op": op,
                "value": value,
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
            }
        )
    return cleaned


def to_q(conditions: list[dict]) -> Q:
    """OR of groups, AND within a group. No conditions means everyone."""
    groups: dict[int, Q] = {}
    for c in conditions:
        spec = FIELDS[c["field"]]
        value = None if c["op"] in VALUELESS_OPS else spec.parse(c["value"]) if c["value"] else ""
        since = date.fromisoformat(c["since"]) if c.get("since") else None
        until = date.fromisoformat(c["until"]) if c.get("until") else None
        q = spec.build(c["op"], value, since, until)
        groups[c["group"]] = groups[c["group"]] & q if c["group"] in groups else q
    result = Q()
    for i, q in enumerate(groups.values()):
        result = q if i == 0 else result | q
    return result


def people(conditions: list[dict], base: QuerySet | None = None) -> QuerySet:
    base = Person.objects.all() if base is None else base
    return base.filter(to_q(conditions))


def describe(conditions: list[dict]) -> str:
    groups: dict[int, list[str]] = {}
    for c in conditions:
        spec = FIELDS[c["field"]]
        text = f"{spec.label} {spec.ops[c['op']]}"
        if c["value"]:
            text += f" {c['value']}"
        if c.get("since") or c.get("until"):
            text += f" ({c.get('since') or '…'} → {c.get('until') or '…'})"
        groups.setdefault(c["group"], []).append(text)
    return " OR ".join("(" + " AND ".join(g) + ")" for g in groups.values()) or "Everyone"


def _clean_segment(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in ("name", "description", "conditions")}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise Invalid("A segment needs a name.", field="name")
    if "conditions" in data:
        data["conditions"] = clean(data["conditions"])
    return data


@transaction.atomic
def segment_create(*, actor, via: str = "ui", data: dict) -> Segment:
    access.require_create(actor, "segment")
    data = _clean_segment(data)
    if "name" not in data:
        raise Invalid("A segment needs a name.", field="name")
    segment = Segment.objects.create(owner=actor, **data)
    activity.record(
        actor=actor, via=via, verb="created", target=segment, summary=describe(segment.conditions)
    )
    return segment


@transaction.atomic
def segment_update(*, actor, via: str = "ui", segment: Segment, data: dict) -> Segment:
    access.require_write(actor, segment, "segment")
    changes = activity.apply_changes(segment, _clean_segment(data))
    if changes:
        segment.save()
        activity.record(actor=actor, via=via, verb="updated", target=segment, changes=changes)
    return segment
