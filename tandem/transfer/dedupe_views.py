"""The duplicates queue and the merge page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.contacts.models import Person
from tandem.core import access, listing
from tandem.core.errors import DomainError, NotFound
from tandem.core.web import guarded
from tandem.transfer import dedupe, merge, tasks
from tandem.transfer.models import DuplicateCandidate


def _visible(actor):
    return access.scope(actor, Person.objects.all(), "person").values("pk")


def candidates_for(actor):
    """The open pairs where the actor may see both people."""
    visible = _visible(actor)
    return dedupe.open_candidates().filter(first__in=visible, second__in=visible)


@guarded
def queue(request):
    access.require_see(request.user, "person")
    number, size = listing.page_numbers(request.GET)
    page = listing.paginate(candidates_for(request.user), number=number, size=size)
    return render(request, "transfer/duplicates.html", {"page": page, "params": {}})


@require_POST
@guarded
def scan(request):
    access.require_create(request.user, "person")
    tasks.scan_duplicates.enqueue()
    messages.success(request, "Looking for duplicates in the background; new pairs appear here.")
    return redirect("transfer:duplicates")


def _candidate(request, pk: int) -> DuplicateCandidate:
    found = candidates_for(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@guarded
def pair(request, pk: int):
    candidate = _candidate(request, pk)
    a, b = candidate.first, candidate.second
    if request.method == "POST":
        keep = request.POST.get("keep")
        survivor, other = (a, b) if keep != "second" else (b, a)
        take = {}
        for row in merge.differences(a, b):
            picked = request.POST.get(
                f"pick-{row['field']}", "first" if keep != "second" else "second"
            )
            take[row["field"]] = (picked == "second") if survivor is a else (picked == "first")
        try:
            log = merge.merge(actor=request.user, survivor=survivor, other=other, take=take)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("transfer:pair", pk=pk)
        messages.success(request, f"Merged: {sum(log.moved.values())} records moved.")
        return redirect(survivor.get_absolute_url())
    context = {"candidate": candidate, "a": a, "b": b, "rows": merge.differences(a, b)}
    return render(request, "transfer/pair.html", context)


@require_POST
@guarded
def dismiss(request, pk: int):
    try:
        merge.dismiss(actor=request.user, candidate=_candidate(request, pk))
        messages.success(request, "Marked as not duplicates.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("transfer:duplicates")
