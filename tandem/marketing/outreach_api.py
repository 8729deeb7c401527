"""API for forms, segments, campaigns and the suppression list."""

from ninja import Query, Router, Status

from tandem.contacts.schemas import PersonPage
from tandem.contacts.selectors import person_get_for
from tandem.core import access, listing
from tandem.core.api_support import (
    PageQuery,
    PathId,
    QueryId,
    SearchPageQuery,
    idempotent_create,
    list_query,
    page_out,
    resolve_refs,
)
from tandem.core.errors import Conflict
from tandem.marketing import campaigns, capture, segments, selectors, sending, tracking
from tandem.marketing.outreach_schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CampaignStats,
    CountIn,
    CountOut,
    FormIn,
    FormOut,
    FormPage,
    FormPatch,
    PreviewOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
    SendIn,
    SubmissionOut,
    SuppressionPage,
    SuppressionsIn,
    SuppressionsOut,
    TestIn,
)

NamedQuery = list_query("NamedQuery", selectors.NAMED_LIST)
router = Router(tags=["outreach"])


def _program(actor):
    return lambda pk: selectors.program_get_for(actor=actor, id=pk, action=access.WRITE)


# --- forms -----------------------------------------------------------------------------------


@router.get("/forms", response=FormPage)
def list_forms(request, filters: Query[NamedQuery]):
    """Filters: owner; q searches the name; sort: -created, name."""
    return page_out(selectors.form_list(actor=request.user, params=request.GET))


@router.post("/forms", response={200: FormOut, 201: FormOut})
def create_form(request, payload: FormIn):
    data = resolve_refs(payload.dict(), {"program": _program(request.user)})
    return idempotent_create(
        request,
        lambda: capture.form_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.form_get_for(actor=request.user, id=pk),
    )


@router.get("/forms/{form_id}", response=FormOut)
def get_form(request, form_id: PathId):
    return selectors.form_get_for(actor=request.user, id=form_id)


@router.patch("/forms/{form_id}", response=FormOut)
def update_form(request, form_id: PathId, payload: FormPatch):
    form = selectors.form_get_for(actor=request.user, id=form_id, action=access.WRITE)
    data = payload.dict(exclude_unset=True)
    return capture.form_update(actor=request.user, via="api", form=form, data=data)


@router.get("/forms/{form_id}/submissions", response=list[SubmissionOut])
def form_submissions(request, form_id: PathId):
    """The latest 50 submissions."""
    form = selectors.form_get_for(actor=request.user, id=form_id)
    return [
        {**s.__dict__, "awaiting_confirmation": bool(s.confirm_token and not s.confirmed_at)}
        for s in selectors.submissions_of(form=form)
    ]


# --- segments --------------------------------------------------------------------------------


@router.get("/segments", response=SegmentPage)
def list_segments(request, filters: Query[NamedQuery]):
    return page_out(selectors.segment_list(actor=request.user, params=request.GET))


def _conditions_of(data: dict):
    """`rules` (the tree) wins over `conditions` (the flat form)."""
    return data["rules"] if data.get("rules") is not None else data.get("conditions") or []


def _segment_data(data: dict) -> dict:
    if "rules" in data or "conditions" in data:
        data["conditions"] = _conditions_of(data)
    data.pop("rules", None)
    return data


@router.post("/segments", response={200: SegmentOut, 201: SegmentOut})
def create_segment(request, payload: SegmentIn):
    data = _segment_data(payload.dict())
    return idempotent_create(
        request,
        lambda: segments.segment_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.segment_get_for(actor=request.user, id=pk),
    )


@router.post("/segments/count", response=CountOut)
def count_segment(request, payload: CountIn):
    """The live count for conditions not saved yet."""
    access.require_see(request.user, "segment")
    conditions = segments.clean(_conditions_of(payload.dict()))
    people = access.scope(request.user, segments.people(conditions), "person")
    return {"count": people.count(), "description": segments.describe(conditions)}


@router.get("/segments/{segment_id}", response=SegmentOut)
def get_segment(request, segment_id: PathId):
    return selectors.segment_get_for(actor=request.user, id=segment_id)


@router.patch("/segments/{segment_id}", response=SegmentOut)
def update_segment(request, segment_id: PathId, payload: SegmentPatch):
    segment = selectors.segment_get_for(actor=request.user, id=segment_id, action=access.WRITE)
    data = _segment_data(payload.dict(exclude_unset=True))
    return segments.segment_update(actor=request.user, via="api", segment=segment, data=data)


@router.get("/segments/{segment_id}/count", response=CountOut)
def count_saved_segment(request, segment_id: PathId):
    segment = selectors.segment_get_for(actor=request.user, id=segment_id)
    people = access.scope(request.user, segments.people(segment.conditions), "person")
    return {"count": people.count(), "description": segments.describe(segment.conditions)}


# --- campaigns -------------------------------------------------------------------------------


def _campaign_refs(actor, data: dict, clearable=()) -> dict:
    return resolve_refs(
        data,
        {
            "program": _program(actor),
            "segment": lambda pk: selectors.segment_get_for(actor=actor, id=pk),
        },
        clearable,
    )


@router.get("/campaigns", response=CampaignPage)
def list_campaigns(request, filters: Query[NamedQuery]):
    return page_out(selectors.campaign_list(actor=request.user, params=request.GET))


@router.post("/campaigns", response={200: CampaignOut, 201: CampaignOut})
def create_campaign(request, payload: CampaignIn):
    data = _campaign_refs(request.user, payload.dict())
    return idempotent_create(
        request,
        lambda: campaigns.campaign_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.campaign_get_for(actor=request.user, id=pk),
    )


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request, campaign_id: PathId):
    return selectors.campaign_get_for(actor=request.user, id=campaign_id)


@router.patch("/campaigns/{campaign_id}", response=CampaignOut)
def update_campaign(request, campaign_id: PathId, payload: CampaignPatch):
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id, action=access.WRITE)
    data = _campaign_refs(request.user, payload.dict(exclude_unset=True), ("segment",))
    return campaigns.campaign_update(actor=request.user, via="api", campaign=campaign, data=data)


@router.get("/campaigns/{campaign_id}/stats", response=CampaignStats)
def campaign_stats(request, campaign_id: PathId):
    return campaigns.stats(selectors.campaign_get_for(actor=request.user, id=campaign_id))


@router.get("/campaigns/{campaign_id}/preview", response=PreviewOut)
def campaign_preview(request, campaign_id: PathId, person_id: QueryId, variant: str = "a"):
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id)
    person = person_get_for(actor=request.user, id=person_id)
    return {"person_id": person.pk, **campaigns.preview(campaign, person, variant)}


@router.post("/campaigns/{campaign_id}/test", response={202: dict})
def campaign_test(request, campaign_id: PathId, payload: TestIn):
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id, action=access.WRITE)
    if payload.person_id:
        person = person_get_for(actor=request.user, id=payload.person_id)
    else:
        person = campaigns.audience(campaign).order_by("pk").first() or request.user
    sent = campaigns.send_test(actor=request.user, campaign=campaign, person=person, to=payload.to)
    return Status(202, {"sent": sent})


@router.post("/campaigns/{campaign_id}/send", response={202: CampaignOut})
def campaign_send(request, campaign_id: PathId, payload: SendIn):
    """Send now, or at `at`. A second call answers 409: one campaign sends once."""
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id, action=access.WRITE)
    return Status(
        202,
        campaigns.campaign_send(actor=request.user, via="api", campaign=campaign, at=payload.at),
    )


@router.post("/campaigns/{campaign_id}/cancel", response=CampaignOut)
def campaign_cancel(request, campaign_id: PathId):
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id, action=access.WRITE)
    return campaigns.campaign_cancel(actor=request.user, via="api", campaign=campaign)


@router.post("/campaigns/{campaign_id}/pick-winner", response=CampaignOut)
def campaign_pick_winner(request, campaign_id: PathId):
    campaign = selectors.campaign_get_for(actor=request.user, id=campaign_id, action=access.WRITE)
    if not sending.pick_winner(campaign.pk, actor=request.user, via="api"):
        raise Conflict("The A/B test is not running.")
    return selectors.campaign_get_for(actor=request.user, id=campaign_id)


# --- suppressions ----------------------------------------------------------------------------


@router.get("/suppressions", response=SuppressionPage)
def list_suppressions(request, filters: Query[SearchPageQuery]):
    access.require_create(request.user, "campaign")
    return page_out(selectors.suppressed_addresses(params=request.GET))


@router.post("/suppressions", response=SuppressionsOut)
def add_suppressions(request, payload: SuppressionsIn):
    return tracking.suppressions_add(actor=request.user, items=payload.dict()["items"])


@router.get("/segments/{segment_id}/people", response=PersonPage)
def segment_people(request, segment_id: PathId, paging: Query[PageQuery]):
    """The people in the segment now, paged (page, size), newest first."""
    segment = selectors.segment_get_for(actor=request.user, id=segment_id)
    people = access.scope(request.user, segments.people(segment.conditions), "person")
    number, size = listing.page_numbers(request.GET)
    page = listing.paginate(people.order_by("-created_at", "-id"), number=number, size=size)
    return page_out(page)
