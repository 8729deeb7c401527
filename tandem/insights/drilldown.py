"""The records behind a number: people, opportunities or cost entries, as the actor may see them."""

from tandem.contacts.models import Person
from tandem.core import access
from tandem.marketing.models import ProgramCost
from tandem.sales.models import Opportunity

PAGE = 500
CHUNK = 5_000

KINDS = {
    "people": (
        "person",
        ["Name", "Email", "Stage", "Owner", "Source program", "First touch"],
        lambda qs: qs.select_related("owner", "source_program"),
        lambda p: (
            p.name,
            p.email,
            p.get_lifecycle_stage_display(),
            str(p.owner or ""),
            str(p.source_program or ""),
            p.first_touch_at,
        ),
    ),
    "opportunities": (
        "opportunity",
        ["Opportunity", "Amount", "Stage", "Owner", "Created", "Closed"],
        lambda qs: qs.select_related("owner", "stage"),
        lambda o: (o.name, o.amount, o.stage.name, str(o.owner), o.created_at, o.closed_at),
    ),
    "costs": (
        "program",
        ["Date", "Program", "Amount", "Description"],
        lambda qs: qs.select_related("program"),
        lambda c: (c.incurred_on, c.program.name, c.amount, c.description),
    ),
}
MODELS = {"people": Person, "opportunities": Opportunity, "costs": ProgramCost}


def _visible(actor, kind: str, ids: list[int]):
    resource = KINDS[kind][0]
    qs = MODELS[kind].objects.filter(pk__in=ids)
    if kind == "costs":
        return qs if access.can_see(actor, "program") else qs.none()
    return access.scope(actor, qs, resource)


def records(actor, kind: str, ids: list[int], limit: int | None = None):
    """(object, row tuple) for each visible record, in id order, chunked for large sets."""
    _, _, prepare, row = KINDS[kind]
    shown = 0
    for i in range(0, len(ids), CHUNK):
        for obj in prepare(_visible(actor, kind, ids[i : i + CHUNK])).order_by("pk"):
            yield obj, row(obj)
            shown += 1
            if limit is not None and shown >= limit:
                return


def header(kind: str) -> list[str]:
    return KINDS[kind][1]


def visible_count(actor, kind: str, ids: list[int]) -> int:
    return sum(_visible(actor, kind, ids[i : i + CHUNK]).count() for i in range(0, len(ids), CHUNK))
