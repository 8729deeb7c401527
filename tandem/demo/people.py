"""Generates organizations, people, touches, lifecycle transitions and handoffs in bulk."""

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tandem.demo import names
from tandem.demo.timing import after, at_day
from tandem.demo.world import World

TOUCH_KIND = {
    "web": "form_submitted",
    "email": "email_clicked",
    "advertising": "ad_clicked",
    "social": "ad_clicked",
    "event": "event_attended",
    "trade_show": "event_attended",
    "direct_mail": "mail_received",
    "pr": "page_visited",
    "referral": "form_submitted",
    "partner": "form_submitted",
    "research": "form_submitted",
}
UTM = {
    "advertising": ("google", "cpc"),
    "social": ("linkedin", "paid_social"),
    "email": ("newsletter", "email"),
    "pr": ("press", "referral"),
}
SENIOR = ("CEO", "CFO", "CTO", "VP", "Head", "Director", "Founder")
SIZE_FIT = {"1-10": 0.6, "11-50": 0.9, "51-200": 1.15, "201-1000": 1.25, "1000+": 1.1}
SIZES = tuple(SIZE_FIT)
REJECT_REASONS = (
    "Not a fit: too small",
    "Student or job seeker",
    "Wrong contact",
    "No budget this year",
)
REJECT_CODES = {
    "Not a fit: too small": "not_a_fit",
    "Student or job seeker": "not_a_fit",
    "Wrong contact": "bad_data",
    "No budget this year": "not_now",
}
DISQUALIFY_REASONS = ("No project", "Chose to build in-house", "Budget frozen")


@dataclass
class Org:
    id: int
    name: str
    domain: str
    size: str
    industry: str
    country: str
    region: str
    team: str
    owner: int


@dataclass
class Batch:
    people: list = field(default_factory=list)
    touches: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    handoffs: list = field(default_factory=list)
    timeline: list = field(default_factory=list)
    opportunities: list = field(default_factory=list)
    stage_history: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    competitors: list = field(default_factory=list)
    objections: list = field(default_factory=list)
    activities: list = field(default_factory=list)


def fit_of(title: str, size: str) -> float:
    base = 1.4 if title.startswith(SENIOR) else 0.15 if title == "Student" else 0.9
    return base * SIZE_FIT[size]


class PeopleGenerator:
    def __init__(self, world: World, rng: random.Random, now: datetime, sales):
        self.world, self.rng, self.now, self.sales = world, rng, now, sales
        self.span = (world.as_of - world.start).days + 1
        self._days = [self._active(world.start + timedelta(days=d)) for d in range(self.span)]
        geo_weights = [g[2] for g in names.GEOGRAPHY]
        self._geo_cum = [sum(geo_weights[: i + 1]) for i in range(len(geo_weights))]

    def _active(self, day):
        active = [p for p in self.world.programs if p.start <= day <= p.end]
        cum, total = [], 0.0
        for p in active:
            total += p.weight
            cum.append(total)
        return active, cum

    def _program_on(self, day_index: int):
        active, cum = self._days[day_index]
        return active[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def organizations(self, count: int) -> list[Org]:
        rng, orgs = self.rng, []
        for i in range(count):
            a, b = (
                names.ORG_A[i % len(names.ORG_A)],
                names.ORG_B[(i // len(names.ORG_A)) % len(names.ORG_B)],
            )
            country, region, _, team = names.GEOGRAPHY[
                bisect.bisect(self._geo_cum, rng.random() * self._geo_cum[-1])
            ]
            reps = self.world.reps_by_team[team]
            suffix = f" {i // 1000 + 1}" if i >= 1000 else ""
            orgs.append(
                Org(
                    id=i + 1,
                    name=f"{a} {b}{suffix}",
                    domain=f"{a}{b}{i + 1}.example".lower(),
                    size=rng.choices(SIZES, (30, 30, 20, 13, 7))[0],
                    industry=rng.choice(names.INDUSTRIES),
                    country=country,
                    region=region,
                    team=team,
                    owner=reps[i % len(reps)],
                )
            )
        return orgs

    def person(self, pid: int, org: Org, batch: Batch) -> None:
        rng, now = self.rng, self.now
        day = int(self.span * rng.random() ** 0.8)
        program = self._program_on(day)
        arrived = at_day(self.world.start + timedelta(days=day), rng)
        if arrived > now:
            arrived = now - timedelta(minutes=rng.uniform(1, 600))
        first, last = rng.choice(names.FIRST), rng.choice(names.LAST)
        title = rng.choice(names.TITLES)
        fit = fit_of(title, org.size)
        touches = self._touches(pid, program, arrived, batch)
        stage, changed, owner = self._lifecycle(pid, org, arrived, fit, program.quality, batch)
        email = f"{first}.{last}.{pid}@{org.domain}".lower()
        consent = rng.random()
        unsub = arrived + timedelta(days=30) if rng.random() < 0.03 else None
        bounced = arrived if rng.random() < 0.01 else None
        score = min(100, int(fit * 15 + touches * 6 + (20 if stage != "lead" else 0)))
        batch.people.append(
            (
                pid,
                arrived,
                changed,
                email,
                email,
                first,
                last,
                title,
                f"+1 555 {pid % 10000:04d}",
                org.id,
                org.country,
                org.region,
                "",
                stage,
                changed,
                owner,
                stage in ("opportunity",),
                score,
                "granted" if consent < 0.6 else "unknown",
                arrived if consent < 0.6 else None,
                unsub if unsub and unsub < now else None,
                bounced,
                None,
                program.id,
                arrived,
                "{}",
                "",
                f"{first} {last} {email}".lower(),
            )
        )
        batch.timeline.append(
            (arrived, None, "import", "created", "person", pid, f"{first} {last}", "{}")
        )

    def _touches(self, pid: int, program, arrived: datetime, batch: Batch) -> int:
        rng, world = self.rng, self.world
        batch.touches.append(self._touch(pid, program.id, program.channel, arrived))
        count, t = 1, arrived
        for _ in range(int(rng.expovariate(1 / 6.0))):
            t = after(t, 14, rng, 0.1)
            if t > self.now:
                break
            r = rng.random()
            if r < 0.5:
                kind = rng.choices(("email_sent", "email_opened", "email_clicked"), (5, 3, 1))[0]
                batch.touches.append(
                    (
                        pid,
                        world.newsletter_program,
                        kind,
                        t,
                        None,
                        "newsletter",
                        "email",
                        "monthly",
                        "",
                        "",
                        "",
                    )
                )
            elif r < 0.8:
                batch.touches.append(
                    (
                        pid,
                        world.site_program,
                        "page_visited",
                        t,
                        None,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "https://www.google.com/",
                    )
                )
            else:
                day = min(self.span - 1, (t.date() - world.start).days)
                other = self._program_on(day)
                batch.touches.append(self._touch(pid, other.id, other.channel, t))
            count += 1
        return count

    def _touch(self, pid: int, program_id: int, channel: str, t: datetime) -> tuple:
        source, medium = UTM.get(channel, ("", ""))
        referrer = "https://www.google.com/" if channel in ("web", "advertising") else ""
        return (
            pid,
            program_id,
            TOUCH_KIND[channel],
            t,
            None,
            source,
            medium,
            f"p{program_id}" if source else "",
            "",
            "",
            referrer,
        )

    def _lifecycle(self, pid, org, arrived, fit, quality, batch):
        """Walk the person down the funnel; store each step that happened before now."""
        rng, now = self.rng, self.now
        steps = [("", "lead", arrived, None, "First touch")]
        owner = None
        if rng.random() < min(0.95, quality * fit):
            mql_at = after(arrived, 10, rng)
            steps.append(("lead", "mql", mql_at, None, "Score crossed the MQL threshold"))
            if mql_at < now - timedelta(minutes=30):
                owner = self._handoff(pid, org, mql_at, quality, steps, batch)
        stored = [s for s in steps if s[2] <= now]
        for from_stage, to_stage, at, actor, reason in stored:
            batch.transitions.append((pid, from_stage, to_stage, at, actor, reason))
        stage, changed = stored[-1][1], stored[-1][2]
        return stage, changed, owner if stage not in ("lead", "mql", "nurture") else None

    def _handoff(self, pid, org, mql_at, quality, steps, batch):
        rng, now = self.rng, self.now
        routed = mql_at + timedelta(minutes=rng.uniform(2, 30))
        due = routed + timedelta(hours=24)
        rep, r = org.owner, rng.random()
        if r < 0.74:
            decided = routed + timedelta(hours=min(rng.expovariate(1 / 7), 40))
            status, reason = "accepted", ""
            steps.append(("mql", "sal", decided, rep, "Accepted by the rep"))
            self._qualify(pid, org, rep, decided, quality, steps, batch)
        elif r < 0.88:
            decided = routed + timedelta(hours=rng.expovariate(1 / 9))
            status, reason = "rejected", rng.choice(REJECT_REASONS)
            steps.append(("mql", "nurture", decided, rep, reason))
        else:
            decided, status, reason = None, "expired", "Nobody worked it"
        if (decided or due) > now:
            decided, status, reason = None, "pending", ""
        code = REJECT_CODES.get(reason, "") if status == "rejected" else ""
        recycle = (decided + timedelta(days=180)).date() if code == "not_now" else None
        breached = due if status == "expired" else None
        rule = "account owner: the organization's owner"
        batch.handoffs.append(
            (pid, rep, routed, due, status, decided, reason, rule, code, recycle, breached, None)
        )
        return rep

    def _qualify(self, pid, org, rep, sal_at, quality, steps, batch):
        rng = self.rng
        if rng.random() >= 0.72:
            steps.append(
                ("sal", "disqualified", after(sal_at, 7, rng), rep, rng.choice(DISQUALIFY_REASONS))
            )
            return
        sql_at = after(sal_at, 5, rng)
        steps.append(("sal", "sql", sql_at, rep, "Budget, authority, need and timing confirmed"))
        if rng.random() >= 0.88:
            steps.append(("sql", "nurture", after(sql_at, 6, rng), rep, "Not this quarter"))
            return
        opened = after(sql_at, 3, rng)
        steps.append(("sql", "opportunity", opened, rep, "Opportunity opened"))
        if opened > self.now:
            return
        won, closed_at, reason = self.sales.opportunity(pid, org, rep, opened, quality, batch)
        if closed_at is not None:
            to_stage = "customer" if won else "nurture"
            steps.append(("opportunity", to_stage, closed_at, rep, reason))
