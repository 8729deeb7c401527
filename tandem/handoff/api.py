"""API for the handoff contract: every action of the inbox, the queue and the scoring page."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from ninja import Field, Query, Router, Schema, Status

from tandem.contacts.selectors import person_get_for
from tandem.core import access
from tandem.core.api_support import PageMeta, PathId, list_query, page_out
from tandem.core.errors import Forbidden
from tandem.handoff import leakage, predictive, rules, scoring, selectors, services
from tandem.handoff.models import RejectReason

HandoffsQuery = list_query("HandoffsQuery", selectors.HANDOFF_LIST)
router = Router(tags=["handoff"])


class HandoffOut(Schema):
    id: int
    person_id: PathId
    rep_id: PathId
    routed_at: datetime
    due_at: datetime
    status: str
    decided_at: datetime | None
    reason: str
    rule: str
    reject_reason: str
    recycle_on: date | None
    breached_at: datetime | None
    opportunity_id: int | None


class HandoffPage(Schema):
    items: list[HandoffOut]
    meta: PageMeta


class RejectIn(Schema):
    reason: RejectReason
    note: str = Field("", max_length=200)
    recycle_on: date | None = None


class ReassignIn(Schema):
    rep_id: PathId


class ConvertOut(Schema):
    opportunity_id: PathId
    handoff: HandoffOut


class RuleIn(Schema):
    kind: str = Field(..., pattern="^(fit|engagement)$")
    attribute: str = Field("", max_length=40)
    value: str = Field("", max_length=200)
    touch_kind: str = Field("", max_length=20)
    program: int | None = None
    points: int = Field(..., ge=-1000, le=1000)
    half_life_days: int = Field(30, ge=1, le=3650)


class RuleOut(Schema):
    id: int
    kind: str
    attribute: str
    value: str
    touch_kind: str
    program_id: int | None
    points: int
    half_life_days: int
    text: str

    @staticmethod
    def resolve_text(obj) -> str:
        return str(obj)


class ConfigIO(Schema):
    mql_threshold: int | None = Field(None, ge=1, le=100_000)
    sla_business_hours: int | None = Field(None, ge=1, le=240)
    work_start_hour: int | None = Field(None, ge=0, le=23)
    work_end_hour: int | None = Field(None, ge=1, le=24)
    work_days: str | None = Field(None, max_length=20)
    max_open_per_rep: int | None = Field(None, ge=1, le=10_000)
    reassign_on_breach: bool | None = None
    stale_after_days: int | None = Field(None, ge=1, le=365)


class ScoreOut(Schema):
    person_id: PathId
    score: int
    breakdown: list
    history: list[dict]


@router.get("/handoffs", response=HandoffPage)
def list_handoffs(request, filters: Query[HandoffsQuery]):
    """Filters: status, rep; sort: due, -routed."""
    return page_out(selectors.handoff_list(actor=request.user, params=request.GET))


@router.get("/handoffs/{handoff_id}", response=HandoffOut)
def get_handoff(request, handoff_id: PathId):
    return selectors.handoff_get_for(actor=request.user, id=handoff_id)


@router.post("/handoffs/{handoff_id}/accept", response=HandoffOut)
def accept_handoff(request, handoff_id: PathId):
    handoff = selectors.handoff_get_for(actor=request.user, id=handoff_id)
    return services.accept(actor=request.user, via="api", handoff=handoff)


@router.post("/handoffs/{handoff_id}/reject", response=HandoffOut)
def reject_handoff(request, handoff_id: PathId, payload: RejectIn):
    handoff = selectors.handoff_get_for(actor=request.user, id=handoff_id)
    return services.reject(actor=request.user, via="api", handoff=handoff, **payload.dict())


@router.post("/handoffs/{handoff_id}/convert", response=ConvertOut)
def convert_handoff(request, handoff_id: PathId):
    """Accept if still waiting, qualify to SQL, open the opportunity. Twice: the same one."""
    handoff = selectors.handoff_get_for(actor=request.user, id=handoff_id)
    opportunity = services.convert(actor=request.user, via="api", handoff=handoff)
    handoff.refresh_from_db()
    return {"opportunity_id": opportunity.pk, "handoff": handoff}


@router.post("/handoffs/{handoff_id}/reassign", response=HandoffOut)
def reassign_handoff(request, handoff_id: PathId, payload: ReassignIn):
    handoff = selectors.handoff_get_for(actor=request.user, id=handoff_id)
    rep = get_user_model().objects.filter(pk=payload.rep_id).first()
    return services.reassign(actor=request.user, via="api", handoff=handoff, rep=rep)


@router.get("/scoring/rules", response=list[RuleOut])
def list_rules(request):
    return list(rules.rule_list())


@router.post("/scoring/rules", response={201: RuleOut})
def add_rule(request, payload: RuleIn):
    return Status(201, rules.rule_create(actor=request.user, via="api", data=payload.dict()))


@router.delete("/scoring/rules/{rule_id}", response={204: None})
def remove_rule(request, rule_id: PathId):
    rules.rule_delete(actor=request.user, via="api", id=rule_id)
    return Status(204, None)


@router.get("/scoring/config", response=ConfigIO)
def get_config(request):
    return rules.config()


@router.patch("/scoring/config", response=ConfigIO)
def update_config(request, payload: ConfigIO):
    return rules.config_update(actor=request.user, via="api", data=payload.dict(exclude_none=True))


@router.get("/people/{person_id}/score", response=ScoreOut)
def person_score(request, person_id: PathId):
    person = person_get_for(actor=request.user, id=person_id)
    score = scoring.explain(person)
    history = [
        {"at": s.at, "score": s.score}
        for s in selectors.score_history(person=person)
    ]  # fmt: skip
    return {"person_id": person.pk, "score": score.total, "breakdown": score.breakdown,
            "history": history}  # fmt: skip


@router.post("/people/{person_id}/rescore", response=ScoreOut)
def rescore(request, person_id: PathId):
    """Score the person now (and hand them off if they crossed the threshold)."""
    person = person_get_for(actor=request.user, id=person_id)
    if not rules.can_edit(request.user) and not access.can_write(request.user, person, "person"):
        raise Forbidden("You may not rescore this person.")
    scoring.rescore_person(person.pk)
    return person_score(request, person_id)


class LeakageRow(Schema):
    key: str
    label: str
    counts: dict[str, int]
    median_hours: dict[str, float | None]


@router.get("/leakage", response=list[LeakageRow])
def leakage_report(request, since: date, until: date, by: str = "program"):
    """MQLs of the period by program (or by=rep): handed, accepted, SQL, won, stranded
    (unassigned, late, idle) and median hours between steps. The last row is the total."""
    rows = leakage.report(actor=request.user, since=since, until=until, by=by)
    return [
        {"key": str(r.key), "label": r.label, "counts": r.counts(), "median_hours": r.medians()}
        for r in rows
    ]


@router.get("/leakage/people", response=list[int])
def leakage_people(request, since: date, until: date, key: str, step: str, by: str = "program"):
    """The ids of the people behind one number of the report."""
    people = leakage.drill(actor=request.user, since=since, until=until, by=by, key=key, step=step)
    return list(people.values_list("pk", flat=True))


class PredictionOut(Schema):
    person_id: PathId
    probability: float | None
    factors: list
    model_auc: float | None
    trained_at: datetime | None


@router.get("/people/{person_id}/prediction", response=PredictionOut)
def person_prediction(request, person_id: PathId):
    """The predictive score and its top factors (null without a trained model)."""
    person = person_get_for(actor=request.user, id=person_id)
    stored = predictive.latest()
    result = predictive.predict(person, stored) if stored else None
    return {
        "person_id": person.pk,
        "probability": result["probability"] if result else None,
        "factors": result["factors"] if result else [],
        "model_auc": stored.auc if stored else None,
        "trained_at": stored.trained_at if stored else None,
    }
