"""What each import kind can fill, the column headers that mean it (ours, HubSpot's,
Salesforce's), and how a cell becomes a value (or a reason the row is refused)."""

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
CUSTOM_TEXT = text(500)


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
