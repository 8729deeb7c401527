"""Voice of the customer: why deals are lost and what buyers object to, for marketing to read.

Loss reasons and competitors come from the opportunities lost in the period; objections from
those recorded in the period. Each is rolled up by the program that brought the buyer, a segment
the buyer is in, a product on the deal, or the competitor the deal was lost to."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tandem.core import periods
from tandem.insights.tables import Column, Table, bar_chart
from tandem.marketing import segments
from tandem.marketing.models import Segment
from tandem.sales.models import Opportunity, OpportunityLine, OpportunityObjection, StageKind

GROUPS = {
    "program": "Program",
    "segment": "Segment",
    "product": "Product",
    "competitor": "Competitor",
}
MAX_SEGMENTS = 50


@dataclass
class Params:
    since: date
    until: date
    by: str = "program"


def _mentions(p: Params) -> list[tuple[int, str, Decimal]]:
    """(opportunity, what was said, the deal's amount) for each loss and objection."""
    start, end = periods.days(p.since, p.until)
    lost = Opportunity.objects.filter(
        stage__kind=StageKind.LOST, closed_at__gte=start, closed_at__lt=end
    )
    out = []
    for pk, reason, rival, amount in lost.values_list(
        "pk", "loss_reason__name", "lost_to__name", "amount"
    ):
        out.append((pk, f"Loss reason: {reason or '(none given)'}", amount or Decimal(0)))
        if rival and p.by != "competitor":
            out.append((pk, f"Lost to: {rival}", amount or Decimal(0)))
    said = OpportunityObjection.objects.filter(created_at__gte=start, created_at__lt=end)
    for pk, objection, amount in said.values_list(
        "opportunity_id", "objection__name", "opportunity__amount"
    ):
        out.append((pk, f"Objection: {objection}", amount or Decimal(0)))
    return out


def _groups(p: Params, opps: set[int]) -> dict[int, list[str]]:
    """Each opportunity's groups (a deal with two products is in both)."""
    found: dict[int, list[str]] = defaultdict(list)
    ids = sorted(opps)
    for i in range(0, len(ids), 5_000):
        chunk = ids[i : i + 5_000]
        if p.by == "program":
            rows = Opportunity.objects.filter(pk__in=chunk).values_list(
                "pk", "person__source_program__name"
            )
        elif p.by == "competitor":
            rows = Opportunity.objects.filter(pk__in=chunk).values_list("pk", "lost_to__name")
        elif p.by == "product":
            rows = (
                OpportunityLine.objects.filter(opportunity_id__in=chunk)
                .values_list("opportunity_id", "product__name")
                .distinct()
            )
        else:
            rows = []
            for segment in Segment.objects.order_by("name")[:MAX_SEGMENTS]:
                members = segments.people(segment.conditions).values("pk")
                inside = Opportunity.objects.filter(
                    pk__in=chunk, person_id__in=members
                ).values_list("pk", flat=True)
                rows.extend((pk, segment.name) for pk in inside)
        for pk, group in rows:
            found[pk].append(group or "(none)")
    return found


def cells(p: Params) -> dict[tuple[str, str], dict]:
    mentions = _mentions(p)
    groups = _groups(p, {pk for pk, _, _ in mentions})
    out: dict[tuple[str, str], dict] = {}
    for pk, item, amount in mentions:
        for group in groups.get(pk, ["(none)"]):
            c = out.setdefault((group, item), {"opps": set(), "amount": Decimal(0)})
            if pk not in c["opps"]:
                c["opps"].add(pk)
                c["amount"] += amount
    return out


COLUMNS_FOR = {
    by: [
        Column("group", label, "text"),
        Column("item", "What buyers said", "text"),
        Column("deals", "Deals", "int", drill=True),
        Column("amount", "Amount of those deals", "money"),
    ]
    for by, label in GROUPS.items()
}


def report(actor, p: Params) -> Table:
    data = cells(p)
    rows = [
        {
            "key": f"{group}\x1f{item}",
            "group": group,
            "item": item,
            "deals": len(c["opps"]),
            "amount": c["amount"],
        }
        for (group, item), c in data.items()
    ]
    rows.sort(key=lambda r: (r["group"], -r["deals"], r["item"]))
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["item"]] += r["deals"]
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:15]
    chart = bar_chart([k for k, _ in top], {"Deals": [v for _, v in top]})
    return Table(
        f"Voice of the customer by {GROUPS[p.by].lower()}", COLUMNS_FOR[p.by], rows, chart=chart
    )


def drill(actor, p: Params, row: str, column: str) -> tuple[str, list[int]]:
    group, _, item = row.partition("\x1f")
    c = cells(p).get((group, item))
    return "opportunities", sorted(c["opps"]) if c else []
