"""One timeline per record: the audit trail, notes, and what the apps contribute (touches,
emails, activities, lifecycle and deal stages, handoffs, score changes), merged newest first
and filtered by kind. Core knows no domain: the apps register their sources."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils import timezone

from tandem.core.models import Note, TimelineEntry

KINDS = {
    "touch": "Touches",
    "email": "Emails",
    "activity": "Activities",
    "note": "Notes",
    "stage": "Stages",
    "handoff": "Handoffs",
    "score": "Score",
    "change": "Changes",
}
LIMIT = 60
_sources: dict[str, list[Callable]] = {}
# audit verbs another source shows better (with the record itself)
_covered: dict[str, set[str]] = {}


@dataclass
class Item:
    at: datetime
    kind: str
    title: str
    body: str = ""
    who: str = ""
    url: str = ""
    icon: str = "dots"
    details: list = field(default_factory=list)


def add_source(target: str, source: Callable, *, covers: tuple[str, ...] = ()) -> None:
    """source(actor, obj, limit) → [Item]; `covers`: audit verbs this source replaces."""
    _sources.setdefault(target, []).append(source)
    _covered.setdefault(target, set()).update(covers)


VERBS = {
    "created": "Created",
    "updated": "Updated",
    "consent_granted": "Consent given",
    "consent_withdrawn": "Consent withdrawn",
    "merged": "Merged with a duplicate",
    "token_created": "API token created",
    "token_revoked": "API token revoked",
    "invited": "Invited",
    "objection_recorded": "Objection heard",
    "competitor_added": "Competitor added",
    "invitation_sent": "Meeting invitation sent",
    "unrouted": "No rep could take it",
    "reassigned": "Reassigned",
}


def _audit(obj, target: str, limit: int) -> list[Item]:
    entries = (
        TimelineEntry.objects.filter(target_type=target, target_id=obj.pk)
        .exclude(verb__in=_covered.get(target, ()))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    items = []
    for e in entries:
        changes = [(k, v[0], v[1]) for k, v in (e.changes or {}).items() if isinstance(v, list)]
        items.append(
            Item(
                at=e.at,
                kind="change",
                title=VERBS.get(e.verb, e.verb.replace("_", " ").capitalize()),
                body=e.summary,
                who=f"{e.actor.display_name if e.actor else 'System'} · {e.get_via_display()}",
                icon="note" if e.verb == "created" else "gear",
                details=changes,
            )
        )
    return items


def _notes(obj, target: str, limit: int) -> list[Item]:
    notes = (
        Note.objects.filter(target_type=target, target_id=obj.pk)
        .select_related("author")
        .order_by("-at", "-id")[:limit]
    )
    return [
        Item(
            at=n.at,
            kind="note",
            title="Note",
            body=n.body,
            icon="note",
            who=n.author.display_name if n.author else "",
        )  # fmt: skip
        for n in notes
    ]


def for_record(actor, obj: models.Model, *, kind: str = "", limit: int = LIMIT) -> list[Item]:
    target = obj._meta.model_name
    items = _audit(obj, target, limit) + _notes(obj, target, limit)
    for source in _sources.get(target, []):
        items += source(actor, obj, limit)
    if kind in KINDS:
        items = [i for i in items if i.kind == kind]
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def kinds_of(items: list[Item]) -> list[tuple[str, str]]:
    present = {i.kind for i in items}
    return [(k, label) for k, label in KINDS.items() if k in present]


def page_context(request, obj: models.Model, resource: str) -> dict:
    """What every record page shows: its timeline (filtered by ?kind=), the sections the apps
    add, and what the reader may do there."""
    from tandem.core import access, registry

    actor = request.user
    everything = for_record(actor, obj)
    kind = request.GET.get("kind", "")
    shown = [i for i in everything if not kind or i.kind == kind]
    now = timezone.now()
    return {
        "upcoming": sorted((i for i in shown if i.at > now), key=lambda i: i.at),
        "timeline": [i for i in shown if i.at <= now],
        "timeline_kinds": kinds_of(everything),
        "timeline_kind": kind if kind in KINDS else "",
        "sections": registry.sections_for(resource, actor, obj),
        "can_edit": access.can_write(actor, obj, resource),
        "can_log": access.can_create(actor, "activity"),
        "can_deal": access.can_create(actor, "opportunity"),
        "target": resource,
    }
