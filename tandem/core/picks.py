"""Picker matches for simple records found by name: the helper each app's picker uses."""

from django.db.models import Q, QuerySet

LIMIT = 20


def by_name(qs: QuerySet, q: str, *fields: str, sub=None) -> list[dict]:
    """The first LIMIT records of `qs` whose `fields` contain every word of `q`."""
    words = q.split()[:4]
    if not words:
        return []
    for word in words:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return [{"id": obj.pk, "label": str(obj), "sub": sub(obj) if sub else ""} for obj in qs[:LIMIT]]


def label_of(model, pk: int) -> str:
    obj = model._default_manager.filter(pk=pk).first()
    return str(obj) if obj else ""
