"""Sales' settings, for admins and sales managers: pipelines and their stages (ordered, with a
win probability and whether a stage is open, won or lost), territories, and quotas per rep
and period. Every change is audited, as any other write."""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max

from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.periods import quarter_of
from tandem.core.roles import SALES_ROLES, Role
from tandem.sales.models import Opportunity, Pipeline, Quota, Stage, StageHistory, StageKind


def may_configure(actor) -> bool:
    return access.is_admin(actor) or getattr(actor, "role", "") == Role.SALES_MANAGER


def _require(actor) -> None:
    if not may_configure(actor):
        raise Forbidden("Admins and sales managers set up the sales process.")


def _check_stage(name: str, probability, kind: str) -> tuple[str, int]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("A stage needs a name of 1 to 100 characters.", field="name")
    try:
        probability = int(probability)
    except (TypeError, ValueError):
        raise Invalid("The win probability is a whole percentage.", field="probability") from None
    if not 0 <= probability <= 100:
        raise Invalid("The win probability is between 0% and 100%.", field="probability")
    if kind not in StageKind.values:
        raise Invalid("A stage is open, won or lost.", field="kind")
    return name, probability


@transaction.atomic
def pipeline_create(*, actor, name: str, via: str = "ui") -> Pipeline:
    """A new pipeline starts with the default pipeline's stages, ready to rename."""
    _require(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("A pipeline needs a name of 1 to 100 characters.", field="name")
    try:
        with transaction.atomic():
            pipeline = Pipeline.objects.create(name=name, is_default=not Pipeline.objects.exists())
    except IntegrityError:
        raise Conflict("A pipeline with this name exists.", field="name") from None
    model = Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).first()
    for stage in model.stages.order_by("order") if model else []:
        Stage.objects.create(
            pipeline=pipeline,
            name=stage.name,
            order=stage.order,
            probability=stage.probability,
            kind=stage.kind,
        )
    activity.record(actor=actor, via=via, verb="created", target=pipeline, summary=name)
    return pipeline


@transaction.atomic
def pipeline_make_default(*, actor, pipeline: Pipeline, via: str = "ui") -> Pipeline:
    _require(actor)
    Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
    Pipeline.objects.filter(pk=pipeline.pk).update(is_default=True)
    activity.record(
        actor=actor, via=via, verb="made_default", target=pipeline, summary=pipeline.name
    )
    pipeline.refresh_from_db()
    return pipeline


@transaction.atomic
def stage_add(*, actor, pipeline: Pipeline, name: str, probability, kind: str, via="ui"):
    _require(actor)
    name, probability = _check_stage(name, probability, kind)
    if pipeline.stages.filter(name__iexact=name).exists():
        raise Conflict("This pipeline has a stage of that name.", field="name")
    last = pipeline.stages.aggregate(m=Max("order"))["m"] or 0
    stage = Stage.objects.create(
        pipeline=pipeline, name=name, order=last + 1, probability=probability, kind=kind
    )
    activity.record(actor=actor, via=via, verb="created", target=stage, summary=name)
    return stage


@transaction.atomic
def stage_update(*, actor, stage: Stage, name: str, probability, kind: str, via: str = "ui"):
    _require(actor)
    name, probability = _check_stage(name, probability, kind)
    if stage.pipeline.stages.filter(name__iexact=name).exclude(pk=stage.pk).exists():
        raise Conflict("This pipeline has a stage of that name.", field="name")
    if kind != stage.kind and Opportunity.objects.filter(stage=stage).exists():
        raise Conflict(
            "Deals are in this stage: it stays open, won or lost as it is.", field="kind"
        )
    changes = activity.apply_changes(
        stage, {"name": name, "probability": probability, "kind": kind}
    )
    if changes:
        stage.save()
        activity.record(actor=actor, via=via, verb="updated", target=stage, changes=changes)
    return stage


@transaction.atomic
def stage_reorder(*, actor, pipeline: Pipeline, ids: list[int], via: str = "ui") -> None:
    """Put the pipeline's stages in the order of `ids` (every stage, each once)."""
    _require(actor)
    stages = {s.pk: s for s in pipeline.stages.select_for_update()}
    if sorted(ids) != sorted(stages):
        raise Invalid("Give every stage of the pipeline once.", field="order")
    offset = len(stages) + 100  # move out of the way first: (pipeline, order) is unique
    for i, pk in enumerate(ids, start=1):
        Stage.objects.filter(pk=pk).update(order=offset + i)
    for i, pk in enumerate(ids, start=1):
        Stage.objects.filter(pk=pk).update(order=i)
    activity.record(
        actor=actor,
        via=via,
        verb="reordered",
        target=pipeline,
        summary=" → ".join(stages[pk].name for pk in ids)[:300],
    )


def stage_move(*, actor, stage: Stage, step: int) -> None:
    """One place up (-1) or down (+1): the keyboard's way to drag."""
    ids = list(stage.pipeline.stages.order_by("order").values_list("pk", flat=True))
    i = ids.index(stage.pk)
    j = min(max(i + step, 0), len(ids) - 1)
    ids[i], ids[j] = ids[j], ids[i]
    stage_reorder(actor=actor, pipeline=stage.pipeline, ids=ids)


@transaction.atomic
def stage_delete(*, actor, stage: Stage, via: str = "ui") -> None:
    _require(actor)
    used = StageHistory.objects.filter(stage=stage).exists()
    if used or Opportunity.objects.filter(stage=stage).exists():
        raise Conflict("Deals have been in this stage: rename it instead of deleting it.")
    kinds = list(stage.pipeline.stages.exclude(pk=stage.pk).values_list("kind", flat=True))
    if stage.kind != StageKind.OPEN and stage.kind not in kinds:
        raise Conflict("A pipeline keeps a won and a lost stage.")
    activity.record(
        actor=actor, via=via, verb="deleted", target=stage.pipeline, summary=f"stage {stage.name}"
    )
    stage.delete()


# --- quotas ---------------------------------------------------------------------------------


def quota_people(actor):
    """Whose quotas the actor sets: a manager their team's sales people, an admin everyone in
    sales."""
    users = get_user_model().objects.filter(is_active=True, role__in=SALES_ROLES)
    if not access.is_admin(actor) and actor.team_id:
        users = users.filter(team_id=actor.team_id)
    return users.order_by("first_name", "last_name")


def _amount(raw) -> Decimal | None:
    text = str(raw or "").replace(",", "").replace("$", "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Invalid(f"“{str(raw)[:20]}” is not an amount.", field="amount") from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise Invalid("A quota is between 0 and a trillion.", field="amount")
    return amount


@transaction.atomic
def quota_set(*, actor, user, start: date, amount, via: str = "ui") -> Quota | None:
    """Set (or, with an empty amount, remove) the user's quota for the quarter of `start`."""
    _require(actor)
    if not quota_people(actor).filter(pk=user.pk).exists():
        raise Forbidden(f"You do not set {user}'s quota.")
    since, until = quarter_of(start)
    value = _amount(amount)
    existing = Quota.objects.filter(user=user, period_kind="quarter", period_start=since).first()
    if value is None:
        if existing:
            existing.delete()
            activity.record(
                actor=actor,
                via=via,
                verb="quota_removed",
                target=user,
                summary=f"{since:%Y}-Q{(since.month + 2) // 3}",
            )
        return None
    if existing and existing.amount == value:
        return existing
    quota, _ = Quota.objects.update_or_create(
        user=user,
        period_kind="quarter",
        period_start=since,
        defaults={"period_end": until, "amount": value},
    )
    activity.record(
        actor=actor,
        via=via,
        verb="quota_set",
        target=user,
        summary=f"{since:%Y}-Q{(since.month + 2) // 3}: {value}",
        changes={"quota": [str(existing.amount) if existing else "", str(value)]},
    )
    return quota


def quotas_from_csv(*, actor, text: str) -> tuple[int, list[str]]:
    """Rows `username,quarter start (YYYY-MM-DD),amount`: (rows saved, errors by row)."""
    users = {u.username.lower(): u for u in quota_people(actor)}
    saved, errors = 0, []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and row[0].strip().lower() in ("username", "user", "rep")):
            continue
        if len(row) < 3:
            errors.append(f"row {number}: give username, quarter start and amount")
            continue
        user = users.get(row[0].strip().lower())
        if user is None:
            errors.append(f"row {number}: no sales user “{row[0][:40]}” whose quota you set")
            continue
        try:
            start = date.fromisoformat(row[1].strip())
            quota_set(actor=actor, user=user, start=start, amount=row[2], via="import")
            saved += 1
        except ValueError:
            errors.append(f"row {number}: “{row[1][:20]}” is not a date (YYYY-MM-DD)")
        except (Invalid, Forbidden) as exc:
            errors.append(f"row {number}: {exc.message}")
    return saved, errors


def _codes(values, what: str, field: str, pattern: str, upper: bool = True) -> list[str]:
    """A list from a list or a comma-separated text, each item checked against `pattern`."""
    import re

    items = values.split(",") if isinstance(values, str) else list(values or [])
    out = []
    for item in items:
        item = str(item).strip()
        item = item.upper() if upper else item
        if not item:
            continue
        if not re.fullmatch(pattern, item):
            raise Invalid(f"“{item[:40]}” is not a {what}.", field=field)
        if item not in out:
            out.append(item)
    return out


def _territory_data(data: dict) -> dict:
    from tandem.accounts.models import Team

    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise Invalid("A territory needs a name of 1 to 100 characters.", field="name")
    countries = _codes(data.get("countries"), "country code", "countries", r"[A-Z]{2}")
    if not countries:
        raise Invalid("A territory covers at least one country (two letters).", field="countries")
    team = data.get("team")
    if team is not None and not isinstance(team, Team):
        team = Team.objects.filter(pk=team).first()
        if team is None:
            raise Invalid("No such team.", field="team")
    return {
        "name": name,
        "countries": countries,
        "industries": _codes(
            data.get("industries"), "industry", "industries", r".{1,100}", upper=False
        ),
        "team": team,
    }


@transaction.atomic
def territory_save(*, actor, data: dict, territory=None, via: str = "ui"):
    """Create or change a territory: a name, its countries, optionally industries and the team
    that works it. Accounts fall in a territory by their country (and industry, if given)."""
    from tandem.sales.models import Territory

    _require(actor)
    clean = _territory_data(data)
    clash = Territory.objects.filter(name__iexact=clean["name"])
    if territory is not None:
        clash = clash.exclude(pk=territory.pk)
    if clash.exists():
        raise Conflict(f"A territory is already called {clean['name']}.", field="name")
    if territory is None:
        territory = Territory.objects.create(**clean)
        activity.record(actor=actor, via=via, verb="created", target=territory, summary=str(clean))
        return territory
    changes = activity.apply_changes(territory, clean)
    if changes:
        territory.save()
        activity.record(actor=actor, via=via, verb="updated", target=territory, changes=changes)
    return territory


@transaction.atomic
def territory_delete(*, actor, territory, via: str = "ui") -> None:
    _require(actor)
    activity.record(actor=actor, via=via, verb="deleted", target=territory, summary=territory.name)
    territory.delete()
