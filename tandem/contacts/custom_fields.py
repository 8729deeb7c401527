"""Custom fields: what a team adds to people and organizations, and the one check every door
(the record forms, the API, the import) applies to a record's custom values: each defined
field's kind and options, whether it is required, and who may edit it. Keys nobody defined
(a web form's custom:<name>) stay free text, as before."""

import re
import time
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from tandem.contacts.models import CustomField
from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FREE_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
TEXT_LIMIT = 500
YES = {"yes", "y", "true", "1", "on", "ja", "oui", "si"}
NO = {"no", "n", "false", "0", "off", "nein", "non"}
Kind = CustomField.Kind
FORM_PREFIX = "custom__"


def may_define(actor) -> bool:
    """Admins and the managers of each function define custom fields."""
    return access.is_admin(actor) or getattr(actor, "role", "") in (
        "marketing_manager",
        "sales_manager",
    )


def definitions(record_type: str) -> list[CustomField]:
    return list(CustomField.objects.filter(record_type=record_type))


RECENT_TTL = 5.0  # seconds an edit takes to reach every server process's public forms
_recent: dict[str, tuple[float, list[CustomField]]] = {}


def definitions_recent(record_type: str) -> list[CustomField]:
    """The definitions as a few seconds ago, kept per process: for the public form endpoint,
    which reads them on every submission (an edit here is seen at once in this process)."""
    now = time.monotonic()
    hit = _recent.get(record_type)
    if hit is None or hit[0] <= now:
        hit = _recent[record_type] = (now + RECENT_TTL, definitions(record_type))
    return hit[1]


def forget_recent() -> None:
    _recent.clear()


def may_edit(actor, field: CustomField) -> bool:
    """Whether `actor` may change this field's value (None: the system, e.g. a form visitor)."""
    if actor is None or access.is_admin(actor) or field.editable_by == "everyone":
        return True
    return field.editable_by == access.function_of(actor)


def parse(field: CustomField, raw):
    """The stored value of `raw` for this field (None: empty), or Invalid naming the field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    if field.kind == Kind.NUMBER:
        return _number(field, text)
    if field.kind == Kind.DATE:
        return _date(field, text)
    if field.kind == Kind.YES_NO:
        return _yes_no(field, text)
    if field.kind == Kind.CHOICE:
        wanted = str(text).casefold()
        for option in field.options:
            if option.casefold() == wanted:
                return option
        raise _invalid(field, f"is one of {', '.join(field.options)}")
    if isinstance(text, dict | list):
        raise _invalid(field, "is text")
    value = str(text)
    if len(value) > TEXT_LIMIT:
        raise _invalid(field, f"takes at most {TEXT_LIMIT} characters")
    return value


def _invalid(field: CustomField, what: str) -> Invalid:
    return Invalid(f"{field.label} {what}.", field=FORM_PREFIX + field.key)


def _number(field, raw):
    if isinstance(raw, bool):
        raise _invalid(field, "is a number")
    try:
        value = Decimal(str(raw).replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise _invalid(field, "is a number") from None
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise _invalid(field, "is a number below a million billion")
    return int(value) if value == value.to_integral_value() else float(value)


def _date(field, raw) -> str:
    if isinstance(raw, date):
        return raw.isoformat()[:10]
    try:
        return date.fromisoformat(str(raw)[:10]).isoformat()
    except ValueError:
        raise _invalid(field, "is a date (YYYY-MM-DD)") from None


def _yes_no(field, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().casefold()
    if word in YES or word in NO:
        return word in YES
    raise _invalid(field, "is yes or no")


def _free(key: str, raw) -> str | None:
    if not isinstance(key, str) or not FREE_KEY.match(key):
        raise Invalid(
            f"“{str(key)[:40]}” is not a custom field: lower-case letters, digits and _.",
            field="custom",
        )
    if isinstance(raw, dict | list):
        raise Invalid(f"The custom value of {key} is text.", field="custom")
    value = "" if raw is None else str(raw).strip()
    return value[:TEXT_LIMIT] or None


class Checker:
    """The definitions of one record type, read once, applied to any number of records."""

    def __init__(self, record_type: str, actor, *, defs: list[CustomField] | None = None):
        self.actor = actor
        self.fields = {f.key: f for f in (definitions(record_type) if defs is None else defs)}

    def clean(self, incoming: dict, existing: dict | None = None, *, required=True) -> dict:
        """The record's custom values after applying `incoming` to `existing`."""
        if not isinstance(incoming, dict):
            raise Invalid("custom is an object of field: value.", field="custom")
        if len(incoming) > 100:
            raise Invalid("A record takes at most 100 custom values at once.", field="custom")
        result = dict(existing or {})
        for key, raw in incoming.items():
            field = self.fields.get(key)
            value = _free(key, raw) if field is None else parse(field, raw)
            if field is not None and value != result.get(key) and not may_edit(self.actor, field):
                raise Forbidden(f"Your role may not edit {field.label}.")
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
        if required:
            for field in self.fields.values():
                missing = result.get(field.key) in (None, "")
                if field.required and missing and may_edit(self.actor, field):
                    raise _invalid(field, "is required")
        return result

    def shown(self, values: dict) -> list[tuple[CustomField, str]]:
        """(field, value in words) of every defined field, in order, for a record page."""
        values = values or {}
        return [(f, display(f, values.get(f.key))) for f in self.fields.values()]


def display(field: CustomField, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field.kind == Kind.NUMBER and isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    if field.kind == Kind.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%-d %b %Y")
        except ValueError:
            return str(value)
    return str(value)


def clean(*, actor, record_type: str, incoming: dict, existing: dict | None, required=True):
    return Checker(record_type, actor).clean(incoming, existing, required=required)


# --- definitions: written by Settings → Custom fields and /api/custom-fields ---------------

EDITABLE = ("label", "kind", "options", "required", "editable_by", "position")


def _clean_definition(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in (*EDITABLE, "record_type", "key")}
    if "label" in data:
        data["label"] = (data["label"] or "").strip()
        if not data["label"]:
            raise Invalid("A custom field needs a label.", field="label")
        if len(data["label"]) > 100:
            raise Invalid("A label takes at most 100 characters.", field="label")
    if "kind" in data and data["kind"] not in Kind.values:
        raise Invalid(f"The kind is one of {', '.join(Kind.values)}.", field="kind")
    if "editable_by" in data and data["editable_by"] not in CustomField.Editors.values:
        editors = ", ".join(CustomField.Editors.values)
        raise Invalid(f"Who may edit is one of {editors}.", field="editable_by")
    if "options" in data:
        data["options"] = _options(data["options"])
    return data


def _options(raw) -> list[str]:
    items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    seen, options = set(), []
    for item in items:
        option = str(item).strip()
        if option and option.casefold() not in seen:
            if len(option) > 100:
                raise Invalid("An option takes at most 100 characters.", field="options")
            seen.add(option.casefold())
            options.append(option)
    if len(options) > 200:
        raise Invalid("A list takes at most 200 options.", field="options")
    return options


def _require(actor) -> None:
    if not may_define(actor):
        raise Forbidden("Admins and managers define custom fields.")


def key_from_label(label: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    if key and not key[0].isalpha():
        key = "f_" + key
    return key[:40].rstrip("_")


@transaction.atomic
def field_create(*, actor, via: str = "ui", data: dict) -> CustomField:
    _require(actor)
    transaction.on_commit(forget_recent)
    data = _clean_definition(data)
    if data.get("record_type") not in CustomField.RecordType.values:
        raise Invalid("A custom field is for people or organizations.", field="record_type")
    if "label" not in data:
        raise Invalid("A custom field needs a label.", field="label")
    data["key"] = (data.get("key") or key_from_label(data["label"])).strip()
    if not KEY.match(data["key"]):
        raise Invalid("The key takes lower-case letters, digits and _.", field="key")
    if data.get("kind") == Kind.CHOICE and not data.get("options"):
        raise Invalid("A list field needs its options, one a line.", field="options")
    field = CustomField(**data)
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError:
        raise Conflict(f"There is already a field “{field.key}” there.", field="key") from None
    activity.record(actor=actor, via=via, verb="created", target=field, summary=field.label)
    return field


@transaction.atomic
def field_update(*, actor, via: str = "ui", field: CustomField, data: dict) -> CustomField:
    _require(actor)
    transaction.on_commit(forget_recent)
    data = {k: v for k, v in _clean_definition(data).items() if k in EDITABLE}
    if data.get("kind", field.kind) == Kind.CHOICE and not data.get("options", field.options):
        raise Invalid("A list field needs its options, one a line.", field="options")
    changes = activity.apply_changes(field, data)
    if changes:
        field.save()
        activity.record(actor=actor, via=via, verb="updated", target=field, changes=changes)
    return field


@transaction.atomic
def field_delete(*, actor, via: str = "ui", field: CustomField) -> None:
    """The definition goes; the values stay in the records as free text (nothing is lost)."""
    _require(actor)
    transaction.on_commit(forget_recent)
    activity.record(actor=actor, via=via, verb="deleted", target=field, summary=field.label)
    field.delete()
