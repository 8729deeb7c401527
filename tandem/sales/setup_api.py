"""The sales process in the API, through the same services and rights as Settings: pipelines
and their stages (admins and sales managers) and quotas (a manager their team's, an admin
everyone's)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from ninja import Field, Router, Schema

from tandem.core.api_support import Id, PathId
from tandem.core.errors import NotFound
from tandem.sales import setup
from tandem.sales.models import Pipeline, Quota, Stage

router = Router(tags=["sales process"])


class StageOut(Schema):
    id: int
    name: str
    order: int
    probability: int = Field(..., description="Win probability, percent")
    kind: str = Field(..., description="open, won or lost")


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj):
        return list(obj.stages.order_by("order"))


class PipelineIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)


class StageIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    probability: int = Field(..., ge=0, le=100)
    kind: str = Field("open", description="open, won or lost")


class QuotaOut(Schema):
    id: int
    user_id: int | None
    period_start: date
    period_end: date
    amount: Decimal


class QuotaIn(Schema):
    user_id: Id
    quarter_start: date = Field(..., description="Any day of the quarter")
    amount: Decimal | None = Field(..., ge=0, max_digits=14, decimal_places=2,
                                   description="null removes the quota")  # fmt: skip


def _pipeline(pk: int) -> Pipeline:
    found = Pipeline.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@router.get("/pipelines", response=list[PipelineOut], summary="Pipelines and their stages")
def list_pipelines(request):
    return list(Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name"))


@router.post("/pipelines", response={201: PipelineOut}, summary="Add a pipeline")
def create_pipeline(request, payload: PipelineIn):
    """It starts with the default pipeline's stages, to rename."""
    return 201, setup.pipeline_create(actor=request.user, via="api", name=payload.name)


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut})
def create_stage(request, pipeline_id: PathId, payload: StageIn):
    pipeline = _pipeline(pipeline_id)
    return 201, setup.stage_add(actor=request.user, via="api", pipeline=pipeline,
                                **payload.dict())  # fmt: skip


@router.put("/stages/{stage_id}", response=StageOut, summary="Rename a stage, set its odds")
def update_stage(request, stage_id: PathId, payload: StageIn):
    stage = Stage.objects.filter(pk=stage_id).select_related("pipeline").first()
    if stage is None:
        raise NotFound()
    return setup.stage_update(actor=request.user, via="api", stage=stage, **payload.dict())


@router.get("/quotas", response=list[QuotaOut], summary="The quotas you may set")
def list_quotas(request):
    setup._require(request.user)
    people = setup.quota_people(request.user).values("pk")
    return list(Quota.objects.filter(user_id__in=people).order_by("period_start", "user_id"))


@router.put("/quotas", response={200: QuotaOut, 204: None}, summary="Set a rep's quarter quota")
def set_quota(request, payload: QuotaIn):
    """200 with the quota, or 204 when a null amount removed it."""
    user = get_user_model().objects.filter(pk=payload.user_id).first()
    if user is None:
        raise NotFound()
    quota = setup.quota_set(actor=request.user, via="api", user=user,
                            start=payload.quarter_start, amount=payload.amount)  # fmt: skip
    return (200, quota) if quota is not None else (204, None)
