"""Home and global search. Core knows no domain, so it asks the apps through a registry."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.core import health, registry
from tandem.core.errors import DomainError, Forbidden, Invalid
from tandem.core.replica import replica_reads
from tandem.core.web import guarded


@guarded
def home(request):
    """The role's dashboard: the panels the apps contribute, in their order."""
    panels, lazy = [], False
    for entry in registry.home_panels(request.user):
        if entry.lazy:
            lazy = True
            url = reverse("core:home_panel", args=[entry.name])
            panels.append({"lazy_url": url, "order": entry.order, "width": entry.width})
        else:
            panels.append(entry.panel(request.user))
    panels = sorted((p for p in panels if p), key=lambda p: p.get("order", 50))
    now = timezone.localtime()
    greeting = "Good morning" if now.hour < 12 else "Good afternoon" if now.hour < 18 else (
        "Good evening"
    )  # fmt: skip
    context = {
        "panels": panels,
        "greeting": greeting,
        "today": now.date(),
        "has_charts": lazy or any(p.get("charts") for p in panels),
    }
    return render(request, "core/home.html", context)


@guarded
@replica_reads
def home_panel(request, name: str):
    """One lazy home panel, fetched by its placeholder as the home page loads. Kept in the
    cache per reader for TANDEM_CARD_CACHE_SECONDS, as the Insights cards are."""
    entry = registry.home_panel(request.user, name)
    if entry is None:
        raise Http404
    key = f"home:panel:{request.user.pk}:{request.user.role}:{name}"
    panel = cache.get(key)
    if panel is None:
        panel = entry.panel(request.user) or {}
        cache.set(key, panel, settings.TANDEM_CARD_CACHE_SECONDS)
    if not panel:
        return HttpResponse("")
    return render(request, "core/_home_panel.html", {"panel": panel})


@guarded
def search(request):
    q = (request.GET.get("q") or "").strip()[:100]
    groups = []
    if len(q) >= 2:
        for label, finder in registry.search_groups():
            groups.append((label, finder(actor=request.user, q=q)))
    return render(request, "core/search.html", {"search_q": q, "groups": groups})


@guarded
def palette(request):
    """The command palette's list for what was typed, as JSON."""
    from tandem.core import palette as command_palette

    return JsonResponse(command_palette.entries(request.user, request.GET.get("q", "")), safe=False)


@guarded
def picker(request, kind: str):
    """A picker's matches for what was typed: the records of `kind` the user may see."""
    from tandem.core import pickers

    if not registry.picker(kind):
        raise Http404
    q = request.GET.get("q", "")[:100]
    found = pickers.options(request.user, kind, q)
    creates = registry.picker_create(kind)
    may_create = bool(creates and len(q.strip()) >= 2 and creates[1](request.user))
    context = {"options": found, "q": q.strip(), "kind": kind, "may_create": may_create}
    return render(request, "components/picker_options.html", context)


@require_POST
@guarded
def picker_new(request, kind: str):
    """A picker's "Create …": the record made from what was typed, through the kind's service
    (its rules and rights), answered as the one option to choose."""
    creates = registry.picker_create(kind)
    if not creates:
        raise Http404
    text = request.POST.get("q", "").strip()[:200]
    if len(text) < 2:
        raise Invalid("Type at least two letters of the name.")
    if not creates[1](request.user):
        raise Forbidden("Your role may not create these.")
    try:
        made = creates[0](actor=request.user, text=text)
    except DomainError as exc:
        context = {"options": [], "q": text, "kind": kind, "error": exc.message}
        return render(request, "components/picker_options.html", context)
    option = {"id": made.pk, "label": str(made), "sub": "just created"}
    context = {"options": [option], "q": text, "kind": kind, "created": True}
    return render(request, "components/picker_options.html", context)


def livez(request):
    """Liveness: the process answers and reaches its database (one `SELECT 1`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def healthz(request):
    """Health and readiness, for a load balancer and a monitor: 503 when the database or the
    cache does not answer (tandem/core/health.py)."""
    checks = health.report()
    return JsonResponse(checks, status=200 if checks["ok"] else 503)
