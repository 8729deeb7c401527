"""Segments: allow-listed conditions on people, in groups that match all or any of their rules,
nested up to three deep.

A segment stores a tree {match: "all"|"any", rules: [condition | group]}; a condition is a dict
{field, op, value, since, until, last_days}. The older flat list (numbered groups, AND within a
group, OR across them) is still read and accepted. Nothing a user types reaches a query as a
field name: each field maps to a fixed lookup, each operator to a fixed builder.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

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
        negated = op in ("neq", "not_contains")
        suffix = {"eq": "__iexact", "neq": "__iexact", "contains": "__icontains",
                  "not_contains": "__icontains", "starts": "__istartswith"}[op]  # fmt: skip
        q = Q(**{f"{lookup}{suffix}": value})
        return ~q if negated else q

    return build


TEXT_OPS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
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
    return Q(**{f"score__{op}" if op != "eq" else "score": value})


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
    "score": Field("Score", {"gte": "at least", "lte": "at most", "eq": "exactly"}, _score, int),
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
    "created": Field("Created", {"between": "within"}, _created, str, (), True),
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


def _clean_condition(raw, row: int) -> dict:
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
    last_days = raw.get("last_days")
    if last_days in ("", None):
        last_days = None
    else:
        try:
            last_days = int(last_days)
        except (TypeError, ValueError):
            raise Invalid(f"Condition {row}: “in the last” takes a number of days.") from None
        if not 1 <= last_days <= 3650:
            raise Invalid(f"Condition {row}: “in the last” takes 1 to 3650 days.")
        if not spec.dated:
            raise Invalid(f"Condition {row}: {spec.label} has no date to count back from.")
    try:
        group = int(raw.get("group") or 1)
    except (TypeError, ValueError):
        raise Invalid(f"Condition {row}: the group is a number.") from None
    cleaned = {
        "group": max(1, min(group, 99)),
        "field": name,
        "op": op,
        "value": value,
        "since": since.isoformat() if since and not last_days else "",
        "until": until.isoformat() if until and not last_days else "",
    }
    if last_days:
        cleaned["last_days"] = last_days
    return cleaned


MAX_DEPTH = 3
MATCHES = {"all": "all of", "any": "any of"}


def as_tree(spec) -> dict:
    """A segment's conditions as a tree {match: all|any, rules: [condition | group]}. A flat
    list (OR of numbered groups, AND within one) is read as the tree it means."""
    if isinstance(spec, dict):
        return spec if "rules" in spec else {"match": "all", "rules": []}
    groups: dict[int, list] = {}
    for c in spec or []:
        groups.setdefault(c.get("group", 1), []).append(c)
    if len(groups) <= 1:
        return {"match": "all", "rules": next(iter(groups.values()), [])}
    return {"match": "any", "rules": [{"match": "all", "rules": g} for g in groups.values()]}


def _is_group(node) -> bool:
    return isinstance(node, dict) and "rules" in node and "field" not in node


def _clean_tree(node, depth: int, counter: list[int]) -> dict:
    match = node.get("match", "all")
    if match not in MATCHES:
        raise Invalid("A group matches “all” or “any” of its rules.", field="conditions")
    rules = node.get("rules")
    if not isinstance(rules, list):
        raise Invalid("A group's rules must be a list.", field="conditions")
    cleaned = []
    for child in rules:
        if _is_group(child):
            if depth >= MAX_DEPTH:
                raise Invalid(
                    f"Groups nest at most {MAX_DEPTH} deep.", field="conditions"
                )  # fmt: skip
            sub = _clean_tree(child, depth + 1, counter)
            if sub["rules"]:
                cleaned.append(sub)
        else:
            counter[0] += 1
            if counter[0] > MAX_CONDITIONS:
                raise Invalid(
                    f"A segment holds at most {MAX_CONDITIONS} conditions.", field="conditions"
                )
            condition = _clean_condition(child, counter[0])
            condition.pop("group", None)
            cleaned.append(condition)
    return {"match": match, "rules": cleaned}


def clean(raw) -> dict:
    """Validate conditions, given as a tree or as the flat list of grouped conditions; the
    cleaned tree is what a segment stores. Raises Invalid naming the condition's number."""
    if isinstance(raw, list):
        if len(raw) > MAX_CONDITIONS:
            raise Invalid(
                f"A segment holds at most {MAX_CONDITIONS} conditions.", field="conditions"
            )
        raw = as_tree([_clean_condition(c, row) for row, c in enumerate(raw, start=1)])
    if not isinstance(raw, dict):
        raise Invalid("Conditions must be a list or a group.", field="conditions")
    return _clean_tree(raw, 1, [0])


def _conjunction(node) -> list[dict] | None:
    """A condition, or a group whose rules all must hold (at any depth), as a list of
    conditions; None if an OR sits inside."""
    if not _is_group(node):
        return [node]
    if node["match"] == "any" and len(node["rules"]) > 1:
        return None
    out = []
    for rule in node["rules"]:
        part = _conjunction(rule)
        if part is None:
            return None
        out += part
    return out


def flat(spec) -> list[dict] | None:
    """The tree as numbered groups (OR across, AND within) when it can be written so; else
    None. The API's `conditions` field, kept for clients of the flat form."""
    tree = as_tree(spec)
    if tree["match"] == "all" or len(tree["rules"]) <= 1:
        groups = [_conjunction(tree)]
    else:
        groups = [_conjunction(rule) for rule in tree["rules"]]
    if any(g is None for g in groups):
        return None
    return [{**c, "group": n} for n, g in enumerate(groups, start=1) for c in g]


def _condition_q(c: dict) -> Q:
    spec = FIELDS[c["field"]]
    value = None if c["op"] in VALUELESS_OPS else spec.parse(c["value"]) if c["value"] else ""
    if c.get("last_days"):
        since, until = timezone.localdate() - timedelta(days=int(c["last_days"]) - 1), None
    else:
        since = date.fromisoformat(c["since"]) if c.get("since") else None
        until = date.fromisoformat(c["until"]) if c.get("until") else None
    return spec.build(c["op"], value, since, until)


def _tree_q(node: dict) -> Q:
    parts = [_tree_q(r) if _is_group(r) else _condition_q(r) for r in node["rules"]]
    if not parts:
        return Q()
    result = parts[0]
    for q in parts[1:]:
        result = result | q if node["match"] == "any" else result & q
    return result


def to_q(spec) -> Q:
    """The conditions as one filter. No conditions means everyone."""
    return _tree_q(as_tree(spec))


def people(spec, base: QuerySet | None = None) -> QuerySet:
    base = Person.objects.all() if base is None else base
    return base.filter(to_q(spec))


def _value_words(field: str, raw: str) -> str:
    """The value as people read it: labels of choices, a program's or an owner's name."""
    spec = FIELDS[field]
    try:
        if field == "program":
            return Program.objects.filter(pk=_leading_int(raw)).values_list("name", flat=True)[0]
        if field == "owner" and raw != "none":
            user = get_user_model().objects.filter(pk=_leading_int(raw)).first()
            return user.display_name if user else raw
    except (IndexError, ValueError):
        return raw
    if field == "owner":
        return "nobody"
    labels = dict((str(k), str(v)) for k, v in spec.choices)
    if labels:
        return ", ".join(labels.get(v.strip(), v.strip()) for v in raw.split(","))
    return raw


def _describe_condition(c: dict) -> str:
    spec = FIELDS[c["field"]]
    text = f"{spec.label} {spec.ops[c['op']]}"
    if c["value"]:
        text += f" {_value_words(c['field'], c['value'])}"
    if c.get("last_days"):
        text += f" in the last {c['last_days']} days"
    elif c.get("since") or c.get("until"):
        text += f" ({c.get('since') or '…'} → {c.get('until') or '…'})"
    return text


def _describe(node: dict, top: bool) -> str:
    joiner = " OR " if node["match"] == "any" else " AND "
    parts = [_describe(r, False) if _is_group(r) else _describe_condition(r) for r in node["rules"]]
    text = joiner.join(parts)
    return text if top or len(parts) == 1 else f"({text})"


def describe(spec) -> str:
    tree = as_tree(spec)
    if not tree["rules"]:
        return "Everyone"
    groups = [r for r in tree["rules"] if _is_group(r)]
    if tree["match"] == "any" and groups and len(groups) == len(tree["rules"]):
        return " OR ".join("(" + _describe(g, True) + ")" for g in groups)
    return _describe(tree, True)


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
