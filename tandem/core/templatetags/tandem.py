"""The template side of core.formatting, and the small components pages share (avatar, stage
pill, relative time)."""

import hashlib

from django import template
from django.utils.html import format_html

from tandem.core import formatting

register = template.Library()

register.filter("money")(lambda v, currency="USD": formatting.money(v, currency))
register.filter("money_compact")(lambda v, currency="USD": formatting.money_compact(v, currency))
register.filter("compact")(formatting.compact_number)
register.filter("pct")(formatting.percent)
register.filter("pct_of_one")(formatting.fraction)


@register.filter
def as_unit(value, unit: str = "count"):
    """A figure in its unit: money, pct (0–100), or a count."""
    if unit == "money":
        return formatting.money(value)
    if unit == "pct":
        return formatting.percent(value)
    return formatting.number(value, 0 if unit == "count" else 1)


register.filter("num")(lambda v, places=0: formatting.number(v, places))


@register.filter
def reltime(moment):
    """<time> with "in 3 days" and the exact time on hover, in the reader's time zone."""
    if moment is None:
        return "—"
    iso = moment.isoformat()
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        iso,
        formatting.exact(moment),
        formatting.relative(moment),
    )


@register.simple_tag
def due(moment, done=None):
    text, tone = formatting.due(moment, done)
    css = {"bad": "badge badge-bad", "warn": "badge badge-warn", "good": "badge badge-good"}
    return format_html(
        '<time class="{}" datetime="{}" title="{}">{}</time>',
        css.get(tone, "badge"),
        moment.isoformat() if moment else "",
        formatting.exact(moment),
        text,
    )


def _hue(key) -> int:
    """One of twelve hues (classes hue-0 … hue-11: no inline style under the CSP)."""
    return int(hashlib.md5(str(key).encode(), usedforsecurity=False).hexdigest()[:4], 16) % 12


def initials(name: str) -> str:
    parts = [p for p in (name or "?").replace(".", " ").split() if p[:1].isalnum()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


@register.simple_tag
def avatar(user_or_name, size=""):
    """A round badge with initials, its hue fixed by the name."""
    if user_or_name is None or user_or_name == "":
        return format_html('<span class="avatar {}" title="Nobody">–</span>', f"avatar-{size}")
    name = getattr(user_or_name, "display_name", None) or str(user_or_name)
    key = getattr(user_or_name, "pk", name)
    return format_html(
        '<span class="avatar hue-{} {}" title="{}" aria-hidden="true">{}</span>',
        _hue(key),
        f"avatar-{size}" if size else "",
        name,
        initials(name),
    )


@register.simple_tag
def stage_pill(value, label):
    return format_html('<span class="pill stage-{}">{}</span>', value, label)


@register.filter
def attr_value(obj, name: str):
    """A record's field as shown: the label of a choice, else the value."""
    from tandem.core.inline import display_value

    return display_value(obj, name)


@register.filter
def get_param(params, name: str):
    """A list's applied parameter by name (params is a dict)."""
    return params.get(name, "") if hasattr(params, "get") else ""


@register.simple_tag
def gauge(value, label: str, good_at=100, warn_below=50, invert: bool = False):
    """A bar of 0–100% (wider values are drawn full): good at or above good_at, warn below
    warn_below; invert for spend, where more is worse."""
    amount = formatting.decimal_or_none(value)
    shown = 0 if amount is None else max(0, min(100, int(round(float(amount)))))
    tone = ""
    if amount is not None:
        high, low = float(amount) >= float(good_at), float(amount) < float(warn_below)
        tone = ("bad" if high else "") if invert else ("good" if high else "warn" if low else "")
    return format_html(
        '<div class="gauge {}" role="meter" aria-valuemin="0" aria-valuemax="100" '
        'aria-valuenow="{}" aria-label="{}"><span class="w-{}"></span></div>',
        tone,
        shown,
        label,
        shown,
    )


STATUS_TONES = {
    "good": {"active", "sent", "done", "accepted", "converted", "merged", "approved", "won"},
    "info": {
        "planned",
        "scheduled",
        "testing",
        "sending",
        "attempting",
        "queued",
        "running",
        "reading",
    },  # fmt: skip
    "warn": {"pending", "preview", "open", "draft", "undoing", "requested"},
    "bad": {"cancelled", "failed", "expired", "rejected", "denied", "lost", "breached"},
}


@register.simple_tag
def status_badge(value, label=""):
    """A status in words with its tone: green when it went well, amber while it waits on
    someone, red when it failed, blue while it runs."""
    tone = next((t for t, values in STATUS_TONES.items() if value in values), "")
    return format_html(
        '<span class="badge{}" data-status="{}">{}</span>',
        f" badge-{tone}" if tone else "",
        value,
        label or value,
    )
