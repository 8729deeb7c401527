"""The audit trail and notes of a person, for a data subject's export and erasure."""

from tandem.core.models import Note, TimelineEntry


def export(person) -> list[dict]:
    entries = TimelineEntry.objects.filter(target_type="person", target_id=person.pk)
    rows = [
        {"kind": "history", "at": e.at, "verb": e.verb, "via": e.via, "summary": e.summary,
         "changes": e.changes}
        for e in entries.order_by("at", "id")
    ]  # fmt: skip
    notes = Note.objects.filter(target_type="person", target_id=person.pk).order_by("at")
    return rows + [{"kind": "note", "at": n.at, "summary": n.body} for n in notes]


def erase(person) -> int:
    """The trail keeps what happened and when, not the values it held; notes go."""
    entries = TimelineEntry.objects.filter(target_type="person", target_id=person.pk)
    changed = entries.update(summary="", changes={})
    deleted, _ = Note.objects.filter(target_type="person", target_id=person.pk).delete()
    return changed + deleted
