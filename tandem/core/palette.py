"""The command palette's answers (Ctrl/⌘-K): the pages the user may open, what they may
create, the records they may see that match, and actions. Core knows no domain: records and
actions come from the apps through the registry."""

from tandem.core import registry
from tandem.core.context import quick_create, sidebar

LIMIT = 5


def _matches(q: str, *texts: str) -> bool:
    q = q.lower()
    return not q or any(q in (t or "").lower() for t in texts)


def entries(user, q: str) -> list[dict]:
    q = (q or "").strip()[:100]
    out = []
    groups, _ = sidebar(user, "")
    for group in groups:
        for link in group.links:
            if _matches(q, link.label, group.label):
                out.append(
                    {"group": "Go to", "label": link.label, "hint": group.label, "url": link.url}
                )
    out = out[: 8 if q else 6]
    for label, url in quick_create(user):
        if _matches(q, f"new {label}", f"create {label}", label):
            out.append({"group": "Create", "label": f"New {label.lower()}", "hint": "", "url": url})
    for label, url, hint in registry.palette_actions(user):
        if _matches(q, label, hint):
            out.append({"group": "Actions", "label": label, "hint": hint, "url": url})
    if len(q) >= 2:
        for label, finder in registry.search_groups():
            for record in finder(actor=user, q=q, limit=LIMIT):
                hint = getattr(record, "email", "") or getattr(record, "organization", "") or ""
                out.append(
                    {
                        "group": label,
                        "label": str(record),
                        "hint": str(hint),
                        "url": record.get_absolute_url(),
                    }
                )
        out.append(
            {
                "group": "Search",
                "label": f"Search everything for “{q}”",
                "hint": "",
                "url": f"/search/?q={q}",
            }
        )
    return out
