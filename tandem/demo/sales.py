"""Generates opportunities with stage history, lines, competitors, objections and activities."""

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from tandem.demo.timing import after, quarter_start
from tandem.demo.world import World

SIZE_SEATS = {"1-10": 3, "11-50": 8, "51-200": 20, "201-1000": 45, "1000+": 110}
STAGE_ACTIVITY = {
    "Qualify": ("call", "Discovery call"),
    "Present": ("meeting", "Tailored presentation"),
    "Handle objections": ("call", "Objection follow-up"),
    "Negotiate": ("email", "Send proposal and terms"),
}
OPEN_STAGES = ("Qualify", "Present", "Handle objections", "Negotiate")
OUT_OF_POSITION = (
    "Staff the trade-show booth",
    "Write a blog post for marketing",
    "Design a flyer",
)
CENT = Decimal("0.01")


class SalesGenerator:
    def __init__(self, world: World, rng: random.Random, now: datetime):
        self.world, self.rng, self.now = world, rng, now
        self.next_id = 1
        self.won_by_rep_quarter: dict[tuple[int, object], Decimal] = defaultdict(Decimal)
        self.customer_orgs: set[int] = set()

    def opportunity(self, pid, org, rep, opened: datetime, quality: float, batch):
        """Create one deal; return (won, closed_at or None, reason) for the person's lifecycle."""
        rng, now, world = self.rng, self.now, self.world
        oid, self.next_id = self.next_id, self.next_id + 1
        amount = self._lines(oid, org.size, batch)
        won = rng.random() < min(0.6, 0.22 + 0.25 * quality)
        reached = 4 if won else rng.choices((1, 2, 3, 4), (35, 30, 20, 15))[0]
        path = list(OPEN_STAGES[:reached]) + ["Closed won" if won else "Closed lost"]
        entered, t = [], opened
        for name in path:
            if t > now:
                break
            entered.append((name, t))
            t = after(t, 16, rng, 2)
        current, current_at = entered[-1]
        closed_at = current_at if current.startswith("Closed") else None
        for i, (name, at) in enumerate(entered):
            left = entered[i + 1][1] if i + 1 < len(entered) else None
            batch.stage_history.append((oid, world.stage_ids[name], at, left, rep))
            if name in STAGE_ACTIVITY:
                self._activity(oid, pid, org.id, rep, name, at, batch)
        loss_reason, lost_to, reason = self._loss(oid, won, closed_at, batch)
        if rng.random() < 0.4:
            batch.objections.append(
                (oid, rng.choice(world.objection_ids), "", rng.random() < 0.6, opened)
            )
        if closed_at is None:
            self._upcoming(oid, pid, org.id, rep, batch)
        if won and closed_at:
            self.won_by_rep_quarter[(rep, quarter_start(closed_at.date()))] += amount
            self.customer_orgs.add(org.id)
        expected = (
            closed_at.date()
            if closed_at
            else max(
                (opened + timedelta(days=60)).date(),
                now.date() + timedelta(days=rng.randint(7, 60)),
            )
        )
        channel, partner = self._channel()
        forecast = {"Negotiate": "commit", "Handle objections": "best_case"}.get(
            current, "pipeline"
        )
        name = f"{org.name} · {rng.choice(('New seats', 'Platform', 'Expansion', 'Pilot'))}"
        batch.opportunities.append(
            (
                oid,
                opened,
                current_at,
                name,
                org.id,
                pid,
                rep,
                world.pipeline_id,
                world.stage_ids[current],
                amount,
                "USD",
                expected,
                channel,
                partner,
                forecast,
                loss_reason,
                lost_to,
                closed_at,
                opened if partner else None,
                f"{name} {org.name}".lower(),
            )
        )
        batch.timeline.append((opened, rep, "ui", "created", "opportunity", oid, name, "{}"))
        if closed_at:
            batch.timeline.append(
                (closed_at, rep, "ui", "stage_changed", "opportunity", oid, current, "{}")
            )
        return won, closed_at, reason

    def _lines(self, oid, size, batch) -> Decimal:
        rng, total = self.rng, Decimal("0")
        seats = max(1, int(SIZE_SEATS[size] * rng.lognormvariate(0, 0.4)))
        products = self.world.products
        picks = [products[rng.choice((0, 0, 1, 1, 2))]] + (
            [products[3]] if rng.random() < 0.4 else []
        )
        for product_id, family, price in picks:
            qty = seats if family == "Subscription" else 1
            discount = Decimal(rng.choice((0, 0, 0, 5, 10))) / 100
            unit = (price * (1 - discount)).quantize(CENT)
            batch.lines.append((oid, product_id, qty, price, unit, "in_policy"))
            total += unit * qty
        return total

    def _loss(self, oid, won, closed_at, batch):
        rng, world = self.rng, self.world
        if won or closed_at is None:
            return None, None, "Closed won" if won else ""
        reason = rng.choices(list(world.loss_reason_ids), (25, 30, 15, 15, 10, 5))[0]
        lost_to = rng.choice(world.competitor_ids) if reason == "Lost to competitor" else None
        if lost_to:
            batch.competitors.append((oid, lost_to))
        elif rng.random() < 0.4:
            batch.competitors.append((oid, rng.choice(world.competitor_ids)))
        return world.loss_reason_ids[reason], lost_to, f"Lost: {reason}"

    def _channel(self):
        r = self.rng.random()
        if r < 0.1 and self.world.partner_ids:
            return "partner", self.rng.choice(self.world.partner_ids)
        return ("direct_marketing" if r < 0.15 else "direct_selling"), None

    def _activity(self, oid, pid, org_id, rep, stage, at, batch):
        kind, subject = STAGE_ACTIVITY[stage]
        due = at + timedelta(days=self.rng.uniform(0.2, 3))
        done = due + timedelta(hours=self.rng.uniform(0, 6)) if due < self.now else None
        batch.activities.append((at, at, kind, subject, "", due, done, True, rep, pid, org_id, oid))
        if self.rng.random() < 0.05:
            batch.activities.append(
                (
                    at,
                    at,
                    "task",
                    self.rng.choice(OUT_OF_POSITION),
                    "",
                    due,
                    done,
                    False,
                    rep,
                    None,
                    None,
                    None,
                )
            )

    def _upcoming(self, oid, pid, org_id, rep, batch):
        due = self.now + timedelta(hours=self.rng.uniform(-48, 24 * 7))
        kind = self.rng.choice(("call", "meeting", "task"))
        subject = {
            "call": "Check in on decision",
            "meeting": "Review proposal",
            "task": "Send follow-up",
        }[kind]
        batch.activities.append(
            (self.now, self.now, kind, subject, "", due, None, True, rep, pid, org_id, oid)
        )
