"""Every insights metric against an independent plain-Python computation over the same rows."""

import csv
import random
import re
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition, Person
from tandem.handoff.models import Handoff
from tandem.insights import attribution_report, funnel, programs, reps, voc
from tandem.marketing.models import ProgramCost, Touch
from tandem.sales.models import (
    LossReason,
    Objection,
    Opportunity,
    OpportunityLine,
    OpportunityObjection,
    Product,
    Stage,
)
from tests import factories as f
from tests.conftest import shared_dataset

ORDER = ["lead", "mql", "sal", "sql", "opportunity", "customer"]
TODAY = timezone.localdate()
SINCE, UNTIL = TODAY - timedelta(days=60), TODAY


@pytest.fixture
def market(world):
    """Four programs, 150 people with touches and stage histories, 50 closed deals."""
    rng = random.Random(42)
    now = timezone.now()
    progs = [world.program] + [
        f.program(name=f"P{i}", channel=ch) for i, ch in enumerate(["web", "email", "advertising"])
    ]
    for p in progs:
        for _ in range(3):
            day = TODAY - timedelta(days=rng.randint(0, 90))  # some before the period
            ProgramCost.objects.create(
                program=p, incurred_on=day, amount=Decimal(rng.randint(100, 900))
            )
    reps_ = [world.owner, world.teammate, world.outsider]
    reasons = [LossReason.objects.get_or_create(name=n)[0] for n in ("Price", "Timing")]
    objections = [
        Objection.objects.get_or_create(name=n)[0] for n in ("Too expensive", "No budget")
    ]
    products = [Product.objects.create(sku=f"S{i}", name=f"Product {i}") for i in range(2)]
    won_stage = Stage.objects.get(name="Closed won")
    lost_stage = Stage.objects.get(kind="lost")
    people = []
    for i in range(150):
        first = now - timedelta(days=rng.uniform(0, 80), hours=rng.uniform(0, 5))
        source = rng.choice(progs)
        person = f.person(source_program=source, first_touch_at=first)
        people.append(person)
        Touch.objects.create(
            person=person, program=source, kind="form_submitted", occurred_at=first
        )
        for _ in range(rng.randint(0, 4)):
            at = first + timedelta(days=rng.uniform(0, 30))
            if at < now:
                Touch.objects.create(
                    person=person, program=rng.choice(progs), kind="email_clicked", occurred_at=at
                )
        at, reached = first, rng.randint(0, 5)
        for stage in ORDER[1 : reached + 1]:
            if rng.random() < 0.15:
                continue  # a skipped stage still counts as passed
            at = at + timedelta(days=rng.uniform(0.5, 10))
            if at >= now:
                break
            LifecycleTransition.objects.create(person=person, to_stage=stage, at=at)
        if rng.random() < 0.4:
            rep = rng.choice(reps_)
            decided = first + timedelta(days=rng.uniform(0, 20))
            Handoff.objects.create(
                person=person,
                rep=rep,
                routed_at=decided,
                due_at=decided,
                status=rng.choice(["accepted", "converted", "rejected"]),
                decided_at=min(decided, now),
            )
    for i, person in enumerate(rng.sample(people, 60)):
        rep = rng.choice(reps_)
        won = rng.random() < 0.5
        closed = i < 50
        opp = f.opportunity(
            rep,
            person=person,
            amount=Decimal(rng.randint(1, 50) * 1000),
            stage=(won_stage if won else lost_stage) if closed else None,
        )
        created = person.first_touch_at + timedelta(days=rng.uniform(1, 10))
        closed_at = min(created + timedelta(days=rng.uniform(1, 40)), now) if closed else None
        Opportunity.objects.filter(pk=opp.pk).update(
            created_at=created,
            closed_at=closed_at,
            loss_reason=None if won or not closed else rng.choice(reasons),
        )
        if rng.random() < 0.5:
            OpportunityObjection.objects.create(
                opportunity=opp, objection=rng.choice(objections), created_at=created
            )
        OpportunityLine.objects.create(
            opportunity=opp, product=rng.choice(products), list_price=100, unit_price=100
        )
    return progs


def _window():
    from tandem.core import periods

    return periods.days(SINCE, UNTIL)


def test_program_scorecard_matches_a_hand_count(market):
    start, end = _window()
    reached = defaultdict(set)
    for person, stage in LifecycleTransition.objects.values_list("person_id", "to_stage"):
        for s in ORDER[: ORDER.index(stage) + 1]:
            reached[s].add(person)
    expected = defaultdict(lambda: defaultdict(int))
    for pk, program, first in Person.objects.values_list(
        "pk", "source_program_id", "first_touch_at"
    ):
        if program and first and start <= first < end:
            expected[program]["leads"] += 1
            for key, stage in (("mqls", "mql"), ("sqls", "sql"), ("customers", "customer")):
                expected[program][key] += pk in reached[stage]
    for program, day, amount in ProgramCost.objects.values_list(
        "program_id", "incurred_on", "amount"
    ):
        if SINCE <= day <= UNTIL:
            expected[program]["cost"] += amount
    got = programs.figures(programs.Params(SINCE, UNTIL, "first_touch"))
    assert expected, "the fixture made leads in the period"
    for program, e in expected.items():
        g = got[program]
        assert (g["leads"], g["mqls"], g["sqls"], g["customers"], g["cost"]) == (
            e["leads"],
            e["mqls"],
            e["sqls"],
            e["customers"],
            e["cost"],
        )
        if e["leads"]:
            assert g["cpl"] == round(float(e["cost"]) / e["leads"], 2)
            assert g["mql_rate"] == round(100 * e["mqls"] / e["leads"], 1)


def _journeys_by_hand(start, end):
    """Won deals closed in the window and their program touches up to the close."""
    touches = defaultdict(list)
    for person, program, at, pk in Touch.objects.exclude(program=None).values_list(
        "person_id", "program_id", "occurred_at", "pk"
    ):
        touches[person].append((at, pk, program))
    out = []
    for person, closed, amount in Opportunity.objects.filter(stage__kind="won").values_list(
        "person_id", "closed_at", "amount"
    ):
        if closed and start <= closed < end:
            path = [p for at, _, p in sorted(touches[person]) if at <= closed]
            out.append((path, float(amount)))
    return out


def test_attribution_revenue_matches_a_hand_count(market):
    start, end = _window()
    journeys = _journeys_by_hand(start, end)
    first, last, linear = defaultdict(float), defaultdict(float), defaultdict(float)
    for path, amount in journeys:
        if path:
            first[path[0]] += amount
            last[path[-1]] += amount
            for p in path:
                linear[p] += amount / len(path)
    r = attribution_report.compute(attribution_report.Params(SINCE, UNTIL))
    keys = [int(k) for k, _ in r.labels]
    for model, expected in (("first_touch", first), ("last_touch", last), ("linear", linear)):
        got = {keys[i]: v for i, v in enumerate(r.value[model]) if v}
        assert got == pytest.approx(dict(expected)), model
    total = sum(a for p, a in journeys if p)
    assert sum(r.value["markov"]) == pytest.approx(total)
    assert r.outcomes == len(journeys)


def test_attribution_report_page_drill_and_export(market, as_user, world):
    client = as_user(world.marketing_manager)
    page = client.get(f"/insights/r/attribution/?since={SINCE}&until={UNTIL}")
    assert page.status_code == 200 and b"Markov" in page.content
    assert f"From {SINCE:%-d %b %Y} to {UNTIL:%-d %b %Y}" in page.content.decode()
    data = client.get(f"/api/insights/reports/attribution?since={SINCE}&until={UNTIL}").json()
    row = next(r for r in data["rows"] if r["first_touch_value"])
    drill = client.get(
        f"/api/insights/reports/attribution/drill?since={SINCE}&until={UNTIL}&row={row['key']}&column=linear_value"
    ).json()
    start, end = _window()
    touched = {
        pk
        for pk, closed, person in Opportunity.objects.filter(stage__kind="won").values_list(
            "pk", "closed_at", "person_id"
        )
        if closed
        and start <= closed < end
        and Touch.objects.filter(
            person_id=person, program_id=int(row["key"]), occurred_at__lte=closed
        ).exists()
    }
    assert drill["kind"] == "opportunities" and set(drill["visible_ids"]) == touched
    csv_text = b"".join(
        client.get(
            f"/insights/r/attribution/?since={SINCE}&until={UNTIL}&format=csv"
        ).streaming_content
    ).decode()
    assert csv_text.splitlines()[0].startswith("Program,Cost,First touch: revenue")


def test_funnel_cohort_matches_a_hand_count(market, as_user, world):
    start, end = _window()
    times = defaultdict(dict)
    for person, stage, at in LifecycleTransition.objects.values_list("person_id", "to_stage", "at"):
        k = ORDER.index(stage)
        times[person][k] = min(at, times[person].get(k, at))
    counts, gaps = [0] * 6, defaultdict(list)
    for pk, first in Person.objects.values_list("pk", "first_touch_at"):
        if not first or not start <= first < end:
            continue
        t = dict(times[pk])
        t[0] = first
        reach = [min((t[j] for j in range(k, 6) if j in t), default=None) for k in range(6)]
        for k in range(6):
            if reach[k] is not None:
                counts[k] += 1
                if k:
                    gaps[k].append((reach[k] - reach[k - 1]).total_seconds() / 86400)
    table = funnel.report(world.admin, funnel.Params(SINCE, UNTIL))
    assert [r["count"] for r in table.rows] == counts
    for k in range(1, 6):
        expected = round(statistics.median(gaps[k]), 1) if gaps[k] else None
        assert table.rows[k]["days"] == expected
        assert table.rows[k]["rate"] == (
            round(100 * counts[k] / counts[k - 1], 1) if counts[k - 1] else None
        )
    # the period view: everyone counted where they got to within the period
    period_counts = [0] * 6
    for pk, first in Person.objects.values_list("pk", "first_touch_at"):
        t = dict(times[pk])
        if first:
            t[0] = min(first, t.get(0, first))
        reach = [min((t[j] for j in range(k, 6) if j in t), default=None) for k in range(6)]
        for k in range(6):
            period_counts[k] += reach[k] is not None and start <= reach[k] < end
    by_period = funnel.report(world.admin, funnel.Params(SINCE, UNTIL, mode="period", by="channel"))
    assert [sum(r[f"count_{k}"] for r in by_period.rows) for k in range(6)] == period_counts
    assert period_counts[0] > counts[0] or period_counts[3] != counts[3]  # really another view
    # by segment: one funnel per segment, each the funnel of its members
    webinar = f.segment(
        name="Touched the webinar",
        conditions=[{"group": 1, "field": "program", "op": "touched", "value": str(market[0].pk)}],
    )
    everyone = f.segment(name="Everyone")
    by_segment = {
        r["group"]: r
        for r in funnel.report(world.admin, funnel.Params(SINCE, UNTIL, by="segment")).rows
    }
    assert [by_segment["Everyone"][f"count_{k}"] for k in range(6)] == counts
    touched = set(Touch.objects.filter(program=market[0]).values_list("person_id", flat=True))
    members = [
        pk for pk, first in Person.objects.values_list("pk", "first_touch_at")
        if pk in touched and first and start <= first < end
    ]  # fmt: skip
    assert by_segment["Touched the webinar"]["count_0"] == len(members) < counts[0]
    drilled = (
        as_user(world.marketing_manager)
        .get(
            f"/api/insights/reports/funnel/drill?since={SINCE}&until={UNTIL}&by=segment"
            f"&row={webinar.pk}&column=count_0"
        )
        .json()
    )
    assert sorted(drilled["visible_ids"]) == sorted(members) and everyone.pk
    by_program = funnel.report(world.admin, funnel.Params(SINCE, UNTIL, by="program"))
    assert sum(r["count_0"] for r in by_program.rows) == counts[0]
    drill = (
        as_user(world.marketing_manager)
        .get(
            f"/api/insights/reports/funnel/drill?since={SINCE}&until={UNTIL}&row=all:3&column=count"
        )
        .json()
    )
    assert drill["total"] == counts[3] == len(drill["visible_ids"])


def test_rep_scorecard_matches_a_hand_count(market, world):
    start, end = _window()
    e = defaultdict(lambda: defaultdict(float))
    for rep, kind, created, closed, amount in Opportunity.objects.values_list(
        "owner_id", "stage__kind", "created_at", "closed_at", "amount"
    ):
        if kind in ("won", "lost") and start <= closed < end:
            e[rep][kind] += 1
            e[rep]["days"] += (closed - created).total_seconds() / 86400
            if kind == "won":
                e[rep]["amount"] += float(amount)
    won_people = set(
        Opportunity.objects.filter(stage__kind="won").values_list("person_id", "owner_id")
    )
    for person, rep, status, decided in Handoff.objects.values_list(
        "person_id", "rep_id", "status", "decided_at"
    ):
        if status in ("accepted", "converted") and start <= decided < end:
            e[rep]["sqls"] += 1
            e[rep]["sqls_won"] += (person, rep) in won_people
    got = reps.figures(world.admin, reps.Params(SINCE, UNTIL))
    for rep, x in e.items():
        g = got[rep]
        assert (g["won"], g["lost"], g["sqls"], g["sqls_won"]) == (
            x["won"],
            x["lost"],
            x["sqls"],
            x["sqls_won"],
        )
        assert float(g["won_amount"]) == pytest.approx(x["amount"])
        closed = x["won"] + x["lost"]
        assert g["win_rate"] == (round(100 * x["won"] / closed, 1) if closed else None)
        assert g["cycle_days"] == (round(x["days"] / closed, 1) if closed else None)
    # a rep sees their team's reps only
    mine = reps.figures(world.owner, reps.Params(SINCE, UNTIL))
    assert world.outsider.pk not in mine or mine[world.outsider.pk]["won"] == 0


def test_voice_of_the_customer_matches_a_hand_count(market, world):
    start, end = _window()
    expected = defaultdict(set)
    for pk, kind, closed, reason, program in Opportunity.objects.values_list(
        "pk", "stage__kind", "closed_at", "loss_reason__name", "person__source_program__name"
    ):
        if kind == "lost" and start <= closed < end:
            expected[(program, f"Loss reason: {reason or '(none given)'}")].add(pk)
    for pk, objection, at, program in OpportunityObjection.objects.values_list(
        "opportunity_id",
        "objection__name",
        "created_at",
        "opportunity__person__source_program__name",
    ):
        if start <= at < end:
            expected[(program, f"Objection: {objection}")].add(pk)
    got = {k: v["opps"] for k, v in voc.cells(voc.Params(SINCE, UNTIL)).items()}
    assert got == dict(expected)
    by_product = voc.cells(voc.Params(SINCE, UNTIL, by="product"))
    assert {g for g, _ in by_product} <= {"Product 0", "Product 1"}


def test_reports_are_for_their_readers(market, as_user, world):
    assert as_user(world.marketer).get("/insights/r/attribution/").status_code == 200
    assert as_user(world.owner).get("/insights/r/attribution/").status_code == 403
    assert as_user(world.marketer).get("/insights/r/reps/").status_code == 403
    assert as_user(world.owner).get("/insights/r/reps/").status_code == 200
    assert as_user(world.owner).get("/insights/r/nope/").status_code == 404
    listed = {r["name"] for r in as_user(world.marketer).get("/api/insights/reports").json()}
    assert "attribution" in listed and "reps" not in listed
    assert "reps" in as_user(world.owner).get("/insights/").content.decode()
    bad = as_user(world.marketer).get("/insights/r/programs/?since=2026-05-01&until=2026-01-01")
    assert bad.status_code == 400 and b"ends before it starts" in bad.content
    assert (
        as_user(world.marketer).get("/api/insights/reports/programs?since=junk").status_code == 422
    )


def test_export_neutralizes_formula_cells(market, as_user, world):
    market[1].name = '=HYPERLINK("http://evil")'
    market[1].save()
    client = as_user(world.marketing_manager)
    text = b"".join(
        client.get(
            f"/insights/r/programs/?since={SINCE}&until={UNTIL}&format=csv"
        ).streaming_content
    ).decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    xlsx = client.get(f"/insights/r/programs/?since={SINCE}&until={UNTIL}&format=xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    cells = [
        c.value for row in load_workbook(BytesIO(xlsx.content)).active.iter_rows() for c in row
    ]
    assert '\'=HYPERLINK("http://evil")' in cells
    page = client.get(f"/insights/r/programs/?since={SINCE}&until={UNTIL}").content.decode()
    assert "=HYPERLINK(&quot;http://evil&quot;)" in page  # escaped in HTML


def test_drill_page_lists_the_records(market, as_user, world):
    client = as_user(world.marketing_manager)
    program = market[0]
    leads = Person.objects.filter(source_program=program, first_touch_at__gte=_window()[0]).count()
    page = client.get(
        f"/insights/r/programs/drill/?since={SINCE}&until={UNTIL}&row={program.pk}&column=leads"
    )
    assert page.status_code == 200
    assert f"{leads} record" in page.content.decode()
    assert len(re.findall(r'href="/contacts/people/\d+/"', page.content.decode())) == leads
    exported = b"".join(
        client.get(
            f"/insights/r/programs/drill/?since={SINCE}&until={UNTIL}&row={program.pk}&column=leads&format=csv"
        ).streaming_content
    )
    assert len(exported.decode().strip().splitlines()) == leads + 1


def test_maven_pipeline_rep_scorecard_matches_the_file(world):
    """The sales-pipeline data set imported as it is; won revenue, win rate and cycle per agent
    from the rep scorecard equal those computed from the CSV directly."""
    from tandem.transfer import engine
    from tandem.transfer.models import ImportJob, JobStatus

    path = shared_dataset("maven-crm/sales_pipeline.csv")
    expected = defaultdict(lambda: {"won": 0, "lost": 0, "amount": Decimal(0), "days": 0})
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["deal_stage"] not in ("Won", "Lost"):
                continue
            e = expected[row["sales_agent"]]
            e["won" if row["deal_stage"] == "Won" else "lost"] += 1
            e["amount"] += Decimal(row["close_value"] or 0) if row["deal_stage"] == "Won" else 0
            engaged = (
                date.fromisoformat(row["engage_date"])
                if row["engage_date"]
                else date.fromisoformat(row["close_date"])
            )
            e["days"] += (date.fromisoformat(row["close_date"]) - engaged).days
    job = f.uploaded(
        actor=world.admin,
        kind="opportunities",
        upload=SimpleUploadedFile("p.csv", path.read_bytes()),
        filename="sales_pipeline.csv",
    )
    unrecorded = LossReason.objects.get_or_create(name="Not recorded")[0]
    options = {"create_owners": True, "loss_reason_id": unrecorded.pk}
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, options=options)
    assert engine.run(job.pk).failed == 0
    got = reps.report(world.admin, reps.Params(date(2016, 1, 1), date(2018, 12, 31)))
    by_name = {r["rep"]: r for r in got.rows}
    assert len(expected) == 30
    for agent, e in expected.items():
        g = by_name[agent]
        closed = e["won"] + e["lost"]
        assert (g["won"], g["lost"], g["won_amount"]) == (e["won"], e["lost"], e["amount"]), agent
        assert g["win_rate"] == round(100 * e["won"] / closed, 1)
        assert g["cycle_days"] == round(e["days"] / closed, 1)
