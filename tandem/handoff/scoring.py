"""Lead scoring: fit (who the person is) plus engagement (what they did, decaying with a
half-life). One person is scored in Python (the incremental path, with the breakdown that
explains it); everyone at once in SQL (`manage.py rescore`, see scoring_sql)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import LifecycleStage, Person
from tandem.core.errors import Invalid
from tandem.handoff.models import RuleKind, ScoreSnapshot, ScoringConfig, ScoringRule
from tandem.marketing.models import Touch, TouchKind

# Fit attributes: name -> (label, how to read it from a person)
FIT_ATTRIBUTES = {
    "country": ("Country", lambda p: p.country),
    "region": ("Region", lambda p: p.region),
    "city": ("City", lambda p: p.city),
    "title": ("Job title contains", lambda p: p.title),
    "industry": ("Industry", lambda p: p.organization.industry if p.organization_id else ""),
    "company_size": ("Company size", lambda p: p.organization.size if p.organization_id else ""),
}
QUALIFIABLE = (LifecycleStage.SUBSCRIBER, LifecycleStage.LEAD, LifecycleStage.NURTURE)


def fit_matches(rule: ScoringRule, person) -> bool:
    actual = (FIT_ATTRIBUTES[rule.attribute][1](person) or "").lower()
    wanted = rule.value.strip().lower()
    return wanted in actual if rule.attribute == "title" else actual == wanted


def clean_rule(data: dict) -> dict:
    kind = data.get("kind")
    if kind == RuleKind.FIT:
        if data.get("attribute") not in FIT_ATTRIBUTES:
            raise Invalid("Choose an attribute for a fit rule.", field="attribute")
        if not (data.get("value") or "").strip():
            raise Invalid("A fit rule needs a value.", field="value")
    elif kind == RuleKind.ENGAGEMENT:
        if data.get("touch_kind") and data["touch_kind"] not in TouchKind.values:
            raise Invalid("Unknown touch kind.", field="touch_kind")
        if not data.get("half_life_days"):
            raise Invalid("The half-life is at least one day.", field="half_life_days")
    else:
        raise Invalid("A rule is fit or engagement.", field="kind")
    if data.get("points") is None or not -1000 <= data["points"] <= 1000:
        raise Invalid("Points are between -1000 and 1000.", field="points")
    return data


@dataclass
class Score:
    total: int
    breakdown: list  # [[label, points], ...], the biggest contributions first


def compute(person, touches, rules, now: datetime) -> Score:
    """touches: (kind, program_id, occurred_at) tuples."""
    parts: dict[str, float] = {}
    for rule in rules:
        if rule.kind == RuleKind.FIT:
            if fit_matches(rule, person):
                parts[str(rule)] = parts.get(str(rule), 0) + rule.points
            continue
        total = 0.0
        for kind, program_id, occurred_at in touches:
            if rule.touch_kind and kind != rule.touch_kind:
                continue
            if rule.program_id and program_id != rule.program_id:
                continue
            age_days = max((now - occurred_at).total_seconds(), 0) / 86400
            total += rule.points * 0.5 ** (age_days / rule.half_life_days)
        if total:
            parts[str(rule)] = parts.get(str(rule), 0) + total
    breakdown = sorted(([k, round(v, 1)] for k, v in parts.items()), key=lambda kv: -abs(kv[1]))
    return Score(round(sum(parts.values())), breakdown)


def active_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).select_related("program"))


def explain(person, now=None) -> Score:
    touches = Touch.objects.filter(person=person).values_list("kind", "program_id", "occurred_at")
    return compute(person, list(touches), active_rules(), now or timezone.now())


def rescore_person(person_id: int, *, now=None, rules=None, config=None) -> int | None:
    """Score one person again; record the change; cross into MQL (and route) when due."""
    from tandem.handoff import services

    now = now or timezone.now()
    rules = active_rules() if rules is None else rules
    config = config or ScoringConfig.get()
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=person_id)
            .first()
        )
        if person is None:
            return None
        touches = Touch.objects.filter(person_id=person_id).values_list(
            "kind", "program_id", "occurred_at"
        )
        score = compute(person, list(touches), rules, now)
        if score.total != person.score:
            Person.objects.filter(pk=person_id).update(score=score.total)
            ScoreSnapshot.objects.create(
                person=person, at=now, score=score.total, breakdown=score.breakdown
            )
            person.score = score.total
        if person.score >= config.mql_threshold and person.lifecycle_stage in QUALIFIABLE:
            services.qualify(person=person, score=score, config=config, now=now)
    return score.total


def rescore_touched(*, limit: int = 5000) -> int:
    """The incremental path: rescore the people touched since the last sweep."""
    config = ScoringConfig.get()
    rows = list(
        Touch.objects.filter(pk__gt=config.last_swept_touch)
        .order_by("pk")
        .values_list("pk", "person_id")[:limit]
    )
    if not rows:
        return 0
    rules = active_rules()
    for person_id in dict.fromkeys(pid for _, pid in rows):
        rescore_person(person_id, rules=rules, config=config)
    ScoringConfig.objects.filter(pk=config.pk).update(last_swept_touch=rows[-1][0])
    return len(rows)
