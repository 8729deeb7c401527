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
