from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from ninja import Field, Router, Schema, Status

from tandem.core import registry, saved_filters
from tandem.core.api_support import PathId
from tandem.core.errors import DomainError
from tandem.core.web import guarded


def _list_url(resource: str) -> str:
    found = registry.list_for(resource)
    return reverse(found[1]) if found else reverse("core:home")


@require_POST
@guarded
def create(request):
    resource = request.POST.get("resource", "")
    try:
        saved = saved_filters.saved_filter_create(
            actor=request.user,
            resource=resource,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
        messages.success(request, f"Filter “{saved.name}” saved.")
        return redirect(f"{_list_url(resource)}?{saved.query}")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_list_url(resource))


@require_POST
@guarded
def delete(request, pk: int):
    resource = request.POST.get("resource", "")
    saved_filters.saved_filter_delete(actor=request.user, id=pk)
    return redirect(_list_url(resource))


router = Router(tags=["saved filters"])


class SavedFilterIn(Schema):
    resource: str = Field(..., max_length=40)
    name: str = Field(..., min_length=1, max_length=100)
    query: str = Field("", max_length=1000)


class SavedFilterOut(Schema):
    id: int
    resource: str
    name: str
    query: str


@router.get("/saved-filters", response=list[SavedFilterOut])
def list_saved(request, resource: str):
    return list(saved_filters.saved_filters_of(actor=request.user, resource=resource))


@router.post("/saved-filters", response={201: SavedFilterOut})
def create_saved(request, payload: SavedFilterIn):
    saved = saved_filters.saved_filter_create(actor=request.user, **payload.dict())
    return Status(201, saved)


@router.delete("/saved-filters/{filter_id}", response={204: None})
def delete_saved(request, filter_id: PathId):
    saved_filters.saved_filter_delete(actor=request.user, id=filter_id)
    return Status(204, None)
