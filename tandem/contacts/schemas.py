from datetime import datetime

from ninja import Field, Schema

from tandem.core.api_support import Id, PageMeta

CustomValues = dict[str, str | int | float | bool | None]
CUSTOM_HELP = "{key: value} of the custom fields (see /api/custom-fields); null clears one"


class PersonIn(Schema):
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    title: str = Field("", max_length=150)
    phone: str = Field("", max_length=50)
    organization_id: Id | None = None
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    owner_id: Id | None = None
    external_id: str = Field("", max_length=100, description="The id in another system")
    custom: CustomValues = Field(default_factory=dict, description=CUSTOM_HELP)


class PersonPatch(Schema):
    email: str = Field(None, max_length=254)
    first_name: str = Field(None, max_length=100)
    last_name: str = Field(None, max_length=100)
    title: str = Field(None, max_length=150)
    phone: str = Field(None, max_length=50)
    organization_id: Id | None = None
    country: str = Field(None, max_length=2)
    region: str = Field(None, max_length=100)
    city: str = Field(None, max_length=100)
    owner_id: Id | None = None
    external_id: str = Field(None, max_length=100)
    custom: CustomValues = Field(None, description=CUSTOM_HELP)
    lifecycle_stage: str = None
    stage_reason: str = Field("", max_length=300)


class PersonOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    title: str
    phone: str
    organization_id: int | None
    country: str
    region: str
    city: str
    lifecycle_stage: str
    owner_id: int | None
    score: int
    consent: str
    source_program_id: int | None
    first_touch_at: datetime | None
    custom: dict
    external_id: str
    created_at: datetime
    updated_at: datetime


class PersonPage(Schema):
    items: list[PersonOut]
    meta: PageMeta


class OrganizationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    domain: str = Field("", max_length=200)
    industry: str = Field("", max_length=100)
    size: str = Field("", max_length=10)
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    owner_id: Id | None = None
    external_id: str = Field("", max_length=100, description="The id in another system")
    custom: CustomValues = Field(default_factory=dict, description=CUSTOM_HELP)


class OrganizationPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    domain: str = Field(None, max_length=200)
    industry: str = Field(None, max_length=100)
    size: str = Field(None, max_length=10)
    country: str = Field(None, max_length=2)
    region: str = Field(None, max_length=100)
    city: str = Field(None, max_length=100)
    owner_id: Id | None = None
    external_id: str = Field(None, max_length=100)
    custom: CustomValues = Field(None, description=CUSTOM_HELP)


class OrganizationOut(Schema):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    country: str
    region: str
    city: str
    owner_id: int | None
    is_customer: bool
    custom: dict
    external_id: str
    created_at: datetime
    updated_at: datetime


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    meta: PageMeta


class CustomFieldIn(Schema):
    record_type: str = Field(..., description="person or organization")
    label: str = Field(..., min_length=1, max_length=100)
    key: str = Field("", max_length=40, description="Made from the label when left out")
    kind: str = Field("text", description="text, number, date, choice or yes_no")
    options: list[str] = Field(default_factory=list, max_length=200)
    required: bool = False
    editable_by: str = Field("everyone", description="everyone, marketing, sales or admins")


class CustomFieldPatch(Schema):
    label: str = Field(None, min_length=1, max_length=100)
    kind: str = None
    options: list[str] = Field(None, max_length=200)
    required: bool = None
    editable_by: str = None


class CustomFieldOut(Schema):
    id: int
    record_type: str
    key: str
    label: str
    kind: str
    options: list[str]
    required: bool
    editable_by: str
