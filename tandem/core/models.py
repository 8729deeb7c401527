from django.conf import settings
from django.db import models
from django.utils import timezone


class Via(models.TextChoices):
    UI = "ui", "Web UI"
    API = "api", "API"
    IMPORT = "import", "Import"
    FORM = "form", "Web form"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TimelineEntry(models.Model):
    """One audit row: who changed which record, from where, and what changed."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.SYSTEM)
    verb = models.CharField(max_length=40)
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="timeline_target_idx")
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.target_type}#{self.target_id} {self.verb}"


class IdempotencyKey(models.Model):
    """A submitted form or API call: the same key twice returns the first result."""

    key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=300)
    target_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique")]


class SavedFilter(models.Model):
    """A named set of allow-listed list filters, saved by a user for one list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "resource", "name"], name="saved_filter_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """A note on any record (a person, an organization, a deal), kept on its timeline."""

    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="note_target_idx")]

    def __str__(self) -> str:
        return self.body[:60]


class Workspace(models.Model):
    """The workspace's own settings, edited in Settings (one row). Empty values fall back to
    the environment's (TANDEM_POSTAL_ADDRESS, DEFAULT_FROM_EMAIL)."""

    name = models.CharField(max_length=100, blank=True, default="")
    sender_name = models.CharField(max_length=100, blank=True, default="")
    sender_email = models.EmailField(blank=True, default="")
    postal_address = models.CharField(max_length=300, blank=True, default="")
    retention_months = models.PositiveSmallIntegerField(
        default=0,
        help_text="Erase leads with no touch for this many months (0: keep everyone).",
    )
    webhooks_allow_private = models.BooleanField(
        default=False,
        help_text="Let webhooks reach private, loopback and link-local addresses (a receiver "
        "on your own network). Off: only public addresses, so a webhook cannot probe inside.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "Workspace"


class WebhookEndpoint(models.Model):
    """Another system that wants to hear what happens here (tandem.core.webhooks)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list)  # event types; empty: every type
    secret = models.CharField(max_length=100)  # whsec_…, the Standard Webhooks signing key
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("settings:webhook", args=[self.pk])


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change (an outbox), then
    sent and retried with backoff until answered with a 2xx, or given up after three days."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40, unique=True)  # webhook-id: msg_…
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx"),
        ]


class TrashedRecord(models.Model):
    """A deleted record with every row its deletion removed, restorable for 30 days
    (tandem.core.trash), then purged."""

    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    label = models.CharField(max_length=300)
    rows = models.JSONField()  # serialized objects, in the order they are put back
    unlinks = models.JSONField(default=list)  # [model, pk, field, value] references cleared
    deleted_at = models.DateTimeField(default=timezone.now)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-deleted_at"], name="trash_deleted_idx")]
