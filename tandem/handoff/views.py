from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.core import access, charts
from tandem.core.errors import DomainError, Forbidden, Invalid
from tandem.core.period_form import period_from
from tandem.core.replica import replica_reads
from tandem.core.roles import Role
from tandem.core.web import guarded, next_url, render_list
from tandem.handoff import leakage as leakage_report
from tandem.handoff import rules, selectors, services, tasks
from tandem.handoff.models import HandoffStatus, RejectReason, RuleKind
from tandem.handoff.scoring import FIT_ATTRIBUTES
from tandem.marketing.models import TouchKind


@guarded
def queue(request):
    page = selectors.handoff_list(actor=request.user, params=request.GET)
    extra = {
        "statuses": HandoffStatus.choices,
        "summary": selectors.handoff_summary(actor=request.user),
        "now": timezone.now(),
    }
    return render_list(request, "handoff/queue.html", page, extra)


@guarded
def inbox(request):
    """The rep's handoffs: accept, reject with a reason, or convert to an opportunity."""
    context = {
        "waiting": selectors.inbox(actor=request.user, status=HandoffStatus.PENDING),
        "accepted": selectors.inbox(actor=request.user, status=HandoffStatus.ACCEPTED),
        "reasons": RejectReason.choices,
        "now": timezone.now(),
        "tomorrow": (timezone.localdate() + timezone.timedelta(days=1)).isoformat(),
    }
    return render(request, "handoff/inbox.html", context)


@guarded
def mqls(request):
    """Marketing's MQL queue: every MQL and where its handoff stands."""
    page = selectors.mql_list(actor=request.user, params=request.GET)
    extra = {
        "now": timezone.now(),
        "handoff_states": [
            ("unassigned", "Not handed off"),
            ("pending", "Waiting for a rep"),
            ("breached", "SLA missed"),
        ],
    }
    return render_list(request, "handoff/mqls.html", page, extra)


@guarded
def sla_board(request):
    selectors.require_manager(request.user)
    context = {
        "rows": selectors.sla_board(actor=request.user),
        "overdue": selectors.overdue(actor=request.user),
        "reps": get_user_model().objects.filter(role=Role.SALES_REP, is_active=True),
        "now": timezone.now(),
    }
    return render(request, "handoff/sla.html", context)


def _act(request, pk: int, action, done: str, back: str = "handoff:inbox"):
    handoff = selectors.handoff_get_for(actor=request.user, id=pk)
    try:
        result = action(handoff)
        messages.success(request, done)
        if hasattr(result, "get_absolute_url") and result.__class__.__name__ == "Opportunity":
            return redirect(result.get_absolute_url())
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, reverse(back)))


@require_POST
@guarded
def accept(request, pk: int):
    return _act(request, pk, lambda h: services.accept(actor=request.user, handoff=h), "Accepted.")


@require_POST
@guarded
def reject(request, pk: int):
    raw = request.POST.get("recycle_on") or ""
    try:
        recycle_on = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Invalid("The recycle date is not a date.") from None
    return _act(
        request,
        pk,
        lambda h: services.reject(
            actor=request.user,
            handoff=h,
            reason=request.POST.get("reason", ""),
            note=(request.POST.get("note") or "")[:200],
            recycle_on=recycle_on,
        ),
        "Rejected: the lead is back in marketing's nurture.",
    )


@require_POST
@guarded
def convert(request, pk: int):
    return _act(
        request,
        pk,
        lambda h: services.convert(actor=request.user, handoff=h),
        "Converted: the opportunity is yours.",
    )


@require_POST
@guarded
def reassign(request, pk: int):
    rep = get_user_model().objects.filter(pk=request.POST.get("rep") or 0).first()
    return _act(
        request,
        pk,
        lambda h: services.reassign(actor=request.user, handoff=h, rep=rep),
        "Reassigned.",
        back="handoff:sla",
    )


@guarded
def scoring(request):
    """Marketing's scoring rules and the contract's terms."""
    can_edit = rules.can_edit(request.user)
    if request.method == "POST":
        rules.require_edit(request.user)
        try:
            if request.POST.get("form") == "config":
                rules.config_update(actor=request.user, data=request.POST)
            elif request.POST.get("delete"):
                rules.rule_delete(actor=request.user, id=request.POST["delete"])
            else:
                rules.rule_create(actor=request.user, data=request.POST)
            messages.success(request, "Saved.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("handoff:scoring")
    config = rules.config()
    context = {
        "rules": rules.rule_list(),
        "config": config,
        "can_edit": can_edit,
        "kinds": RuleKind.choices,
        "attributes": [(k, label) for k, (label, _) in FIT_ATTRIBUTES.items()],
        "touch_kinds": TouchKind.choices,
        "programs": selectors.programs(),
    }
    return render(request, "handoff/scoring.html", context)


@guarded
@replica_reads
def scoring_scores(request):
    """Today's scores in bands with the MQL line, a pass over every person: fetched by the
    scoring page once shown."""
    access.require_see(request.user, "person")
    threshold = rules.config().mql_threshold
    distribution = selectors.score_distribution(actor=request.user, threshold=threshold)
    chart = charts.spec(
        "bar", distribution["labels"], [("People", distribution["counts"])], format="number"
    )
    return render(
        request, "handoff/_scoring_scores.html", {"preview": distribution, "chart": chart}
    )


@guarded
def scoring_preview(request):
    """How many people a threshold would put at or above the MQL line, before saving it."""
    access.require_see(request.user, "person")
    try:
        threshold = max(1, min(int(request.GET.get("mql_threshold", "")), 100000))
    except ValueError:
        raise Invalid("The threshold is a whole number of points.") from None
    preview = selectors.score_distribution(actor=request.user, threshold=threshold)
    return render(request, "handoff/_scoring_preview.html", {"preview": preview})


@guarded
@replica_reads
def leakage(request):
    """MQLs of a period by program or rep, how far they got, where they are stuck."""
    form, since, until = period_from(request.GET)
    by = "rep" if request.GET.get("by") == "rep" else "program"
    step, key = request.GET.get("step"), request.GET.get("key")
    context = {
        "form": form,
        "by": by,
        "since": since,
        "until": until,
        "rows": leakage_report.report(actor=request.user, since=since, until=until, by=by),
        "steps": leakage_report.STEPS,
        "stranded": leakage_report.STRANDED,
    }
    if step and key:
        people = leakage_report.drill(
            actor=request.user, since=since, until=until, by=by, key=key, step=step
        )
        context.update(drill=people[:500], drill_total=people.count(), step=step, key=key)
    return render(request, "handoff/leakage.html", context)


@guarded
def predictive_page(request):
    """The predictive score: how good the model in use is, what it reads, and its history."""
    if not rules.can_see_predictive(request.user):
        raise Forbidden("The predictive score is for marketing, sales managers and admins.")
    from tandem.handoff.models import PredictiveModel

    models_ = list(
        PredictiveModel.objects.select_related("trained_by").order_by("-trained_at")[:10]
    )
    current = next((m for m in models_ if m.in_use), None)
    weights = current.weights[:12] if current else []
    top = max((w["auc_drop"] for w in weights), default=0) or 1
    context = {
        "current": current,
        "models": models_,
        "weights": [{**w, "share": max(0, round(100 * w["auc_drop"] / top))} for w in weights],
        "can_train": rules.can_edit(request.user),
        "training": tasks.retrain_pending(),
    }
    return render(request, "handoff/predictive.html", context)


@require_POST
@guarded
def predictive_train(request):
    rules.require_edit(request.user)
    tasks.retrain_start(request.user)
    messages.success(request, "Training has started in the background; it takes a minute or two.")
    return redirect("handoff:predictive")
