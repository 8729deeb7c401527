"""Settings → Trash: what was deleted in the last 30 days, and putting it back; and the
"Move to trash" of a record page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.core import access, registry, trash
from tandem.core.errors import DomainError, Forbidden
from tandem.core.web import guarded


@guarded
def trash_page(request):
    if not trash.may_delete(request.user):
        raise Forbidden("Managers and admins see the trash.")
    records = trash.visible(request.user).order_by("-deleted_at")[:200]
    return render(request, "core/settings_trash.html", {"records": records, "keep": trash.KEEP})


@require_POST
@guarded
def trash_restore(request, pk: int):
    record = get_object_or_404(trash.visible(request.user), pk=pk)
    try:
        target = trash.restore(actor=request.user, record=record)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("settings:trash")
    messages.success(request, f"{record.label} is back.")
    return redirect(target.get_absolute_url())


@require_POST
@guarded
def trash_record(request, kind: str, pk: int):
    """Move a person, an organization, a deal or a program to the trash from its page."""
    source = registry.record(kind)
    if source is None:
        raise Forbidden("That cannot be deleted here.")
    resource, get_for = source
    obj = get_for(actor=request.user, id=pk, action=access.WRITE)
    try:
        trash.move_to_trash(actor=request.user, obj=obj, resource=resource)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(obj.get_absolute_url())
    messages.success(request, f"{obj} is in the trash for 30 days (Settings → Trash).")
    return redirect("core:home")
