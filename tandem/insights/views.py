"""Report pages with drill-down and export, plans and their control actions, budget proposal."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from tandem.core import export, formatting
from tandem.core.errors import DomainError, Invalid
from tandem.core.replica import replica_reads
from tandem.core.web import guarded
from tandem.insights import budget, dashboard, drilldown, forms, plans, reports
from tandem.insights.models import Metric, Plan, Target
from tandem.marketing.models import Program

CELL_FORMATS = {
    "money": formatting.money,
    "num": lambda v: formatting.number(v, 2),
    "pct": formatting.percent,
    "days": lambda v: formatting.number(v, 1),
    "int": formatting.number,
}


def _query(request, *drop) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k not in drop and v != ""])


def _cells(table, request, name):
    """Rows as lists of (text, drill link or None), ready for the template."""
    base = reverse("insights:drill", args=[name])
    query = _query(request, "format", "row", "column")
    out = []
    for row in table.rows:
        cells = []
        for c in table.columns:
            value = row.get(c.key)
            text = "—" if value is None else CELL_FORMATS.get(c.kind, str)(value)
            link = None
            if c.drill and value not in (None, 0, 0.0):
                link = (
                    f"{base}?{query}&{urlencode({'row': row.get(table.key, ''), 'column': c.key})}"
                )
            cells.append((text, link, c.kind))
        out.append(cells)
    return out


@guarded
@replica_reads
def index(request):
    """Insights opens on a dashboard: each report the reader may open, with its chart over
    the last 90 days where it is quick to draw, and the funnel's headline figures."""
    return render(request, "insights/index.html", dashboard.context(request.user))


@guarded
@replica_reads
def card(request, name: str):
    """One dashboard card's chart, fetched by the card as the dashboard loads. Each is a whole
    report over 90 days, so it is kept in the cache (shared by every process with CACHE_URL)
    for TANDEM_CARD_CACHE_SECONDS, per reader: a dashboard reopened within that time does not
    compute it again."""
    key = f"insights:card:{request.user.pk}:{request.user.role}:{name}"
    context = cache.get(key)
    if context is None:
        context = dashboard.card(request.user, name)
        cache.set(key, context, settings.TANDEM_CARD_CACHE_SECONDS)
    return render(request, "insights/_card.html", context)


@guarded
@replica_reads
def report_page(request, name: str):
    report = reports.get(request.user, name)
    form, params = reports.bind(report, request.GET)
    table = report.module.report(request.user, params) if params is not None else None
    fmt = request.GET.get("format")
    if table is not None and fmt:
        return export.response(fmt, name, table.header(), table.records())
    context = {
        "report": report,
        "form": form,
        "table": table,
        "rows": _cells(table, request, name) if table else [],
        "query": _query(request, "format"),
        "params": params,
        "period": (params.since, params.until) if hasattr(params, "since") else None,
    }
    if name == "budget" and params is not None:
        context["can_accept"] = plans.can_edit(request.user)
        context["programs"] = Program.objects.order_by("name")
    status = 200 if table is not None else 400
    return render(request, "insights/report.html", context, status=status)


@replica_reads
def funnel(request):
    return report_page(request, "funnel")


@guarded
@replica_reads
def drill(request, name: str):
    row, column = request.GET.get("row", ""), request.GET.get("column", "")
    kind, ids = reports.drill(request.user, name, request.GET, row, column)
    fmt = request.GET.get("format")
    if fmt:
        rows = (r for _, r in drilldown.records(request.user, kind, ids))
        return export.response(fmt, f"{name}-{column}", drilldown.header(kind), rows)
    shown = list(drilldown.records(request.user, kind, ids, limit=drilldown.PAGE))
    context = {
        "report": reports.REPORTS[name],
        "kind": kind,
        "header": drilldown.header(kind),
        "records": shown,
        "total": len(ids),
        "visible": drilldown.visible_count(request.user, kind, ids)
        if len(shown) >= drilldown.PAGE
        else len(shown),
        "query": _query(request, "format"),
        "back": reverse("insights:report", args=[name])
        + "?"
        + _query(request, "format", "row", "column"),
        "column": column,
    }
    return render(request, "insights/drill.html", context)


# --- plans ----------------------------------------------------------------------------------


@guarded
@replica_reads
def plan_list(request):
    form = forms.PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_create(actor=request.user, **form.cleaned_data)
            return redirect("insights:plan", plan.pk)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    context = {"plans": Plan.objects.all(), "form": form, "can_edit": plans.can_edit(request.user)}
    return render(request, "insights/plans.html", context, status=400 if form.errors else 200)


PLAN_HEADER = [
    "Scope",
    "For",
    "Metric",
    "Ought",
    "Is",
    "Projected",
    "Variance",
    "Variance (%)",
    "Light",
]


@guarded
@replica_reads
def plan_detail(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    rows = plans.measure(plan)
    fmt = request.GET.get("format")
    if fmt:
        records = (
            (
                r["scope"],
                str(r["subject"]),
                r["metric"],
                r["ought"],
                r["is"],
                r["projected"],
                r["variance"],
                r["variance_pct"],
                r["light"],
            )
            for r in rows
        )
        return export.response(fmt, f"plan-{plan.pk}", PLAN_HEADER, records)
    previous = plans.previous_plan(plan)
    context = {
        "plan": plan,
        "rows": rows,
        "actions": plan.actions.select_related("author"),
        "previous": previous,
        "previous_actions": previous.actions.select_related("author") if previous else [],
        "can_edit": plans.can_edit(request.user),
        "metrics": Metric.choices,
        "action_form": forms.ActionForm(),
        **plans.subjects(),
    }
    return render(request, "insights/plan.html", context)


def _back_with(request, pk, action):
    try:
        with transaction.atomic():
            done = action()
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("insights:plan", pk)


def _pick(model, value):
    if value in (None, ""):
        return None
    try:
        return model.objects.get(pk=int(value))
    except (ValueError, model.DoesNotExist):
        raise Invalid("Pick one from the list.") from None


@guarded
@require_POST
def plan_target(request, pk: int):
    from django.contrib.auth import get_user_model

    from tandem.accounts.models import Team

    plan = get_object_or_404(Plan, pk=pk)

    def save():
        scope = request.POST.get("scope", "company")
        subject = {
            "program": lambda: {"program": _pick(Program, request.POST.get("program"))},
            "team": lambda: {"team": _pick(Team, request.POST.get("team"))},
            "rep": lambda: {"rep": _pick(get_user_model(), request.POST.get("rep"))},
            "company": dict,
        }.get(scope, dict)()
        if scope != "company" and not any(subject.values()):
            raise Invalid(f"Pick the {scope} the target is for.")
        plans.target_set(
            actor=request.user,
            plan=plan,
            metric=request.POST.get("metric", ""),
            value=request.POST.get("value", ""),
            **subject,
        )
        return "Target saved."

    return _back_with(request, pk, save)


@guarded
@require_POST
def plan_target_delete(request, pk: int, target_pk: int):
    target = get_object_or_404(Target, pk=target_pk, plan_id=pk)

    def delete():
        plans.target_delete(actor=request.user, target=target)
        return "Target removed."

    return _back_with(request, pk, delete)


@guarded
@require_POST
def plan_action(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    form = forms.ActionForm(request.POST)

    def add():
        if not form.is_valid():
            raise Invalid(reports.errors_text(form))
        plans.action_add(actor=request.user, plan=plan, **form.cleaned_data)
        return "Control action recorded."

    return _back_with(request, pk, add)


# --- budget ---------------------------------------------------------------------------------


@guarded
@require_POST
def budget_accept(request):
    reports.get(request.user, "budget")
    form = forms.BudgetForm(request.POST)
    if not form.is_valid():
        raise Invalid(reports.errors_text(form))
    target = budget.accept(actor=request.user, p=form.params())
    messages.success(request, f"The proposal is now the budget of {target.name}.")
    return redirect("insights:plan", target.pk)


@guarded
@require_POST
def budget_bound(request, program_id: int):
    reports.get(request.user, "budget")
    program = get_object_or_404(Program, pk=program_id)
    form = forms.BoundForm(request.POST)
    kept = {k: v for k, v in request.POST.items() if k in ("plan", "model", "total")}
    back = reverse("insights:report", args=["budget"]) + "?" + urlencode(kept)
    if not form.is_valid():
        messages.error(request, reports.errors_text(form))
        return redirect(back)
    try:
        budget.bound_set(actor=request.user, program=program, **form.cleaned_data)
        messages.success(request, f"Bounds of {program.name} saved.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)
