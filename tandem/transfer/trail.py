"""What an import leaves in the audit trail: one timeline entry per record it created or
changed (summary "import N", which undo also uses), and the first lifecycle transition of each
person it brought in."""

from django.utils import timezone

from tandem.contacts.models import LifecycleTransition
from tandem.core.models import TimelineEntry


def record(job, verb: str, target_type: str, ids) -> None:
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            actor=job.owner,
            via="import",
            verb=verb,
            target_type=target_type,
            target_id=pk,
            summary=f"import {job.pk}",
        )  # fmt: skip
        for pk in ids
    )


def people_arrived(job, people) -> None:
    now = timezone.now()
    LifecycleTransition.objects.bulk_create(
        LifecycleTransition(
            person=p,
            from_stage="",
            to_stage=p.lifecycle_stage,
            at=now,
            actor=job.owner,
            reason=f"import {job.pk}",
        )  # fmt: skip
        for p in people
    )
    record(job, "created", "person", (p.pk for p in people))
