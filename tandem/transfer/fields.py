"""What each import kind can fill, the column headers that mean it (ours, HubSpot's,
Salesforce's), and how a cell becomes a value (or a reason the row is refused)."""

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tandem.contacts import custom_fields
from tandem.contacts.models import CompanySize, LifecycleStage
from tandem.contacts.normalize import is_email, normalize_domain
from tandem.core.errors import Invalid
from tandem.core.tabular import undecodable
from tandem.transfer import times

COUNTRIES = {
    "germany": "DE", "deutschland": "DE", "united states": "US", "usa": "US",
    "united states of america": "US", "us": "US", "united kingdom": "GB", "uk": "GB",
    "great britain": "GB", "england": "GB", "france": "FR", "spain": "ES", "italy": "IT",
    "netherlands": "NL", "the netherlands": "NL", "belgium": "BE", "austria": "AT",
    "switzerland": "CH", "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI",
    "poland": "PL", "portugal": "PT", "ireland": "IE", "czech republic": "CZ", "czechia": "CZ",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL",
    "colombia": "CO", "india": "IN", "china": "CN", "japan": "JP", "korea": "KR",
    "south korea": "KR", "singapore": "SG", "australia": "AU", "new zealand": "NZ",
    "south africa": "ZA", "nigeria": "NG", "kenya": "KE", "egypt": "EG", "israel": "IL",
    "turkey": "TR", "united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA",
    "philippines": "PH", "indonesia": "ID", "malaysia": "MY", "thailand": "TH",
    "vietnam": "VN", "hong kong": "HK", "taiwan": "TW", "russia": "RU", "ukraine": "UA",
    "romania": "RO", "hungary": "HU", "greece": "GR", "kenia": "KE", "qatar": "QA",
    "bahrain": "BH", "oman": "OM", "kuwait": "KW", "ghana": "GH", "sri lanka": "LK",
    "bangladesh": "BD", "pakistan": "PK", "panama": "PA", "jordan": "JO",
    "korea, republic of": "KR",
}  # fmt: skip
STAGES = {
    **{v: v for v in LifecycleStage.values},
    **{label.lower(): value for value, label in LifecycleStage.choices},
    "marketing qualified lead": "mql", "marketingqualifiedlead": "mql",
    "sales qualified lead": "sql", "salesqualifiedlead": "sql", "evangelist": "advocate",
    "other": "lead", "open": "lead", "new": "lead", "working": "lead", "nurturing": "nurture",
}  # fmt: skip


def key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def text(limit: int) -> Callable:
    def parse(raw: str) -> str:
        value = raw.strip()
        if "\x00" in value:
            raise Invalid("holds a NUL character")
        if undecodable(value):
            raise Invalid("holds bytes that cannot be read as text in the file's encoding")
        if len(value) > limit:
            raise Invalid(f"is longer than {limit} characters ({len(value):,})")
        return value

    return parse


_EMAIL_TEXT = text(254)
_CUSTOM_TEXT = text(500)


def email(raw: str) -> str:
    value = _EMAIL_TEXT(raw)
    if value and not is_email(value.lower()):
        raise Invalid(f"“{value[:60]}” is not an email address")
    return value


def country(raw: str) -> str:
    value = text(100)(raw)
    if not value:
        return ""
    if len(value) == 2 and value.isalpha():
        return value.upper()
    code = COUNTRIES.get(value.lower())
    if code is None:  # real files misspell: “Philipines”
        close = difflib.get_close_matches(value.lower(), COUNTRIES, n=1, cutoff=0.85)
        code = COUNTRIES[close[0]] if close else None
    if code is None:
        raise Invalid(f"“{value[:40]}” is not a country we know (use the 2-letter code)")
    return code


def stage(raw: str) -> str:
    value = text(100)(raw)
    if not value:
        return ""
    code = STAGES.get(value.lower()) or STAGES.get(key(value))
    if code is None:
        raise Invalid(f"“{value[:40]}” is not a lifecycle stage")
    return code


def company_size(raw: str) -> str:
    """A size band, or a number of employees turned into its band."""
    value = text(30)(raw).replace(",", "").replace(" ", "")
    if not value:
        return ""
    if value in CompanySize.values:
        return value
    try:
        employees = int(float(value))
    except ValueError:
        raise Invalid(f"“{value[:20]}” is neither a size band nor a number of employees") from None
    for upper, band in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000")):
        if employees <= upper:
            return band
    return "1000+"


def domain(raw: str) -> str:
    return normalize_domain(text(200)(raw))


def amount(raw: str):
    """1054 · 1,054.50 · 1.054,50 · $1,054 · 1 054,5 → Decimal; negative amounts are refused."""
    value = re.sub(r"[^\d,.\-]", "", text(40)(raw))
    if not value:
        return None
    if "," in value and "." in value:
        value = value.replace(",", "") if value.rfind(".") > value.rfind(",") else (
            value.replace(".", "").replace(",", ".")
        )  # fmt: skip
    elif "," in value:
        head, _, tail = value.rpartition(",")
        value = value.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Invalid(f"“{raw.strip()[:20]}” is not an amount") from None
    if number < 0:
        raise Invalid("an amount cannot be negative")
    return number.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Target:
    label: str
    parse: Callable
    aliases: tuple[str, ...]
    moment: bool = False  # a time: read by tandem.transfer.times in the file's date order


def moment_target(label: str, aliases: tuple[str, ...]) -> Target:
    return Target(label, times.reader(None, times.zone()), aliases, moment=True)


# The dates a person reached each lifecycle stage: ours (became_mql_at), HubSpot's ("Became a
# Marketing Qualified Lead Date", "Date entered …") and Salesforce's lead "Converted Date".
STAGE_DATES = {
    "subscriber": ("becameasubscriberdate",),
    "lead": ("becamealeaddate",),
    "mql": ("becameamarketingqualifiedleaddate", "dateenteredmarketingqualifiedlead",
            "mqldate"),
    "sal": ("becameasalesacceptedleaddate", "saldate"),
    "sql": ("becameasalesqualifiedleaddate", "dateenteredsalesqualifiedlead", "converteddate",
            "sqldate"),
    "opportunity": ("becameanopportunitydate", "dateenteredopportunity"),
    "customer": ("becameacustomerdate", "dateenteredcustomer", "customersince"),
    "advocate": ("becameanevangelistdate", "dateenteredevangelist"),
}  # fmt: skip


PEOPLE = {
    "email": Target("Email", email, ("email", "emailaddress", "workemail", "e-mail")),
    "first_name": Target("First name", text(100), ("firstname", "givenname", "first")),
    "last_name": Target("Last name", text(100), ("lastname", "surname", "familyname", "last")),
    "title": Target("Job title", text(150), ("title", "jobtitle", "position")),
    "phone": Target(
        "Phone", text(50), ("phone", "phonenumber", "mobilephone", "mobilephonenumber", "telephone")
    ),  # fmt: skip
    "country": Target(
        "Country", country, ("country", "countryregion", "mailingcountry", "billingcountry")
    ),  # fmt: skip
    "region": Target(
        "Region or state", text(100), ("region", "state", "stateregion", "mailingstate", "province")
    ),  # fmt: skip
    "city": Target("City", text(100), ("city", "mailingcity")),
    "organization": Target(
        "Organization (by name)",
        text(200),
        (
            "organization",
            "company",
            "companyname",
            "account",
            "accountname",
            "associatedcompany",
        ),
    ),  # fmt: skip
    "lifecycle_stage": Target("Lifecycle stage", stage, ("lifecyclestage", "stage")),
    "created_at": moment_target(
        "Arrived (created)", ("createdat", "created", "createdate", "createddate", "createdon")
    ),
    **{
        f"became_{code}_at": moment_target(
            f"Became {LifecycleStage(code).label.lower()} at",
            (f"became{code}at", f"became{code}date", f"{code}at", *words),
        )
        for code, words in STAGE_DATES.items()
    },
}
ORGANIZATIONS = {
    "name": Target(
        "Name",
        text(200),
        ("name", "account", "accountname", "companyname", "company", "organization"),
    ),  # fmt: skip
    "domain": Target(
        "Domain or web site", domain, ("domain", "website", "companydomainname", "web", "url")
    ),  # fmt: skip
    "industry": Target("Industry", text(100), ("industry", "sector")),
    "size": Target(
        "Company size or employees",
        company_size,
        (
            "size",
            "companysize",
            "employees",
            "numberofemployees",
            "numberofemployeestotal",
        ),
    ),  # fmt: skip
    "country": Target(
        "Country", country, ("country", "countryregion", "billingcountry", "officelocation")
    ),  # fmt: skip
    "region": Target(
        "Region or state", text(100), ("region", "state", "stateregion", "billingstate")
    ),  # fmt: skip
    "city": Target("City", text(100), ("city", "billingcity")),
}
OPPORTUNITIES = {
    "name": Target(
        "Name or number",
        text(200),
        ("name", "opportunityname", "dealname", "opportunityid", "opportunity", "deal"),
    ),  # fmt: skip
    "organization": Target(
        "Organization (by name)",
        text(200),
        (
            "organization",
            "account",
            "accountname",
            "company",
            "companyname",
            "associatedcompany",
        ),
    ),  # fmt: skip
    "owner": Target(
        "Owner (a user's name)",
        text(150),
        (
            "owner",
            "salesagent",
            "opportunityowner",
            "dealowner",
            "rep",
            "salesrep",
        ),
    ),  # fmt: skip
    "stage": Target("Stage", text(100), ("stage", "dealstage", "pipelinestage")),
    "amount": Target("Amount", amount, ("amount", "closevalue", "value", "dealamount")),
    "opened": moment_target(
        "Opened (date or time)",
        ("opened", "openedat", "engagedate", "createdate", "created", "createddate", "createdat"),
    ),
    "close": moment_target(
        "Close (date or time)", ("close", "closedate", "closedat", "closetime", "expectedclose")
    ),
    "contact": Target(
        "Contact person (email)",
        email,
        (
            "contact",
            "contactemail",
            "email",
            "personemail",
            "primarycontact",
            "associatedcontact",
            "associatedcontactemail",
        ),
    ),  # fmt: skip
    "loss_reason": Target(
        "Loss reason (by name)",
        text(100),
        ("lossreason", "reasonlost", "closedlostreason", "lostreason"),
    ),
    "lost_to": Target("Lost to (a competitor's name)", text(100), ("lostto", "competitor")),
}


def touch_kind(raw: str) -> str:
    from tandem.marketing.models import TouchKind

    value = text(50)(raw)
    if not value:
        return ""
    codes = {**{v: v for v in TouchKind.values}, **{key(lb): v for v, lb in TouchKind.choices}}
    code = codes.get(value.lower()) or codes.get(key(value))
    if code is None:
        raise Invalid(f"“{value[:30]}” is not a touch kind")
    return code


TOUCHES = {
    "email": PEOPLE["email"],
    "first_name": PEOPLE["first_name"],
    "last_name": PEOPLE["last_name"],
    "title": PEOPLE["title"],
    "organization": PEOPLE["organization"],
    "country": PEOPLE["country"],
    "program": Target(
        "Program (by name)",
        text(200),
        ("program", "campaign", "event", "campaignname", "programname"),
    ),  # fmt: skip
    "kind": Target(
        "Touch kind", touch_kind, ("kind", "touchkind", "type", "activity", "interaction")
    ),  # fmt: skip
    "occurred_at": moment_target(
        "When (date or time)",
        (
            "occurredat",
            "occurred",
            "when",
            "date",
            "time",
            "timestamp",
            "datetime",
            "attended",
            "visited",
            "clicked",
            "eventdate",
            "createdat",
            "created",
        ),
    ),  # fmt: skip
    "utm_source": Target("UTM source", text(200), ("utmsource", "source")),
    "utm_medium": Target("UTM medium", text(200), ("utmmedium", "medium")),
    "utm_campaign": Target("UTM campaign", text(200), ("utmcampaign",)),
    "referrer": Target("Referrer", text(2000), ("referrer", "referer", "url", "page")),
}
ACTIVITY_WORDS = {
    "call": "call", "phonecall": "call", "phone": "call", "calllog": "call",
    "meeting": "meeting", "event": "meeting", "visit": "meeting", "demo": "meeting",
    "email": "email", "mail": "email", "emailsent": "email",
    "task": "task", "todo": "task", "note": "task", "followup": "task",
}  # fmt: skip


def activity_kind(raw: str) -> str:
    value = text(50)(raw)
    if not value:
        return ""
    code = ACTIVITY_WORDS.get(key(value))
    if code is None:
        raise Invalid(f"“{value[:30]}” is not a call, meeting, email or task")
    return code


ACTIVITIES = {
    "kind": Target("Kind (call, meeting, email, task)", activity_kind,
                   ("kind", "type", "activitytype", "tasktype", "engagementtype")),
    "subject": Target("Subject", text(200), ("subject", "title", "tasktitle", "activity", "name")),
    "notes": Target("Notes", text(10_000), ("notes", "body", "description", "comments", "details")),
    "due_at": moment_target("Due", ("dueat", "due", "duedate", "date", "activitydate", "start")),
    "done_at": moment_target("Done", ("doneat", "done", "completed", "completedat",
                                      "completeddate")),
    "owner": Target("Owner (a user's name)", text(150),
                    (*OPPORTUNITIES["owner"].aliases, "assignedto", "activityowner", "taskowner",
                     "activityassignedto", "createdby")),
    "email": Target("Person (by email)", PEOPLE["email"].parse,
                    ("email", "contactemail", "associatedcontact", "emailaddress")),
    "organization": OPPORTUNITIES["organization"],
    "opportunity": Target("Opportunity (by name)", text(200),
                          ("opportunity", "opportunityname", "deal", "dealname", "associateddeal")),
}  # fmt: skip
TARGETS = {
    "people": PEOPLE,
    "organizations": ORGANIZATIONS,
    "opportunities": OPPORTUNITIES,
    "touches": TOUCHES,
    "activities": ACTIVITIES,
}
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
                    value = _CUSTOM_TEXT(raw)
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
