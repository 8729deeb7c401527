from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from tandem.core.api_support import Id, PageMeta
from tandem.sales.models import ActivityKind, DistributionChannel, ForecastCategory


class OpportunityIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    organization_id: Id
    person_id: Id | None = None
    owner_id: Id | None = None
    stage_id: Id | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    expected_close: date
    channel: DistributionChannel = DistributionChannel.DIRECT_SELLING
    forecast_category: ForecastCategory = ForecastCategory.PIPELINE


class OpportunityPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    loss_reason_id: Id | None = None
    lost_to_id: Id | None = None
    person_id: Id | None = None
    owner_id: Id = None
    stage_id: Id = None
    amount: Decimal = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(None, pattern=r"^[A-Z]{3}$")
    expected_close: date = None
    channel: DistributionChannel = None
    forecast_category: ForecastCategory = None


class OpportunityOut(Schema):
    id: int
    name: str
    organization_id: int
    person_id: int | None
    owner_id: int
    pipeline_id: int
    stage_id: int
    stage_name: str = Field(..., alias="stage.name")
    amount: Decimal
    currency: str
    expected_close: date
    channel: str
    forecast_category: str
    partner_id: int | None
    loss_reason_id: int | None
    lost_to_id: int | None
    created_at: datetime
    closed_at: datetime | None


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    meta: PageMeta


class ActivityIn(Schema):
    kind: ActivityKind
    subject: str = Field(..., min_length=1, max_length=200)
    notes: str = Field("", max_length=10000)
    due_at: datetime
    selling: bool = True
    owner_id: Id | None = None
    person_id: Id | None = None
    organization_id: Id | None = None
    opportunity_id: Id | None = None


class ActivityPatch(Schema):
    kind: ActivityKind = None
    subject: str = Field(None, min_length=1, max_length=200)
    notes: str = Field(None, max_length=10000)
    due_at: datetime = None
    done_at: datetime | None = None
    selling: bool = None


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    notes: str
    due_at: datetime
    done_at: datetime | None
    selling: bool
    owner_id: int
    person_id: int | None
    organization_id: int | None
    opportunity_id: int | None


class ActivityPage(Schema):
    items: list[ActivityOut]
    meta: PageMeta


class BulkMoveIn(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=500)
    stage_id: Id
    loss_reason_id: Id | None = None
    lost_to_id: Id | None = None


class BulkResult(Schema):
    moved: list[int]
    failed: dict[int, str]


class HistoryStepIn(Schema):
    stage_id: Id
    entered_at: datetime


class OpportunityHistoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    organization_id: Id
    person_id: Id | None = None
    owner_id: Id | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    expected_close: date
    channel: DistributionChannel = DistributionChannel.DIRECT_SELLING
    opened_at: datetime
    stages: list[HistoryStepIn] = Field(
        ..., min_length=1, max_length=50, description="Oldest first; the last is where it is"
    )
    loss_reason_id: Id | None = None
    lost_to_id: Id | None = None
