from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from tandem.core.models import TimeStamped
from tandem.core.money import amount_field, currency_field, non_negative


class Channel(models.TextChoices):
    WEB = "web", "Web pages and forms"
    EMAIL = "email", "Email"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    TRADE_SHOW = "trade_show", "Trade show"
    EVENT = "event", "Special event"
    ADVERTISING = "advertising", "Advertising"
    PR = "pr", "Public relations"
    SOCIAL = "social", "Social"
    PARTNER = "partner", "Partner / alliance"
    REFERRAL = "referral", "Referral"
    RESEARCH = "research", "Market research"


class ProgramStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class Program(TimeStamped):
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.PLANNED
    )
    budget = amount_field()
    currency = currency_field()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    call_to_action = models.CharField(max_length=300, blank=True, default="")
    target_segment = models.CharField(max_length=300, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            non_negative("budget", "program_budget_non_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="program_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["channel", "start_date"], name="program_channel_idx")]

    def get_absolute_url(self) -> str:
        return reverse("marketing:program", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class ProgramCost(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="costs")
    incurred_on = models.DateField()
    amount = amount_field()
    currency = currency_field()
    description = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [non_negative("amount", "program_cost_non_negative")]
        indexes = [models.Index(fields=["program", "incurred_on"], name="cost_program_idx")]


class ProgramTally(models.Model):
    """A change to a program's counts, over all time: its leads (people whose first touch it
    brought), how many of them reached MQL, SQL and customer (each counting a later stage too,
    as the scorecard counts them), and the amount of their won deals.

    Derived data: database triggers on insights_reach, deals and stages add a row per statement
    that changes a person's source program or stages or a won deal (migration marketing 0007),
    so writers never wait on each other for a shared counter. A program's counts are the sums
    of its rows; an hourly sweep folds them (tallies.fold). Never write it from Python
    otherwise."""

    program_id = models.BigIntegerField()
    leads = models.IntegerField(default=0)
    mqls = models.IntegerField(default=0)
    sqls = models.IntegerField(default=0)
    customers = models.IntegerField(default=0)
    won = models.DecimalField(max_digits=18, decimal_places=2, default=0)  # its leads' won deals

    class Meta:
        indexes = [models.Index(fields=["program_id"], name="tally_program_idx")]


class TouchKind(models.TextChoices):
    FORM_SUBMITTED = "form_submitted", "Form submitted"
    EMAIL_SENT = "email_sent", "Email sent"
    EMAIL_OPENED = "email_opened", "Email opened"
    EMAIL_CLICKED = "email_clicked", "Email clicked"
    EVENT_ATTENDED = "event_attended", "Event attended"
    AD_CLICKED = "ad_clicked", "Ad clicked"
    PAGE_VISITED = "page_visited", "Page visited"
    MAIL_RECEIVED = "mail_received", "Direct mail received"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"


class Touch(models.Model):
    """One interaction between a person and a program or a rep: the raw fact behind reports."""

    # Both foreign keys lead a composite index below: no separate index of their own.
    person = models.ForeignKey(
        "contacts.Person", on_delete=models.CASCADE, related_name="touches", db_index=False
    )
    program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touches",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=TouchKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    utm_source = models.CharField(max_length=200, blank=True, default="")
    utm_medium = models.CharField(max_length=200, blank=True, default="")
    utm_campaign = models.CharField(max_length=200, blank=True, default="")
    utm_term = models.CharField(max_length=200, blank=True, default="")
    utm_content = models.CharField(max_length=200, blank=True, default="")
    referrer = models.CharField(max_length=2000, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["program", "occurred_at"], name="touch_program_idx"),
            # program too: the journeys of attribution read (person, time, program) from the
            # index alone
            models.Index(fields=["person", "occurred_at", "program"], name="touch_journey_idx"),
            models.Index(fields=["occurred_at"], name="touch_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d}"


class LeadForm(TimeStamped):
    """The call to action of a program: a hosted page and an embeddable HTML form."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="forms")
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=32, unique=True, editable=False)
    fields = models.JSONField(default=list, help_text="[{name, label, required}] in order.")
    consent_wording = models.TextField(blank=True, default="")
    consent_required = models.BooleanField(default=False)
    thank_you = models.TextField(default="Thank you, we will be in touch.")
    redirect_url = models.CharField(max_length=500, blank=True, default="")
    double_opt_in = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def get_absolute_url(self) -> str:
        return reverse("marketing:form", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """One accepted form submission; repeats within ten minutes fold into the first."""

    form = models.ForeignKey(
        LeadForm, on_delete=models.CASCADE, related_name="submissions", db_index=False
    )  # submission_form_idx leads with it
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    # no database constraint: the touch table is partitioned on PostgreSQL (partitions.py)
    touch = models.ForeignKey(
        Touch, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    fingerprint = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    confirm_token = models.CharField(max_length=43, null=True, blank=True, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["form", "fingerprint", "at"], name="submission_repeat_idx"),
            models.Index(fields=["form", "-at"], name="submission_form_idx"),
        ]


class Segment(TimeStamped):
    """A saved audience: OR over groups, AND within a group, of allow-listed conditions."""

    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True, default="")
    conditions = models.JSONField(default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def get_absolute_url(self) -> str:
        return reverse("marketing:segment", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    TESTING = "testing", "A/B sample sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "Simple HTML"


class AbMetric(models.TextChoices):
    OPEN = "open", "Open rate"
    CLICK = "click", "Click rate"


class Campaign(TimeStamped):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="campaigns")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    subject_b = models.CharField(
        max_length=200, blank=True, default="", help_text="A second subject starts an A/B test."
    )
    body = models.TextField()
    body_format = models.CharField(
        max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    links = models.JSONField(default=list, editable=False)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    require_consent = models.BooleanField(default=True)
    include_open_opportunities = models.BooleanField(
        default=False, help_text="Override: also send to people sales is talking to."
    )
    ab_sample_percent = models.PositiveSmallIntegerField(default=20)
    ab_metric = models.CharField(max_length=5, choices=AbMetric.choices, default=AbMetric.OPEN)
    ab_wait_minutes = models.PositiveIntegerField(default=240)
    ab_winner = models.CharField(max_length=1, blank=True, default="")
    skipped = models.JSONField(default=dict, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ab_sample_percent__gte=2, ab_sample_percent__lte=50),
                name="campaign_ab_sample_range",
            )
        ]

    @property
    def is_ab(self) -> bool:
        return bool(self.subject_b)

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    HELD = "held", "Held for the A/B winner"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    ATTEMPTING = "attempting", "Being sent"  # the one message its worker has on the wire
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (suppressed at send time)"
    FAILED = "failed", "Failed"


class Recipient(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    variant = models.CharField(max_length=1, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    error = models.CharField(max_length=300, blank=True, default="")
    # when a worker claimed it, renewed as the worker goes: a batch whose newest claim is older
    # than TANDEM_SEND_STALL_SECONDS lost its worker (marketing/recovery.py)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="recipient_unique")
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="recipient_status_idx")]


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Hard bounce"
    COMPLAINED = "complained", "Complaint"


class SuppressedAddress(models.Model):
    """An address no campaign may reach, known or not yet known as a person."""

    email_normalized = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    source = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)
