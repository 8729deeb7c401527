"""What an import leaves in the audit trail: one timeline entry per record it created or
changed (summary "import N", which undo also uses), and the first lifecycle transition of each
person it brought in. Written with core.bulk: an import brings in up to millions."""

from django.utils import timezone

from tandem.contacts.models import LifecycleTransition
from tandem.core import bulk
from tandem.core.models import TimelineEntry, Via

TIMELINE = ["at", "actor_id", "via", "verb", "target_type", "target_id", "summary", "changes"]
TRANSITION = ["person_id", "from_stage", "to_stage", "at", "actor_id", "reason"]


def record(job, verb: str, target_type: str, ids) -> None:
    now, changes = bulk.prepared(timezone.now()), bulk.prepared({})
    actor, via, summary = job.owner_id, Via.IMPORT.value, f"import {job.pk}"
    bulk.insert(
        TimelineEntry,
        TIMELINE,
        ((now, actor, via, verb, target_type, pk, summary, changes) for pk in ids),
        ready=True,
    )


def record_changes(job, target_type: str, items) -> None:
    """One "updated" entry per (id, {field: [old, new]}) the import changed."""
    now = bulk.prepared(timezone.now())
    actor, via, summary = job.owner_id, Via.IMPORT.value, f"import {job.pk}"
    bulk.insert(
        TimelineEntry,
        TIMELINE,
        ((now, actor, via, "updated", target_type, pk, summary, bulk.prepared(changes))
         for pk, changes in items),
        ready=True,
    )  # fmt: skip


def people_arrived(job, people) -> None:
    """people: (id, lifecycle stage) of each person the import created, or (id, [(from, to,
    at)]) with the moments the file gives (at None: now)."""
    people = list(people)
    now, reason = bulk.prepared(timezone.now()), f"import {job.pk}"

    def rows():
        for pk, steps in people:
            if isinstance(steps, str):
                yield (pk, "", steps, now, job.owner_id, reason)
                continue
            for before, after, at in steps:
                moment = bulk.prepared(at) if at else now
                yield (pk, before, after, moment, job.owner_id, reason)

    bulk.insert(LifecycleTransition, TRANSITION, rows(), ready=True)
    record(job, "created", "person", (pk for pk, _ in people))
