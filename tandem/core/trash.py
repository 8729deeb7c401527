"""The trash: a deleted record — a person, an organization, a deal, an activity, a program — goes
with every row its deletion removes (a person's touches, transitions, submissions, …), kept as
serialized rows for 30 days; restoring puts them all back with their ids, and re-links what the
deletion had only unlinked (people of a deleted organization). A sweep purges what is older.

Deleting is for managers and admins, on records they may change; restoring too."""

import json
from collections import defaultdict
from datetime import timedelta

from django.apps import apps
from django.core import serializers
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, NotFound
from tandem.core.models import TrashedRecord

KEEP = timedelta(days=30)
DELETERS = ("admin", "marketing_manager", "sales_manager")


def may_delete(actor) -> bool:
    return access.is_admin(actor) or getattr(actor, "role", "") in DELETERS


def _label(model) -> str:
    return model._meta.label_lower


@transaction.atomic
def move_to_trash(*, actor, via: str = "ui", obj, resource: str) -> TrashedRecord:
    """Delete `obj` and everything its deletion takes along, keeping all of it restorable."""
    if not may_delete(actor):
        raise Forbidden("Managers and admins delete records.")
    access.require_write(actor, obj, resource)
    collector = Collector(using="default", force_collection=True)
    try:
        collector.collect([obj])
    except (ProtectedError, RestrictedError) as exc:
        kinds = sorted({o._meta.verbose_name_plural for o in exc.protected_objects}
                       if hasattr(exc, "protected_objects") else set())  # fmt: skip
        raise Conflict(f"Other records still need it ({', '.join(kinds) or 'linked records'}): "
                       "remove or move those first.") from None  # fmt: skip
    collector.sort()
    rows = []
    for instances in reversed(list(collector.data.values())):  # parents first
        rows += json.loads(serializers.serialize("json", sorted(instances, key=lambda o: o.pk)))
    unlinks = []
    for (field, _cleared), groups in collector.field_updates.items():
        for group in groups:
            for other in group:  # their reference before the deletion clears it
                unlinks.append([_label(type(other)), other.pk, field.attname,
                                getattr(other, field.attname)])  # fmt: skip
    record = TrashedRecord.objects.create(
        target_type=obj._meta.model_name, target_id=obj.pk, label=str(obj)[:300], rows=rows,
        unlinks=unlinks, deleted_by=actor,
    )  # fmt: skip
    activity.record(actor=actor, via=via, verb="deleted", target=obj, summary=str(obj))
    collector.delete()
    return record


@transaction.atomic
def restore(*, actor, via: str = "ui", record: TrashedRecord) -> models.Model:
    if not may_delete(actor):
        raise Forbidden("Managers and admins restore records.")
    if record.restored_at is not None:
        raise Conflict("It is restored already.")
    try:
        with transaction.atomic():
            for item in serializers.deserialize("json", json.dumps(record.rows)):
                item.save()
            for label, pk, attname, value in record.unlinks:
                model = apps.get_model(label)
                model.objects.filter(pk=pk, **{attname: None}).update(**{attname: value})
    except IntegrityError:
        raise Conflict("A record made since holds the same email or name: change or merge it "
                       "first.") from None  # fmt: skip
    record.restored_at = timezone.now()
    record.save(update_fields=["restored_at"])
    model = apps.get_model(record.rows[0]["model"]) if record.rows else None
    target = model.objects.filter(pk=record.target_id).first() if model else None
    if target is None:
        raise NotFound()
    activity.record(actor=actor, via=via, verb="restored", target=target, summary=record.label)
    return target


def visible(actor):
    """What the actor may see in the trash: an admin everything, a manager what they deleted
    or what their function deletes."""
    if not may_delete(actor):
        return TrashedRecord.objects.none()
    qs = TrashedRecord.objects.filter(restored_at__isnull=True).select_related("deleted_by")
    if access.is_admin(actor):
        return qs
    return qs.filter(deleted_by__role__in=_function_roles(actor))


def _function_roles(actor) -> tuple[str, ...]:
    by_function = defaultdict(tuple, {"marketing": ("marketer", "marketing_manager"),
                                      "sales": ("sales_rep", "sales_manager")})  # fmt: skip
    return by_function[access.function_of(actor)]


def purge(now=None) -> int:
    """Trash older than 30 days is gone for good."""
    cutoff = (now or timezone.now()) - KEEP
    count, _ = TrashedRecord.objects.filter(deleted_at__lt=cutoff).delete()
    return count
