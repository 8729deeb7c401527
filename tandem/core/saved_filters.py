"""Saved filters: a user names the allow-listed filters of a list and finds them again."""

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.http import urlencode

from tandem.core import listing, registry
from tandem.core.errors import Conflict, Invalid, NotFound
from tandem.core.models import SavedFilter


def _clean_query(resource: str, raw: str) -> str:
    found = registry.list_for(resource)
    if found is None:
        raise Invalid(f"No list called “{resource}”.", field="resource")
    spec, _ = found
    params = QueryDict(raw or "")
    _, applied = listing.apply(_Unrun(), spec, params)  # raises Invalid on bad values
    return urlencode(sorted(applied.items()))


class _Unrun:
    """Stands in for a queryset: validating filters needs their values parsed, not run."""

    def filter(self, *args, **kwargs):
        return self

    def order_by(self, *args):
        return self


@transaction.atomic
def saved_filter_create(*, actor, resource: str, name: str, query: str) -> SavedFilter:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("Name the filter (1 to 100 characters).", field="name")
    clean = _clean_query(resource, query)
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=actor, resource=resource, name=name, query=clean)
    except IntegrityError:
        raise Conflict("You already have a filter with that name.", field="name") from None


def saved_filter_delete(*, actor, id: int) -> None:
    deleted, _ = SavedFilter.objects.filter(user=actor, pk=id).delete()
    if not deleted:
        raise NotFound()


def saved_filters_of(*, actor, resource: str):
    return SavedFilter.objects.filter(user=actor, resource=resource)
