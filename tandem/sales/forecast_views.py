"""Quota attainment, forecast and commission pages and endpoints."""

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.utils import timezone
from ninja import Router, Schema

from tandem.core import access, charts
from tandem.core.api_support import PathId
from tandem.core.errors import Invalid, NotFound
from tandem.core.web import guarded
from tandem.sales import dashboards, selectors
from tandem.sales import forecast as fc


class PeriodForm(forms.Form):
    day = forms.DateField(
        required=False, label="Quarter of", widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(choices=(("quarter", "Quarter"), ("month", "Month")), required=False)
    rep = forms.IntegerField(required=False, min_value=1)


def _period(day: date, kind: str) -> tuple[date, date]:
    if kind == "month":
        start = day.replace(day=1)
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return start, date.fromordinal(following.toordinal() - 1)
    return fc.quarter_bounds(day)


def _params(data) -> tuple[date, str, int | None]:
    form = PeriodForm(data or None)
    if data and not form.is_valid():
        raise Invalid(form.errors.as_text(), field="day")
    clean = form.cleaned_data if data else {}
    return (
        clean.get("day") or timezone.localdate(),
        clean.get("kind") or "quarter",
        clean.get("rep"),
    )


def _visible_rep(actor, rep_id: int | None):
    """The rep whose statement is asked for, if the actor may see that rep's deals."""
    if rep_id is None or rep_id == actor.pk:
        return actor
    rep = get_user_model().objects.filter(pk=rep_id, is_active=True).first()
    if rep is None or not selectors.opportunity_qs(actor).filter(owner=rep).exists():
        raise NotFound()
    return rep


def _forecast_context(actor, data) -> dict:
    access.require_see(actor, "opportunity")
    day, kind, _ = _params(data)
    since, until = _period(day, kind)
    pipeline = selectors.default_pipeline()
    opps = selectors.opportunity_qs(actor)
    reps = selectors.visible_owner_ids(actor)
    return {
        "since": since,
        "until": until,
        "kind": kind,
        "forecast": fc.forecast(opps=opps, since=since, until=until, pipeline_id=pipeline.pk)
        if pipeline
        else None,
        "attainment": fc.attainment(opps=opps, since=since, until=until, kind=kind, user_ids=reps),
        "teams": fc.team_attainment(
            opps=opps,
            since=since,
            until=until,
            kind=kind,
            team_ids=None if reps is None else [actor.team_id],
        ),
    }


@guarded
def forecast_page(request):
    context = _forecast_context(request.user, request.GET)
    context["form"] = PeriodForm(request.GET or None)
    rows = context["attainment"]
    context["attainment_chart"] = (
        charts.spec(
            "hbar",
            [r["rep"].display_name for r in rows],
            [("Won", [r["won"] for r in rows]), ("Quota", [r["quota"] for r in rows], "target")],
            links=[
                dashboards.deals_url(
                    owner=r["rep"].pk, status="won", close_after=context["since"].isoformat()
                )
                for r in rows
            ],
            format="money",
        )
        if rows
        else None
    )
    return render(request, "sales/forecast.html", context)


@guarded
def commission_page(request):
    access.require_see(request.user, "opportunity")
    day, kind, rep_id = _params(request.GET)
    since, until = _period(day, kind)
    rep = _visible_rep(request.user, rep_id)
    statement = fc.commission(
        opps=selectors.opportunity_qs(request.user), rep=rep, since=since, until=until
    )
    context = {
        "s": statement,
        "since": since,
        "until": until,
        "form": PeriodForm(request.GET or None),
    }
    return render(request, "sales/commission.html", context)


router = Router(tags=["forecast"])


class ForecastOut(Schema):
    since: date
    until: date
    deals: int
    pipeline: str
    weighted: str
    commit: str
    best_case: str
    expected: str
    low: str
    high: str


@router.get("/forecast", response=ForecastOut)
def forecast_api(request, day: date | None = None, kind: str = "quarter"):
    """The forecast for the period (quarter or month) holding `day`: weighted by stage
    probability, by the reps' commit and best-case categories, and from history with a 90% range."""
    data = {"kind": kind, **({"day": day.isoformat()} if day else {})}
    context = _forecast_context(request.user, data)
    f = context["forecast"]
    fields = ("pipeline", "weighted", "commit", "best_case", "expected", "low", "high")
    return {
        "since": context["since"],
        "until": context["until"],
        "deals": f.deals,
        **{k: str(getattr(f, k)) for k in fields},
    }


@router.get("/attainment")
def attainment_api(request, day: date | None = None, kind: str = "quarter"):
    """Quota attainment per rep and per team for the period (quarter or month) holding `day`."""
    data = {"kind": kind, **({"day": day.isoformat()} if day else {})}
    context = _forecast_context(request.user, data)
    return {
        "reps": [
            {"rep_id": r["rep"].pk, "quota": str(r["quota"]), "won": str(r["won"]), "pct": r["pct"]}
            for r in context["attainment"]
        ],
        "teams": [
            {
                "team_id": t["team"].pk,
                "quota": str(t["quota"]),
                "won": str(t["won"]),
                "pct": t["pct"],
            }
            for t in context["teams"]
        ],
    }


@router.get("/commissions/{rep_id}")
def commission_api(request, rep_id: PathId, day: date | None = None, kind: str = "quarter"):
    """The rep's commission statement for the quarter (or month) holding `day`."""
    access.require_see(request.user, "opportunity")
    day, kind, _ = _params({"kind": kind, **({"day": day.isoformat()} if day else {})})
    since, until = _period(day, kind)
    rep = _visible_rep(request.user, rep_id)
    s = fc.commission(
        opps=selectors.opportunity_qs(request.user), rep=rep, since=since, until=until
    )
    money = ("won", "quota", "within", "above", "base", "accelerated", "total")
    return {
        "rep_id": rep.pk,
        "since": since,
        "until": until,
        "plan": s["plan"].name if s["plan"] else None,
        "deals": [d.pk for d in s["deals"]],
        "pct": s["pct"],
        **{k: str(s[k]) for k in money},
    }
