from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from tandem.core.api_support import Id, PageMeta
from tandem.marketing.models import Channel, ProgramStatus, TouchKind

Currency = Field("USD", pattern=r"^[A-Z]{3}$")


class ProgramIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    channel: Channel
    status: ProgramStatus = ProgramStatus.PLANNED
    budget: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Currency
    start_date: date
    end_date: date | None = None
    call_to_action: str = Field("", max_length=300)
    target_segment: str = Field("", max_length=300)
    owner_id: Id | None = None


class ProgramPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    channel: Channel = None
    status: ProgramStatus = None
    budget: Decimal = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(None, pattern=r"^[A-Z]{3}$")
    start_date: date = None
    end_date: date | None = None
    call_to_action: str = Field(None, max_length=300)
    target_segment: str = Field(None, max_length=300)


class ProgramOut(Schema):
    id: int
    name: str
    channel: str
    status: str
    budget: Decimal
    currency: str
    start_date: date
    end_date: date | None
    call_to_action: str
    target_segment: str
    owner_id: int | None
    created_at: datetime


class ProgramPage(Schema):
    items: list[ProgramOut]
    meta: PageMeta


class CostIn(Schema):
    incurred_on: date
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    description: str = Field("", max_length=200)


class CostOut(Schema):
    id: int
    program_id: int
    incurred_on: date
    amount: Decimal
    currency: str
    description: str


class TouchFields(Schema):
    """What a touch says about itself, whoever sends it."""

    program_id: int | None = None
    kind: TouchKind
    occurred_at: datetime | None = None
    utm_source: str = Field("", max_length=200)
    utm_medium: str = Field("", max_length=200)
    utm_campaign: str = Field("", max_length=200)
    utm_term: str = Field("", max_length=200)
    utm_content: str = Field("", max_length=200)
    referrer: str = Field("", max_length=2000)


class TouchIn(TouchFields):
    person_id: int


class TouchOut(Schema):
    id: int
    person_id: int
    program_id: int | None
    kind: str
    occurred_at: datetime
    rep_id: int | None
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    referrer: str


class TouchPage(Schema):
    items: list[TouchOut]
    meta: PageMeta


class IngestItem(TouchFields):
    """A touch from another system, naming its person by email instead of by id."""

    email: str = Field(..., max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    title: str = Field("", max_length=150)
    country: str = Field("", max_length=2)


class IngestIn(Schema):
    items: list[IngestItem] = Field(..., min_length=1, max_length=1000)


class IngestOut(Schema):
    touches: list[int]
    people_created: int
    errors: dict[int, str]
