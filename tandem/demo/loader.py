"""Loads the demo workspace: the shaped world through the ORM, the bulk through BulkWriter."""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from tandem.demo import world as w
from tandem.demo.people import Batch, PeopleGenerator
from tandem.demo.sales import SalesGenerator
from tandem.demo.timing import quarter_start
from tandem.demo.writer import BulkWriter
from tandem.marketing import tallies

SIZES = {"small": 5_000, "large": 1_000_000}
REPS_PER_TEAM = {"small": 4, "large": 12}
CHUNK = 25_000

COLUMNS = {
    "contacts.Organization": (
        "id created_at updated_at name domain industry size country region city owner_id "
        "is_customer custom external_id search_text"
    ),
    "contacts.Person": (
        "id created_at updated_at email email_normalized first_name last_name title phone "
        "organization_id country region city lifecycle_stage stage_changed_at owner_id "
        "sales_owns_conversation score consent consent_at unsubscribed_at bounced_at complained_at "
        "source_program_id first_touch_at custom external_id search_text"
    ),
    "marketing.Touch": (
        "person_id program_id kind occurred_at rep_id utm_source utm_medium utm_campaign "
        "utm_term utm_content referrer"
    ),
    "contacts.LifecycleTransition": "person_id from_stage to_stage at actor_id reason",
    "handoff.Handoff": (
        "person_id rep_id routed_at due_at status decided_at reason rule reject_reason "
        "recycle_on breached_at opportunity_id"
    ),
    "core.TimelineEntry": "at actor_id via verb target_type target_id summary changes",
    "sales.Opportunity": (
        "id created_at updated_at name organization_id person_id owner_id pipeline_id stage_id "
        "amount currency expected_close channel partner_id forecast_category loss_reason_id "
        "lost_to_id closed_at registered_at search_text"
    ),
    "sales.StageHistory": "opportunity_id stage_id entered_at left_at actor_id",
    "sales.OpportunityLine": "opportunity_id product_id quantity list_price unit_price approval",
    "sales.OpportunityObjection": "opportunity_id objection_id note handled created_at",
    "sales.Activity": (
        "created_at updated_at kind subject notes due_at done_at selling owner_id person_id "
        "organization_id opportunity_id"
    ),
}
BATCH_TABLES = (
    ("people", "contacts.Person"),
    ("touches", "marketing.Touch"),
    ("transitions", "contacts.LifecycleTransition"),
    ("handoffs", "handoff.Handoff"),
    ("opportunities", "sales.Opportunity"),
    ("stage_history", "sales.StageHistory"),
    ("lines", "sales.OpportunityLine"),
    ("objections", "sales.OpportunityObjection"),
    ("activities", "sales.Activity"),
    ("timeline", "core.TimelineEntry"),
)


@dataclass
class Result:
    people: int
    counts: dict
    logins: list


def check_columns() -> None:
    """Fail fast if a model changed and the generator's column lists did not follow."""
    for label, columns in COLUMNS.items():
        model = w.model(label)
        real = {f.column for f in model._meta.concrete_fields}
        listed = set(columns.split())
        missing = real - listed - {"id"}
        if missing or listed - real:
            raise RuntimeError(f"demo columns out of date for {label}: {missing or listed - real}")


def load(*, size: str, seed: int, as_of: date | None = None, progress=print) -> Result:
    check_columns()
    rng = random.Random(seed)
    as_of = as_of or date.today()
    now = datetime.combine(as_of, time(12, 0), tzinfo=UTC)
    start = (as_of.replace(day=1) - timedelta(days=30 * 17)).replace(day=1)
    writer = BulkWriter()
    with transaction.atomic():
        world = _build_world(rng, size, start, as_of)
    people_count = SIZES[size]
    orgs, sales, gen = _generators(world, rng, now, people_count)
    with transaction.atomic():
        _write_orgs(writer, orgs)
        world.partner_ids = _partners(orgs, rng)
        sales.world = world
    done = 0
    while done < people_count:
        batch, n = Batch(), min(CHUNK, people_count - done)
        for pid in range(done + 1, done + n + 1):
            gen.person(pid, orgs[rng.randrange(len(orgs))], batch)
        with transaction.atomic():
            _write_batch(writer, batch)
        done += n
        progress(f"  {done:,} people")
    with transaction.atomic():
        _finish(writer, world, sales, rng, start, as_of)
    tallies.fold()  # the program counts' rows, one per person loaded, summed
    _analyze()
    _scoring(world, as_of)
    return Result(people=people_count, counts=writer.counts, logins=world.logins)


def _build_world(rng, size, start, as_of) -> w.World:
    reps_by_team, team_ids, logins = w.build_people_team(rng, REPS_PER_TEAM[size])
    w.build_territories(team_ids)
    pipeline_id, stage_ids = w.build_pipeline()
    products = w.build_catalog()
    competitors, reasons, objections = w.build_lookups()
    marketers = list(
        w.model("accounts.User")
        .objects.filter(role__in=("marketer", "marketing_manager"))
        .values_list("pk", flat=True)
    )
    programs = w.build_programs(rng, start, as_of, marketers)
    by_name = {p.name: p.pk for p in w.model("marketing.Program").objects.all()}
    return w.World(
        as_of=as_of,
        start=start,
        programs=programs,
        reps_by_team=reps_by_team,
        team_ids=team_ids,
        stage_ids=stage_ids,
        pipeline_id=pipeline_id,
        products=products,
        competitor_ids=competitors,
        loss_reason_ids=reasons,
        objection_ids=objections,
        newsletter_program=by_name["Monthly product newsletter"],
        site_program=by_name["Blog and newsletter signup"],
        logins=logins,
    )


def _generators(world, rng, now, people_count):
    sales = SalesGenerator(world, rng, now)
    gen = PeopleGenerator(world, rng, now, sales)
    orgs = gen.organizations(max(50, people_count // 8))
    return orgs, sales, gen


def _write_orgs(writer, orgs) -> None:
    created = datetime(2020, 1, 1, tzinfo=UTC)
    writer.write(
        w.model("contacts.Organization"),
        COLUMNS["contacts.Organization"].split(),
        (
            (
                o.id,
                created,
                created,
                o.name,
                o.domain,
                o.industry,
                o.size,
                o.country,
                o.region,
                "",
                o.owner,
                False,
                "{}",
                "",
                o.name.lower(),
            )
            for o in orgs
        ),
    )


def _custom_fields() -> None:
    """A few fields a team adds: what the web form asks, and what sales records."""
    CustomField = w.model("contacts.CustomField")
    for record_type, key, label, kind, options, editors in (
        ("person", "company", "Company", "text", [], "everyone"),
        ("person", "budget", "Budget", "choice", ["Under 10k", "10k–50k", "Over 50k"], "everyone"),
        ("person", "newsletter", "Newsletter", "yes_no", [], "marketing"),
        ("organization", "renewal", "Renewal date", "date", [], "sales"),
        ("organization", "arr", "Annual revenue (ARR)", "number", [], "sales"),
    ):
        CustomField.objects.create(
            record_type=record_type, key=key, label=label, kind=kind, options=options,
            editable_by=editors,
        )  # fmt: skip


def _partners(orgs, rng) -> list[int]:
    Partner = w.model("sales.Partner")
    kinds, tiers = ("reseller", "affiliate", "referral"), ("gold", "silver", "standard")
    partners = [
        Partner(organization_id=o.id, kind=kinds[i % 3], tier=tiers[i % 3])
        for i, o in enumerate(orgs[:20])
    ]
    return [p.pk for p in Partner.objects.bulk_create(partners)]


def _write_batch(writer, batch) -> None:
    for attr, label in BATCH_TABLES:
        writer.write(w.model(label), COLUMNS[label].split(), getattr(batch, attr))
    through = w.model("sales.Opportunity").competitors.through
    writer.write(through, ["opportunity_id", "competitor_id"], batch.competitors)


def _finish(writer, world, sales, rng, start, as_of) -> None:
    Organization = w.model("contacts.Organization")
    ids = sorted(sales.customer_orgs)
    for i in range(0, len(ids), 900):
        Organization.objects.filter(pk__in=ids[i : i + 900]).update(is_customer=True)
    writer.reset_sequences([Organization, w.model("contacts.Person"), w.model("sales.Opportunity")])
    _quotas(world, sales, rng, start, as_of)
    _plans(world, as_of)
    _discount_requests(world)
    _outreach(world)


def _quarters(start: date, as_of: date):
    q = quarter_start(start)
    last = quarter_start(as_of + timedelta(days=92))
    while q <= last:
        yield q
        q = quarter_start(q + timedelta(days=100))


def _quotas(world, sales, rng, start, as_of) -> None:
    Quota = w.model("sales.Quota")
    quotas, team_totals = [], defaultdict(Decimal)
    for team, reps in world.reps_by_team.items():
        baseline = Decimal("0")
        for q in _quarters(start, as_of):
            won = [sales.won_by_rep_quarter.get((r, q), Decimal(0)) for r in reps]
            average = sum(won) / len(reps)
            if q < quarter_start(as_of) and average > 0:
                baseline = average
            target = max(baseline, Decimal("1000"))
            q_end = quarter_start(q + timedelta(days=100)) - timedelta(days=1)
            for rep in reps:
                amount = (target * Decimal(str(rng.uniform(0.95, 1.25)))).quantize(Decimal("100"))
                quotas.append(
                    Quota(
                        user_id=rep,
                        period_kind="quarter",
                        period_start=q,
                        period_end=q_end,
                        amount=amount,
                    )
                )
                team_totals[(team, q, q_end)] += amount
                for m in range(3):
                    m_start = date(q.year, q.month + m, 1)
                    m_end = (m_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                    quotas.append(
                        Quota(
                            user_id=rep,
                            period_kind="month",
                            period_start=m_start,
                            period_end=m_end,
                            amount=(amount / 3).quantize(Decimal("100")),
                        )
                    )
    for (team, q, q_end), amount in team_totals.items():
        quotas.append(
            Quota(
                team_id=world.team_ids[team],
                period_kind="quarter",
                period_start=q,
                period_end=q_end,
                amount=amount,
            )
        )
    Quota.objects.bulk_create(quotas)


def _plans(world, as_of) -> None:
    """Last quarter's plan with its control actions, and this quarter's plan with targets per
    program, rep and the company, set about 10 % above what last quarter achieved."""
    from django.db.models import Count, Sum

    Plan, Target = w.model("insights.Plan"), w.model("insights.Target")
    Action, SalesCost = w.model("insights.ControlAction"), w.model("insights.SalesCost")
    Bound, User = w.model("insights.BudgetBound"), w.model("accounts.User")
    q = quarter_start(as_of)
    q_end = quarter_start(q + timedelta(days=100)) - timedelta(days=1)
    last = quarter_start(q - timedelta(days=1))
    label = f"{q:%Y} Q{(q.month - 1) // 3 + 1}"
    previous = Plan.objects.create(
        name=f"Marketing plan {last:%Y} Q{(last.month - 1) // 3 + 1}",
        period_start=last,
        period_end=q - timedelta(days=1),
    )
    plan = Plan.objects.create(name=f"Marketing plan {label}", period_start=q, period_end=q_end)
    managers = {
        u.role: u for u in User.objects.filter(role__in=("marketing_manager", "sales_manager"))
    }
    notes = [
        (10, "marketing_manager", "Cost per lead ran red on trade shows: "
         "move a fifth of that budget to webinars next quarter."),
        (5, "sales_manager", "MQL acceptance fell behind: "
         "cap open handoffs at 20 a rep and reassign after the SLA."),
    ]  # fmt: skip
    Action.objects.bulk_create(
        Action(plan=previous, on=q - timedelta(days=d), author=managers.get(role), note=note)
        for d, role, note in notes
    )
    targets = [("mql_to_sql_rate", None, 45), ("win_rate", None, 30), ("cost_per_lead", None, 60)]
    Person, Cost = w.model("contacts.Person"), w.model("marketing.ProgramCost")
    leads = dict(
        Person.objects.filter(first_touch_at__date__gte=last, first_touch_at__date__lt=q)
        .values_list("source_program_id")
        .annotate(n=Count("pk"))
    )
    costs = dict(
        Cost.objects.filter(incurred_on__gte=last, incurred_on__lt=q)
        .values_list("program_id")
        .annotate(total=Sum("amount"))
    )
    for program, n in sorted(leads.items(), key=lambda kv: -kv[1])[:8]:
        if program is None:
            continue
        targets.append(("leads", {"program_id": program}, round(n * 1.1)))
        if costs.get(program):
            targets.append(("budget", {"program_id": program}, round(costs[program])))
            targets.append(
                ("cost_per_lead", {"program_id": program}, round(costs[program] / max(n, 1), 2))
            )
    Quota = w.model("sales.Quota")
    for quota in Quota.objects.filter(period_kind="quarter", period_start=q, user__isnull=False)[
        :12
    ]:
        targets.append(("revenue", {"rep_id": quota.user_id}, quota.amount))
        targets.append(("win_rate", {"rep_id": quota.user_id}, 30))
    Target.objects.bulk_create(
        [
            Target(plan=plan, metric=m, value=Decimal(str(v)), **(scope or {}))
            for m, scope, v in targets
        ]
    )
    reps = User.objects.filter(role__in=("sales_rep", "sales_manager")).count()
    month = last
    while month <= as_of:
        SalesCost.objects.create(
            incurred_on=month,
            amount=Decimal(9000 * max(reps, 1)),
            description="Sales salaries and commissions",
        )
        month = (month + timedelta(days=32)).replace(day=1)
    first_programs = list(
        w.model("marketing.Program").objects.order_by("pk").values_list("pk", flat=True)[:2]
    )
    Bound.objects.bulk_create([Bound(program_id=pk, minimum=Decimal(500)) for pk in first_programs])


def _discount_requests(world, count: int = 40) -> None:
    """A few open deals priced beyond the rep's policy, so the approval queue has work."""
    Opportunity, Line = w.model("sales.Opportunity"), w.model("sales.OpportunityLine")
    Request = w.model("sales.DiscountRequest")
    open_deals = list(
        Opportunity.objects.filter(stage__kind="open").order_by("pk").values_list("pk", "owner_id")
    )
    picks = open_deals[:: max(1, len(open_deals) // count)][:count]
    product_id, _, price = world.products[1]
    unit = (price * Decimal("0.8")).quantize(Decimal("0.01"))
    lines = Line.objects.bulk_create(
        Line(
            opportunity_id=pk,
            product_id=product_id,
            quantity=5,
            list_price=price,
            unit_price=unit,
            approval="pending",
        )
        for pk, _ in picks
    )
    Request.objects.bulk_create(
        Request(
            line=line,
            opportunity_id=pk,
            requested_by_id=owner,
            discount_pct=Decimal("20"),
            allowed_pct=Decimal("10"),
            reason="Competitor offered 20% off",
        )
        for line, (pk, owner) in zip(lines, picks, strict=True)
    )
    Opportunity.objects.filter(pk__in=[pk for pk, _ in picks]).update(amount=F("amount") + unit * 5)


def _analyze() -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map (VACUUM), which
    index-only scans need and which autovacuum would otherwise set only some minutes later."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def _outreach(world) -> None:
    """A form on the web site's program, two segments and a draft newsletter to explore."""
    User = w.model("accounts.User")
    marketer = User.objects.filter(username="marketer").first()
    _custom_fields()
    w.model("marketing.LeadForm").objects.create(
        program_id=world.site_program,
        name="Contact us",
        key="demo-contact-us",
        fields=[
            {"name": "email", "label": "Work email", "required": True},
            {"name": "first_name", "label": "First name", "required": True},
            {"name": "last_name", "label": "Last name", "required": False},
            {"name": "custom:company", "label": "Company", "required": False},
        ],
        consent_wording="Yes, send me Tandem's product news. I can unsubscribe at any time.",
        thank_you="Thank you! We will be in touch within one business day.",
        owner=marketer,
    )
    Segment = w.model("marketing.Segment")
    engaged = Segment.objects.create(
        name="Engaged leads in Germany",
        description="Leads and MQLs in Germany with a score of 20 or more",
        conditions=[
            {"group": 1, "field": "country", "op": "in", "value": "DE", "since": "", "until": ""},
            {"group": 1, "field": "stage", "op": "in", "value": "lead,mql", "since": "",
             "until": ""},
            {"group": 1, "field": "score", "op": "gte", "value": "20", "since": "", "until": ""},
        ],
        owner=marketer,
    )  # fmt: skip
    Segment.objects.create(
        name="Customers and advocates",
        conditions=[{"group": 1, "field": "customer", "op": "is", "value": "yes", "since": "",
                     "until": ""}],
        owner=marketer,
    )  # fmt: skip
    w.model("marketing.Campaign").objects.create(
        program_id=world.newsletter_program,
        segment=engaged,
        name="Monthly newsletter (draft)",
        subject='{{ first_name | default:"Hello" }}, what is new this month',
        body='Hi {{ first_name | default:"there" }},\n\nthis month we shipped '
        "[pipeline forecasts](https://example.com/forecast).\n",
        links=["https://example.com/forecast"],
        owner=marketer,
    )


def _scoring(world, as_of) -> None:
    """Scoring rules marketing would start with, and everyone scored by them (no one is
    re-qualified: the demo's lifecycle already happened)."""
    from datetime import datetime, time

    from django.utils import timezone

    from tandem.handoff import scoring_sql

    Rule = w.model("handoff.ScoringRule")
    Rule.objects.bulk_create(
        [
            Rule(kind="fit", attribute="title", value="marketing", points=10),
            Rule(kind="fit", attribute="company_size", value="201-1000", points=15),
            Rule(kind="fit", attribute="company_size", value="1000+", points=20),
            Rule(kind="engagement", touch_kind="form_submitted", points=25, half_life_days=30),
            Rule(kind="engagement", touch_kind="event_attended", points=20, half_life_days=45),
            Rule(kind="engagement", touch_kind="email_clicked", points=6, half_life_days=14),
            Rule(kind="engagement", touch_kind="page_visited", points=2, half_life_days=7),
        ]
    )
    w.model("handoff.ScoringConfig").objects.get_or_create(pk=1)
    scoring_sql.rescore_all(now=timezone.make_aware(datetime.combine(as_of, time(18))))
