"""Marketing's pages for lead-capture forms: list, builder, and the embed snippet."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from tandem.contacts import custom_fields
from tandem.core import access, timeline
from tandem.core.web import guarded, render_list, save_form
from tandem.marketing import capture, selectors, services
from tandem.marketing.forms import LeadFormForm

BLANK_ROWS = 1


def rows_from_post(post, prefix: str, keys: tuple[str, ...]) -> list[dict]:
    """Builder rows posted as <prefix>-<n>-<key>; rows whose first key is blank are dropped."""
    try:
        count = min(int(post.get(f"{prefix}-count") or 0), 60)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        row = {k: post.get(f"{prefix}-{n}-{k}", "") for k in keys}
        if row[keys[0]]:
            rows.append(row)
    return rows


def _field_rows(form_obj, post) -> list[dict]:
    if post:
        rows = rows_from_post(post, "field", ("name", "label", "required", "custom"))
        for row in rows:
            if row["name"] == "custom":
                row["name"] = capture.CUSTOM_PREFIX + row["custom"].strip().lower()
            row["required"] = bool(row["required"])
        return rows
    return list(form_obj.fields) if form_obj else [{"name": "email", "required": True}]


def _builder_context(rows: list[dict]) -> dict:
    defined = [
        (capture.CUSTOM_PREFIX + f.key, f.label) for f in custom_fields.definitions("person")
    ]
    names = {name for name, _ in defined}

    def free_name(name: str) -> str:
        if name.startswith(capture.CUSTOM_PREFIX) and name not in names:
            return name.removeprefix(capture.CUSTOM_PREFIX)
        return ""

    shown = [{**r, "custom": free_name(r["name"])} for r in rows]
    shown += [{"name": "", "label": "", "required": False, "custom": ""}] * BLANK_ROWS
    return {
        "field_rows": shown,
        "attributes": [(k, label) for k, (label, _) in capture.ATTRIBUTES.items()],
        "defined_fields": defined,
    }


def _programs(actor):
    return selectors.program_qs(actor, access.WRITE).order_by("name")


def _save(request, form, obj, save, title):
    rows = _field_rows(obj, request.POST if request.method == "POST" else None)

    def with_fields(data):
        named = (data.pop("new_program", "") or "").strip()
        if named and not data.get("program"):
            data["program"] = services.program_create(
                actor=request.user,
                data={"name": named, "channel": "web", "start_date": timezone.localdate()},
            )
        return save({**data, "fields": rows})

    context = {
        "title": title,
        "obj": obj,
        "no_programs": not _programs(request.user).exists(),
        **_builder_context(rows),
    }
    return save_form(request, form, with_fields, "marketing/form_edit.html", context)


@guarded
def forms_list(request):
    page = selectors.form_list(actor=request.user, params=request.GET)
    extra = {"can_create": access.can_create(request.user, "form")}
    return render_list(request, "marketing/forms.html", page, extra)


@guarded
def form_new(request):
    access.require_create(request.user, "form")
    form = LeadFormForm(request.POST or None, programs=_programs(request.user))
    return _save(
        request,
        form,
        None,
        lambda data: capture.form_create(actor=request.user, data=data),
        "New form",
    )


@guarded
def form_edit(request, pk: int):
    obj = selectors.form_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = LeadFormForm(request.POST or None, instance=obj, programs=_programs(request.user))
    return _save(
        request,
        form,
        obj,
        lambda data: capture.form_update(actor=request.user, form=obj, data=data),
        f"Edit {obj}",
    )


@guarded
def form_detail(request, pk: int):
    obj = selectors.form_get_for(actor=request.user, id=pk)
    context = {
        **timeline.page_context(request, obj, "form"),
        "obj": obj,
        "can_edit": access.can_write(request.user, obj, "form"),
        "public_url": capture.public_url(obj),
        "embed_script": settings.TANDEM_BASE_URL.rstrip("/")
        + settings.STATIC_URL
        + "tandem-embed.js",
        "utm_keys": capture.UTM_KEYS,
        "honeypot": capture.HONEYPOT,
        "embed_fields": [{**f, "max": capture.max_length(f["name"])} for f in obj.fields],
        "submissions": selectors.submissions_of(form=obj),
        "submission_count": obj.submissions.count(),
    }
    return render(request, "marketing/form.html", context)
