from datetime import date

from django.db import transaction
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from tandem.accounts.selectors import user_get
from tandem.contacts.selectors import organization_get_for, person_get_for
from tandem.core import access, trash
from tandem.core.api_support import (
    Id,
    PageQuery,
    PathId,
    check_if_match,
    etag,
    idempotent_create,
    list_query,
    page_out,
    resolve_refs,
)
from tandem.core.errors import Invalid, NotFound
from tandem.sales import selectors, services, setup
from tandem.sales.models import (
    Competitor,
    ContactRole,
    LossReason,
    Objection,
    Opportunity,
    Pipeline,
    Stage,
)
from tandem.sales.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    ActivityPatch,
    BulkMoveIn,
    BulkResult,
    OpportunityHistoryIn,
    OpportunityIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityPatch,
)

OpportunitiesQuery = list_query("OpportunitiesQuery", selectors.OPPORTUNITY_LIST)
ActivitiesQuery = list_query("ActivitiesQuery", selectors.ACTIVITY_LIST)
router = Router(tags=["sales"])


def _refs(request, data: dict, clearable=()) -> dict:
    actor = request.user
    return resolve_refs(
        data,
        {
            "organization": lambda i: organization_get_for(actor=actor, id=i),
            "person": lambda i: person_get_for(actor=actor, id=i),
            "owner": lambda i: user_get(id=i),
            "opportunity": lambda i: selectors.opportunity_get_for(actor=actor, id=i),
        },
        clearable,
    )


def _stage(stage_id: int | None) -> Stage:
    if stage_id is None:
        stage = Stage.objects.filter(pipeline__is_default=True).order_by("order").first()
        if stage is None:
            stage = (
                Stage.objects.filter(pipeline=Pipeline.objects.first()).order_by("order").first()
            )
    else:
        stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise Invalid("No such stage.", field="stage_id")
    return stage


def _closing(loss_reason_id: int | None, lost_to_id: int | None) -> dict:
    found = {
        "loss_reason": LossReason.objects.filter(pk=loss_reason_id).first()
        if loss_reason_id
        else None,
        "lost_to": Competitor.objects.filter(pk=lost_to_id).first() if lost_to_id else None,
    }
    if loss_reason_id and found["loss_reason"] is None:
        raise Invalid("No such loss reason.", field="loss_reason_id")
    if lost_to_id and found["lost_to"] is None:
        raise Invalid("No such competitor.", field="lost_to_id")
    return found


@router.get("/opportunities", response=OpportunityPage)
def list_opportunities(request, filters: Query[OpportunitiesQuery]):
    """Filters: stage, status (open/won/lost), owner, organization, channel, close_after,
    close_before; q searches name and account;
    sort: close, -close, -amount, amount, -created, name."""
    return page_out(selectors.opportunity_list(actor=request.user, params=request.GET))


@router.post("/opportunities", response={200: OpportunityOut, 201: OpportunityOut})
def create_opportunity(request, payload: OpportunityIn):
    access.require_create(request.user, "opportunity")
    data = payload.dict(exclude_unset=True)
    stage = _stage(data.pop("stage_id", None))
    data = _refs(request, data)
    return idempotent_create(
        request,
        lambda: services.opportunity_create(actor=request.user, via="api", data=data, stage=stage),
        lambda pk: selectors.opportunity_get_for(actor=request.user, id=pk),
    )


@router.post(
    "/opportunities/history",
    response={201: OpportunityOut},
    summary="Record a deal from the past, with its stages at their times",
)
def record_opportunity(request, payload: OpportunityHistoryIn):
    """Another system's deal as it happened: opened at `opened_at`, in each of `stages` from its
    `entered_at` (oldest first; the last won or lost closes it then), with its contact person,
    so that attribution and the sales cycle read the real history. A lost one needs its reason.
    The rights are those of a new deal."""
    access.require_create(request.user, "opportunity")
    data = payload.dict(exclude_unset=True)
    steps = [(_stage(s["stage_id"]), s["entered_at"]) for s in data.pop("stages")]
    opened_at = data.pop("opened_at")
    closing = _closing(data.pop("loss_reason_id", None), data.pop("lost_to_id", None))
    opp = services.opportunity_record(
        actor=request.user, via="api", data=_refs(request, data), opened_at=opened_at,
        steps=steps, **closing,
    )  # fmt: skip
    return 201, selectors.opportunity_get_for(actor=request.user, id=opp.pk)


@router.post("/opportunities/bulk-move", response=BulkResult)
def bulk_move(request, payload: BulkMoveIn):
    """Move many deals; each follows the rules of a single move (loss reason, price policy)."""
    closing = _closing(payload.loss_reason_id, payload.lost_to_id)
    opps, refused = selectors.opportunities_for_bulk(actor=request.user, ids=payload.ids)
    errors = services.opportunity_bulk_move(
        actor=request.user, via="api", opportunities=opps, stage=_stage(payload.stage_id), **closing
    )
    failed = {i: "Not found." for i in refused} | errors
    return {"moved": [o.pk for o in opps if o.pk not in errors], "failed": failed}


@router.get("/opportunities/{opp_id}", response=OpportunityOut)
def get_opportunity(request, opp_id: PathId, response: HttpResponse):
    """The ETag header names this version: send it back as If-Match on a PATCH."""
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id)
    response["ETag"] = etag(OpportunityOut, opp)
    return opp


@router.patch("/opportunities/{opp_id}", response=OpportunityOut)
def update_opportunity(request, opp_id: PathId, payload: OpportunityPatch, response: HttpResponse):
    """With If-Match, the change applies only to that version of the deal (else 412)."""
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    data = payload.dict(exclude_unset=True)
    stage_id = data.pop("stage_id", None)
    closing = _closing(data.pop("loss_reason_id", None), data.pop("lost_to_id", None))
    with transaction.atomic():
        Opportunity.objects.select_for_update().filter(pk=opp.pk).first()  # held to the end
        check_if_match(
            request, OpportunityOut, selectors.opportunity_get_for(actor=request.user, id=opp.pk)
        )
        opp = services.opportunity_update(
            actor=request.user, via="api", opportunity=opp, data=_refs(request, data, ("person",))
        )
        if stage_id is not None:
            opp = services.opportunity_move(
                actor=request.user, via="api", opportunity=opp, stage=_stage(stage_id), **closing
            )
    opp = selectors.opportunity_get_for(actor=request.user, id=opp.pk)
    response["ETag"] = etag(OpportunityOut, opp)
    return opp


@router.get("/activities", response=ActivityPage)
def list_activities(request, filters: Query[ActivitiesQuery]):
    """Filters: kind, owner, opportunity, person, done (true/false); sort: due, -due."""
    return page_out(selectors.activity_list(actor=request.user, params=request.GET))


@router.post("/activities", response={200: ActivityOut, 201: ActivityOut})
def create_activity(request, payload: ActivityIn):
    access.require_create(request.user, "activity")
    data = _refs(request, payload.dict(exclude_unset=True))
    return idempotent_create(
        request,
        lambda: services.activity_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.activity_get_for(actor=request.user, id=pk),
    )


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request, activity_id: PathId):
    return selectors.activity_get_for(actor=request.user, id=activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut)
def update_activity(request, activity_id: PathId, payload: ActivityPatch):
    act = selectors.activity_get_for(actor=request.user, id=activity_id, action=access.WRITE)
    return services.activity_update(
        actor=request.user, via="api", act=act, data=payload.dict(exclude_unset=True)
    )


class ObjectionIn(Schema):
    objection_id: PathId
    note: str = Field("", max_length=500)
    handled: bool = False


class CompetitorIn(Schema):
    competitor_id: PathId


@router.post("/opportunities/{opp_id}/objections", response={201: dict})
def add_objection(request, opp_id: PathId, payload: ObjectionIn):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    objection = Objection.objects.filter(pk=payload.objection_id, active=True).first()
    if objection is None:
        raise Invalid("No such objection.", field="objection_id")
    row = services.objection_record(
        actor=request.user,
        via="api",
        opportunity=opp,
        objection=objection,
        note=payload.note,
        handled=payload.handled,
    )
    return Status(201, {"id": row.pk, "objection": objection.name, "handled": row.handled})


class DealContactOut(Schema):
    person_id: int
    name: str
    role: str = Field(description="contact_person for the deal's contact person, else the role")


class DealContactIn(Schema):
    person_id: PathId
    role: ContactRole


def _deal_contacts(opp) -> list[dict]:
    out = []
    if opp.person_id:
        out.append({"person_id": opp.person_id, "name": opp.person.name, "role": "contact_person"})
    for row in opp.contacts.select_related("person").order_by("role", "person_id"):
        out.append({"person_id": row.person_id, "name": row.person.name, "role": row.role})
    return out


@router.get(
    "/opportunities/{opp_id}/contacts",
    response=list[DealContactOut],
    summary="The people on a deal: its contact person and the others with their roles",
)
def deal_contacts(request, opp_id: PathId):
    return _deal_contacts(selectors.opportunity_get_for(actor=request.user, id=opp_id))


@router.post(
    "/opportunities/{opp_id}/contacts",
    response={201: list[DealContactOut]},
    summary="Put a person on a deal with a role (again: change the role)",
)
def add_deal_contact(request, opp_id: PathId, payload: DealContactIn):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    person = person_get_for(actor=request.user, id=payload.person_id)
    services.contact_add(
        actor=request.user, via="api", opportunity=opp, person=person, role=payload.role.value
    )
    return Status(201, _deal_contacts(opp))


@router.delete(
    "/opportunities/{opp_id}/contacts/{person_id}",
    response={204: None},
    summary="Take a person off a deal",
)
def remove_deal_contact(request, opp_id: PathId, person_id: PathId):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    services.contact_remove(actor=request.user, via="api", opportunity=opp, person_id=person_id)
    return Status(204, None)


@router.post("/opportunities/{opp_id}/competitors", response=dict)
def add_competitor(request, opp_id: PathId, payload: CompetitorIn):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    competitor = Competitor.objects.filter(pk=payload.competitor_id, active=True).first()
    if competitor is None:
        raise Invalid("No such competitor.", field="competitor_id")
    services.competitor_add(actor=request.user, via="api", opportunity=opp, competitor=competitor)
    return {"competitors": list(opp.competitors.values_list("pk", flat=True))}


@router.get("/activity-mix")
def activity_mix(request, since: date, until: date):
    """Per rep, selling activities against work out of position, due in the period."""
    access.require_see(request.user, "activity")
    return selectors.activity_mix(actor=request.user, since=since, until=until)


class TerritoryOut(Schema):
    id: int
    name: str
    team_id: int | None
    countries: list[str]
    industries: list[str]


class TerritoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    countries: list[str] = Field(..., min_length=1, max_length=250, description="ISO codes")
    industries: list[str] = Field(default_factory=list, max_length=100)
    team_id: Id | None = None


class TerritoryPatch(Schema):
    name: str = Field(None, min_length=1, max_length=100)
    countries: list[str] = Field(None, min_length=1, max_length=250)
    industries: list[str] = Field(None, max_length=100)
    team_id: Id | None = None


@router.get("/territories", response=list[TerritoryOut])
def territories(request):
    return list(selectors.territories())


def _territory(pk: int):
    territory = selectors.territories().filter(pk=pk).first()
    if territory is None:
        raise NotFound()
    return territory


def _territory_in(data: dict, territory=None) -> dict:
    merged = {
        "name": territory.name if territory else "",
        "countries": territory.countries if territory else [],
        "industries": territory.industries if territory else [],
        "team": territory.team_id if territory else None,
    }
    merged.update({k: v for k, v in data.items() if k != "team_id"})
    if "team_id" in data:
        merged["team"] = data["team_id"]
    return merged


@router.post("/territories", response={201: TerritoryOut}, summary="Create a territory")
def create_territory(request, payload: TerritoryIn):
    data = _territory_in(payload.dict())
    return Status(201, setup.territory_save(actor=request.user, data=data, via="api"))


@router.patch("/territories/{territory_id}", response=TerritoryOut, summary="Change a territory")
def update_territory(request, territory_id: PathId, payload: TerritoryPatch):
    territory = _territory(territory_id)
    data = _territory_in(payload.dict(exclude_unset=True), territory)
    return setup.territory_save(actor=request.user, data=data, territory=territory, via="api")


@router.delete("/territories/{territory_id}", response={204: None}, summary="Delete a territory")
def delete_territory(request, territory_id: PathId):
    setup.territory_delete(actor=request.user, territory=_territory(territory_id), via="api")
    return Status(204, None)


@router.get("/territories/{territory_id}/accounts")
def territory_accounts(request, territory_id: PathId, paging: Query[PageQuery]):
    """The territory's accounts the caller may see, with their people's last touch; paged."""
    territory = selectors.territories().filter(pk=territory_id).first()
    if territory is None:
        raise NotFound()
    page = selectors.territory_accounts(actor=request.user, territory=territory, params=request.GET)
    return {
        "items": [
            {
                "id": o.pk,
                "name": o.name,
                "country": o.country,
                "owner_id": o.owner_id,
                "last_touch": o.last_touch,
            }
            for o in page.items
        ],
        "meta": {
            "page": page.number,
            "size": page.size,
            "total": page.total,
            "total_exact": page.total_exact,
            "has_next": page.has_next,
        },
    }


@router.delete("/opportunities/{opp_id}", response={204: None}, summary="Move to the trash")
def delete_opportunity(request, opp_id: PathId):
    """With its lines, stage history and people; restorable for 30 days. Managers and admins."""
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    trash.move_to_trash(actor=request.user, via="api", obj=opp, resource="opportunity")
    return 204, None


@router.delete("/activities/{activity_id}", response={204: None}, summary="Move to the trash")
def delete_activity(request, activity_id: PathId):
    activity = selectors.activity_get_for(actor=request.user, id=activity_id, action=access.WRITE)
    trash.move_to_trash(actor=request.user, via="api", obj=activity, resource="activity")
    return 204, None
