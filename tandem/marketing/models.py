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

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="touches")
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches"
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
            models.Index(fields=["person", "occurred_at"], name="touch_person_idx"),
            models.Index(fields=["occurred_at"], name="touch_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d}"
