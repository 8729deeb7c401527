"""Opportunities from another CRM: owners found by name and given only as the importer could
by hand (see owners.py), stages matched by name or by won/lost, a closed deal only through the
closing rules (lost needs its reason), amounts and dates in the formats exports use. Deals the
importer cannot see are not matched: a same-named deal of another team is another deal."""

from datetime import timedelta

from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core import access
from tandem.sales.models import Competitor, LossReason, Opportunity, Stage, StageHistory, StageKind
from tandem.transfer import column_map, owners, trail
from tandem.transfer.models import ImportRow, RowAction
from tandem.transfer.rows import failed_row, organizations_by_name

NO_ACCOUNT = "No account (imported)"


def _stage_for(stages: list[Stage], raw: str) -> tuple[Stage, str]:
    wanted = raw.strip().lower()
    for stage in stages:
        if stage.name.lower() == wanted:
            return stage, ""
    for kind, words in ((StageKind.WON, ("won", "closed won")), (StageKind.LOST, ("lost",))):
        if any(w in wanted for w in words):
            return next(s for s in stages if s.kind == kind), ""
    first_open = next(s for s in stages if s.kind == StageKind.OPEN)
    return first_open, f"stage “{raw[:40]}” → {first_open.name}"


def close_zone(moment):
    """The zone a moment was read in: its date is the day the file meant."""
    return getattr(moment, "tzinfo", None) or timezone.get_current_timezone()


def _lookups(model) -> dict:
    return {o.name.lower(): o for o in model.objects.filter(active=True)}


class _Closing:
    """Lost deals need a loss reason (the row's, or the one chosen for rows without), and the
    competitor when the reason names one, as when closing by hand."""

    def __init__(self, job):
        self.reasons, self.competitors = _lookups(LossReason), _lookups(Competitor)
        default = job.options.get("loss_reason_id")
        self.default = (
            LossReason.objects.filter(pk=default, active=True).first() if default else None
        )

    def lost(self, data: dict) -> tuple[dict, list]:
        name, rival = data.get("loss_reason") or "", data.get("lost_to") or ""
        reason = self.reasons.get(name.lower()) if name else self.default
        if reason is None:
            why = f"no loss reason “{name[:40]}”" if name else (
                "closed lost needs a loss reason: map a loss reason column or choose one for "
                "the rows without"
            )  # fmt: skip
            return {}, [("loss reason", why)]
        competitor = self.competitors.get(rival.lower()) if rival else None
        if rival and competitor is None:
            return {}, [("lost to", f"no competitor “{rival[:40]}”")]
        if reason.names_competitor and competitor is None:
            return {}, [("lost to", f"“{reason.name}” needs the competitor the deal was lost to")]
        return {"loss_reason": reason, "lost_to": competitor}, []


def batch(job, pending: list) -> list[ImportRow]:
    parse = column_map.job_parser(job)
    stages = list(Stage.objects.filter(pipeline__is_default=True).order_by("order"))
    if not stages:
        return [failed_row(job, n, [("stage", "there is no default pipeline")]) for n, _ in pending]
    rows, parsed = [], []
    for number, cells in pending:
        data, _, errors = parse(cells)
        for required in ("name", "stage"):
            if not errors and not data.get(required):
                errors = [(required, f"the row has no {required}")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        parsed.append((number, data))
    rows += _contacts(job, parsed)
    named = {d["owner"] for _, d in parsed if d.get("owner")}
    people, refused = owners.resolve(job, named, "opportunity")
    closing = _Closing(job)
    accepted = []
    for number, data in parsed:
        owner_name = (data.get("owner") or "").lower()
        if owner_name in refused:
            rows.append(failed_row(job, number, [("owner", refused[owner_name])]))
            continue
        data["owner"] = people[owner_name] if owner_name else job.owner
        data["stage"], data["note"] = _stage_for(stages, data["stage"])
        if data["stage"].kind == StageKind.LOST:
            found, errors = closing.lost(data)
            if errors:
                rows.append(failed_row(job, number, errors))
                continue
            data.update(found)
        accepted.append((number, data))
    return rows + _create(job, accepted)


def _contacts(job, parsed: list) -> list[ImportRow]:
    """The contact person of each deal, found by email among the people the importer may see;
    a row naming nobody they can see is refused (and leaves `parsed`)."""
    emails = {d["contact"].lower() for _, d in parsed if d.get("contact")}
    if not emails:
        return []
    visible = access.scope(job.owner, Person.objects.all(), "person")
    found = dict(visible.filter(email_normalized__in=emails).values_list("email_normalized", "pk"))
    refused = []
    for item in list(parsed):
        number, data = item
        if data.get("contact"):
            data["person_id"] = found.get(data["contact"].lower())
            if data["person_id"] is None:
                why = f"no person with the email {data['contact'][:60]} that you can see"
                refused.append(failed_row(job, number, [("contact", why)]))
                parsed.remove(item)
    return refused


def _create(job, accepted: list) -> list[ImportRow]:
    orgs = organizations_by_name(job, {d.get("organization") or NO_ACCOUNT for _, d in accepted})
    visible = access.scope(job.owner, Opportunity.objects.all(), "opportunity")
    existing = {
        o.name: o
        for o in visible.filter(name__in={d["name"] for _, d in accepted}).only("pk", "name")
    }
    rows, create, seen = [], [], set()
    for number, data in accepted:
        if data["name"] in existing or data["name"] in seen:
            match = existing.get(data["name"])
            rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                  object_id=match.pk if match else None,
                                  message="an opportunity with this name exists"))  # fmt: skip
            continue
        seen.add(data["name"])
        create.append((number, _opportunity(data, orgs), data["note"]))
    created = Opportunity.objects.bulk_create([o for _, o, _ in create])
    StageHistory.objects.bulk_create(
        StageHistory(
            opportunity=o, stage_id=o.stage_id, entered_at=o.closed_at or o.created_at,
            actor=job.owner,
        )
        for o in created
    )  # fmt: skip
    trail.record(job, "created", "opportunity", (o.pk for o in created))
    return rows + [
        ImportRow(job=job, number=n, action=RowAction.CREATED, object_id=o.pk, message=note)
        for n, o, note in create
    ]


def _opportunity(data: dict, orgs: dict) -> Opportunity:
    """Open and close are moments (a date alone is its midnight in the importer's zone)."""
    stage = data["stage"]
    opened = data.get("opened") or timezone.now()
    close = data.get("close")
    closed = stage.kind != StageKind.OPEN
    opp = Opportunity(
        name=data["name"],
        organization_id=orgs[(data.get("organization") or NO_ACCOUNT).lower()],
        person_id=data.get("person_id"),
        owner=data["owner"],
        pipeline_id=stage.pipeline_id,
        stage=stage,
        amount=data.get("amount") or 0,
        expected_close=timezone.localdate(close or opened + timedelta(days=90), close_zone(close)),
        closed_at=(close or opened) if closed else None,
        created_at=opened,
        loss_reason=data.get("loss_reason"),
        lost_to=data.get("lost_to"),
    )
    opp.search_text = f"{opp.name} {data.get('organization') or ''}".lower()
    return opp
