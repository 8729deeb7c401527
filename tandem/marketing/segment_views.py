"""The segment builder: field → operator → value rows in groups that match all or any, nested
three deep, dates by picker or relative, and the live count."""

import re

from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.views.decorators.http import require_POST

from tandem.contacts.models import Person
from tandem.core import access, export, listing, timeline
from tandem.core.errors import Invalid
from tandem.core.replica import replica_reads
from tandem.core.web import guarded, render_list, save_form
from tandem.marketing import segments, selectors
from tandem.marketing.forms import SegmentForm

ID = r"[a-z0-9]{1,24}"
MAX_NODES = 100
TEXT = ("first_name", "last_name", "email", "title", "city", "region", "organization", "industry")
# how each field takes its value in the builder
WIDGETS = {
    **dict.fromkeys(TEXT, "text"),
    "country": "text",
    "company_size": "multi",
    "stage": "multi",
    "consent": "multi",
    "score": "number",
    "program": "select",
    "touch_kind": "select",
    "customer": "select",
    "owner": "select",
    "created": "none",
}
PLACEHOLDERS = {"country": "DE, FR", "email": "name@example.com"}


def _row_from(data, rid: str) -> dict:
    when = data.get(f"r-{rid}-when", "")
    return {
        "field": data.get(f"r-{rid}-field", ""),
        "op": data.get(f"r-{rid}-op", ""),
        "value": ",".join(v for v in data.getlist(f"r-{rid}-value") if v),
        "last_days": data.get(f"r-{rid}-last_days", "") if when == "last" else "",
        "since": data.get(f"r-{rid}-since", "") if when == "between" else "",
        "until": data.get(f"r-{rid}-until", "") if when == "between" else "",
    }


def tree_from_post(post) -> dict:
    """The builder's rows and groups, posted as r-<id>-… and g-<id>-… with their parent's id,
    in page order, as the tree segments.clean takes. A node whose parent came later (or never)
    is dropped, so no loop can be posted; blank rows are dropped."""
    root = {"match": post.get("g-root-match", "all"), "rules": []}
    placed = {"root": root}
    nodes = [
        (m[1], m[2], post.get(key))
        for key in post
        if (m := re.fullmatch(rf"([gr])-({ID})-parent", key))
    ][:MAX_NODES]
    for kind, nid, parent in nodes:
        target = placed.get(parent)
        if target is None or nid in placed:
            continue
        if kind == "g":
            placed[nid] = {"match": post.get(f"g-{nid}-match", "all"), "rules": []}
            target["rules"].append(placed[nid])
        elif (row := _row_from(post, nid))["field"]:
            target["rules"].append(row)
    return root


def row_view(row: dict, rid: str, parent: str) -> dict:
    """What the builder shows for one row: the field's operators, and the value's widget."""
    spec = segments.FIELDS.get(row.get("field", ""))
    view = {**row, "id": rid, "parent": parent, "spec": spec}
    if spec is None:
        return view
    op = row.get("op") if row.get("op") in spec.ops else next(iter(spec.ops))
    widget = WIDGETS.get(row["field"], "text")
    choices = list(spec.choices)
    if row["field"] == "program":
        choices = [(str(p.pk), p.name) for p in selectors.programs_for_choice()[:500]]
    elif row["field"] == "owner":
        users = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
        choices = [("none", "Nobody")] + [(str(u.pk), u.display_name) for u in users[:500]]
    value = str(row.get("value") or "")
    when = (
        "last"
        if row.get("last_days")
        else "between"
        if row.get("since") or row.get("until")
        else "any"
    )
    return {
        **view,
        "op": op,
        "ops": list(spec.ops.items()),
        "widget": "none" if op in segments.VALUELESS_OPS else widget,
        "choices": choices,
        "selected": {v.strip() for v in value.split(",")}
        if widget == "multi"
        else {value.split(" ")[0]},
        "value": value,
        "placeholder": PLACEHOLDERS.get(row["field"], ""),
        "when": when,
    }


def _fields() -> list[tuple[str, str]]:
    return [(k, f.label) for k, f in segments.FIELDS.items()]


def _tree_view(node: dict, gid: str, parent: str, depth: int, counter: list[int]) -> dict:
    rules = []
    for child in node.get("rules", []):
        counter[0] += 1
        cid = f"n{counter[0]}"
        if "rules" in child and "field" not in child:
            rules.append(_tree_view(child, cid, gid, depth + 1, counter))
        else:
            rules.append({"is_row": True, **row_view(child, cid, gid)})
    return {"id": gid, "parent": parent, "match": node.get("match", "all"), "rules": rules,
            "depth": depth}  # fmt: skip


def _builder(tree: dict) -> dict:
    tree = segments.as_tree(tree)
    if not tree["rules"]:
        tree = {"match": tree["match"], "rules": [{"field": ""}]}
    return {
        "root": _tree_view(tree, "root", "", 1, [0]),
        "fields": _fields(),
        "blank_row": {"is_row": True, **row_view({"field": ""}, "__ID__", "__PARENT__")},
        "blank_group": {
            "id": "__GID__",
            "parent": "__PARENT__",
            "match": "all",
            "depth": 2,
            "rules": [{"is_row": True, **row_view({"field": ""}, "__ID__", "__GID__")}],
        },
        "max_depth": segments.MAX_DEPTH,
    }


def _people(actor):
    return access.scope(actor, Person.objects.all(), "person")


def _count(actor, conditions) -> int:
    return segments.people(conditions, _people(actor)).count()


@guarded
def segments_list(request):
    page = selectors.segment_list(actor=request.user, params=request.GET)
    for segment in page.items:
        segment.rules_text = segments.describe(segment.conditions)
    extra = {"can_create": access.can_create(request.user, "segment")}
    return render_list(request, "marketing/segments.html", page, extra)


def _save(request, form, tree, save, title, extra=None):
    def with_conditions(data):
        return save({**data, "conditions": tree})

    context = {"title": title, **_builder(tree), **(extra or {})}
    return save_form(request, form, with_conditions, "marketing/segment_edit.html", context)


@guarded
def segment_new(request):
    access.require_create(request.user, "segment")
    tree = tree_from_post(request.POST) if request.method == "POST" else {}
    form = SegmentForm(request.POST or None)
    return _save(
        request,
        form,
        tree,
        lambda data: segments.segment_create(actor=request.user, data=data),
        "New segment",
    )


@guarded
def segment_edit(request, pk: int):
    obj = selectors.segment_get_for(actor=request.user, id=pk, action=access.WRITE)
    tree = tree_from_post(request.POST) if request.method == "POST" else obj.conditions
    form = SegmentForm(request.POST or None, instance=obj)
    return _save(
        request,
        form,
        tree,
        lambda data: segments.segment_update(actor=request.user, segment=obj, data=data),
        f"Edit {obj}",
        {"segment": obj},
    )


@require_POST
@guarded
def segment_count(request):
    """The builder's live count, for the rows as they stand."""
    try:
        conditions = segments.clean(tree_from_post(request.POST))
        people = segments.people(conditions, _people(request.user))
        context = {
            "count": people.count(),
            "description": segments.describe(conditions),
            "sample": people.order_by("-score", "-id")[:5],
        }
    except Invalid as exc:
        context = {"error": exc.message}
    return render(request, "marketing/_segment_count.html", context)


@guarded
def segment_row(request):
    """One builder row again, after its field, operator or period changed."""
    access.require_see(request.user, "segment")
    rid, parent = request.GET.get("row", ""), request.GET.get(f"r-{request.GET.get('row')}-parent")
    if not re.fullmatch(ID, rid) or not re.fullmatch(ID, parent or ""):
        raise Invalid("No such row.")
    row = _row_from(request.GET, rid)
    if request.GET.get(f"r-{rid}-was") != row["field"]:
        row.update(op="", value="")  # a new field starts from its first operator, no value
    row["when"] = request.GET.get(f"r-{rid}-when", "")
    view = row_view(row, rid, parent)
    if row["when"] in ("any", "last", "between"):
        view["when"] = row["when"]
    return render(request, "marketing/_qb_row.html", {"row": view, "fields": _fields()})


@guarded
def segment_detail(request, pk: int):
    obj = selectors.segment_get_for(actor=request.user, id=pk)
    people = segments.people(obj.conditions, _people(request.user)).order_by("-created_at", "-id")
    number, size = listing.page_numbers(request.GET)
    page = listing.paginate(
        people.select_related("organization"), number=number, size=size, params={}
    )
    context = {
        **timeline.page_context(request, obj, "segment"),
        "obj": obj,
        "can_edit": access.can_write(request.user, obj, "segment"),
        "description": segments.describe(obj.conditions),
        # the list's own count is exact for a small segment; a large one is counted after
        "count": page.total if page.total_exact else None,
        "campaigns": obj.campaigns.order_by("-id")[:10],
    }
    return render_list(request, "marketing/segment.html", page, context)


@guarded
@replica_reads
def segment_size(request, pk: int):
    """A large segment's exact size, fetched by its page once shown."""
    obj = selectors.segment_get_for(actor=request.user, id=pk)
    return render(
        request, "marketing/_segment_size.html", {"count": _count(request.user, obj.conditions)}
    )


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
@replica_reads
def segment_export(request, pk: int):
    """The segment's people as CSV (streamed, fine for a million rows) or XLSX."""
    obj = selectors.segment_get_for(actor=request.user, id=pk)
    people = segments.people(obj.conditions, _people(request.user)).order_by("pk")
    rows = people.values_list(*(lookup for _, lookup in EXPORT_COLUMNS)).iterator(2000)
    header = [name for name, _ in EXPORT_COLUMNS]
    fmt = request.GET.get("format", "csv")
    return export.response(fmt, f"segment-{obj.pk}", header, rows)
