from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class ImportKind(models.TextChoices):
    PEOPLE = "people", "People"
    ORGANIZATIONS = "organizations", "Organizations"
    OPPORTUNITIES = "opportunities", "Opportunities"
    TOUCHES = "touches", "Touches or program members (event, trade show, ad lists)"
    ACTIVITIES = "activities", "Activities (calls, meetings, emails, tasks)"


class Policy(models.TextChoices):
    CREATE = "create", "Create new records only (a match is skipped)"
    UPDATE = "update", "Update a match, create the rest"
    SKIP = "skip", "Skip a match without touching it"


class JobStatus(models.TextChoices):
    READING = "reading", "Reading the file"
    PREVIEW = "preview", "Waiting for the mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Stopped by an error (resume it)"
    UNDOING = "undoing", "Undoing"
    UNDONE = "undone", "Undone"


class ImportJob(models.Model):
    """One import: the file, how its columns map, and how far it got. Rows are keyed by
    (job, row number), so running it again continues where it stopped and never doubles."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500, editable=False)
    format = models.CharField(max_length=4)
    encoding = models.CharField(max_length=20, blank=True, default="")
    delimiter = models.CharField(max_length=1, blank=True, default="")
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text="{column index: field}")
    policy = models.CharField(max_length=6, choices=Policy.choices, default=Policy.UPDATE)
    program = models.ForeignKey(
        "marketing.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Touches: the program of rows without a program column.",
    )  # fmt: skip
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.READING)
    sample = models.JSONField(default=list, help_text="The first rows, cut short, for the mapping.")
    notes = models.JSONField(
        default=dict, help_text="What reading the file found: {unknown_owners: [names]}."
    )
    options = models.JSONField(
        default=dict, help_text="The importer's choices: {create_owners, loss_reason_id}."
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0, help_text="What its undo removed.")
    cancel_requested = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # who runs it: "host:pid:process start" and the run's token; each batch beats the heart
    runner = models.CharField(max_length=200, blank=True, default="")
    run_token = models.CharField(max_length=32, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def get_absolute_url(self) -> str:
        return reverse("transfer:job", args=[self.pk])

    @property
    def rate(self) -> float | None:
        if not self.started_at or not self.processed:
            return None
        end = self.finished_at or timezone.now()
        seconds = max((end - self.started_at).total_seconds(), 0.001)
        return self.processed / seconds

    @property
    def seconds_left(self) -> float | None:
        rate = self.rate
        if not rate or self.status != JobStatus.RUNNING:
            return None
        return max(self.total - self.processed, 0) / rate

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class RowAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class ImportRow(models.Model):
    # no index of its own: import_row_once leads with the job
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=7, choices=RowAction.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    column = models.CharField(max_length=200, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_row_once")]
        indexes = [
            # undo reads the rows that created something, the error report the refused ones;
            # updated and skipped rows (half of a re-import) need no entry
            models.Index(
                fields=["job", "action"],
                name="import_row_action_idx",
                condition=Q(action__in=["created", "failed"]),
            )
        ]


class CandidateStatus(models.TextChoices):
    OPEN = "open", "To review"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not duplicates"


class DuplicateCandidate(models.Model):
    """Two people who look like the same human, with how sure we are and why."""

    first = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    confidence = models.FloatField()
    reason = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-confidence"], name="duplicate_queue_idx")]


class MergeLog(models.Model):
    """A merge, kept whole: the removed person's values, what moved, who did it."""

    survivor = models.ForeignKey(
        "contacts.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_id = models.BigIntegerField()
    merged_values = models.JSONField()
    chosen = models.JSONField(default=dict, help_text="{field: value taken from the other}")
    moved = models.JSONField(default=dict, help_text="{relation: rows moved}")
    dropped = models.JSONField(default=list, help_text="Rows that would have doubled.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
