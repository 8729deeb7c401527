from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the rep"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected, back to nurture"
    EXPIRED = "expired", "SLA missed"
    CONVERTED = "converted", "Converted to an opportunity"


class RejectReason(models.TextChoices):
    NOT_A_FIT = "not_a_fit", "Not a fit"
    BAD_DATA = "bad_data", "Bad data"
    DUPLICATE = "duplicate", "Duplicate"
    NOT_NOW = "not_now", "Not now (recycle later)"


class Handoff(models.Model):
    """An MQL routed to a rep, who must accept or reject it within the SLA."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="handoffs")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    routed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")
    rule = models.CharField(
        max_length=300, blank=True, default="", help_text="Which routing rule chose the rep."
    )
    reject_reason = models.CharField(
        max_length=10, choices=RejectReason.choices, blank=True, default=""
    )
    recycle_on = models.DateField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    opportunity = models.ForeignKey(
        "sales.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="one_pending_handoff"
            )
        ]
        indexes = [models.Index(fields=["rep", "status", "due_at"], name="handoff_rep_idx")]


class RuleKind(models.TextChoices):
    FIT = "fit", "Fit (who they are)"
    ENGAGEMENT = "engagement", "Engagement (what they did)"


class ScoringRule(models.Model):
    """Fit: a person attribute equals a value → points. Engagement: each touch of a kind (and
    optionally of a program) → points, halving every `half_life_days`."""

    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    attribute = models.CharField(max_length=40, blank=True, default="")
    value = models.CharField(max_length=200, blank=True, default="")
    touch_kind = models.CharField(max_length=20, blank=True, default="")
    program = models.ForeignKey(
        "marketing.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    points = models.IntegerField()
    half_life_days = models.PositiveIntegerField(default=30)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        if self.kind == RuleKind.FIT:
            return f"{self.attribute} = {self.value}: {self.points:+d}"
        what = self.touch_kind or "any touch"
        return f"{what}{f' of {self.program}' if self.program_id else ''}: {self.points:+d}"


class ScoringConfig(models.Model):
    """One row: the MQL threshold and the handoff contract's terms."""

    mql_threshold = models.PositiveIntegerField(default=60)
    sla_business_hours = models.PositiveIntegerField(default=8)
    work_start_hour = models.PositiveSmallIntegerField(default=9)
    work_end_hour = models.PositiveSmallIntegerField(default=17)
    work_days = models.CharField(
        max_length=20, default="0,1,2,3,4", help_text="Weekdays, Monday = 0."
    )
    max_open_per_rep = models.PositiveIntegerField(default=25)
    reassign_on_breach = models.BooleanField(default=False)
    stale_after_days = models.PositiveIntegerField(
        default=7, help_text="Accepted with no activity this long counts as stranded."
    )
    last_swept_touch = models.BigIntegerField(default=0, editable=False)

    @classmethod
    def get(cls) -> "ScoringConfig":
        return cls.objects.get_or_create(pk=1)[0]


class ScoreSnapshot(models.Model):
    """A person's score when it changed, with the points that make it up."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    score = models.IntegerField()
    breakdown = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["person", "-at"], name="score_person_idx")]


class PredictiveModel(models.Model):
    """A trained model: when, how good (AUC on the newest people it never saw), its calibration,
    the weight of each feature, the leaks it warns of, and whether it is the one in use (a model
    that does worse than the one in use, on the same newest people, is kept but not used)."""

    trained_at = models.DateTimeField(default=timezone.now)
    auc = models.FloatField()
    trained_on = models.PositiveIntegerField()
    validated_on = models.PositiveIntegerField()
    positives = models.PositiveIntegerField()
    blob = models.BinaryField()
    in_use = models.BooleanField(default=True)
    previous_auc = models.FloatField(
        null=True, blank=True, help_text="The model in use before, on the same newest people."
    )
    calibration = models.JSONField(default=list, blank=True)
    weights = models.JSONField(default=list, blank=True)
    leaks = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")
    trained_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class LeadPath(models.Model):
    """Per MQL transition: where that lead went next (the first handoff after it, the person's
    first SQL and first win, their last activity), for the leakage report.

    Derived data, kept by database triggers on transitions, handoffs, opportunities,
    activities, stages and people (migrations handoff 0005 for PostgreSQL, 0006 for SQLite),
    whoever writes them; the leakage report reads this one table. Never write it from Python."""

    transition = models.OneToOneField(
        "contacts.LifecycleTransition",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the triggers remove the row with the transition
        db_constraint=False,
        related_name="+",
    )
    person_id = models.BigIntegerField()
    mql_at = models.DateTimeField()
    program_id = models.BigIntegerField(null=True)  # the person's source program
    handoff_id = models.BigIntegerField(null=True)
    rep_id = models.BigIntegerField(null=True)
    routed_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    decided_at = models.DateTimeField(null=True)
    breached_at = models.DateTimeField(null=True)
    accepted = models.BooleanField(default=False)
    sql_at = models.DateTimeField(null=True)  # the person's first SQL, whenever it was
    won_at = models.DateTimeField(null=True)  # the person's first won deal, whenever closed
    last_activity_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["mql_at"], name="leadpath_mql_idx"),
            models.Index(fields=["person_id"], name="leadpath_person_idx"),
        ]
