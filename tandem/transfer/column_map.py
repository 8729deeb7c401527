"""How a file's columns map to a kind's fields: the mapping proposed from the headers, its
checks, the time columns and their warning, and the parser of a job's rows."""

from collections.abc import Callable

from tandem.contacts import custom_fields
from tandem.core.errors import Invalid
from tandem.transfer import times
from tandem.transfer.fields import CUSTOM_TEXT, STAGE_DATES, TARGETS, key

CUSTOM = "custom"
DEFINED = "custom:"  # + the key of a custom field defined in Settings
CUSTOM_KINDS = {"people": "person"}
# The field a time column that matches no alias fills ("time", "Event at", "visit_date"), and
# the warning when a file has none
TIME_FIELD = {"touches": "occurred_at", "people": "created_at", "activities": "due_at"}
NO_TIME = {
    "touches": "No column says when each touch happened: every touch will be dated at the "
    "import, and the reports will read them as today's.",
    "people": "No column says when people arrived or reached their lifecycle stage: each "
    "will be dated at the import.",
    "opportunities": "No close column: a closed deal will be dated at its open date, or at "
    "the import.",
    "activities": "No due or done column: every activity will be dated at the import.",
}
TIME_FIELDS_OF = {
    "people": ("created_at", *(f"became_{c}_at" for c in STAGE_DATES)),
    "touches": ("occurred_at",),
    "opportunities": ("close", "opened"),
    "activities": ("due_at", "done_at"),
}


def defined_fields(kind: str) -> dict:
    """{custom:<key>: CustomField} a file of this kind can fill."""
    record_type = CUSTOM_KINDS.get(kind)
    if record_type is None:
        return {}
    return {DEFINED + f.key: f for f in custom_fields.definitions(record_type)}


def choices(kind: str) -> list[tuple[str, str]]:
    """(field, label) of every target, the defined custom fields after the standard ones."""
    standard = [(k, t.label) for k, t in TARGETS[kind].items()]
    return standard + [(k, f"{f.label} (custom field)") for k, f in defined_fields(kind).items()]


def auto_map(kind: str, header: list[str]) -> dict[str, str]:
    """{column index: field} for the headers we recognize; the rest stay unmapped."""
    targets, mapping, used = TARGETS[kind], {}, set()
    defined = defined_fields(kind)
    for index, name in enumerate(header):
        k = key(name)
        for field, target in targets.items():
            if field not in used and (k == key(field) or k in target.aliases):
                mapping[str(index)] = field
                used.add(field)
                break
        else:
            for field, definition in defined.items():
                if field not in used and k in (key(definition.key), key(definition.label)):
                    mapping[str(index)] = field
                    used.add(field)
                    break
    fallback = TIME_FIELD.get(kind)
    if fallback and fallback not in used:
        for index, name in enumerate(header):
            if str(index) not in mapping and times.is_time_header(name):
                mapping[str(index)] = fallback
                break
    return mapping


def time_warning(kind: str, mapping: dict) -> str:
    """The warning of a mapping that leaves every record of this kind dated at the import."""
    wanted = TIME_FIELDS_OF.get(kind, ())
    return "" if set(wanted) & set(mapping.values()) else NO_TIME.get(kind, "")


def time_columns(kind: str, mapping: dict) -> list[int]:
    targets = TARGETS[kind]
    return sorted(
        int(i) for i, f in mapping.items() if f in targets and targets[f].moment
    )  # fmt: skip


def clean_mapping(kind: str, header: list[str], raw: dict, actor=None) -> dict[str, str]:
    targets, mapping, seen = TARGETS[kind], {}, set()
    defined = defined_fields(kind)
    for index, field in (raw or {}).items():
        if not field:
            continue
        if not str(index).isdigit() or int(index) >= len(header):
            raise Invalid(f"There is no column {index}.", field="mapping")
        if field != CUSTOM and field not in targets and field not in defined:
            raise Invalid(f"“{field}” is not a field of {kind}.", field="mapping")
        if field != CUSTOM and field in seen:
            label = defined[field].label if field in defined else targets[field].label
            raise Invalid(f"Two columns map to {label}.", field="mapping")
        if field in defined and not custom_fields.may_edit(actor, defined[field]):
            raise Invalid(f"Your role may not fill {defined[field].label}.", field="mapping")
        seen.add(field)
        mapping[str(index)] = field
    if kind == "people" and "email" not in seen and not {"first_name", "last_name"} & seen:
        raise Invalid("Map the email column (or at least a name).", field="mapping")
    if kind == "organizations" and "name" not in seen:
        raise Invalid("Map the name column.", field="mapping")
    if kind == "opportunities" and not {"name", "stage"} <= seen:
        raise Invalid(
            "Map the name and stage columns (without an owner column, you own every deal).",
            field="mapping",
        )
    if kind == "activities" and "subject" not in seen:
        raise Invalid(
            "Map the subject column (without an owner column, you own every activity).",
            field="mapping",
        )
    if kind == "touches" and "email" not in seen:
        raise Invalid("Map the email column: touches find their people by email.", field="mapping")
    return mapping


def job_parser(job) -> Callable:
    """row_parser for an import job: its time columns read in the order the file's values
    show (or the importer chose), in the importer's time zone."""
    orders = {**(job.notes or {}).get("date_orders", {}), **(job.options or {}).get("dates", {})}
    tz = times.zone(getattr(job.owner, "time_zone", ""))
    return row_parser(job.kind, job.header, job.mapping, orders=orders, tz=tz)


def row_parser(kind: str, header: list[str], mapping: dict, *, orders=None, tz=None) -> Callable:
    """parse_row for one file, with the per-column look-ups done once: cells → (data, custom,
    errors as [(column, reason)])."""
    targets, specs = TARGETS[kind], []
    orders, tz = orders or {}, tz or times.zone()
    defined = defined_fields(kind) if any(f.startswith(DEFINED) for f in mapping.values()) else {}
    for index, field in mapping.items():
        i = int(index)
        column = header[i] if i < len(header) else f"column {i + 1}"
        if field == CUSTOM:
            specs.append((i, column, None, key(column)[:40] or f"column{i + 1}"))
        elif field in defined:
            specs.append((i, column, None, defined[field]))
        elif field.startswith(DEFINED):
            continue  # the field was removed from Settings since the mapping: not imported
        elif targets[field].moment:
            specs.append((i, column, field, times.reader(orders.get(str(i)), tz)))
        else:
            specs.append((i, column, field, targets[field].parse))

    def parse(cells: list[str]):
        data, custom, errors, n = {}, {}, [], len(cells)
        for i, column, field, how in specs:
            raw = (cells[i] or "") if i < n else ""
            try:
                if field is None and isinstance(how, str):
                    value = CUSTOM_TEXT(raw)
                    if value:
                        custom[how] = value
                elif field is None:
                    value = custom_fields.parse(how, raw)
                    if value is not None:
                        custom[how.key] = value
                else:
                    data[field] = how(raw)
            except Invalid as exc:
                errors.append((column, exc.message))
        return data, custom, errors

    return parse


def parse_row(kind: str, header: list[str], mapping: dict, cells: list[str]):
    """(data, custom, errors as [(column, reason)])."""
    return row_parser(kind, header, mapping)(cells)
