from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tandem.core.models import TimeStamped
from tandem.core.money import amount_field, currency_field, non_negative

USER = settings.AUTH_USER_MODEL


class Lookup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Competitor(Lookup):
    pass


class LossReason(Lookup):
    names_competitor = models.BooleanField(
        default=False, help_text="Closing lost for this reason requires the competitor."
    )


class Objection(Lookup):
    pass


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Closed won"
    LOST = "lost", "Closed lost"


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField(help_text="Win probability in percent.")
    kind = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_pct"),
        ]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="territories",
    )
    countries = models.JSONField(default=list, blank=True, help_text="ISO country codes.")
    regions = models.JSONField(default=list, blank=True)
    industries = models.JSONField(default=list, blank=True)
    company_sizes = models.JSONField(
        default=list, blank=True, help_text="Company size bands, like 201-1000."
    )

    class Meta:
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=100, blank=True, default="")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class PriceBook(models.Model):
    name = models.CharField(max_length=100, unique=True)
    currency = currency_field()
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(models.Model):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    list_price = amount_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_book", "product"], name="price_unique"),
            non_negative("list_price", "list_price_non_negative"),
        ]


class DiscountPolicy(models.Model):
    """Marketing's rule: the largest discount a role may give on a product family ('' = any)."""

    role = models.CharField(max_length=20)
    product_family = models.CharField(max_length=100, blank=True, default="")
    max_discount_pct = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        verbose_name_plural = "discount policies"
        constraints = [
            models.UniqueConstraint(fields=["role", "product_family"], name="policy_unique"),
            models.CheckConstraint(
                condition=Q(max_discount_pct__gte=0, max_discount_pct__lte=100),
                name="policy_pct_range",
            ),
        ]


class PartnerKind(models.TextChoices):
    RESELLER = "reseller", "Reseller"
    AFFILIATE = "affiliate", "Affiliate"
    REFERRAL = "referral", "Referral"


class Partner(models.Model):
    organization = models.OneToOneField(
        "contacts.Organization", on_delete=models.CASCADE, related_name="partner"
    )
    kind = models.CharField(max_length=10, choices=PartnerKind.choices)
    tier = models.CharField(max_length=20, default="standard")

    def __str__(self) -> str:
        return str(self.organization)


class DistributionChannel(models.TextChoices):
    DIRECT_MARKETING = "direct_marketing", "Direct marketing (self-serve)"
    DIRECT_SELLING = "direct_selling", "Direct selling (rep)"
    PARTNER = "partner", "Intermediate selling (partner)"


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    OMITTED = "omitted", "Omitted"


class Opportunity(TimeStamped):
    name = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "contacts.Organization", on_delete=models.PROTECT, related_name="opportunities"
    )
    person = models.ForeignKey(
        "contacts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    amount = amount_field()
    currency = currency_field()
    expected_close = models.DateField()
    channel = models.CharField(
        max_length=20,
        choices=DistributionChannel.choices,
        default=DistributionChannel.DIRECT_SELLING,
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    forecast_category = models.CharField(
        max_length=10, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="opportunities")
    loss_reason = models.ForeignKey(
        LossReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lost_to = models.ForeignKey(
        Competitor, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the partner registered the deal."
    )
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name_plural = "opportunities"
        constraints = [non_negative("amount", "opportunity_amount_non_negative")]
        indexes = [
            models.Index(fields=["owner", "stage", "expected_close"], name="opp_owner_idx"),
            models.Index(fields=["stage", "expected_close"], name="opp_stage_idx"),
            models.Index(fields=["closed_at"], name="opp_closed_idx"),
            models.Index(fields=["organization"], name="opp_org_idx"),
            models.Index(fields=["-created_at"], name="opp_created_idx"),
            # the list sorted by amount (largest first, read backwards): its first page
            models.Index(fields=["amount", "id"], name="opp_amount_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class StageHistory(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_history"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"], condition=Q(left_at__isnull=True), name="one_current_stage"
            )
        ]
        indexes = [models.Index(fields=["stage", "entered_at"], name="stagehist_stage_idx")]


class WinRates(models.Model):
    """The forecast's win rates (forecast.win_rates) for a pipeline and a history start, as last
    computed: every process reads them here, and a sweep computes them again every 10 minutes, so
    no reader waits for the grouped query over the whole stage history."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()
    rates = models.JSONField(default=dict)  # "stage id:age bucket" -> share of them won
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "since"], name="sales_winrates_one")
        ]


class Approval(models.TextChoices):
    IN_POLICY = "in_policy", "Within policy"
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    list_price = amount_field()
    unit_price = amount_field()
    approval = models.CharField(max_length=10, choices=Approval.choices, default=Approval.IN_POLICY)

    class Meta:
        constraints = [
            non_negative("unit_price", "line_price_non_negative"),
            non_negative("list_price", "line_list_non_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
        ]

    @property
    def discount_pct(self):
        if not self.list_price:
            return 0
        return round(100 * (self.list_price - self.unit_price) / self.list_price, 2)


class OpportunityObjection(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="objections"
    )
    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True, default="")
    handled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    CHAMPION = "champion", "Champion"
    INFLUENCER = "influencer", "Influencer"
    USER = "user", "User"
    OTHER = "other", "Other"


class OpportunityContact(models.Model):
    """A person on a deal besides its contact person (Opportunity.person), with the part they
    play in the decision; the won revenue is credited to the programs that touched any of
    them before the close (tandem.insights.journeys)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(
        "contacts.Person", on_delete=models.CASCADE, related_name="deal_roles"
    )
    role = models.CharField(max_length=20, choices=ContactRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "person"], name="one_role_per_deal")
        ]


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    TASK = "task", "Task"


class Activity(TimeStamped):
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    notes = models.TextField(blank=True, default="")
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    selling = models.BooleanField(
        default=True, help_text="Selling work, as opposed to work out of position."
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "contacts.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    organization = models.ForeignKey(
        "contacts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["owner", "done_at", "due_at"], name="activity_owner_idx"),
            models.Index(fields=["opportunity"], name="activity_opp_idx"),
            models.Index(fields=["person"], name="activity_person_idx"),
            # the activities list's order (due, then id): its first page without sorting them all
            models.Index(fields=["due_at", "id"], name="activity_due_idx"),
            # a rep's open activities by due date (my day, the home panel): with the one above
            # alone, the planner walked every due date looking for one owner's open ones
            models.Index(
                fields=["owner", "due_at"],
                name="activity_open_idx",
                condition=models.Q(done_at__isnull=True),
            ),
            models.Index(
                fields=["due_at", "id"],
                name="activity_open_due_idx",
                condition=models.Q(done_at__isnull=True),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("sales:activity", args=[self.pk])

    def __str__(self) -> str:
        return self.subject


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Quota(models.Model):
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="quotas"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="quotas"
    )
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = amount_field()
    currency = currency_field()

    class Meta:
        constraints = [
            non_negative("amount", "quota_non_negative"),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="quota_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["user", "period_kind", "period_start"], name="quota_unique_user_period"
            ),
            models.UniqueConstraint(
                fields=["team", "period_kind", "period_start"], name="quota_unique_team_period"
            ),
        ]


class DiscountRequest(models.Model):
    """A line priced beyond the rep's policy, or given away: a sales manager decides."""

    line = models.ForeignKey(OpportunityLine, on_delete=models.CASCADE, related_name="requests")
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="discount_requests"
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    discount_pct = models.DecimalField(max_digits=5, decimal_places=2)
    allowed_pct = models.DecimalField(max_digits=5, decimal_places=2)
    reason = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=Approval.choices, default=Approval.PENDING)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(status="pending"), name="one_pending_request_per_line"
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="discount_status_idx")]


class CommissionPlan(models.Model):
    """A simple plan: a base rate on won revenue up to quota, an accelerator above it."""

    name = models.CharField(max_length=100, unique=True)
    base_rate_pct = models.DecimalField(max_digits=5, decimal_places=2)
    accelerator_rate_pct = models.DecimalField(max_digits=5, decimal_places=2)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(base_rate_pct__gte=0, base_rate_pct__lte=100)
                & Q(accelerator_rate_pct__gte=0, accelerator_rate_pct__lte=100),
                name="commission_rates_pct",
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_commission_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.name
