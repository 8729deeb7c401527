"""API shapes for forms, segments, campaigns and suppressions."""

from datetime import datetime

from ninja import Field, Schema

from tandem.core.api_support import Id, PageMeta
from tandem.marketing import capture, segments
from tandem.marketing.models import AbMetric, BodyFormat, SuppressionReason


class FormField(Schema):
    name: str = Field(..., max_length=50, description="A person attribute or custom:<name>")
    label: str = Field("", max_length=100)
    required: bool = False


class FormIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    program_id: Id
    fields: list[FormField] = Field(default_factory=list, max_length=20)
    consent_wording: str = Field("", max_length=2000)
    consent_required: bool = False
    thank_you: str = Field("Thank you, we will be in touch.", max_length=2000)
    redirect_url: str = Field("", max_length=500)
    double_opt_in: bool = False
    is_active: bool = True


class FormPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    fields: list[FormField] = Field(None, max_length=20)
    consent_wording: str = Field(None, max_length=2000)
    consent_required: bool = None
    thank_you: str = Field(None, max_length=2000)
    redirect_url: str = Field(None, max_length=500)
    double_opt_in: bool = None
    is_active: bool = None


class FormOut(Schema):
    id: int
    name: str
    program_id: int
    key: str
    public_url: str
    fields: list[FormField]
    consent_wording: str
    consent_required: bool
    thank_you: str
    redirect_url: str
    double_opt_in: bool
    is_active: bool
    owner_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_public_url(obj) -> str:
        return capture.public_url(obj)


class FormPage(Schema):
    items: list[FormOut]
    meta: PageMeta


class SubmissionOut(Schema):
    id: int
    person_id: int
    touch_id: int | None
    at: datetime
    data: dict
    confirmed_at: datetime | None
    awaiting_confirmation: bool


class Condition(Schema):
    group: int = Field(1, ge=1, le=99, description="In the flat form: the group it belongs to.")
    field: str = Field(..., max_length=40)
    op: str = Field(..., max_length=20)
    value: str = Field("", max_length=500)
    since: str = Field("", max_length=10, description="YYYY-MM-DD")
    until: str = Field("", max_length=10, description="YYYY-MM-DD")
    last_days: int | None = Field(
        None, ge=1, le=3650, description="Dated fields: in the last N days (moves with time)."
    )


class Rule(Schema):
    """A condition of a group (its `group` number is ignored there)."""

    field: str = Field(..., max_length=40)
    op: str = Field(..., max_length=20)
    value: str = Field("", max_length=500)
    since: str = Field("", max_length=10, description="YYYY-MM-DD")
    until: str = Field("", max_length=10, description="YYYY-MM-DD")
    last_days: int | None = Field(None, ge=1, le=3650)


MATCH = Field(..., pattern="^(all|any)$", description="all: every rule holds; any: one does.")


class InnerGroup(Schema):
    match: str = MATCH
    rules: list[Rule] = Field(..., max_length=40)


class SubGroup(Schema):
    match: str = MATCH
    rules: list[Rule | InnerGroup] = Field(..., max_length=40)


class Rules(Schema):
    """Conditions as nested groups, three deep at most: {match, rules: [rule | group]}."""

    match: str = MATCH
    rules: list[Rule | SubGroup] = Field(..., max_length=40)


CONDITIONS = "The flat form: OR across numbered groups, AND within one. Give this or `rules`."


class SegmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=500)
    conditions: list[Condition] = Field(default_factory=list, max_length=40, description=CONDITIONS)
    rules: Rules | None = Field(None, description="Nested groups; wins over `conditions`.")


class SegmentPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=500)
    conditions: list[Condition] = Field(None, max_length=40, description=CONDITIONS)
    rules: Rules = Field(None, description="Nested groups; wins over `conditions`.")


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: Rules
    conditions: list[Condition] | None = Field(
        ..., description="The flat form when the rules can be written so; else null."
    )
    owner_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_rules(obj):
        return segments.as_tree(obj.conditions)

    @staticmethod
    def resolve_conditions(obj):
        return segments.flat(obj.conditions)


class SegmentPage(Schema):
    items: list[SegmentOut]
    meta: PageMeta


class CountIn(Schema):
    conditions: list[Condition] = Field(default_factory=list, max_length=40, description=CONDITIONS)
    rules: Rules | None = Field(None, description="Nested groups; wins over `conditions`.")


class CountOut(Schema):
    count: int
    description: str


class CampaignIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    program_id: Id
    segment_id: Id | None = None
    subject: str = Field(..., min_length=1, max_length=200)
    subject_b: str = Field("", max_length=200)
    body: str = Field(..., min_length=1, max_length=200_000)
    body_format: BodyFormat = BodyFormat.MARKDOWN
    require_consent: bool = True
    include_open_opportunities: bool = False
    ab_sample_percent: int = Field(20, ge=2, le=50)
    ab_metric: AbMetric = AbMetric.OPEN
    ab_wait_minutes: int = Field(240, ge=0, le=10_080)


class CampaignPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    segment_id: Id | None = None
    subject: str = Field(None, min_length=1, max_length=200)
    subject_b: str = Field(None, max_length=200)
    body: str = Field(None, min_length=1, max_length=200_000)
    body_format: BodyFormat = None
    require_consent: bool = None
    include_open_opportunities: bool = None
    ab_sample_percent: int = Field(None, ge=2, le=50)
    ab_metric: AbMetric = None
    ab_wait_minutes: int = Field(None, ge=0, le=10_080)


class CampaignOut(Schema):
    id: int
    name: str
    program_id: int
    segment_id: int | None
    subject: str
    subject_b: str
    body: str
    body_format: str
    links: list[str]
    status: str
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    require_consent: bool
    include_open_opportunities: bool
    ab_sample_percent: int
    ab_metric: str
    ab_wait_minutes: int
    ab_winner: str
    skipped: dict
    owner_id: int | None
    created_at: datetime


class CampaignPage(Schema):
    items: list[CampaignOut]
    meta: PageMeta


class CampaignStats(Schema):
    recipients: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    queued: int
    held: int
    bounced: int
    complained: int
    opened: int
    clicked: int
    unsubscribed: int
    leads: int
    mqls: int


class PreviewOut(Schema):
    person_id: int
    subject: str
    html: str
    text: str


class SendIn(Schema):
    at: datetime | None = None


class TestIn(Schema):
    to: str = Field(..., max_length=254)
    person_id: Id | None = None


class SuppressionIn(Schema):
    email: str = Field(..., max_length=254)
    reason: SuppressionReason


class SuppressionsIn(Schema):
    items: list[SuppressionIn] = Field(..., min_length=1, max_length=10_000)


class SuppressionsOut(Schema):
    added: int
    people: int
    errors: dict[int, str]


class SuppressionOut(Schema):
    email_normalized: str
    reason: str
    source: str
    at: datetime


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    meta: PageMeta
