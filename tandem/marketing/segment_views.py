"""The segment builder: rows of allow-listed conditions with a live count."""

from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.views.decorators.http import require_POST

from tandem.contacts.models import Person
from tandem.core import access, export, listing
from tandem.core.activity import timeline_for
from tandem.core.errors import Invalid
from tandem.core.web import guarded, render_list, save_form
from tandem.marketing import segments, selectors
from tandem.marketing.form_views import rows_from_post
from tandem.marketing.forms import SegmentForm

ROW_KEYS = ("field", "op", "value", "group", "since", "until")
BLANK_ROWS = 3


def _posted(post) -> list[dict]:
    return rows_from_post(post, "cond", ROW_KEYS)


def _builder(rows: list[dict]) -> dict:
    ops: dict[str, str] = {}
    for spec in segments.FIELDS.values():
        ops.update(spec.ops)
    blank = {"field": "", "op": "", "value": "", "group": "1", "since": "", "until": ""}
    return {
        "cond_rows": [*rows, *[blank] * BLANK_ROWS],
        "fields": [(k, f.label) for k, f in segments.FIELDS.items()],
        "ops": list(ops.items()),
        "field_help": [
            (f.label, ", ".join(f.ops.values()), ", ".join(str(c[0]) for c in f.choices))
            for f in segments.FIELDS.values()
        ],
        "programs": selectors.programs_for_choice(),
        "users": get_user_model().objects.filter(is_active=True).order_by("username"),
    }


def _people(actor):
    return access.scope(actor, Person.objects.all(), "person")


def _count(actor, conditions) -> int:
    return segments.people(conditions, _people(actor)).count()


@guarded
def segments_list(request):
    page = selectors.segment_list(actor=request.user, params=request.GET)
    extra = {"can_create": access.can_create(request.user, "segment")}
    return render_list(request, "marketing/segments.html", page, extra)


def _save(request, form, rows, save, title, extra=None):
    def with_conditions(data):
        return save({**data, "conditions": rows})

    context = {"title": title, **_builder(rows), **(extra or {})}
    return save_form(request, form, with_conditions, "marketing/segment_edit.html", context)


@guarded
def segment_new(request):
    access.require_create(request.user, "segment")
    rows = _posted(request.POST) if request.method == "POST" else []
    form = SegmentForm(request.POST or None)
    return _save(
        request,
        form,
        rows,
        lambda data: segments.segment_create(actor=request.user, data=data),
        "New segment",
    )


@guarded
def segment_edit(request, pk: int):
    obj = selectors.segment_get_for(actor=request.user, id=pk, action=access.WRITE)
    rows = _posted(request.POST) if request.method == "POST" else list(obj.conditions)
    form = SegmentForm(request.POST or None, instance=obj)
    return _save(
        request,
        form,
        rows,
        lambda data: segments.segment_update(actor=request.user, segment=obj, data=data),
        f"Edit {obj}",
        {"segment": obj},
    )


@require_POST
@guarded
def segment_count(request):
    """The builder's live count, for the rows as they stand."""
    try:
        conditions = segments.clean(_posted(request.POST))
        context = {"count": _count(request.user, conditions)}
    except Invalid as exc:
        context = {"error": exc.message}
    return render(request, "marketing/_segment_count.html", context)


@guarded
def segment_detail(request, pk: int):
    obj = selectors.segment_get_for(actor=request.user, id=pk)
    people = segments.people(obj.conditions, _people(request.user)).order_by("-created_at", "-id")
    number, size = listing.page_numbers(request.GET)
    page = listing.paginate(
        people.select_related("organization"), number=number, size=size, params={}
    )
    context = {
        "obj": obj,
        "can_edit": access.can_write(request.user, obj, "segment"),
        "description": segments.describe(obj.conditions),
        "count": _count(request.user, obj.conditions),
        "timeline": timeline_for(obj),
    }
    return render_list(request, "marketing/segment.html", page, context)


EXPORT_COLUMNS = (
    ("id", "pk"),
    ("email", "email"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("title", "title"),
    ("organization", "organization__name"),
    ("country", "country"),
    ("lifecycle_stage", "lifecycle_stage"),
    ("score", "score"),
    ("consent", "consent"),
)


@guarded
def segment_export(request, pk: int):
    """The segment's people as CSV (streamed, fine for a million rows) or XLSX."""
    obj = selectors.segment_get_for(actor=request.user, id=pk)
    people = segments.people(obj.conditions, _people(request.user)).order_by("pk")
    rows = people.values_list(*(lookup for _, lookup in EXPORT_COLUMNS)).iterator(2000)
    header = [name for name, _ in EXPORT_COLUMNS]
    fmt = request.GET.get("format", "csv")
    return export.response(fmt, f"segment-{obj.pk}", header, rows)
