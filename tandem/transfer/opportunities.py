"""Opportunities from another CRM: owners found by name (a missing rep is created without a
login, so history keeps its people), stages matched by name or by won/lost, amounts and dates
in the formats exports use."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from tandem.core.models import TimelineEntry
from tandem.core.roles import Role
from tandem.sales.models import Opportunity, Stage, StageHistory, StageKind
from tandem.transfer import fields, trail
from tandem.transfer.models import ImportRow, RowAction

NO_ACCOUNT = "No account (imported)"


def _stage_for(stages: list[Stage], raw: str) -> tuple[Stage, str]:
    wanted = raw.strip().lower()
    for stage in stages:
        if stage.name.lower() == wanted:
            return stage, ""
    for kind, words in ((StageKind.WON, ("won", "closed won")), (StageKind.LOST, ("lost",))):
        if any(w in wanted for w in words):
            return next(s for s in stages if s.kind == kind), ""
    first_open = next(s for s in stages if s.kind == StageKind.OPEN)
    return first_open, f"stage “{raw[:40]}” → {first_open.name}"


def _owners(job, names: set[str]) -> dict[str, object]:
    """Users by full name or username; a name nobody has becomes a sales rep without a login."""
    User, found = get_user_model(), {}
    for user in User.objects.all():
        for key in (user.username.lower(), user.get_full_name().lower()):
            if key:
                found.setdefault(key, user)
    for name in sorted(n for n in names if n.lower() not in found):
        first, _, last = name.partition(" ")
        username = slugify(name)[:140] or "rep"
        while User.objects.filter(username=username).exists():
            username += "-1"
        user = User.objects.create(
            username=username, first_name=first[:150], last_name=last[:150],
            role=Role.SALES_REP, password=make_password(None),
        )  # fmt: skip
        TimelineEntry.objects.create(actor=job.owner, via="import", verb="created",
                                     target_type="user", target_id=user.pk,
                                     summary=f"import {job.pk}: owner “{name}”")  # fmt: skip
        found[name.lower()] = user
    return found


def _aware(day):
    return timezone.make_aware(datetime.combine(day, time(12))) if day else None


def batch(job, pending: list) -> list[ImportRow]:
    from tandem.transfer.engine import failed_row, organizations_by_name

    stages = list(Stage.objects.filter(pipeline__is_default=True).order_by("order"))
    if not stages:
        return [failed_row(job, n, [("stage", "there is no default pipeline")]) for n, _ in pending]
    rows, parsed = [], []
    for number, cells in pending:
        data, _, errors = fields.parse_row("opportunities", job.header, job.mapping, cells)
        for required in ("name", "owner", "stage"):
            if not errors and not data.get(required):
                errors = [(required, f"the row has no {required}")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        parsed.append((number, data))
    owners = _owners(job, {d["owner"] for _, d in parsed})
    orgs = organizations_by_name(job, {d.get("organization") or NO_ACCOUNT for _, d in parsed})
    names = {d["name"] for _, d in parsed}
    existing = {o.name: o for o in Opportunity.objects.filter(name__in=names)}
    create, notes = [], {}
    for number, data in parsed:
        if data["name"] in existing or any(o.name == data["name"] for _, o in create):
            match = existing.get(data["name"])
            rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                  object_id=match.pk if match else None,
                                  message="an opportunity with this name exists"))  # fmt: skip
            continue
        stage, note = _stage_for(stages, data["stage"])
        opened = data.get("opened") or timezone.localdate()
        close = data.get("close")
        closed = stage.kind != StageKind.OPEN
        opp = Opportunity(
            name=data["name"],
            organization_id=orgs[(data.get("organization") or NO_ACCOUNT).lower()],
            owner=owners[data["owner"].lower()],
            pipeline_id=stage.pipeline_id,
            stage=stage,
            amount=data.get("amount") or 0,
            expected_close=close or opened + timedelta(days=90),
            closed_at=_aware(close or opened) if closed else None,
            created_at=_aware(opened),
        )
        opp.search_text = f"{opp.name} {data.get('organization') or ''}".lower()
        create.append((number, opp))
        notes[number] = note
    created = Opportunity.objects.bulk_create([o for _, o in create])
    StageHistory.objects.bulk_create(
        StageHistory(
            opportunity=o,
            stage_id=o.stage_id,
            entered_at=o.closed_at or o.created_at,
            actor=job.owner,
        )  # fmt: skip
        for o in created
    )
    trail.record(job, "created", "opportunity", (o.pk for o in created))
    rows += [
        ImportRow(job=job, number=n, action=RowAction.CREATED, object_id=o.pk, message=notes[n])
        for n, o in create
    ]
    return rows
