"""The timeline and audit trail: every service write records one entry in its transaction."""

import threading
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from tandem.core import unsaved, webhooks
from tandem.core.models import TimelineEntry, Via


def _plain(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    return value


def apply_changes(instance: models.Model, data: dict) -> dict:
    """Set the given attributes and return {field: [old, new]} for those that really changed."""
    changes = {}
    for field, new in data.items():
        old = getattr(instance, field)
        if _plain(old) != _plain(new):
            changes[field] = [_plain(old), _plain(new)]
            setattr(instance, field, new)
    return changes


_pending = threading.local()


@contextmanager
def batched():
    """Entries recorded inside go in with one INSERT when the block ends without error: for
    hot paths (a form submission writes several). Use it inside the writer's transaction."""
    if getattr(_pending, "entries", None) is not None:
        yield  # already batching: the outer block writes them
        return
    _pending.entries = []
    try:
        yield
        TimelineEntry.objects.bulk_create(_pending.entries)
    finally:
        _pending.entries = None


def entry_for(
    *, actor, via: str, verb: str, target: models.Model, summary: str = "", changes=None
) -> TimelineEntry:
    """The entry record() writes, unsaved."""
    return unsaved.new(
        TimelineEntry,
        actor=actor if getattr(actor, "pk", None) else None,
        via=via or Via.SYSTEM,
        verb=verb,
        target_type=target._meta.model_name,
        target_id=target.pk,
        summary=summary[:300],
        changes=changes or {},
    )


def record(
    *,
    actor,
    via: str,
    verb: str,
    target: models.Model,
    summary: str = "",
    changes: dict | None = None,
) -> TimelineEntry:
    entry = entry_for(
        actor=actor, via=via, verb=verb, target=target, summary=summary, changes=changes
    )
    if getattr(_pending, "entries", None) is not None:
        _pending.entries.append(entry)
    else:
        entry.save()
    webhooks.on_activity(entry, target)  # in the same transaction: an outbox
    return entry


def timeline_for(target: models.Model, *, limit: int = 50):
    return (
        TimelineEntry.objects.filter(target_type=target._meta.model_name, target_id=target.pk)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
