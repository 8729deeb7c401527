"""The small, hand-shaped part of the demo: users, teams, pipeline, catalog, programs."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password

from tandem.demo import names

DEMO_PASSWORD = "tandem-demo"

# name, channel, lead volume weight, MQL propensity, monthly cost, recurring every N months
# (0 = always on), run length in days.
PROGRAMS = (
    ("Website demo request", "web", 9.0, 0.50, 1500, 0, 0),
    ("Blog and newsletter signup", "web", 12.0, 0.07, 600, 0, 0),
    ("Monthly product newsletter", "email", 5.0, 0.14, 400, 0, 0),
    ("Search ads", "advertising", 14.0, 0.18, 9000, 0, 0),
    ("LinkedIn sponsored content", "social", 8.0, 0.24, 5500, 0, 0),
    ("Customer referral program", "referral", 2.5, 0.58, 800, 0, 0),
    ("Reseller co-marketing", "partner", 3.0, 0.40, 1200, 0, 0),
    ("Quarterly webinar", "event", 5.0, 0.33, 3500, 3, 30),
    ("Industry trade show", "trade_show", 7.0, 0.29, 38000, 6, 5),
    ("CFO direct mail kit", "direct_mail", 1.5, 0.44, 12000, 6, 45),
    ("Product launch press", "pr", 4.0, 0.06, 8000, 9, 30),
    ("Market pain-point survey", "research", 2.0, 0.04, 4000, 12, 40),
    ("Customer day", "event", 2.5, 0.47, 15000, 12, 3),
)
STAGES = (
    ("Qualify", 10, "open"),
    ("Present", 25, "open"),
    ("Handle objections", 50, "open"),
    ("Negotiate", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
)


@dataclass
class ProgramSpec:
    id: int
    channel: str
    weight: float
    quality: float
    start: date
    end: date


@dataclass
class World:
    as_of: date
    start: date
    programs: list[ProgramSpec]
    reps_by_team: dict[str, list[int]]
    team_ids: dict[str, int]
    stage_ids: dict[str, int]
    pipeline_id: int
    products: list[tuple[int, str, Decimal]]
    competitor_ids: list[int]
    loss_reason_ids: dict[str, int]
    objection_ids: list[int]
    newsletter_program: int
    site_program: int
    partner_ids: list[int] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


def model(label: str):
    return apps.get_model(*label.split("."))


_HASHES: dict[str, str] = {}


def _password() -> str:
    """Hashing is deliberately slow; every demo user shares one hash of the demo password."""
    if DEMO_PASSWORD not in _HASHES:
        _HASHES[DEMO_PASSWORD] = make_password(DEMO_PASSWORD)
    return _HASHES[DEMO_PASSWORD]


def _user(username, first, last, role, team=None, staff=False):
    User = model("accounts.User")
    return User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        role=role,
        team=team,
        email=f"{username}@demo.tandem.test",
        password=_password(),
        is_staff=staff,
        is_superuser=staff,
    )


def build_people_team(rng: random.Random, reps_per_team: int) -> tuple[dict, dict, list]:
    Team = model("accounts.Team")
    _user("admin", "Avery", "Admin", "admin", staff=True)
    marketing = Team.objects.create(name="Marketing", function="marketing")
    mm = _user("maria", "Maria", "Marketing", "marketing_manager", marketing)
    marketing.manager = mm
    marketing.save(update_fields=["manager"])
    for i, (first, last) in enumerate((("Mark", "Eting"), ("Lena", "Lopez"), ("Omar", "Quinn"))):
        _user("marketer" if i == 0 else f"marketer{i + 1}", first, last, "marketer", marketing)
    reps_by_team, team_ids = {}, {}
    for team_name, manager in (("Americas", "sam"), ("EMEA", "eva")):
        team = Team.objects.create(name=team_name, function="sales")
        boss = _user(manager, manager.title(), "Manager", "sales_manager", team)
        team.manager = boss
        team.save(update_fields=["manager"])
        team_ids[team_name] = team.pk
        reps = []
        for i in range(reps_per_team):
            if i == 0:
                login, first, last = {"Americas": ("rita", "Rita", "Ramos")}.get(
                    team_name, ("ross", "Ross", "Reid")
                )
            else:
                login = f"{team_name.lower()}{i + 1}"
                first, last = rng.choice(names.FIRST), rng.choice(names.LAST)
            rep = _user(login, first, last, "sales_rep", team)
            reps.append(rep.pk)
        reps_by_team[team_name] = reps
    logins = [
        ("admin", "admin"),
        ("marketing manager", "maria"),
        ("marketer", "marketer"),
        ("sales manager", "sam"),
        ("sales rep", "rita"),
    ]
    return reps_by_team, team_ids, logins


def build_territories(team_ids: dict) -> None:
    Territory = model("sales.Territory")
    for team_name, team_id in team_ids.items():
        countries = sorted({c for c, _, _, t in names.GEOGRAPHY if t == team_name})
        Territory.objects.create(name=team_name, team_id=team_id, countries=countries)


def build_pipeline() -> tuple[int, dict]:
    """The workspace's default pipeline (a migration creates it) with the demo's stages."""
    Pipeline, Stage = model("sales.Pipeline"), model("sales.Stage")
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name="New business", is_default=True)
    ids = {}
    for order, (name, prob, kind) in enumerate(STAGES, start=1):
        ids[name] = Stage.objects.update_or_create(
            pipeline=pipeline, name=name,
            defaults={"order": order, "probability": prob, "kind": kind},
        )[0].pk  # fmt: skip
    return pipeline.pk, ids


def build_catalog() -> list[tuple[int, str, Decimal]]:
    Product, PriceBook = model("sales.Product"), model("sales.PriceBook")
    Entry, Policy = model("sales.PriceBookEntry"), model("sales.DiscountPolicy")
    book = PriceBook.objects.create(name="List prices", currency="USD", is_default=True)
    products = []
    for sku, name, family, price in names.PRODUCTS:
        product = Product.objects.create(sku=sku, name=name, family=family)
        Entry.objects.create(price_book=book, product=product, list_price=Decimal(price))
        products.append((product.pk, family, Decimal(price)))
    model("sales.CommissionPlan").objects.create(
        name="Standard",
        base_rate_pct=Decimal("8"),
        accelerator_rate_pct=Decimal("12"),
        is_default=True,
    )
    for role, family, pct in (
        ("sales_rep", "", "10"),
        ("sales_rep", "Services", "20"),
        ("sales_manager", "", "25"),
    ):
        Policy.objects.create(role=role, product_family=family, max_discount_pct=Decimal(pct))
    return products


def build_lookups() -> tuple[list, dict, list]:
    Competitor, LossReason = model("sales.Competitor"), model("sales.LossReason")
    Objection = model("sales.Objection")
    competitors = [Competitor.objects.get_or_create(name=n)[0].pk for n in names.COMPETITORS]
    reasons = {
        n: LossReason.objects.get_or_create(
            name=n, defaults={"names_competitor": n == "Lost to competitor"}
        )[0].pk
        for n in names.LOSS_REASONS
    }
    objections = [Objection.objects.get_or_create(name=n)[0].pk for n in names.OBJECTIONS]
    return competitors, reasons, objections


def _month_starts(start: date, end: date):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = (day + timedelta(days=32)).replace(day=1)


def build_programs(rng: random.Random, start: date, as_of: date, owners: list[int]) -> list:
    Program, Cost = model("marketing.Program"), model("marketing.ProgramCost")
    specs, costs = [], []
    for name, channel, weight, quality, monthly, every, length in PROGRAMS:
        runs = (
            [(start, None)]
            if every == 0
            else [
                (m, m + timedelta(days=length))
                for i, m in enumerate(_month_starts(start, as_of))
                if i % every == 0
            ]
        )
        for run_start, run_end in runs:
            label = name if every == 0 else f"{name} {run_start:%b %Y}"
            status = "active" if run_end is None or run_end >= as_of else "completed"
            budget = Decimal(monthly * (18 if every == 0 else 1) * rng.uniform(1.0, 1.2)).quantize(
                Decimal("1")
            )
            program = Program.objects.create(
                name=label,
                channel=channel,
                status=status,
                budget=budget,
                currency="USD",
                start_date=run_start,
                end_date=run_end,
                owner_id=rng.choice(owners),
                call_to_action=_cta(channel),
                target_segment=_segment(rng),
            )
            specs.append(
                ProgramSpec(program.pk, channel, weight, quality, run_start, run_end or as_of)
            )
            months = [run_start] if every else list(_month_starts(run_start, as_of))
            for month in months:
                amount = Decimal(monthly * rng.uniform(0.8, 1.15)).quantize(Decimal("0.01"))
                costs.append(
                    Cost(
                        program=program,
                        incurred_on=month,
                        amount=amount,
                        currency="USD",
                        description="Monthly spend" if not every else "Program cost",
                    )
                )
    Cost.objects.bulk_create(costs)
    return specs


def _cta(channel: str) -> str:
    return {
        "web": "Request a demo",
        "email": "Read and reply",
        "advertising": "Start a free trial",
        "social": "Download the guide",
        "event": "Register now",
        "trade_show": "Visit booth 42",
        "direct_mail": "Book a call with the enclosed card",
        "pr": "Read the announcement",
        "referral": "Introduce a friend",
        "partner": "Talk to your reseller",
        "research": "Take the survey",
    }[channel]


def _segment(rng: random.Random) -> str:
    size = rng.choice(("11-50", "51-200", "201-1000", "1000+"))
    return f"{rng.choice(names.INDUSTRIES)}, {size} staff"
