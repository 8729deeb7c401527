"""The first-run checklist: what a new workspace needs before a team can work in it, each
step ticking itself when it is done. Shown on an admin's Home until every step is done."""

from django.urls import reverse

from tandem.core import access, registry, workspace


def panel(actor) -> dict | None:
    if not access.is_admin(actor):
        return None
    steps = [
        {"label": label, "hint": hint, "done": bool(done()), "url": reverse(url_name)}
        for _, label, hint, done, url_name in registry.setup_steps()
    ]
    if not steps or all(s["done"] for s in steps):
        return None
    finished = sum(s["done"] for s in steps)
    return {
        "template": "core/_setup.html",
        "order": 0,
        "width": "full",
        "data": {
            "steps": steps,
            "finished": finished,
            "total": len(steps),
            "percent": round(100 * finished / len(steps)),
        },
    }


def mail_ready() -> bool:
    """A sender and a postal address (the law wants one in every campaign's footer)."""
    return bool(workspace.postal_address()) and "localhost" not in workspace.sender()
