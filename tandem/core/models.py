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
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "Workspace"
