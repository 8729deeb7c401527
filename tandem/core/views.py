"""Home and global search. Core knows no domain, so it asks the apps through a registry."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from tandem.core import registry
from tandem.core.web import guarded


@guarded
def home(request):
    panels = [panel(request.user) for panel in registry.home_panels(request.user)]
    return render(request, "core/home.html", {"panels": [p for p in panels if p]})


@guarded
def search(request):
    q = (request.GET.get("q") or "").strip()[:100]
    groups = []
    if len(q) >= 2:
        for label, finder in registry.search_groups():
            groups.append((label, finder(actor=request.user, q=q)))
    return render(request, "core/search.html", {"search_q": q, "groups": groups})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
