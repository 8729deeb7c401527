"""Board cards rendered with format_html: a board carries thousands of cards, and the template
engine costs ~70 µs a card where this costs a few. format_html escapes every value."""

from django.utils.html import format_html, format_html_join

CARD = (
    '<article class="card deal" draggable="true" data-opp="{id}" data-testid="card-{id}">'
    '<a href="{base}{id}/">{name}</a><div class="muted">{meta}</div>'
    '<form hx-post="{base}{id}/move" hx-target="#board" hx-swap="outerHTML" class="move">'
    '<label class="muted">Move to <select name="stage">{options}</select></label> '
    '<button type="submit" class="link">Move</button></form></article>'
)


def stage_options(columns: list[dict]):
    placeholder = format_html('<option value="" selected disabled>{}</option>', "choose a stage")
    stages = format_html_join(
        "", '<option value="{}">{}</option>', ((c["stage"].pk, c["stage"].name) for c in columns)
    )
    return placeholder + stages


def render_cards(cards: list[dict], *, base: str, options) -> str:
    return format_html_join(
        "", CARD, ({**card, "base": base, "options": options} for card in cards)
    )
