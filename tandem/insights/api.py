"""API for insights: every report as JSON with its drill-down, plans, and the budget proposal."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from tandem.accounts.models import Team
from tandem.core.api_support import Id, PathId
from tandem.core.errors import DomainError, Invalid
from tandem.insights import budget, drilldown, forms, plans, reports
from tandem.insights.models import Plan, PlanKind, Target
from tandem.insights.tables import plain
from tandem.marketing.models import Program

router = Router(tags=["insights"])


def _report_query(name: str, *extra: str) -> type[Schema]:
    """Each report reads its own form's fields; the endpoint declares them all, so a
    misspelt parameter answers 422 instead of being ignored."""
    names = sorted({f for r in reports.REPORTS.values() for f in r.form.base_fields} | set(extra))
    fields = {
        n: (str | None, Field(None, max_length=200, description=_PARAMS.get(n, n))) for n in names
    }
    return create_model(name, __base__=Schema, **fields)


_PARAMS = {
    "since": "First day (YYYY-MM-DD)",
    "until": "Last day (YYYY-MM-DD)",
    "mode": "funnel: cohort or period",
    "by": "grouping: program, channel, segment, product, competitor (as the report offers)",
    "model": "attribution model",
    "segment": "segment id",
    "plan": "plan id (budget)",
    "row": "row key (drill)",
    "column": "column name (drill)",
}
ReportQuery = _report_query("ReportQuery")
DrillQuery = _report_query("DrillQuery")


class ReportOut(Schema):
    name: str
    title: str


class DrillOut(Schema):
    kind: str
    total: int
    visible_ids: list[int]


class PlanIn(Schema):
    kind: PlanKind
    period_start: date
    name: str = Field("", max_length=200)


class PlanOut(Schema):
    id: int
    name: str
    kind: str
    period_start: date
    period_end: date


class TargetIn(Schema):
    metric: str = Field(..., max_length=20)
    value: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    program_id: Id | None = None
    team_id: Id | None = None
    rep_id: Id | None = None


class ActionIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000)
    on: date | None = None


class ActionOut(Schema):
    id: int
    on: date
    note: str
    author_id: int | None


class BudgetIn(Schema):
    plan_id: Id
    model: str = Field("markov", max_length=20)
    total: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class BoundIn(Schema):
    minimum: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    maximum: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


@router.get("/insights/reports", response=list[ReportOut])
def list_reports(request):
    out = []
    for r in reports.REPORTS.values():
        try:
            reports.get(request.user, r.name)
        except DomainError:
            continue
        out.append({"name": r.name, "title": r.title})
    return out


@router.get("/insights/reports/{name}")
def get_report(request, name: str, params: Query[ReportQuery]):
    """Parameters as on the page (since, until, and the report's own); rows keyed for drill."""
    return reports.run(request.user, name, request.GET).as_json()


@router.get("/insights/reports/{name}/drill", response=DrillOut)
def drill_report(
    request,
    name: str,
    params: Query[DrillQuery],
    row: str = Query(..., max_length=200),
    column: str = Query(..., max_length=100),
):
    kind, ids = reports.drill(request.user, name, request.GET, row, column)
    visible = [obj.pk for obj, _ in drilldown.records(request.user, kind, ids)]
    return {"kind": kind, "total": len(ids), "visible_ids": visible}


@router.get("/plans", response=list[PlanOut])
def list_plans(request):
    return list(Plan.objects.all())


@router.post("/plans", response={201: PlanOut})
def create_plan(request, payload: PlanIn):
    return Status(201, plans.plan_create(actor=request.user, **payload.dict()))


def _row_out(r: dict) -> dict:
    t = r["target"]
    return {
        "target_id": t.pk,
        "scope": r["scope"],
        "program_id": t.program_id,
        "team_id": t.team_id,
        "rep_id": t.rep_id,
        "metric": t.metric,
        **{
            k: plain(r[k])
            for k in ("ought", "is", "projected", "variance", "variance_pct", "light")
        },
    }


@router.get("/plans/{plan_id}")
def get_plan(request, plan_id: PathId):
    """The plan with each target's Is, projection, variance and traffic light, and its actions."""
    plan = get_object_or_404(Plan, pk=plan_id)
    previous = plans.previous_plan(plan)
    return {
        **PlanOut.from_orm(plan).dict(),
        "targets": [_row_out(r) for r in plans.measure(plan)],
        "actions": [ActionOut.from_orm(a).dict() for a in plan.actions.all()],
        "previous_actions": [ActionOut.from_orm(a).dict() for a in previous.actions.all()]
        if previous
        else [],
    }


@router.post("/plans/{plan_id}/targets", response={201: dict})
def set_target(request, plan_id: PathId, payload: TargetIn):
    plan = get_object_or_404(Plan, pk=plan_id)
    subject = {}
    for field, model in (("program_id", Program), ("team_id", Team), ("rep_id", get_user_model())):
        pk = getattr(payload, field)
        if pk is not None:
            found = model.objects.filter(pk=pk).first()
            if found is None:
                raise Invalid(f"No such {field[:-3]}.", field=field)
            subject[field[:-3]] = found
    target = plans.target_set(
        actor=request.user, plan=plan, metric=payload.metric, value=payload.value, **subject
    )
    out = {
        "target_id": target.pk,
        "metric": target.metric,
        "value": float(target.value),
        "scope": target.scope,
    }
    return Status(201, out)


@router.delete("/plans/{plan_id}/targets/{target_id}", response={204: None})
def delete_target(request, plan_id: PathId, target_id: PathId):
    target = get_object_or_404(Target, pk=target_id, plan_id=plan_id)
    plans.target_delete(actor=request.user, target=target)
    return Status(204, None)


@router.post("/plans/{plan_id}/actions", response={201: ActionOut})
def add_action(request, plan_id: PathId, payload: ActionIn):
    plan = get_object_or_404(Plan, pk=plan_id)
    return Status(
        201, plans.action_add(actor=request.user, plan=plan, note=payload.note, on=payload.on)
    )


@router.post("/budget/accept", response={201: PlanOut})
def accept_budget(request, payload: BudgetIn):
    reports.get(request.user, "budget")
    form = forms.BudgetForm(
        {"plan": payload.plan_id, "model": payload.model, "total": payload.total}
    )
    if not form.is_valid():
        raise Invalid(reports.errors_text(form))
    return Status(201, budget.accept(actor=request.user, p=form.params()))


@router.put("/budget/bounds/{program_id}")
def set_bound(request, program_id: PathId, payload: BoundIn):
    reports.get(request.user, "budget")
    program = get_object_or_404(Program, pk=program_id)
    bound = budget.bound_set(
        actor=request.user, program=program, minimum=payload.minimum, maximum=payload.maximum
    )
    return {
        "program_id": program.pk,
        "minimum": float(bound.minimum),
        "maximum": None if bound.maximum is None else float(bound.maximum),
    }
