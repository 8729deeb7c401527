"""Settings → Pipelines and Quotas: the sales process and targets, set up in the app."""

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.core.errors import DomainError, Forbidden
from tandem.core.periods import quarter_of
from tandem.core.web import guarded
from tandem.sales import setup
from tandem.sales.models import Pipeline, Quota, Stage, StageKind


def _require(request):
    if not setup.may_configure(request.user):
        raise Forbidden("Admins and sales managers set up the sales process.")


def _done(request, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(f"{request.path.rsplit('/', 3)[0]}/pipelines/{anchor}")


@guarded
def pipelines(request):
    _require(request)
    context = {
        "pipelines": Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name"),
        "kinds": StageKind.choices,
    }
    return render(request, "sales/settings_pipelines.html", context)


def _act(request, work, message: str):
    _require(request)
    try:
        work()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("settings:pipelines")


@require_POST
@guarded
def pipeline_new(request):
    return _act(
        request,
        lambda: setup.pipeline_create(actor=request.user, name=request.POST.get("name", "")),
        "Pipeline created with the default's stages: rename them as you need.",
    )


@require_POST
@guarded
def pipeline_default(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    return _act(
        request,
        lambda: setup.pipeline_make_default(actor=request.user, pipeline=pipeline),
        f"{pipeline.name} is now the default pipeline.",
    )


@require_POST
@guarded
def stage_new(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    post = request.POST
    return _act(
        request,
        lambda: setup.stage_add(
            actor=request.user,
            pipeline=pipeline,
            name=post.get("name", ""),
            probability=post.get("probability"),
            kind=post.get("kind", ""),
        ),
        "Stage added.",
    )


@require_POST
@guarded
def stage_edit(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    post = request.POST
    step = {"up": -1, "down": 1}.get(post.get("move", ""))
    if step:
        return _act(
            request,
            lambda: setup.stage_move(actor=request.user, stage=stage, step=step),
            f"{stage.name} moved.",
        )
    if post.get("delete"):
        return _act(
            request,
            lambda: setup.stage_delete(actor=request.user, stage=stage),
            f"{stage.name} deleted.",
        )
    return _act(
        request,
        lambda: setup.stage_update(
            actor=request.user,
            stage=stage,
            name=post.get("name", ""),
            probability=post.get("probability"),
            kind=post.get("kind", ""),
        ),
        "Stage saved.",
    )


@require_POST
@guarded
def stage_order(request, pk: int):
    """The order a drag left (stage ids, comma-separated)."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    ids = [int(i) for i in request.POST.get("order", "").split(",") if i.strip().isdigit()]
    return _act(
        request,
        lambda: setup.stage_reorder(actor=request.user, pipeline=pipeline, ids=ids),
        "Order saved.",
    )


def _quarter(request) -> date:
    raw = request.GET.get("quarter") or request.POST.get("quarter") or ""
    try:
        return quarter_of(date.fromisoformat(raw))[0]
    except ValueError:
        return quarter_of(timezone.localdate())[0]


def _shift(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@guarded
def quotas(request):
    _require(request)
    start = _quarter(request)
    people = list(setup.quota_people(request.user))
    if request.method == "POST":
        if request.FILES.get("file"):
            text = request.FILES["file"].read(1_000_000).decode("utf-8-sig", errors="replace")
            saved, errors = setup.quotas_from_csv(actor=request.user, text=text)
            messages.success(
                request, f"{saved} quota{'s' if saved != 1 else ''} saved from the file."
            )
            for error in errors[:10]:
                messages.error(request, error)
        else:
            for person in people:
                key = f"q-{person.pk}"
                if key in request.POST:
                    try:
                        setup.quota_set(
                            actor=request.user, user=person, start=start, amount=request.POST[key]
                        )
                    except DomainError as exc:
                        messages.error(request, f"{person}: {exc.message}")
            messages.success(request, "Quotas saved.")
        return redirect(f"{request.path}?quarter={start.isoformat()}")
    current = dict(
        Quota.objects.filter(
            user__in=people, period_kind="quarter", period_start=start
        ).values_list("user_id", "amount")
    )
    quarters = [_shift(start, months) for months in (-3, 0, 3, 6)]
    context = {
        "rows": [(p, current.get(p.pk)) for p in people],
        "start": start,
        "quarters": quarters,
        "total": sum(current.values()),
    }
    return render(request, "sales/settings_quotas.html", context)


@guarded
def territories(request):
    """Settings → Territories: list, add, change and delete them."""
    from tandem.accounts.models import Team
    from tandem.sales.models import Territory

    _require(request)
    errors, posted = {}, {}
    if request.method == "POST":
        posted = request.POST
        pk = request.POST.get("territory")
        territory = get_object_or_404(Territory, pk=pk) if pk else None
        try:
            if request.POST.get("delete") and territory is not None:
                setup.territory_delete(actor=request.user, territory=territory)
                messages.success(request, f"Territory {territory.name} deleted.")
            else:
                data = {
                    "name": request.POST.get("name", ""),
                    "countries": request.POST.get("countries", ""),
                    "industries": request.POST.get("industries", ""),
                    "team": request.POST.get("team") or None,
                }
                saved = setup.territory_save(actor=request.user, data=data, territory=territory)
                messages.success(request, f"Territory {saved.name} saved.")
            return redirect("settings:territories")
        except DomainError as exc:
            errors = {"key": pk or "new", "field": exc.field, "message": exc.message}
    context = {
        "territories": Territory.objects.select_related("team").order_by("name"),
        "teams": Team.objects.filter(function="sales").order_by("name"),
        "errors": errors,
        "posted": posted,
    }
    status = 400 if errors else 200
    return render(request, "sales/settings_territories.html", context, status=status)
