from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the rep"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected, back to nurture"
    EXPIRED = "expired", "SLA missed"


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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="one_pending_handoff"
            )
        ]
        indexes = [models.Index(fields=["rep", "status", "due_at"], name="handoff_rep_idx")]
