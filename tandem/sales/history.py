"""A deal from the past, as it happened: another system's closed deal with its contact person,
opened and moved through its stages at their own times — so that reports, attribution and the
sales cycle read the real history instead of "now"."""

from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import Organization
from tandem.core import access, activity
from tandem.core.errors import Invalid
from tandem.sales import closing
from tandem.sales.models import Opportunity, StageHistory, StageKind
from tandem.sales.services import (
    OPPORTUNITY_FIELDS,
    _check_opportunity,
    _check_refs,
    _search_text,
)


@transaction.atomic
def opportunity_record(
    *, actor, via: str = "api", data: dict, opened_at, steps: list, loss_reason=None,
    lost_to=None,
) -> Opportunity:  # fmt: skip
    """`steps`: [(stage, entered_at)], oldest first, all in one pipeline, none before the
    opening nor in the future; the last one is where the deal is (won or lost: closed then).
    The rights are a new deal's; a lost one needs its reason, as when closing by hand."""
    access.require_create(actor, "opportunity")
    data = {k: v for k, v in data.items() if k in OPPORTUNITY_FIELDS}
    if data.get("owner") is None:
        data["owner"] = actor
    access.check_owner(actor, "opportunity", data["owner"])
    _check_refs(actor, data)
    _check_opportunity(data)
    now = timezone.now()
    if not steps:
        raise Invalid("Give at least the stage the deal is in, with when.", field="stages")
    if opened_at > now:
        raise Invalid("A deal from the past opened before now.", field="opened_at")
    pipelines = {stage.pipeline_id for stage, _ in steps}
    if len(pipelines) > 1:
        raise Invalid("All the stages belong to one pipeline.", field="stages")
    last = opened_at
    for stage, at in steps:
        if at < last or at > now:
            raise Invalid("Stages follow one another in time, from the opening to now.",
                          field="stages")  # fmt: skip
        if stage.kind != StageKind.OPEN and (stage, at) != steps[-1]:
            raise Invalid("Only the last stage may close the deal.", field="stages")
        last = at
    final, closed_at = steps[-1]
    if final.kind == StageKind.LOST:
        closing.check_lost(loss_reason=loss_reason, lost_to=lost_to)
    opp = Opportunity(**data, pipeline_id=final.pipeline_id, stage=final, created_at=opened_at,
                      closed_at=closed_at if final.kind != StageKind.OPEN else None,
                      loss_reason=loss_reason if final.kind == StageKind.LOST else None,
                      lost_to=lost_to if final.kind == StageKind.LOST else None)  # fmt: skip
    opp.search_text = _search_text(opp)
    opp.save()
    StageHistory.objects.bulk_create(
        StageHistory(opportunity=opp, stage=stage, entered_at=at, actor=actor,
                     left_at=steps[i + 1][1] if i + 1 < len(steps) else None)
        for i, (stage, at) in enumerate(steps)
    )  # fmt: skip
    if final.kind == StageKind.WON:
        Organization.objects.filter(pk=opp.organization_id).update(is_customer=True)
    activity.record(actor=actor, via=via, verb="created", target=opp,
                    summary=f"{opp.name} (from history)")  # fmt: skip
    return opp
