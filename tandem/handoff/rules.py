"""Marketing edits the scoring rules and the MQL threshold; the contract's terms (SLA hours,
working calendar, caps) are edited by marketing managers, sales managers and admins."""

from django.db import transaction

from tandem.core import access, activity
from tandem.core.errors import Forbidden, Invalid, NotFound
from tandem.core.roles import MARKETING_ROLES, Role
from tandem.handoff.models import ScoringConfig, ScoringRule
from tandem.handoff.scoring import clean_rule
from tandem.marketing.models import Program

CONFIG_FIELDS = {
    "mql_threshold": (1, 100_000),
    "sla_business_hours": (1, 240),
    "work_start_hour": (0, 23),
    "work_end_hour": (1, 24),
    "max_open_per_rep": (1, 10_000),
    "stale_after_days": (1, 365),
}


def can_edit(actor) -> bool:
    return access.is_admin(actor) or getattr(actor, "role", None) in (
        *MARKETING_ROLES,
        Role.SALES_MANAGER,
    )


def can_see_predictive(actor) -> bool:
    return access.is_admin(actor) or getattr(actor, "role", None) in (
        *MARKETING_ROLES,
        Role.SALES_MANAGER,
    )


def require_edit(actor) -> None:
    if not can_edit(actor):
        raise Forbidden("Marketing (or a sales manager) edits the scoring rules.")


def rule_list():
    return ScoringRule.objects.select_related("program").order_by("kind", "id")


def config() -> ScoringConfig:
    return ScoringConfig.get()


def _int(raw, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid(f"{name.replace('_', ' ')} is a whole number.", field=name) from None
    if not low <= value <= high:
        raise Invalid(f"{name.replace('_', ' ')} is {low} to {high}.", field=name)
    return value


@transaction.atomic
def rule_create(*, actor, via: str = "ui", data) -> ScoringRule:
    require_edit(actor)
    program = None
    if data.get("program"):
        program = Program.objects.filter(pk=_int(data["program"], "program", 1, 2**62)).first()
        if program is None:
            raise Invalid("No such program.", field="program")
    clean = clean_rule(
        {
            "kind": data.get("kind"),
            "attribute": (data.get("attribute") or "")[:40],
            "value": (data.get("value") or "").strip()[:200],
            "touch_kind": data.get("touch_kind") or "",
            "points": _int(data.get("points"), "points", -1000, 1000),
            "half_life_days": _int(data.get("half_life_days") or 30, "half_life_days", 1, 3650),
        }
    )
    rule = ScoringRule.objects.create(program=program, **clean)
    activity.record(actor=actor, via=via, verb="scoring_rule_added", target=rule, summary=str(rule))
    return rule


@transaction.atomic
def rule_delete(*, actor, via: str = "ui", id) -> None:
    require_edit(actor)
    rule = ScoringRule.objects.filter(pk=_int(id, "rule", 1, 2**62)).first()
    if rule is None:
        raise NotFound()
    activity.record(
        actor=actor, via=via, verb="scoring_rule_removed", target=rule, summary=str(rule)
    )
    rule.delete()


@transaction.atomic
def config_update(*, actor, via: str = "ui", data) -> ScoringConfig:
    require_edit(actor)
    current = ScoringConfig.objects.select_for_update().get(pk=config().pk)
    changes = {}
    for name, (low, high) in CONFIG_FIELDS.items():
        if data.get(name) not in (None, ""):
            changes[name] = _int(data.get(name), name, low, high)
    if "work_days" in data:
        days = sorted({d for d in str(data["work_days"]).replace(" ", "").split(",") if d})
        if not days or any(d not in "0123456" or len(d) != 1 for d in days):
            raise Invalid("Working days are numbers 0 (Monday) to 6.", field="work_days")
        changes["work_days"] = ",".join(days)
    if "reassign_on_breach" in data or data.get("form") == "config":
        changes["reassign_on_breach"] = str(data.get("reassign_on_breach", "")).lower() in (
            "1", "on", "true", "yes",
        )  # fmt: skip
    start = changes.get("work_start_hour", current.work_start_hour)
    if changes.get("work_end_hour", current.work_end_hour) <= start:
        raise Invalid("The working day ends after it starts.", field="work_end_hour")
    diff = activity.apply_changes(current, changes)
    if diff:
        current.save()
        activity.record(actor=actor, via=via, verb="contract_changed", target=current, changes=diff)
    return current
